"""MkDocs hooks (named in mkdocs.yml).

* docs/subfunctions.md is written by another part of the project and may not exist yet:
  when it does, it joins the nav and the index links to it (the marker below); when it
  does not, nothing links to it, so the strict build has no broken link.
* docs/catalogue.md is generated (``python -m verification.catalogue``, run by
  docs/build.py); a plain ``mkdocs build`` or ``mkdocs serve`` generates it if missing.
* docs/figures/ is drawn by docs/figures.py (build.py runs it; so does a plain
  ``mkdocs build`` when a figure is missing).
* TeX math (``$...$``, ``$$...$$``) becomes MathML at build time (docs/mathml.py): no
  JavaScript and no CDN, so the pages render offline.
* The notebooks (``notebooks/*.ipynb`` beside mkdocs.yml) become pages under
  docs/notebooks/ (git-ignored) at every build, with the outputs of the last
  ``python docs/build.py --notebooks`` run when it is current (docs/nbpages.py), and join
  the nav as a "Notebooks" section after "Figures".
* figures.md's certified-domain plot is drawn only on request (``docs/build.py --domain``:
  a search of about a minute); without it the page says how to draw it (the marker below).
"""
from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # docs/mathml.py beside this file
import figures  # noqa: E402
import mathml  # noqa: E402
import nbpages  # noqa: E402

_MATH = {}  # page source path -> the formulas taken out of its Markdown

SUBFUNCTIONS = "subfunctions.md"
MARKER = "<!-- subfunctions-link -->"
LINK = "- [Sub-functions of the appendix lemmas](subfunctions.md)"
DOMAIN_MARKER = "<!-- domain-figure -->"
DOMAIN_FIGURE = "![the largest certified domains](figures/domain.png)"
DOMAIN_MISSING = ("*This build was made without it:* `python docs/build.py --domain` draws it "
                  "(a search of about a minute), as does `selu-verify domain --plot domain.png`.")
NOTEBOOKS = "notebooks"  # beside mkdocs.yml: the sources; under docs_dir: their pages
NB_CACHE = "build/notebooks"  # beside mkdocs.yml: the executed copies (docs/build.py --notebooks)


def _docs(config) -> pathlib.Path:
    return pathlib.Path(config["docs_dir"])


def on_config(config, **kwargs):
    docs = _docs(config)
    if not (docs / "catalogue.md").exists():
        from verification import catalogue
        catalogue.main(["--out", str(docs / "catalogue.md")])
    if not all((docs / "figures" / name).exists() for name in figures.FIGURES):
        figures.draw(docs / "figures")
    nav = config.get("nav")
    base = pathlib.Path(config["config_file_path"]).parent
    pages = nbpages.write(base / NOTEBOOKS, base / NB_CACHE, docs / NOTEBOOKS)
    if nav is not None and not any(isinstance(i, dict) and "Notebooks" in i for i in nav):
        at = next((i + 1 for i, item in enumerate(nav)
                   if isinstance(item, dict) and "figures.md" in item.values()), len(nav))
        nav.insert(at, {"Notebooks": [{t: f} for t, f in pages]})
    if (docs / SUBFUNCTIONS).exists() and nav is not None:
        listed = any(SUBFUNCTIONS in (list(item.values()) if isinstance(item, dict) else [item]) for item in nav)
        if not listed:
            at = next((i for i, item in enumerate(nav)
                       if isinstance(item, dict) and "catalogue.md" in item.values()), len(nav))
            nav.insert(at, {"Sub-functions": SUBFUNCTIONS})
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, LINK if (_docs(config) / SUBFUNCTIONS).exists() else "")
    if DOMAIN_MARKER in markdown:
        drawn = (_docs(config) / "figures" / figures.DOMAIN).exists()
        markdown = markdown.replace(DOMAIN_MARKER, DOMAIN_FIGURE if drawn else DOMAIN_MISSING)
    markdown, _MATH[page.file.src_path] = mathml.protect(markdown)
    return markdown


def on_page_content(html, page, config, files, **kwargs):
    html = mathml.restore(html, _MATH.pop(page.file.src_path, {}))
    src = page.file.src_path.replace("\\", "/")
    if src.startswith(NOTEBOOKS + "/"):
        html = nbpages.restore(html, _docs(config) / (src[:-3] + nbpages.SIDE))
    return html
