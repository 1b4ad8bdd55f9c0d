"""TeX math in the docs, rendered to MathML when the site is built (no JavaScript, no
CDN: the pages work offline, and browsers draw MathML natively).

``$...$`` is inline math, ``$$...$$`` display math (on lines of its own, or opening and
closing a run of lines as Jupyter writes it, or inside a line); code blocks and code spans
are left alone.  Math in a heading becomes plain Unicode text instead (``tex_to_text``):
the table of contents and the heading's anchor are made from the heading's text.  ``protect(markdown)`` swaps each formula for a placeholder
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


_DISPLAY_INLINE = re.compile(r"\$\$(.+?)\$\$")


# latex2mathml keeps the delimiter after \big, \Big, ... as TeX: \big\| gives <mo>\|</mo>.
_SIZED = {"\\|": "\u2016", "\\Vert": "\u2016", "\\vert": "|", "\\langle": "\u27e8", "\\rangle": "\u27e9",
          "\\{": "{", "\\}": "}", "\\lfloor": "\u230a", "\\rfloor": "\u230b", "\\lceil": "\u2308",
          "\\rceil": "\u2309"}
_SIZED_MO = re.compile(r"(<mo[^>]*>)(\\[A-Za-z]+|\\[|{}])(</mo>)")


def to_mathml(tex: str, display: bool = False) -> str:
    if _convert is not None:
        try:
            out = _convert(tex, display="block" if display else "inline")
            return _SIZED_MO.sub(lambda m: m.group(1) + _SIZED.get(m.group(2), m.group(2)) + m.group(3), out)
        except Exception:  # a command latex2mathml does not know: show the source, not a crash
            pass
    return f"<code class=\"math\">{html.escape(tex)}</code>"


_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA),
    ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
    ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6), ("chi", 0x3C7),
    ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398),
    ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6),
    ("Psi", 0x3A8), ("Omega", 0x3A9))}
_SYMBOLS = {"partial": "\u2202", "le": "\u2264", "leq": "\u2264", "ge": "\u2265", "geq": "\u2265",
            "in": "\u2208", "subset": "\u2282", "times": "\u00d7", "cdot": "\u00b7", "infty": "\u221e",
            "to": "\u2192", "mapsto": "\u21a6", "pm": "\u00b1", "approx": "\u2248", "neq": "\u2260",
            "max": "max", "min": "min", "sup": "sup", "inf": "inf", "exp": "exp", "log": "log"}


def tex_to_text(tex: str) -> str:
    """A formula as plain Unicode text, for headings: ``\\max_\\Omega S`` -> ``max Ω S``,
    ``\\tilde\\mu`` -> ``µ̃`` (a letter and a combining tilde)."""
    def word(m):
        name = m.group(1)
        return _GREEK.get(name, _SYMBOLS.get(name, name if name.isalpha() and len(name) > 1 else ""))

    t = re.sub(r"\\(tilde|hat|bar)\s*\{?\s*(\\[A-Za-z]+|\w)\s*\}?",
               lambda m: m.group(2) + {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0304"}[m.group(1)], tex)
    t = re.sub(r"\\(?:mathrm|text|mathbf|mathit|operatorname)\s*\{([^{}]*)\}", r"\1", t)
    t = re.sub(r"\\[,;:! ]|\\q?quad\b", " ", t)
    t = re.sub(r"\\([A-Za-z]+)", word, t)
    sup, sub = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻"), str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    t = re.sub(r"\^\{?([0-9+-]+)\}?", lambda m: m.group(1).translate(sup), t)
    t = re.sub(r"_\{?([0-9]+)\}?", lambda m: m.group(1).translate(sub), t)
    t = re.sub(r"[_^]\{([^{}]*)\}", r" \1", t).replace("_", " ").replace("^", "")
    t = t.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", t).strip()


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
            if line.rstrip().endswith("$$"):
                block.append(line.rstrip()[:-2])
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
        m = re.fullmatch(r"\s*\$\$(.+)\$\$\s*", line)
        if m and "$$" not in m.group(1):
            out.append(f"<div class=\"math-display\">{put(m.group(1), True)}</div>")
            continue
        if line.lstrip().startswith("$$") and "$$" not in line.lstrip()[2:]:
            block = [line.lstrip()[2:]]  # $$ opens a run of lines (alone, or with the formula's start)
            continue
        if line.startswith("#"):  # a heading: text, so that the contents and the anchor read well
            out.append(_inline(line, lambda tex, display: tex_to_text(tex)))
            continue
        out.append(_inline(line, put))
    if block is not None:  # an unclosed $$: leave the text as it was
        out += ["$$"] + block
    return "\n".join(out), stash


def _inline(line: str, put) -> str:
    def math(text):
        text = _DISPLAY_INLINE.sub(lambda x: put(x.group(1), True), text)
        return _INLINE.sub(lambda x: put(x.group(1), False), text)

    parts, pos = [], 0
    for m in _CODE_SPAN.finditer(line):  # code spans keep their dollars
        parts.append(math(line[pos:m.start()]))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(math(line[pos:]))
    return "".join(parts)


def restore(html_text: str, stash: dict) -> str:
    for key, value in stash.items():
        html_text = html_text.replace(key, value)
    return html_text
