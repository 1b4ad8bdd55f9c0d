"""Arb balls used as intervals.

Arb evaluates a function on a wide ball from its midpoint and radius, which is loose
for erfc/exp on the boxes this project uses (``erfc([0.5, 1.5])`` comes back with a
negative lower end).  Every function here that is monotone is therefore evaluated at
the two endpoints of its argument and the results joined: for a monotone function that
is the exact range, up to Arb's own proven rounding.
"""
from __future__ import annotations

import contextlib
from fractions import Fraction

from flint import arb, ctx

DEFAULT_PREC = 80


@contextlib.contextmanager
def precision(bits: int):
    """Arb precision is process-global; restore it whatever happens inside."""
    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


def exact(q) -> arb:
    """A ball containing the rational (or float) ``q`` exactly."""
    if isinstance(q, arb):
        return q
    if isinstance(q, float):
        return arb(q)
    q = Fraction(q)
    if q.denominator == 1:
        return arb(q.numerator)
    return arb(q.numerator) / arb(q.denominator)


def interval(lo, hi) -> arb:
    """A ball containing the closed interval [lo, hi] (endpoints floats or rationals)."""
    a, b = exact(lo), exact(hi)
    return a.union(b)


def _endpoints(x: arb):
    return x.lower(), x.upper()


def _monotone(f, x: arb) -> arb:
    if x.is_exact():
        return f(x)
    if not x.is_finite():
        return arb.nan()
    lo, hi = _endpoints(x)
    return f(lo).union(f(hi))


def exp(x: arb) -> arb:
    return _monotone(arb.exp, x)


def erfc(x: arb) -> arb:
    return _monotone(arb.erfc, x)


def _erfcx_point(x: arb) -> arb:
    # exp(x^2) erfc(x): Arb has no erfcx, but its exponent range is unbounded, so the
    # product neither overflows nor underflows; the relative error stays proven.
    return (x * x).exp() * x.erfc()


def erfcx(x: arb) -> arb:
    """erfcx(x) = exp(x^2) erfc(x), decreasing on the whole real line."""
    return _monotone(_erfcx_point, x)


def sqrt(x: arb) -> arb:
    """Square root; a ball reaching below 0 gives NaN, so a bad argument fails closed."""
    return _monotone(arb.sqrt, x)


def sqrt_nonneg(x: arb) -> arb:
    """Square root of a quantity that is mathematically >= 0 (a sum of squares)."""
    return sqrt(x.nonnegative_part())


def sqr(x: arb) -> arb:
    """x^2 without the negative lower end that x*x gives for a ball around 0."""
    if not x.is_finite():
        return arb.nan()
    if x.is_exact():
        return x * x
    lo, hi = _endpoints(x)
    if lo >= 0:
        return (lo * lo).union(hi * hi)
    if hi <= 0:
        return (hi * hi).union(lo * lo)
    m = x.abs_upper()
    return arb(0).union(m * m)


def pi() -> arb:
    return arb.pi()


def hex_float(x: float) -> str:
    return float(x).hex()


def from_hex(s: str) -> float:
    return float.fromhex(s)


def ipow(x: arb, n: int) -> arb:
    """x**n for an integer n, as tight as the endpoints allow (x**n of a ball around 0
    is NaN in Arb, and repeated products of a wide ball overshoot).

    An exact base is multiplied out; an even power squares (``sqr``) and halves n; an
    odd power of a wide ball is the union of its endpoints' powers (x**n is increasing).
    Written as a loop: the generated kernels call it ~10^5 times a second, and the
    recursive form spent a third of its time in calls and closures (same balls)."""
    if n < 0:
        return 1 / ipow(x, -n)
    if n == 0:
        return arb(1)
    while True:
        if n == 1:
            return x
        if x.is_exact():
            r = x
            for _ in range(n - 1):
                r = r * x
            return r
        if n % 2 == 0:
            x, n = sqr(x), n // 2
            continue
        if not x.is_finite():
            return arb.nan()
        lo, hi = x.lower(), x.upper()
        a, b = lo, hi
        for _ in range(n - 1):
            a, b = a * lo, b * hi
        return a.union(b)


def fraction_bounds(x: arb):
    """Exact rational lower and upper bounds of a finite ball."""
    def frac(p):
        man, exp = p.mid().man_exp()
        man, exp = int(man), int(exp)
        return Fraction(man) * (Fraction(2) ** exp)
    with precision(max(ctx.prec, 1024)):  # lower()/upper() round to the working precision
        return frac(x.lower()), frac(x.upper())
