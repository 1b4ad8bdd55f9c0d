"""The notebooks in ``notebooks/`` as pages of the site, with their outputs when they
have been run.

Two steps, kept apart so that the default build stays cheap:

* ``execute(src_dir, cache_dir, names)`` runs notebooks top to bottom in a fresh kernel
  (nbclient; the notebooks' quick mode, ``SELU_NOTEBOOK_QUICK=1``) and keeps the executed
  copies in ``cache_dir`` (``build/notebooks/``, git-ignored), each stamped with a hash of
  its source cells.  Only ``python docs/build.py --notebooks`` does this: it takes
  minutes.
* ``write(src_dir, cache_dir, out_dir)`` turns every notebook into a Markdown page in
  ``out_dir`` (``docs/notebooks/``, git-ignored), taking the executed copy when its hash
  still matches the source, else the source without outputs (the page says which).  It
  takes milliseconds; the mkdocs hook runs it at every build.

Markdown cells stay Markdown (so their ``$...$`` math goes through docs/mathml.py like any
page), code cells become fenced code, and each cell's outputs become one placeholder
paragraph whose HTML waits in a side file (``NAME.outputs.json``) until the page's HTML
exists (``restore``): raw HTML inside Markdown would be at the mercy of the Markdown
parser.  Outputs are drawn without JavaScript and without anything fetched: images are
embedded as ``data:`` URIs, ``<script>`` and external ``<link>``/``src`` in HTML outputs
are dropped, so the pages work offline.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import os
import pathlib
import re
import sys
import tempfile
import time

import mathml  # docs/mathml.py, beside this file

PLACEHOLDER = "SELUNBOUT{}X"
SIDE = ".outputs.json"
MANIFEST = "pages.json"  # [[title, file], ...] for the nav, in order
STAMP = "selu_docs"  # metadata key of an executed copy
QUICK_ENV = {"SELU_NOTEBOOK_QUICK": "1"}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.S | re.I)
_EXTERNAL = re.compile(r"<(link|img|iframe|script)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I)
_PLACEHOLDER_P = re.compile(r"<p>(SELUNBOUT\d+X)</p>")


def source_hash(nb) -> str:
    """A hash of the cells' types and sources: an executed copy is current while it matches."""
    cells = [[c["cell_type"], _text(c.get("source", ""))] for c in nb["cells"]]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()[:16]


def _text(x) -> str:
    return "".join(x) if isinstance(x, list) else str(x)


def _read(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- outputs


def _pre(text: str, cls: str) -> str:
    return f'<pre class="{cls}">{html.escape(_ANSI.sub("", text))}</pre>'


def _clean_html(text: str) -> str:
    """An HTML output without scripts or anything fetched from elsewhere."""
    return _EXTERNAL.sub("", _SCRIPT.sub("", text))


def output_html(out: dict) -> str:
    """One notebook output as static HTML ('' for what cannot be shown without a kernel)."""
    kind = out.get("output_type")
    if kind == "stream":
        return _pre(_text(out.get("text", "")), "nb-stream nb-stderr" if out.get("name") == "stderr" else "nb-stream")
    if kind == "error":
        tb = "\n".join(out.get("traceback") or [f"{out.get('ename')}: {out.get('evalue')}"])
        return _pre(tb, "nb-error")
    if kind not in ("execute_result", "display_data"):
        return ""
    data = out.get("data", {})
    if "text/html" in data:
        return f'<div class="nb-html">{_clean_html(_text(data["text/html"]))}</div>'
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            b64 = "".join(_text(data[mime]).split())
            return f'<img class="nb-image" alt="output" src="data:{mime};base64,{b64}">'
    if "image/svg+xml" in data:
        b64 = base64.b64encode(_text(data["image/svg+xml"]).encode()).decode()
        return f'<img class="nb-image" alt="output" src="data:image/svg+xml;base64,{b64}">'
    if "text/plain" in data:
        return _pre(_text(data["text/plain"]), "nb-text")
    return ""


# ----------------------------------------------------------------------------- pages


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=2)
    return "`" * (longest + 1)


def title(nb, fallback: str) -> str:
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", _text(c["source"]), re.M)
            if m:  # the nav shows text: math in the title becomes Unicode text
                return re.sub(r"\$([^$]+)\$", lambda x: mathml.tex_to_text(x.group(1)), m.group(1)).strip()
    return fallback


def render(nb, name: str, executed: dict = None):
    """(markdown, {placeholder: html}) for one notebook; ``executed`` the stamp of the run
    the outputs come from (None: shown without outputs)."""
    if executed:
        note = (f'!!! note "Rendered from notebooks/{name}"\n    With the outputs of a run on '
                f'{executed.get("date", "?")} in the notebooks\' quick mode ({executed.get("seconds", "?")} s).'
                f" Run it yourself in Jupyter for the full budgets.\n")
    else:
        note = (f'!!! note "Rendered from notebooks/{name}, without outputs"\n    This build did not run '
                f"the notebooks; `python docs/build.py --notebooks` does (a few minutes), or open it in Jupyter.\n")
    parts, stash = [], {}
    cells = nb["cells"]
    for i, c in enumerate(cells):
        src = _text(c.get("source", ""))
        if c["cell_type"] == "markdown":
            parts.append(src)
        elif c["cell_type"] == "code":
            if src.strip():
                f = _fence(src)
                parts.append(f"{f}python\n{src}\n{f}")
            shown = [h for h in (output_html(o) for o in c.get("outputs", [])) if h] if executed else []
            if shown:
                key = PLACEHOLDER.format(len(stash))
                stash[key] = '<div class="nb-output">' + "\n".join(shown) + "</div>"
                parts.append(key)
        if i == 0:  # the note goes under the notebook's own title, if it starts with one
            parts.insert(1 if c["cell_type"] == "markdown" else 0, note)
    return "\n\n".join(parts) + "\n", stash


