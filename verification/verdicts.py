"""Paper vs certified: a verdict for each number the paper prints.

With ``unit`` one unit in the last printed digit of the paper's number p, and q the
certified quantity (known to lie in [lo, hi]):
  * approx (the paper gives q ~ p): **confirmed** when every value of [lo, hi] is within
    one unit of p, **not confirmed** when none is;
  * upper (the paper states q <= p): when hi <= p the bound holds, and it is
    **confirmed** if it is tight (p - q within one unit, or the paper does not claim
    tightness) and **valid but loose** otherwise; when lo > p it is **not confirmed**;
  * lower: the mirror image.
Anything in between is **undecided**: the enclosure is too wide to tell.
"""
from __future__ import annotations

from dataclasses import dataclass
import math
from decimal import Decimal
from fractions import Fraction

CONFIRMED, LOOSE, NOT_CONFIRMED, UNDECIDED = "confirmed", "valid but loose", "not confirmed", "undecided"


@dataclass(frozen=True)
class Verdict:
    label: str
    paper: str
    kind: str
    key: str
    certified: tuple
    verdict: str
    detail: str


def unit_of(text: str) -> Fraction:
    exp = Decimal(text).as_tuple().exponent
    return Fraction(10) ** exp


def _fmt(x) -> str:
    if isinstance(x, _Inf):
        return "an unbounded amount"
    return format(float(x), ".10g")


class _Inf:
    """An infinite end of an enclosure (a disproof leaves one end open)."""

    def __init__(self, sign):
        self.sign = sign

    def __neg__(self):
        return _Inf(-self.sign)

    def __lt__(self, other):
        return self.sign < 0 and not isinstance(other, _Inf)

    def __gt__(self, other):
        return self.sign > 0 and not isinstance(other, _Inf)

    def __le__(self, other):
        return self.sign < 0

    def __ge__(self, other):
        return self.sign > 0

    def __sub__(self, other):
        return self

    def __rsub__(self, other):
        return _Inf(-self.sign)


def _exact(x):
    if isinstance(x, float) and math.isinf(x):
        return _Inf(1 if x > 0 else -1)
    return Fraction(x)


def judge(kind: str, text: str, lo: float, hi: float, tight: bool = True):
    p = Fraction(text)
    u = unit_of(text)
    lo_q, hi_q = _exact(lo), _exact(hi)
    if kind == "approx":
        if p - u <= lo_q and hi_q <= p + u:
            return CONFIRMED, f"agrees with the printed digits (|q - p| <= {float(u):.0e})"
        if hi_q < p - u or lo_q > p + u:
            d = (p - hi_q) if hi_q < p - u else (lo_q - p)
            return NOT_CONFIRMED, f"differs from the paper by at least {_fmt(d)}"
        return UNDECIDED, "enclosure too wide to compare"
    if kind == "lower":  # mirror into an upper bound
        p, lo_q, hi_q = -p, -hi_q, -lo_q
    if hi_q <= p:
        gap = p - lo_q
        if not tight or gap <= u:
            return CONFIRMED, ("holds" if not tight else "holds and is tight to the printed digits")
        if p - hi_q > 2 * (hi_q - lo_q):
            return LOOSE, f"holds; the certified extreme is {_fmt(gap)} inside it"
        return LOOSE, f"holds; the certified extreme is between {_fmt(p - hi_q)} and {_fmt(gap)} inside it"
    if lo_q > p:
        d = lo_q - p
        near = " (within rounding of the printed digits)" if d <= u else ""
        return NOT_CONFIRMED, f"violated by {_fmt(d)}{near}"
    return UNDECIDED, "enclosure straddles the paper's bound"


def paper_verdicts(claim, enclosures: dict) -> list:
    out = []
    for pn in claim.paper:
        lo, hi = enclosures.get(pn.key, (float("nan"), float("nan")))
        if lo != lo or hi != hi or (math.isinf(lo) and math.isinf(hi)):
            v, d = UNDECIDED, "no certified enclosure"
        else:
            v, d = judge(pn.kind, pn.text, lo, hi, pn.tight)
        out.append(Verdict(pn.label, pn.text, pn.kind, pn.key, (lo, hi), v, d))
    return out


ORDER = {CONFIRMED: 0, LOOSE: 1, UNDECIDED: 2, NOT_CONFIRMED: 3}


def overall(verdicts) -> str:
    if not verdicts:
        return "—"
    return max((v.verdict for v in verdicts), key=ORDER.get)
