"""Tables, report.md and report.json from claim results.

Every interval is printed as ``[lo, hi]`` rounded outward, so the printed interval
still contains the certified one (never ``mid ± rad``).  report.json is the record of a
run; report.md is rendered from it (``markdown_from_json``), so ``selu-verify claim ID``
can merge its claims into the full report instead of replacing it (``merge``).
"""
from __future__ import annotations

import json
import math
import os
import pathlib
from collections import Counter
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction

from verification.files import write_atomic
from verification.verdicts import CONFIRMED, LOOSE, NOT_CONFIRMED, UNDECIDED, overall

# The paper's numbers are judged apart from the claims; the tally line says why both
# words can describe one claim.
VERDICT_ORDER = (CONFIRMED, LOOSE, NOT_CONFIRMED, UNDECIDED)
VERDICT_MARK = {CONFIRMED: "✓", LOOSE: "~", NOT_CONFIRMED: "✗", UNDECIDED: "?"}
SIDE_BY_SIDE = "Status judges the claim's statement; verdicts judge the digits the paper prints."
KIND_SIGN = {"approx": "≈", "upper": "≤", "lower": "≥"}


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


def fmt_short(lo, hi, width: int = 22, most: int = 8) -> str:
    """``[lo, hi]`` rounded outward with as many digits (at most ``most``) as fit in
    ``width`` characters: for terminal tables.  Fewer digits only widen the interval."""
    text = fmt_enclosure(lo, hi, 2)
    for d in range(most, 2, -1):
        t = fmt_enclosure(lo, hi, d)
        if len(t) <= width:
            return t
    return text


def significant_digits(text: str) -> int:
    """Significant digits of a printed decimal ('0.00451457' has 6)."""
    try:
        return len(Decimal(str(text)).normalize().as_tuple().digits)
    except ArithmeticError:
        return 0


def fmt_point(point, digits: int = 10) -> str:
    """An exact point (rational texts) as decimals, for people; exact values stay in JSON."""
    out = []
    for x in point:
        try:
            q = Fraction(str(x))
        except (ValueError, ZeroDivisionError):
            out.append(str(x))
            continue
        out.append(str(q) if q.denominator == 1 else format(float(q), f".{digits}g"))
    return "(" + ", ".join(out) + ")"


def _digits_for(key: str) -> int:
    return 36 if key in ("alpha", "lambda") else 13


def _label(key: str, status: str, required: bool) -> str:
    """A quantity's name with the qualifiers the report keeps: its status when not
    proved, ``[reading]`` for an alternative reading of the paper."""
    return key + ("" if status == "proved" else f" ({status})") + ("" if required else " [reading]")


def claim_rows(res) -> list:
    """One row per certified quantity of the claim, the paper's numbers beside it."""
    rows = []
    by_key = {}
    for v in res.verdicts:
        by_key.setdefault(v.key, []).append(v)
    status = {p.key: (p.status, p.required) for p in res.parts}
    keys = [p.key for p in res.parts] + [d.key for d in res.claim.derived]
    for k in keys:
        if k not in res.enclosures:  # a part recorded under other keys (a fixed point: alpha, lambda)
            continue
        lo, hi = res.enclosures[k]
        papers = by_key.get(k, [])
        st, req = status.get(k, ("proved", True))
        rows.append(_row(k, _label(k, st, req), lo, hi, papers))
    done = {r["quantity"] for r in rows}
    for k, (lo, hi) in res.enclosures.items():  # keys no part names (alpha, lambda of a fixed point)
        if k not in done:
            rows.append(_row(k, k, lo, hi, by_key.get(k, [])))
    return rows


def _row(key, label, lo, hi, papers) -> dict:
    return {
        "quantity": key,
        "key": label,
        "certified": fmt_enclosure(lo, hi, _digits_for(key)),
        "short": fmt_short(lo, hi, 26, 10),
        "paper": "; ".join(f"{v.paper}" + {"upper": " (upper bound)", "lower": " (lower bound)"}.get(v.kind, "")
                           for v in papers),
        "paper_short": "; ".join(f"{KIND_SIGN.get(v.kind, '')} {v.paper}".strip() for v in papers),
        "verdict": "; ".join(v.verdict for v in papers),
    }


