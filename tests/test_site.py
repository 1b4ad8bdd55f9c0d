"""The docs site's own machinery, without a build: notebooks turned into pages
(docs/nbpages.py), Jupyter-style math (docs/mathml.py), the certified-domain figure's
place on the Figures page (docs/hooks.py), and docs/build.py's bad input.

The strict build itself, with these pieces in it, is tested in tests/test_output_docs.py.
"""
import base64
import importlib.util
import json
import pathlib
import sys
from types import SimpleNamespace

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import mathml  # noqa: E402  (docs/mathml.py)
import nbpages  # noqa: E402  (docs/nbpages.py)

HAVE_MATHML = importlib.util.find_spec("latex2mathml") is not None
# The smallest PNG there is (1x1): an image output, drawn by no code of ours.
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


def _notebook(outputs=None):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A notebook about $\\tilde\\mu$\n", "\n",
                                                             "Claim: $S < 1$."]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "source": "x = 1\nprint(x)",
         "outputs": outputs or []},
        {"cell_type": "markdown", "metadata": {}, "source": "## Conclusion\n\n$$\\max S < 1,\n  S = 2 .$$"},
    ]}


OUTPUTS = [
    {"output_type": "stream", "name": "stdout", "text": ["quick mode\n", "\x1b[31mred\x1b[0m <b>\n"]},
    {"output_type": "execute_result", "execution_count": 1, "metadata": {},
     "data": {"text/plain": "Table(...)",
              "text/html": '<table><tr><td>S.max</td></tr></table><script src="https://cdn.example/x.js">'
                           '</script><script>alert(1)</script><link rel="stylesheet" href="https://cdn.example/s.css">'}},
    {"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG, "text/plain": "<Figure>"}},
    {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "just text"}},
    {"output_type": "error", "ename": "ValueError", "evalue": "boom", "traceback": ["\x1b[0;31mValueError\x1b[0m: boom"]},
]


def _setup(tmp_path, executed: bool, stale: bool = False):
    src, cache, out = tmp_path / "notebooks", tmp_path / "build" / "notebooks", tmp_path / "docs" / "notebooks"
    src.mkdir(parents=True)
    cache.mkdir(parents=True)
    nb = _notebook()
    (src / "demo.ipynb").write_text(json.dumps(nb))
    if executed:
        run = _notebook(OUTPUTS)
        run["metadata"][nbpages.STAMP] = {"source_hash": nbpages.source_hash(nb), "seconds": 1.5,
                                          "date": "2026-12-01", "quick": True}
        (cache / "demo.ipynb").write_text(json.dumps(run))
    if stale:  # the source changed after the run: its outputs no longer belong to it
        nb["cells"][1]["source"] = "x = 2\nprint(x)"
        (src / "demo.ipynb").write_text(json.dumps(nb))
    return src, cache, out


def test_executed_notebook_page_shows_its_outputs_statically(tmp_path):
    src, cache, out = _setup(tmp_path, executed=True)
    nav = nbpages.write(src, cache, out)
    assert nav == [("Overview", "notebooks/index.md"), ("A notebook about μ̃", "notebooks/demo.md")]
    md = (out / "demo.md").read_text()
    assert "```python\nx = 1\nprint(x)\n```" in md
    assert "With the outputs of a run on 2026-12-01" in md
    assert md.index("# A notebook") < md.index("!!! note") < md.index("```python")  # the note under the title
    html = nbpages.restore("<h1>t</h1>\n<p>SELUNBOUT0X</p>", out / ("demo" + nbpages.SIDE))
    assert "SELUNBOUT" not in html and html.count('class="nb-output"') == 1
    assert "quick mode" in html and "red &lt;b&gt;" in html and "\x1b" not in html  # escaped, no ANSI codes
    assert "<td>S.max</td>" in html  # the API's HTML table, as HTML
    assert "<script" not in html and "https://" not in html  # nothing runs, nothing is fetched
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert "just text" in html and "ValueError" in html and "boom" in html
    assert "with outputs, run on 2026-12-01" in (out / "index.md").read_text()


