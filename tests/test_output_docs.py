"""The docs site: TeX math rendered offline (MathML at build time, no script from a
CDN), the figures drawn and shown, no machine paths, the paper's notation in the
catalogue."""
import importlib.util
import pathlib
import re
import shutil
import sys

import pytest

from verification import catalogue

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import mathml  # noqa: E402  (docs/mathml.py)

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
    shutil.copytree(ROOT / "docs", tmp / "docs", ignore=shutil.ignore_patterns("catalogue.md", "__pycache__"))
    assert build.build(tmp / "mkdocs.yml", tmp / "site", use_report=False, quiet=True) == 0
    return tmp / "site"


def test_site_renders_math_offline(site):
    html = (site / "method.html").read_text()
    if HAVE_MATHML:
        assert "<math" in html and "\\tilde" not in html
    for page in site.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script[^>]+src=\"https?://", text), page.name  # nothing fetched at view time
        assert "SELUMATH" not in text, page.name


def test_site_shows_the_figures(site):
    html = (site / "figures.html").read_text()
    imgs = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(imgs) == 4
    for src in imgs:
        assert (site / src).is_file() and (site / src).stat().st_size > 10_000, src
