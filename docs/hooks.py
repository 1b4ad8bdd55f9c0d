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
"""
from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # docs/mathml.py beside this file
import figures  # noqa: E402
import mathml  # noqa: E402

_MATH = {}  # page source path -> the formulas taken out of its Markdown

SUBFUNCTIONS = "subfunctions.md"
MARKER = "<!-- subfunctions-link -->"
LINK = "- [Sub-functions of the appendix lemmas](subfunctions.md)"


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
    markdown, _MATH[page.file.src_path] = mathml.protect(markdown)
    return markdown


def on_page_content(html, page, config, files, **kwargs):
    return mathml.restore(html, _MATH.pop(page.file.src_path, {}))