def headline(res):
    """(key, lo, hi) of the claim's headline quantity: the one the paper's first number
    is compared with, else its first part's."""
    keys = [v.key for v in res.verdicts] + [p.key for p in res.parts] + list(res.enclosures)
    for k in keys:
        if k in res.enclosures:
            lo, hi = res.enclosures[k]
            return k, lo, hi
    return None


def verdict_counts(verdicts) -> Counter:
    return Counter(v.verdict for v in verdicts)


def fmt_counts(counts: Counter) -> str:
    """'3✓ 1~ 1✗' (only the verdicts that occur); '—' without paper numbers."""
    text = " ".join(f"{counts[v]}{VERDICT_MARK[v]}" for v in VERDICT_ORDER if counts.get(v))
    return text or "—"


def tally(results, width: int = None) -> str:
    """'17/17 proved · 40 confirmed · 12 valid but loose · 5 not confirmed · 0 undecided'
    (wider than ``width``: 'loose' for 'valid but loose', which the legend spells out)."""
    counts = Counter()
    for r in results:
        counts.update(verdict_counts(r.verdicts))
    proved = sum(r.status == "proved" for r in results)
    text = " · ".join([f"{proved}/{len(results)} proved"] + [f"{counts.get(v, 0)} {v}" for v in VERDICT_ORDER])
    if width is not None and len(text) > width - 1:
        text = text.replace(f" {LOOSE}", " loose")
    return text


LEGEND = "paper: " + ", ".join(f"{m} {v}" for v, m in VERDICT_MARK.items())


# ---------------------------------------------------------------- JSON record


def to_json(results, check_results=None, base=None) -> dict:
    """The record of a run.  ``base``: the report's folder; certificate paths are also
    given relative to it (``certificate_rel``), so documents need no machine path."""
    out = []
    for r in results:
        first = r.parts[0]
        chk = (check_results or {}).get(r.claim.id)
        out.append({
            "id": r.claim.id,
            "statement": r.claim.statement,
            "reference": r.claim.reference,
            "status": r.status,
            "quantity": first.key,
            "enclosure": [_json_num(x) for x in first.enclosure],
            "quantities": [{"key": k, "enclosure": [_json_num(x) for x in v]} for k, v in r.enclosures.items()],
            "rows": [{k: row[k] for k in ("quantity", "key", "certified", "paper", "verdict")}
                     for row in claim_rows(r)],
            "paper": [{"label": v.label, "value": v.paper, "kind": v.kind, "quantity": v.key,
                       "verdict": v.verdict, "detail": v.detail,
                       "certified": fmt_enclosure(*v.certified) if _finite(v.certified) else None}
                      for v in r.verdicts],
            "verdict": overall(r.verdicts),
            "counterexample": r.counterexample,
            "boxes": r.boxes,
            "seconds": round(r.seconds, 3),
            "certificate": r.certificate_path,
            "certificate_rel": _relative(r.certificate_path, base),
            "checked": None if chk is None else chk.ok,
        })
    return {"claims": out}


def _finite(enc) -> bool:
    try:
        return all(math.isfinite(float(x)) for x in enc)
    except (TypeError, ValueError, OverflowError):
        return False