def _write_if_changed(path: pathlib.Path, text: str) -> None:
    # mkdocs serve rebuilds when a file in docs/ changes: never touch one that did not.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def executed_copy(src: pathlib.Path, cache_dir: pathlib.Path):
    """The executed copy of ``src`` in ``cache_dir`` when it is current, else None."""
    path = pathlib.Path(cache_dir) / src.name
    if not path.is_file():
        return None
    try:
        nb = _read(path)
    except (OSError, ValueError):
        return None
    stamp = nb.get("metadata", {}).get(STAMP) or {}
    return nb if stamp.get("source_hash") == source_hash(_read(src)) else None


def write(src_dir, cache_dir, out_dir) -> list:
    """Write one page per notebook, an index and the nav manifest into ``out_dir``;
    returns [(title, file relative to out_dir's parent), ...] in order, index first."""
    src_dir, out_dir = pathlib.Path(src_dir), pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted(src_dir.glob("*.ipynb")) if src_dir.is_dir() else []
    pages, rows, keep = [], [], {"index.md", MANIFEST}
    for src in sources:
        nb = _read(src)
        run = executed_copy(src, cache_dir)
        stamp = run["metadata"][STAMP] if run is not None else None
        md, stash = render(run or nb, src.name, stamp)
        page = src.stem + ".md"
        _write_if_changed(out_dir / page, md)
        _write_if_changed(out_dir / (src.stem + SIDE), json.dumps(stash))
        keep |= {page, src.stem + SIDE}
        t = title(nb, src.stem)
        pages.append((t, f"{out_dir.name}/{page}"))
        rows.append(f"- [{t}]({page}) (`{src.name}`): "
                    + (f"with outputs, run on {stamp['date']}" if stamp else "without outputs"))
    for stale in out_dir.iterdir():  # a notebook renamed or removed: its page goes too
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    index = ["# Notebooks", "",
             "Worked examples that call the Python API (`verification.api`), rendered from "
             "`notebooks/` when these pages are built. Each runs top to bottom in Jupyter; "
             "`SELU_NOTEBOOK_QUICK=1` selects a small budget (what the test suite and "
             "`python docs/build.py --notebooks` use). The default build shows them without "
             "outputs, so that it stays fast.", ""]
    index += rows or ["No notebooks were found next to mkdocs.yml."]
    _write_if_changed(out_dir / "index.md", "\n".join(index) + "\n")
    nav = [("Overview", f"{out_dir.name}/index.md")] + pages
    _write_if_changed(out_dir / MANIFEST, json.dumps(nav))
    return nav


def restore(html_text: str, side: pathlib.Path) -> str:
    """Put each output's HTML in place of its placeholder paragraph."""
    if not side.is_file():
        return html_text
    stash = json.loads(side.read_text(encoding="utf-8"))
    return _PLACEHOLDER_P.sub(lambda m: stash.get(m.group(1), m.group(0)), html_text)


# ----------------------------------------------------------------------------- running


def _kernel_manager(tmp: pathlib.Path):
    """A kernel from *this* interpreter (a kernelspec in a private folder), so the run sees
    the same installed toolkit as the build, without any user-level kernelspec."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = tmp / "selu-docs"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "selu-theory (docs)", "language": "python"}))
    return AsyncKernelManager(kernel_name="selu-docs", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp)]))


def execute(src_dir, cache_dir, names=None, root=None, timeout: int = 600, log=print) -> int:
    """Run the notebooks (all, or those in ``names``) into ``cache_dir``; returns the number
    that failed.  A failed run is not cached: its page is shown without outputs."""
    import nbclient
    import nbformat

    src_dir, cache_dir = pathlib.Path(src_dir), pathlib.Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    wanted = sorted(src_dir.glob("*.ipynb"))
    if names:
        stems = {pathlib.Path(n).stem for n in names}
        unknown = stems - {p.stem for p in wanted}
        if unknown:
            raise ValueError(f"no such notebook in {src_dir.name}/: {', '.join(sorted(unknown))}")
        wanted = [p for p in wanted if p.stem in stems]
    env = dict(os.environ, **QUICK_ENV)
    env.pop("MPLBACKEND", None)  # the kernel's inline backend: figures become image/png outputs
    if root is not None:  # the kernel imports the checkout even if it is not installed
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(root), env.get("PYTHONPATH"))))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="selu-docs-kernel-") as tmp:
        for src in wanted:
            nb = nbformat.read(src, as_version=4)
            t0 = time.perf_counter()
            client = nbclient.NotebookClient(nb, km=_kernel_manager(pathlib.Path(tmp)), timeout=timeout,
                                             startup_timeout=120, allow_errors=True,
                                             resources={"metadata": {"path": str(src_dir)}})
            try:
                client.execute(env=env, cleanup_kc=True)
            except Exception as exc:  # a timeout or a dead kernel: report it, keep going
                log(f"notebook {src.name}: not run ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
                failed += 1
                continue
            seconds = time.perf_counter() - t0
            errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                      if o.get("output_type") == "error"]
            if errors:
                log(f"notebook {src.name}: {errors[0].get('ename')}: {errors[0].get('evalue')} (not cached)")
                failed += 1
                continue
            nb.metadata[STAMP] = {"source_hash": source_hash(_read(src)), "seconds": round(seconds, 1),
                                  "date": datetime.date.today().isoformat(), "quick": True}
            nbformat.write(nb, cache_dir / src.name)
            log(f"notebook {src.name}: run in {seconds:.1f} s")
    return failed
