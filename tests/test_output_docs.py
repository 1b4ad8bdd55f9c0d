"""The docs site: TeX math rendered offline (MathML at build time, no script from a
CDN), the figures drawn and shown, the notebooks rendered as pages (with outputs where a
run of them exists), no machine paths, the paper's notation in the catalogue."""
import base64
import importlib.util
import json
import pathlib
import re
import shutil
import sys

import pytest

from verification import catalogue

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import mathml  # noqa: E402  (docs/mathml.py)
import nbpages  # noqa: E402  (docs/nbpages.py)

HAVE_MATHML = importlib.util.find_spec("latex2mathml") is not None


def test_math_is_taken_out_of_text_but_not_out_of_code():
    md = "\n".join([
        "The map $\\tilde\\mu(\\mu) = x_1 * y_2$ and $S < 1$.",
        "",
        "    $ selu-verify bound S --max",
        "```",
        "cost: $5 and $6",
        "```",
        "A code span `$x$` stays.",
        "$$",
        "S = \\sqrt{J_{11}}",
        "$$",
    ])
    out, stash = mathml.protect(md)
    assert len(stash) == 3
    assert "    $ selu-verify bound S --max" in out and "cost: $5 and $6" in out and "`$x$`" in out
    assert "x_1" not in out  # inside a placeholder, so Markdown cannot read _ as emphasis
    html = mathml.restore(out, stash)
    if HAVE_MATHML:
        assert html.count("<math") == 3 and 'display="block"' in html


def test_catalogue_uses_the_papers_notation_and_no_machine_path(tmp_path, monkeypatch):
    text = catalogue.render(None)
    assert "µ̃" in text and "ν̃" in text and "mu~" not in text
    assert "appendix chunks" not in text and "claims.md" not in text
    assert catalogue.display_path(tmp_path / "results" / "report.json") == "results/report.json"
    monkeypatch.chdir(tmp_path)
    assert catalogue.display_path(tmp_path / "results" / "report.json") == "results/report.json"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("selu_docs_build_g", ROOT / "docs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    tmp = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "mkdocs.yml", tmp / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp / "docs",
                    ignore=shutil.ignore_patterns("catalogue.md", "__pycache__", "notebooks", "domain.png"))
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _fake_run(tmp / "notebooks" / RUN_NOTEBOOK, tmp / "build" / "notebooks")
    assert build.build(tmp / "mkdocs.yml", tmp / "site", use_report=False, quiet=True) == 0
    return tmp / "site"


RUN_NOTEBOOK = "02_theorem1.ipynb"
RUN_MARK = "output-from-the-fake-run"


def _fake_run(src, cache):
    """An executed copy of ``src`` as `docs/build.py --notebooks` leaves it, with made-up
    outputs (running a kernel here would cost a minute): a text output and an image."""
    nb = json.loads(src.read_text())
    run = json.loads(src.read_text())
    png = base64.b64encode(bytes.fromhex(  # a 1x1 PNG
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()
    for cell in run["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": RUN_MARK + "\n"},
                               {"output_type": "display_data", "metadata": {}, "data": {"image/png": png}}]
    run["metadata"][nbpages.STAMP] = {"source_hash": nbpages.source_hash(nb), "seconds": 1.0,
                                      "date": "2026-12-01", "quick": True}
    cache.mkdir(parents=True)
    (cache / src.name).write_text(json.dumps(run))


EXTERNAL = re.compile(r"<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", re.I)


def test_site_renders_math_offline(site):
    html = (site / "method.html").read_text()
    if HAVE_MATHML:
        assert "<math" in html and "\\tilde" not in html
    pages = list(site.rglob("*.html"))
    assert any(p.parent.name == "notebooks" for p in pages)
    for page in pages:
        text = page.read_text()
        assert not EXTERNAL.search(text), page.name  # nothing fetched at view time: no CDN
        assert "SELUMATH" not in text and "SELUNBOUT" not in text, page.name
    for css in site.rglob("*.css"):
        assert not re.search(r"(?:@import|url\()\s*[\"']?(?:https?:)?//", css.read_text()), css.name


def test_site_shows_the_figures(site):
    html = (site / "figures.html").read_text()
    imgs = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(imgs) == 4  # the certified-domain plot is drawn only on request (--domain)
    assert "python docs/build.py --domain" in html
    for src in imgs:
        assert (site / src).is_file() and (site / src).stat().st_size > 10_000, src


def test_site_shows_the_notebooks(site):
    """Every notebook is a page in the nav; the one with a (fake) run shows its outputs
    below its code, the others their code and a note; their math is MathML."""
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert names
    index = (site / "notebooks" / "index.html").read_text()
    home = (site / "index.html").read_text()
    assert 'href="notebooks/index.html"' in home  # the nav's "Notebooks" section
    for name in names:
        page = site / "notebooks" / f"{name}.html"
        assert page.is_file(), name
        assert f'href="{name}.html"' in index and f'href="notebooks/{name}.html"' in home, name
        text = page.read_text()
        assert "<pre><code" in text and "import" in text, name  # the code cells
        if name + ".ipynb" == RUN_NOTEBOOK:
            assert text.count('class="nb-output"') >= 3 and RUN_MARK in text
            assert 'src="data:image/png;base64,' in text
        else:
            assert "without outputs" in text and 'class="nb-output"' not in text, name
    if HAVE_MATHML:
        text = (site / "notebooks" / "02_theorem1.html").read_text()
        assert "<math" in text and "$$" not in text
        assert 'id="the-contraction-max-s"' in text  # a heading with math gets a readable anchor