def _relative(path, base):
    if path is None:
        return None
    p = pathlib.Path(path)
    if base is not None:
        try:
            return pathlib.Path(os.path.relpath(p.resolve(), pathlib.Path(base).resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            pass
    return p.name if p.is_absolute() else p.as_posix()


def _json_num(x):
    if isinstance(x, Fraction):
        return str(x)
    return x if math.isfinite(x) else str(x)


def write_json(path, data):
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def read_json(path):
    """A report JSON written by us, or None when absent or unreadable (then nothing is
    merged: the new report stands alone)."""
    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        return None
    return data


def merge(old, new: dict, order=()) -> dict:
    """``new``'s claims replace the same ids of ``old``; the others stay.  Ids in
    ``order`` (the registry) come first, in that order."""
    if old is None:
        return new
    entries = {c["id"]: c for c in old["claims"] if isinstance(c, dict) and isinstance(c.get("id"), str)}
    entries.update({c["id"]: c for c in new["claims"]})
    rank = {cid: i for i, cid in enumerate(order)}
    ids = sorted(entries, key=lambda cid: (rank.get(cid, len(rank)), cid not in rank))
    return {"claims": [entries[cid] for cid in ids]}


def write_report(out, results, checks, merge_with_existing: bool = False, order=()) -> dict:
    """report.json and report.md in folder ``out``; with ``merge_with_existing`` the
    results replace their claims in the report already there.  Returns the JSON written."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = to_json(results, checks, base=out)
    if merge_with_existing:
        data = merge(read_json(out / "report.json"), data, order)
    write_json(out / "report.json", data)
    write_atomic(out / "report.md", markdown_from_json(data))
    return data


# ---------------------------------------------------------------- report.md


def cell(text) -> str:
    """Plain text for a Markdown table cell or paragraph: the characters Markdown would
    read as markup (``|`` ends a cell) are escaped."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]|#":
        s = s.replace(ch, "\\" + ch)
    return s


def markdown(results, check_results=None, base=None) -> str:
    return markdown_from_json(to_json(results, check_results, base=base))


def markdown_from_json(data: dict) -> str:
    claims = data["claims"]
    lines = ["# selu-theory verification report", "",
             "Every enclosure below is certified: outward-rounded Arb ball arithmetic decided it on "
             "every box of the domain, and the independent checker replayed the certificate. "
             "Intervals are rounded outward, so each still contains the certified value.", "",
             _md_tally(claims), "",
             SIDE_BY_SIDE[0].upper() + SIDE_BY_SIDE[1:], "",
             "| claim | status | quantity | certified | paper | verdict | boxes | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for c in claims:
        rows = c.get("rows") or [{"key": q["key"], "certified": str(q["enclosure"]), "paper": "", "verdict": ""}
                                 for q in c.get("quantities", [])]
        for i, row in enumerate(rows):
            head = (f"`{c['id']}`", cell(c["status"])) if i == 0 else ("", "")
            tail = (str(c.get("boxes", "")), f"{float(c.get('seconds') or 0):.2f}") if i == 0 else ("", "")
            lines.append("| " + " | ".join(head + (cell(row["key"]), cell(row["certified"]),
                                                    cell(row["paper"] or "—"), cell(row["verdict"] or "—")) + tail)
                         + " |")
    for title, verdict in (("Where the paper's numbers differ", NOT_CONFIRMED),
                           ("Valid but loose bounds", LOOSE)):
        found = [(c, v) for c in claims for v in c.get("paper") or [] if v.get("verdict") == verdict]
        lines += ["", f"## {title}", ""]
        if not found:
            lines.append("None.")
        for c, v in found:
            cert = f", certified {cell(v['certified'])}" if v.get("certified") else ""
            lines.append(f"- `{c['id']}`, {cell(v['label'])}: paper {cell(v['value'])}{cert} — {cell(v['detail'])}.")
    cex = [c for c in claims if c.get("counterexample")]
    if cex:
        lines += ["", "## Counterexamples", "",
                  "Points are shown as decimals; report.json and the certificates keep them exact.", ""]
        for c in cex:
            x = c["counterexample"]
            which = "" if x.get("required", True) else ", an alternative reading"
            val = x.get("value_text") or ""
            lines.append(f"- `{c['id']}` ({cell(x.get('key', ''))}{which}): at (µ, ω, ν, τ) ≈ "
                         f"{fmt_point(x.get('point', []))}" + (f", the value is {cell(val)}" if val else "") + ".")
    lines += ["", "## Claims", ""]
    for c in claims:
        chk = c.get("checked")
        ref = f" ({cell(c['reference'])})" if c.get("reference") else ""
        path = c.get("certificate_rel") or (pathlib.Path(c["certificate"]).name if c.get("certificate") else None)
        tail = ([f"certificate `{path}`"] if path else []) + \
            ([] if chk is None else [f"checker: {'accepted' if chk else 'REJECTED'}"])
        lines.append(f"- `{c['id']}` — {cell(c.get('statement', ''))}{ref}."
                     + (" " + ", ".join(tail).capitalize()[:1] + ", ".join(tail)[1:] + "." if tail else ""))
    return "\n".join(lines) + "\n"


def _md_tally(claims) -> str:
    counts = Counter(v.get("verdict") for c in claims for v in c.get("paper") or [])
    proved = sum(c.get("status") == "proved" for c in claims)
    return "**" + " · ".join([f"{proved}/{len(claims)} proved"]
                             + [f"{counts.get(v, 0)} {v}" for v in VERDICT_ORDER]) + "**"
