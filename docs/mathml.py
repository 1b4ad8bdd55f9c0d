"""TeX math in the docs, rendered to MathML when the site is built (no JavaScript, no
CDN: the pages work offline, and browsers draw MathML natively).

``$...$`` is inline math, ``$$...$$`` (on lines of their own) display math; code blocks and
code spans are left alone.  ``protect(markdown)`` swaps each formula for a placeholder
before Markdown runs (so ``_`` and ``*`` inside TeX are not read as emphasis);
``restore(html, stash)`` puts the MathML in afterwards.  Without the ``latex2mathml``
package the TeX source is shown in a ``<code>`` span instead.
"""
from __future__ import annotations

import html
import re

try:
    from latex2mathml.converter import convert as _convert
except ImportError:  # pragma: no cover - the docs extra installs it
    _convert = None

PLACEHOLDER = "SELUMATH{}X"
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"(?<![\\$\w])\$(?=[^\s$])([^$\n]+?)(?<=[^\s\\])\$(?![\w$])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def to_mathml(tex: str, display: bool = False) -> str:
    if _convert is None:
        return f"<code class=\"math\">{html.escape(tex)}</code>"
    return _convert(tex, display="block" if display else "inline")


def protect(markdown: str):
    """(markdown with placeholders, stash {placeholder: html})."""
    stash = {}

    def put(tex, display):
        key = PLACEHOLDER.format(len(stash))
        stash[key] = to_mathml(tex.strip(), display)
        return key

    out, in_fence, block = [], False, None
    for line in markdown.split("\n"):
        if block is not None:  # inside $$ ... $$
            if line.strip() == "$$":
                out.append(f"<div class=\"math-display\">{put(chr(10).join(block), True)}</div>")
                block = None
            else:
                block.append(line)
            continue
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence or line.startswith(("    ", "\t")):
            out.append(line)
            continue
        if line.strip() == "$$":
            block = []
            continue
        m = re.fullmatch(r"\s*\$\$(.+)\$\$\s*", line)
        if m:
            out.append(f"<div class=\"math-display\">{put(m.group(1), True)}</div>")
            continue
        out.append(_inline(line, put))
    if block is not None:  # an unclosed $$: leave the text as it was
        out += ["$$"] + block
    return "\n".join(out), stash


def _inline(line: str, put) -> str:
    parts, pos = [], 0
    for m in _CODE_SPAN.finditer(line):  # code spans keep their dollars
        parts.append(_INLINE.sub(lambda x: put(x.group(1), False), line[pos:m.start()]))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(_INLINE.sub(lambda x: put(x.group(1), False), line[pos:]))
    return "".join(parts)


def restore(html_text: str, stash: dict) -> str:
    for key, value in stash.items():
        html_text = html_text.replace(key, value)
    return html_text
