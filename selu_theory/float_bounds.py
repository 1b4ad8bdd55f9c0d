"""Floats with proven error bounds from Arb balls and exact rationals.

Shared by the grid kernels at run time (alpha, lambda and the constants enter them as
(float, radius) pairs) and by ``tools/generate_grid_tables.py`` (the tables' entries).
"""
from __future__ import annotations

import math
from fractions import Fraction

from flint import arb


def arb_upper_float(x: arb) -> float:
    """A float >= every point of the Arb ball x (inf for a non-finite ball)."""
    if not x.is_finite():
        return math.inf
    u = x.upper()
    f = float(u.mid())
    return math.nextafter(f, math.inf) if not (arb(f) >= u) else f


def float_and_error(x: arb) -> tuple:
    """(nearest float f of the ball's midpoint, float upper bound of |x - f| over the ball)."""
    f = float(x.mid())
    return f, arb_upper_float(abs(x - arb(f)))


def up(q: Fraction) -> float:
    """The smallest float >= the rational q."""
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


def frac_pair(q) -> tuple:
    """(f, r) for an exact rational q: f nearest, r >= |q - f|."""
    q = Fraction(q)
    f = float(q)
    return f, up(abs(Fraction(f) - q))
