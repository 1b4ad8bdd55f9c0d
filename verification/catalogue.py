"""The claims catalogue, generated: ``python -m verification.catalogue``.

Renders every claim of ``verification.claims.REGISTRY`` (id, statement, reference, group,
parts with their expressions, domains and thresholds, the paper's numbers) and, when a
report JSON written by ``selu-verify all`` is given, the last certified values and
verdicts beside them; then the table of every name the expression language accepts,
each with its meaning.  The output (``docs/catalogue.md`` by default) is never typed by
hand and never committed: ``docs/build.py`` regenerates it before every docs build.

    python -m verification.catalogue [--report results/report.json | --no-report]
                                     [--out docs/catalogue.md]

Without ``--report`` the default report is used when it exists.  The output depends only
on the registry, the expression language and the report: no dates, no timings.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pathlib
import re
import sys
from fractions import Fraction

from selu_theory import activations, quantities
from verification import claims as C
from verification.domain import Domain
from verification.report import fmt_enclosure, fmt_point

DEFAULT_REPORT = "results/report.json"
DEFAULT_OUT = "docs/catalogue.md"
NAMES_ANCHOR = "expression-names"



def _sub_bases() -> dict:
    """{base name: sympy text} of the sub-function families, to show their formulas."""
    spec = activations.get("selu")
    return {name: str(expr) for fam in spec.families if fam.name in quantities.SUB_FAMILIES
            for name, expr in fam.functions}


def describe(name: str, sub_bases: dict | None = None):
    """(kind, meaning) of a name of the expression language, from the quantity table
    (``selu_theory.quantities``), or None if the name is not in it.  A sub-function's
    meaning gets its formula appended."""
    q = quantities.lookup(name)
    if q is None:
        return None
    if q.kind == "sub-function":
        sub = _sub_bases() if sub_bases is None else sub_bases
        if name in sub:  # a base function, not one of its partials
            return q.kind, f"{q.meaning}: `{sub[name]}` (sympy, in m and v)"
    return q.kind, q.meaning


def name_table() -> list:
    """[(name, kind, meaning or None)] for every name of the quantity table."""
    sub = _sub_bases()
    rows = []
    for n in quantities.names():
        d = describe(n, sub)
        rows.append((n, d[0] if d else "?", d[1] if d else None))
    return rows


# ---------------------------------------------------------------- report reading


def _num(x):
    """A report number back to an exact value: JSON floats stay floats (repr round-trips),
    rationals written as text become Fractions, 'inf'/'nan' become floats."""
    if isinstance(x, (int, float)):
        return x
    s = str(x)
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return float(s)


def load_report(path) -> dict:
    """{claim id: report entry} from a report JSON of ``selu-verify all``."""
    data = json.loads(pathlib.Path(path).read_text())
    return {c["id"]: c for c in data.get("claims", []) if isinstance(c, dict) and "id" in c}


def _enclosure_text(enc, key: str) -> str:
    lo, hi = (_num(x) for x in enc)
    if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return "no enclosure"
    digits = 36 if key in ("alpha", "lambda") else 13
    return fmt_enclosure(lo, hi, digits)


# ---------------------------------------------------------------- markdown helpers


# The registry writes mu~, nu~, xi~ in plain text; the catalogue shows the paper's µ̃, ν̃, ξ̃.
NOTATION = (("mu~^2", "µ̃²"), ("mu~", "µ̃"), ("nu~", "ν̃"), ("xi~", "ξ̃"), ("Omega+", "Ω⁺"), ("Omega-", "Ω⁻"),
            ("Omega", "Ω"), ("alpha01", "α₀₁"), ("lambda01", "λ₀₁"))
GREEK = {"mu": "µ", "nu": "ν", "omega": "ω", "tau": "τ", "alpha": "α", "lambda": "λ", "xi": "ξ", "pi": "π"}


def pretty(text) -> str:
    """Registry prose in the paper's notation (µ̃, ν̃, ξ̃, Ω); names of the expression
    language (mu_tilde, ...) are left alone."""
    s = str(text)
    for plain, sym in NOTATION:
        s = s.replace(plain, sym)
    return re.sub(r"\b(mu|nu|omega|tau|alpha|lambda|xi|pi)\b", lambda m: GREEK[m.group(1)], s)


def display_path(path) -> str:
    """A path as the docs may show it: relative to the working directory when inside it,
    else its last two parts (never a machine's absolute path)."""
    p = pathlib.Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(pathlib.Path.cwd().resolve()).as_posix()
    except ValueError:
        return "/".join(p.parts[-2:])


def esc(text) -> str:
    """Plain text for a markdown paragraph or table cell."""
    s = str(text)
    for ch in "\\`*_[]|#":
        s = s.replace(ch, "\\" + ch)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text) -> str:
    s = str(text)
    fence = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _table(head, rows) -> list:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) if c not in (None, "") else "—" for c in r) + " |" for r in rows]
    return out + [""]


def _domain_text(d: Domain) -> str:
    return esc(d.describe())


def _domain_names() -> dict:
    """Named domains of the registry module, e.g. {Domain: 'OMEGA'} (first name wins)."""
    out = {}
    for name, val in vars(C).items():
        if isinstance(val, Domain) and name.isupper() and val not in out:
            out[val] = name
    return out