@pytest.mark.parametrize("stale", [False, True])
def test_notebook_without_a_current_run_is_shown_without_outputs(tmp_path, stale):
    src, cache, out = _setup(tmp_path, executed=stale, stale=stale)
    nbpages.write(src, cache, out)
    md = (out / "demo.md").read_text()
    assert "without outputs" in md and "python docs/build.py --notebooks" in md
    assert "SELUNBOUT" not in md and json.loads((out / ("demo" + nbpages.SIDE)).read_text()) == {}
    assert "x = 2" in md if stale else "x = 1" in md


def test_pages_of_removed_notebooks_go(tmp_path):
    src, cache, out = _setup(tmp_path, executed=False)
    nbpages.write(src, cache, out)
    (src / "demo.ipynb").rename(src / "renamed.ipynb")
    nbpages.write(src, cache, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["index.md", nbpages.MANIFEST, "renamed.md", "renamed" + nbpages.SIDE])


def test_no_notebooks_still_gives_an_index(tmp_path):
    nav = nbpages.write(tmp_path / "none", tmp_path / "cache", tmp_path / "docs" / "notebooks")
    assert nav == [("Overview", "notebooks/index.md")]
    assert "No notebooks were found" in (tmp_path / "docs" / "notebooks" / "index.md").read_text()


def test_code_with_backtick_fences_keeps_its_block():
    nb = _notebook()
    nb["cells"][1]["source"] = 'doc = """\n```\nnot a fence\n```\n"""'
    md, _ = nbpages.render(nb, "demo.ipynb")
    assert "````python\n" in md and md.count("````") == 2


def test_jupyter_style_display_math():
    md = "\n".join(["Before.", "$$\\max_{\\Omega} S < 1,\\qquad", "  J = 2 .$$", "After $$x^2$$ and $y$.",
                    "## The bound on $\\tilde\\mu^2$"])
    out, stash = mathml.protect(md)
    assert "\\max" not in out and "$$" not in out and "x^2" not in out
    assert len(stash) == 3
    assert "## The bound on μ̃²" in out  # a heading gets text: clean contents and anchor
    html = mathml.restore(out, stash)
    if HAVE_MATHML:
        assert html.count("<math") == 3 and html.count('display="block"') == 2


@pytest.mark.skipif(not HAVE_MATHML, reason="latex2mathml not installed")
def test_sized_delimiters_and_unknown_commands():
    norm = mathml.to_mathml(r"\big\|J\big\|_2")
    assert "\\|" not in norm and "\u2016" in norm
    assert "<math" in mathml.to_mathml(r"\frac{1}{2}")
    bad = mathml.to_mathml(r"\begin{nosuchenv} x")  # no crash: the source, shown as code
    assert "nosuchenv" in bad


def test_domain_figure_marker(tmp_path):
    import hooks  # docs/hooks.py

    docs = tmp_path / "docs"
    (docs / "figures").mkdir(parents=True)
    config = {"docs_dir": str(docs)}
    page = SimpleNamespace(file=SimpleNamespace(src_path="figures.md"))
    text = f"a\n\n{hooks.DOMAIN_MARKER}\n\nb"
    missing = hooks.on_page_markdown(text, page=page, config=config, files=None)
    assert "python docs/build.py --domain" in missing and hooks.DOMAIN_MARKER not in missing
    (docs / "figures" / "domain.png").write_bytes(b"png")
    drawn = hooks.on_page_markdown(text, page=page, config=config, files=None)
    assert "](figures/domain.png)" in drawn


def test_build_script_bad_input_is_one_line(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("selu_docs_build_s", ROOT / "docs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.main(["--notebooks", "no_such_notebook"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_notebook" in err[0]
    assert build.main(["--config", str(tmp_path / "missing.yml")]) == 2
    with pytest.raises(SystemExit) as exc:
        build.main(["--workers", "0"])
    assert exc.value.code == 2
