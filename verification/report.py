"""Tables, report.md and report.json from claim results."""
from __future__ import annotations

import json
import math
import pathlib
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction

from verification.files import write_atomic
from verification.verdicts import overall


def rounded_decimal(x, digits: int, rounding) -> str:
    """x to ``digits`` significant digits, rounded in the direction ``rounding``."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    q = Fraction(x)
    d = Decimal(q.numerator) / Decimal(q.denominator) if q.denominator != 1 else Decimal(q.numerator)
    ctx = Context(prec=digits, rounding=rounding)
    if q.denominator != 1:
        ctx2 = Context(prec=digits + 40)
        d = ctx2.divide(Decimal(q.numerator), Decimal(q.denominator))
    return format(ctx.plus(d), "f") if abs(d) >= Decimal("1e-4") or d == 0 else format(ctx.plus(d), "e")




def fmt_enclosure(lo, hi, digits: int = 13) -> str:
    """Decimal enclosure rounded outward, so the printed interval still contains the value."""
    if lo == hi:
        return rounded_decimal(lo, digits, ROUND_FLOOR)
    return f"[{rounded_decimal(lo, digits, ROUND_FLOOR)}, {rounded_decimal(hi, digits, ROUND_CEILING)}]"


def fmt_midrad(lo, hi, digits: int = 13) -> str:
    """'mid ± rad' in decimal whose interval contains [lo, hi] (compact for tables)."""
    if isinstance(lo, float) and not (math.isfinite(lo) and math.isfinite(hi)):
        return fmt_enclosure(lo, hi, digits)
    lo_q, hi_q = Fraction(lo), Fraction(hi)
    if lo_q == hi_q:
        return rounded_decimal(lo_q, digits, ROUND_FLOOR) if lo_q.denominator == 1 or Fraction(float(lo_q)) == lo_q and \
            len(repr(float(lo_q))) < digits else fmt_enclosure(lo, hi, digits)
    mid = (lo_q + hi_q) / 2
    scale = max(abs(mid), Fraction(1, 10**30))
    e = math.floor(math.log10(scale)) - digits + 1
    q = Fraction(10) ** e
    m_dec = round(mid / q) * q
    rad = max(m_dec - lo_q, hi_q - m_dec)
    r_e = math.floor(math.log10(rad)) if rad > 0 else e
    r_dec = math.ceil(rad / Fraction(10) ** r_e) * Fraction(10) ** r_e
    places = max(0, -e)
    m_txt = f"{float(m_dec):.{places}f}" if places <= 17 else rounded_decimal(m_dec, digits + 2, ROUND_FLOOR)
    return f"{m_txt} ± {float(r_dec):.0e}"


def _digits_for(key: str) -> int:
    return 36 if key in ("alpha", "lambda") else 13


def claim_rows(res) -> list:
    """One row per certified quantity of the claim, the paper's numbers beside it."""
    rows = []
    by_key = {}
    for v in res.verdicts:
        by_key.setdefault(v.key, []).append(v)
    status = {p.key: (p.status, p.required) for p in res.parts}
    keys = [p.key for p in res.parts] + [d.key for d in res.claim.derived]
    for k in keys:
        lo, hi = res.enclosures[k]
        papers = by_key.get(k, [])
        st, req = status.get(k, ("proved", True))
        label = k + ("" if st == "proved" else f" ({st})") + ("" if req else " [reading]")
        rows.append({
            "key": label,
            "certified": fmt_enclosure(lo, hi, _digits_for(k)),
            "compact": fmt_midrad(lo, hi, max(16, _digits_for(k))),
            "paper": "; ".join(f"{v.paper}" + {"upper": " (upper bound)", "lower": " (lower bound)"}.get(v.kind, "")
                               for v in papers),
            "verdict": "; ".join(v.verdict for v in papers),
        })
    return rows


def to_json(results, check_results=None) -> dict:
    out = []
    for r in results:
        first = r.parts[0]
        chk = (check_results or {}).get(r.claim.id)
        out.append({
            "id": r.claim.id,
            "statement": r.claim.statement,
            "status": r.status,
            "quantity": first.key,
            "enclosure": [_json_num(x) for x in first.enclosure],
            "quantities": [{"key": k, "enclosure": [_json_num(x) for x in v]} for k, v in r.enclosures.items()],
            "paper": [{"label": v.label, "value": v.paper, "kind": v.kind, "quantity": v.key,
                       "verdict": v.verdict, "detail": v.detail} for v in r.verdicts],
            "verdict": overall(r.verdicts),
            "counterexample": r.counterexample,
            "boxes": r.boxes,
            "seconds": round(r.seconds, 3),
            "certificate": r.certificate_path,
            "checked": None if chk is None else chk.ok,
        })
    return {"claims": out}


def _json_num(x):
    if isinstance(x, Fraction):
        return str(x)
    return x if math.isfinite(x) else str(x)


def write_json(path, data):
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def markdown(results, check_results=None) -> str:
    lines = ["# selu-theory verification report", "",
             "Every enclosure below is certified: outward-rounded Arb ball arithmetic decided it on "
             "every box of the domain, and the independent checker replayed the certificate.", "",
             "| claim | status | quantity | certified | paper | verdict | boxes | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        for i, row in enumerate(claim_rows(r)):
            head = (f"`{r.claim.id}`", r.status, ) if i == 0 else ("", "")
            tail = (str(r.boxes), f"{r.seconds:.2f}") if i == 0 else ("", "")
            lines.append("| " + " | ".join(head + (row["key"], row["certified"], row["paper"] or "—",
                                                    row["verdict"] or "—") + tail) + " |")
    for title, verdict in (("Where the paper's numbers differ", "not confirmed"),
                           ("Valid but loose bounds", "valid but loose")):
        found = [(r, v) for r in results for v in r.verdicts if v.verdict == verdict]
        lines += ["", f"## {title}", ""]
        if not found:
            lines.append("None.")
        for r, v in found:
            lo, hi = v.certified
            lines.append(f"- `{r.claim.id}`, {v.label}: paper {v.paper}, certified {fmt_enclosure(lo, hi)} — {v.detail}.")
    cex = [r for r in results if r.counterexample]
    if cex:
        lines += ["", "## Counterexamples", ""]
        for r in cex:
            c = r.counterexample
            which = "" if c.get("required", True) else ", an alternative reading"
            lines.append(f"- `{r.claim.id}` ({c['key']}{which}): at (mu, omega, nu, tau) = ({', '.join(c['point'])}) "
                         f"the value is in [{float.fromhex(c['value'][0])!r}, {float.fromhex(c['value'][1])!r}].")
    lines += ["", "## Claims", ""]
    for r in results:
        chk = (check_results or {}).get(r.claim.id)
        lines.append(f"- `{r.claim.id}` — {r.claim.statement} ({r.claim.reference}). "
                     f"Certificate: `{r.certificate_path}`"
                     + ("" if chk is None else f", checker: {'accepted' if chk.ok else 'REJECTED'}") + ".")
    return "\n".join(lines) + "\n"