def _requirement(part) -> str:
    if isinstance(part, C.Extremum):
        if part.threshold is None:
            return f"enclose {part.sense} to width ≈ {part.tol:g}"
        rel = "<" if part.sense == "max" else ">"
        return f"{part.sense} {rel} {esc(part.threshold)} (and enclose it)"
    if isinstance(part, C.PointCheck):
        return f"{code(part.expr)} {esc(part.relation)} {esc(part.value)}"
    if isinstance(part, C.FixedPoint):
        return (f"unique α, λ > 0 with (µ̃, ν̃) = ({esc(part.mu_star)}, {esc(part.nu_star)}) at ω = "
                f"{esc(part.omega)}, τ = {esc(part.tau)}; ≥ {part.digits} digits")
    return esc(", ".join(f"{f.name}={getattr(part, f.name)!r}" for f in dataclasses.fields(part)))


def _where(part, names) -> str:
    if isinstance(part, C.Extremum):
        nm = names.get(part.domain)
        return (f"{esc(nm)}: " if nm else "") + _domain_text(part.domain)
    if isinstance(part, C.PointCheck):
        return "(µ, ω, ν, τ) = (" + ", ".join(esc(x) for x in part.point) + ")"
    if isinstance(part, C.FixedPoint):
        return "(µ, ω, ν, τ) = " + f"({esc(part.mu_star)}, {esc(part.omega)}, {esc(part.nu_star)}, {esc(part.tau)})"
    return ""


def _part_keys(part) -> list:
    """The report quantities a part produces (a fixed point yields alpha and lambda)."""
    if isinstance(part, C.FixedPoint):
        return ["alpha", "lambda"]
    return [part.key]


def _derived_text(d) -> str:
    op = getattr(d, "op", "sum")
    if op == "absmax":
        return "max \\|q\\| over " + ", ".join(code(k) for k, _ in d.terms)
    terms = []
    for k, coef in d.terms:
        c = Fraction(coef)
        sign = "−" if c < 0 else "+"
        mag = "" if abs(c) == 1 else f"{abs(c)} · "
        terms.append(f"{sign} {mag}{code(k)}")
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else text


# ---------------------------------------------------------------- rendering


def _claims() -> list:
    """Every registered claim, in registry order."""
    return list(C.REGISTRY.values())


def _claim_section(claim, entry, names) -> list:
    out = [f"### {esc(claim.id)} {{#{claim.id}}}", "", f"**{esc(pretty(claim.title))}**", ""]
    out += [f"- **Statement:** {esc(pretty(claim.statement))}",
            f"- **Reference:** {esc(claim.reference)}",
            f"- **Group:** {esc(claim.group or '—')}",
            f"- **Parameters:** α = {esc(claim.params.alpha)}, λ = {esc(claim.params.lam)}"]
    quantities, verdicts = {}, {}
    if entry is not None:
        quantities = {q.get("key"): q.get("enclosure") for q in entry.get("quantities", []) if isinstance(q, dict)}
        for v in entry.get("paper") or []:
            verdicts[(v.get("label"), v.get("quantity"))] = v
        checked = entry.get("checked")
        chk = "" if checked is None else ("; checker accepted" if checked else "; checker REJECTED")
        out.append(f"- **Last report:** {esc(entry.get('status', '?'))}{chk}; paper verdict: "
                   f"{esc(entry.get('verdict') or '—')}")
        if entry.get("statement") not in (None, claim.statement):
            out.append("- **Note:** the report was written for a different statement of this claim; "
                       "re-run `selu-verify claim " + claim.id + "`")
        cex = entry.get("counterexample")
        if cex:
            out.append(f"- **Counterexample** ({esc(cex.get('key', ''))}): (µ, ω, ν, τ) ≈ "
                       f"{esc(fmt_point(cex.get('point', [])))} (exact in the report JSON)")
    out.append("")

    rows = []
    for p in claim.parts:
        kind = {C.Extremum: "extremum", C.PointCheck: "point", C.FixedPoint: "fixed point"}.get(type(p), type(p).__name__)
        expr = code(p.expr) if hasattr(p, "expr") else "—"
        row = [code(p.key), kind, expr, _where(p, names), _requirement(p)]
        if entry is not None:
            cert = [f"{esc(k)}: {_enclosure_text(quantities[k], k)}" if len(_part_keys(p)) > 1 else
                    _enclosure_text(quantities[k], k) for k in _part_keys(p) if k in quantities]
            row.append("<br>".join(cert) or "not in the report")
        rows.append(row)
    head = ["part", "kind", "expression", "domain / point", "requirement"] + (["certified"] if entry is not None else [])
    out += ["Parts:", ""] + _table(head, rows)

    if claim.derived:
        rows = []
        for d in claim.derived:
            row = [code(d.key), esc(pretty(d.label)), _derived_text(d)]
            if entry is not None:
                row.append(_enclosure_text(quantities[d.key], d.key) if d.key in quantities else "not in the report")
            rows.append(row)
        head = ["derived", "label", "computed as"] + (["certified"] if entry is not None else [])
        out += ["Derived quantities (interval arithmetic on the part enclosures):", ""] + _table(head, rows)

    if claim.paper:
        rows = []
        for pn in claim.paper:
            kind = {"approx": "≈ (value)", "upper": "upper bound", "lower": "lower bound"}.get(pn.kind, pn.kind)
            row = [esc(pretty(pn.label)), esc(pn.text), kind, code(pn.key), "yes" if pn.tight else "no", esc(pn.note)]
            if entry is not None:
                v = verdicts.get((pn.label, pn.key))
                row += ([_enclosure_text(quantities[pn.key], pn.key) if pn.key in quantities else "—",
                         f"**{esc(v['verdict'])}**: {esc(v.get('detail', ''))}" if v else "not in the report"])
            rows.append(row)
        head = ["paper's number", "printed", "kind", "compared with", "tight", "note"] + \
            (["certified", "verdict"] if entry is not None else [])
        out += ["The paper's numbers:", ""] + _table(head, rows)
    return out


def render(report: dict | None = None, report_label: str | None = None, docs_dir=None) -> str:
    """The catalogue page; ``docs_dir`` (where it will live) decides whether the
    sub-functions page exists to be linked."""
    names = _domain_names()
    lines = ["# Claims catalogue", "",
             "!!! note \"Generated file\"",
             "    Written by `python -m verification.catalogue` from `verification/claims.py`"
             + (f" and `{report_label}`" if report_label else "")
             + ". Do not edit it: change the registry and rebuild the docs (`python docs/build.py`).", ""]
    if report is None:
        lines += ["No report was given, so this page lists the claims without certified values; run "
                  "`selu-verify all` and rebuild the docs to see them.", ""]
    else:
        lines += [f"Certified values and verdicts come from the last `selu-verify all` run (`{report_label}`). "
                  "Every certified interval is rounded outward to decimals, so it still contains the quantity. "
                  "How verdicts are decided: [method](method.md#paper-vs-certified-verdicts).", ""]
    lines += [f"{len(_claims())} registered claims; every name an expression may use is listed "
              f"[at the end](#{NAMES_ANCHOR}).", ""]

    rows = []
    for c in _claims():
        e = (report or {}).get(c.id)
        row = [f"[{esc(c.id)}](#{c.id})", esc(c.group or "—"), esc(pretty(c.title)), str(len(c.parts))]
        if report is not None:
            row += [esc(e.get("status", "?")) if e else "not run", esc(e.get("verdict") or "—") if e else "—"]
        rows.append(row)
    head = ["claim", "group", "title", "parts"] + (["status", "paper verdict"] if report is not None else [])
    lines += _table(head, rows)

    if names:
        lines += ["## Named domains", "", "Domains of the registry (`verification/claims.py`); "
                  "`selu-verify bound` takes the range of Ω (`OMEGA`) for every variable its `--domain` omits.", ""]
        lines += _table(["name", "domain"], [[code(n), _domain_text(d)] for d, n in names.items()])

    groups = []
    for c in _claims():
        if c.group not in groups:
            groups.append(c.group)
    for g in groups:
        lines += [f"## Claims: {esc(g or 'other')}", ""]
        for c in _claims():
            if c.group == g:
                lines += _claim_section(c, (report or {}).get(c.id), names)

    lines += [f"## Expression names {{#{NAMES_ANCHOR}}}", "",
              "Every name `selu-verify bound` and the registry accept (from "
              "the quantity table `selu_theory.quantities`), generated from the code. m = µω and v = ντ are the mean and "
              "variance of the net input z; all quantities are functions of (µ, ω, ν, τ) and of α, λ.", ""]
    rows = [[code(n), esc(k), meaning if meaning else "**undocumented**"] for n, k, meaning in name_table()]
    lines += _table(["name", "kind", "meaning"], rows)
    if docs_dir is not None and (pathlib.Path(docs_dir) / "subfunctions.md").is_file():
        lines += ["The sub-functions and the appendix lemmas that use them: [Sub-functions](subfunctions.md).", ""]
    lines += ["Functions: `sqrt`, `exp`. Operators: `+ - * /`, unary `-`, and `**` with an integer literal "
              "exponent. See [Bounding your own expression](bound.md).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verification.catalogue", description=__doc__.splitlines()[0])
    ap.add_argument("--report", help=f"report JSON of selu-verify all (default: {DEFAULT_REPORT} if it exists)")
    ap.add_argument("--no-report", action="store_true", help="list the claims without certified values")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output file (default: {DEFAULT_OUT}); '-' for stdout")
    args = ap.parse_args(argv)
    report = label = None
    if not args.no_report:
        path = args.report or (DEFAULT_REPORT if pathlib.Path(DEFAULT_REPORT).is_file() else None)
        if path is not None:
            try:
                report = load_report(path)
            except (OSError, ValueError) as exc:
                print(f"catalogue: cannot read report {path}: {exc}", file=sys.stderr)
                return 2
            label = display_path(path)
    text = render(report, label, None if args.out == "-" else pathlib.Path(args.out).parent)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        out = pathlib.Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
