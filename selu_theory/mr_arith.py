"""Midpoint-radius float64 arithmetic with a proven error model, for the grid kernels.

Each value is a pair (x, r): the true real value is proven to lie in [x - r, x + r].
``selu_theory/grid_kernels.py`` sweeps grids with it; the moment map's formulas in this
arithmetic are GENERATED (``selu_theory/_generated/<id>/grid_mr_kernels.py``, by
``tools/generate_grid_kernels.py``) from the activation's sympy closed forms, one mr_*
call per operation.

Why the bound is rigorous
-------------------------
1. **Arithmetic.** IEEE-754 binary64, round to nearest (numba cannot change the rounding
   mode; ``check_rounding()`` tests it at import time; ``fastmath=False`` keeps LLVM from
   re-associating).  For every operation fl(a o b) = (a o b)(1 + d), |d| <= u = 2^-53,
   in the normal range; underflow adds an absolute error <= 2^-1075.  Each radius is
   computed as (sum of the propagated radii + u |result| + TINY) * C, where TINY = 2^-1000
   absorbs every possible underflow error and C = 1 + 2^-48 >= 1/(1-u)^31 covers the
   rounding of the <= 30 round-to-nearest operations of the radius formula itself (all its
   terms are >= 0, so each rounding loses at most a factor (1-u)).  No ``nextafter`` per
   operation is needed: this is the midpoint-radius scheme of Rump (INTLAB) with a
   proven inflation factor; the only ``nextafter`` calls round the final maxima outward.
2. **Elementary functions: no libm at all.**  glibc's erfc and exp have no documented
   error bound, and testing them cannot prove a bound for arguments not tested.  So the
   kernels use their own exp and erfcx, whose tables and error bounds are computed in Arb
   by ``tools/generate_grid_tables.py`` (output: ``_generated/grid_tables.py``, exact
   hex floats, ``--check`` regenerates and diffs):
   * erfcx(x) = exp(x^2) erfc(x), x in [0, 16]: degree-8 Taylor polynomials around the
     nodes j/32, evaluated at the exact float offset t = x - j/32 (|t| <= 1/64; t is exact
     by Sterbenz's lemma).  Per node the table stores a bound E_j on |Horner(t) - erfcx(x)|
     = coefficient rounding (Arb) + Horner rounding (a proven recursive bound, see
     ``tools/generate_grid_tables.horner_bound``) + Lagrange remainder.  The remainder uses
     (-1)^n erfcx^(n)(x) = 2/sqrt(pi) int_0^oo (2t)^n exp(-t^2 - 2xt) dt > 0, which is
     decreasing in x, so |erfcx^(9)| on the node interval is its value at the left end,
     computed in Arb.  Proven relative error <= 2u.
   * erfc(x) = exp(-x^2) erfcx(|x|) (x >= 0) or 2 - exp(-x^2) erfcx(|x|) (x < 0).
   * exp(x) = 2^k e^(j/32) P(t): Cody-Waite reduction with ln 2 split so that k*L1 is
     exact, a 25-entry table of e^(j/32) (Arb-rounded), a degree-7 Taylor polynomial on
     |t| <= 1/64; one relative error bound EPS_EXP for the whole chain, plus the reduction
     error and the input radius through |e^X - e^x| <= e^x (d + d^2).  Proven relative
     error <= 3.7u for exact arguments x >= -640 (below, the absolute 2^-1000 dominates).
   * An uncertain argument X in [x - r, x + r] adds L r, with the Lipschitz constants
     |erfc'| <= 2/sqrt(pi), |erfcx'| <= 2/sqrt(pi) on [0, oo), |(exp(-x^2))'| <= sqrt(2/e).
   Arguments outside the proven ranges (erfcx of x < 0 or x > 16, i.e. m + v <= 0 or a very
   large v; |exp argument| > 700) give NaN, and a NaN anywhere fails the grid.

4. **Speed.** Every helper is branch-free (one return, selects).  The primitives are
   small functions that LLVM inlines (see JIT_PRIM); the sweeps run scalar code (the
   table lookups keep LLVM from vectorizing the loops on the CPUs measured).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from selu_theory import numba_cache  # noqa: F401  (first: where the jit cache lives)
from selu_theory._generated import grid_tables as tables

# --------------------------------------------------------------------------------------
# constants of the error model
U = 2.0 ** -53            # unit roundoff of round-to-nearest binary64
TINY = 2.0 ** -1000       # absorbs underflow errors (each <= 2^-1075) in every radius
C_INF = 1.0 + 2.0 ** -48  # >= 1/(1-u)^31: covers the roundings of one radius formula
LIP_ERFC = 1.12838        # >= 2/sqrt(pi) = 1.1283791...: |erfc'|, and |erfcx'| on [0, oo)
LIP_GAUSS = 0.85780       # >= sqrt(2/e) = 0.8577638...: |d/dx exp(-x^2)|
EXP_MAX_ARG = 700.0       # exp(x) for x < -700 is returned as [0, 1e-304]; x > 700: NaN
NAN = float("nan")
INF = float("inf")

# the generated tables (global arrays are compile-time constants for numba)
ERFCX_COEF = tables.ERFCX_COEF
ERFCX_ERR = tables.ERFCX_ERR
ERFCX_DEG = tables.ERFCX_DEG
ERFCX_STEP = float(tables.ERFCX_STEP)
ERFCX_H = 1.0 / tables.ERFCX_STEP
ERFCX_XMAX = float(tables.ERFCX_MAX)
EXP_TAB = tables.EXP_TAB
EXP_COEF = tables.EXP_COEF
EXP_DEG = tables.EXP_DEG
EPS_EXP = tables.EPS_EXP
LN2_HI, LN2_LO, LN2_ERR, INV_LN2 = tables.LN2_HI, tables.LN2_LO, tables.LN2_ERR, tables.INV_LN2
TWO_SQRTPI, TWO_SQRTPI_RAD = tables.TWO_SQRTPI, tables.TWO_SQRTPI_RAD
POW2 = np.ldexp(1.0, np.arange(-1022, 1024))   # 2^k, exact
POW2.setflags(write=False)


def check_rounding():
    """Round-to-nearest-even is what the error model assumes; fail loudly otherwise."""
    a = 1.0 + 2.0 ** -53          # a tie: rounds to even, 1.0
    b = 1.0 + 3 * 2.0 ** -54      # rounds up to 1 + 2^-52
    c = -1.0 - 3 * 2.0 ** -54     # rounds down to -(1 + 2^-52)
    if not (a == 1.0 and b == 1.0 + 2.0 ** -52 and c == -1.0 - 2.0 ** -52):
        raise RuntimeError("floating-point rounding is not round-to-nearest: grid error bounds invalid")


check_rounding()



# Branch-free helpers (one return, selects) give LLVM straight-line code to schedule.
JIT_INLINE = dict(cache=True, fastmath=False, error_model="numpy", inline="always")
JIT_KERNEL = dict(cache=True, fastmath=False, error_model="numpy")
# The primitives below are NOT inlined by numba (``inline="always"`` works on numba's IR
# and re-types every call site: with ~100 primitive calls per point it made compiling one
# sweep take 25-50 s CPU).  They are tiny, so LLVM inlines them at every call anyway, and
# the sweep's loop body is the same straight-line code.  Measured (2026-12-01, 1 thread,
# grids at 8x spacing, fresh numba cache): compiling sweep_mu2 / sweep_S 25 / 49 ->
# 7 / 6 s CPU; run time 103 -> 96 ns/point (mu~^2), 218 -> 160 ns/point (S), within the
# shared machine's noise.  The arithmetic, and so the error model, is the same code.
JIT_PRIM = JIT_KERNEL


# --------------------------------------------------------------------------------------
# midpoint-radius arithmetic.  A radius r certifies |true - x| <= r.


@njit(**JIT_PRIM)
def mr_add(x, rx, y, ry):
    z = x + y
    return z, ((rx + ry) + U * abs(z) + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_sub(x, rx, y, ry):
    z = x - y
    return z, ((rx + ry) + U * abs(z) + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_mul(x, rx, y, ry):
    z = x * y
    return z, (abs(x) * ry + abs(y) * rx + rx * ry + U * abs(z) + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_scale(c, x, rx):
    """Exact float c times (x, rx)."""
    z = c * x
    return z, (abs(c) * rx + U * abs(z) + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_mulx(x, y):
    """Product of two exact floats."""
    z = x * y
    return z, (U * abs(z) + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_sqr(x, rx):
    z = x * x
    return z, (rx * (2.0 * abs(x) + rx) + U * z + TINY) * C_INF


@njit(**JIT_PRIM)
def mr_div(x, rx, y, ry):
    d = (abs(y) - ry) * (1.0 - 2.0 ** -50)  # < |y| - ry: a lower bound of |Y|
    z = x / y
    r = ((rx + abs(z) * ry * (1.0 + 2.0 ** -50)) / d + U * abs(z) + TINY) * C_INF
    ok = d > 0.0
    # one return with selects: branch-free, straight-line code
    return (z if ok else NAN), (r if ok else NAN)


@njit(**JIT_PRIM)
def mr_sqrt(x, rx):
    """sqrt of a quantity whose true value is known to be >= 0 (v, sums of squares)."""
    near0 = not (x > 4.0 * rx)
    z = math.sqrt(abs(x))
    r = (rx / z * (1.0 + 2.0 ** -50) + U * z + TINY) * C_INF
    # near 0: X in [0, x + rx], sqrt(X) in [0, hi]
    hi = math.sqrt(abs(x + rx) * (1.0 + 2.0 ** -50)) * (1.0 + 2.0 ** -50)
    z = 0.5 * hi if near0 else z
    r = (0.5 * hi + TINY) * C_INF if near0 else r
    ok = x + rx >= 0.0
    return (z if ok else NAN), (r if ok else NAN)


@njit(**JIT_PRIM)
def mr_sqrt_checked(x, rx):
    """sqrt in an expression: an argument that may be negative fails (NaN), as in Arb."""
    z, r = mr_sqrt(x, rx)
    ok = x - rx >= 0.0
    return (z if ok else NAN), (r if ok else NAN)


@njit(**JIT_PRIM)
def erfcx_point(x):
    """erfcx at an exact float x in [0, 16]: (value, proven absolute error); NaN outside."""
    ok = (x >= 0.0) & (x <= ERFCX_XMAX)
    xc = x if ok else 0.0
    y = xc * ERFCX_STEP
    jf = np.floor(y)
    jf = jf + 1.0 if y - jf >= 0.5 else jf   # y - jf is exact
    j = int(jf)
    t = xc - jf * ERFCX_H   # exact: Sterbenz for j >= 1, t = x for j = 0
    p = ERFCX_COEF[j, ERFCX_DEG]
    for k in range(ERFCX_DEG - 1, -1, -1):
        p = p * t + ERFCX_COEF[j, k]
    return (p if ok else NAN), (ERFCX_ERR[j] if ok else NAN)


@njit(**JIT_PRIM)
def mr_erfcx(x, rx):
    """erfcx of X in [x - rx, x + rx]; X >= 0 is required (NaN otherwise)."""
    p, e = erfcx_point(x)
    r = (e + LIP_ERFC * rx + TINY) * C_INF
    ok = x - rx >= 0.0
    return (p if ok else NAN), (r if ok else NAN)


@njit(**JIT_PRIM)
def mr_exp(x, rx):
    """exp of X in [x - rx, x + rx]: own implementation with a proven error, no libm."""
    ok = (x - rx >= -EXP_MAX_ARG) & (x + rx <= EXP_MAX_ARG)
    xc = x if ok else 0.0
    k = np.floor(xc * INV_LN2 + 0.5)
    t1 = xc - k * LN2_HI          # k*LN2_HI is exact
    t2 = k * LN2_LO
    r = t1 - t2
    er = (U * (abs(t1) + abs(t2) + abs(r)) + abs(k) * LN2_ERR + TINY) * C_INF
    ya = abs(r) * 32.0
    jf = np.floor(ya)
    fr = ya - jf                  # exact
    up = fr >= 0.5
    jf = jf + 1.0 if up else jf
    fr = fr - 1.0 if up else fr   # exact
    t = fr * (1.0 / 32.0)
    neg = r < 0.0
    t = -t if neg else t
    jf = -jf if neg else jf
    p = EXP_COEF[EXP_DEG]
    for i in range(EXP_DEG - 1, -1, -1):
        p = p * t + EXP_COEF[i]
    y = (EXP_TAB[int(jf) + 12] * p) * POW2[int(k) + 1022]
    d = (rx + er) * C_INF
    rad = (y * (EPS_EXP + d + d * d) + TINY) * C_INF
    good = ok & (d <= 0.25)
    under = x + rx < -EXP_MAX_ARG   # then 0 <= exp(X) < exp(-700) < 1e-304 (and not ok)
    y = y if good else NAN
    rad = rad if good else NAN
    y = 0.0 if under else y
    rad = 1e-304 if under else rad
    return y, rad


@njit(**JIT_PRIM)
def mr_erfc_gauss(x, rx):
    """erfc(X) and exp(-X^2) for X in [x - rx, x + rx], |x| <= 16 (NaN otherwise), sharing
    one exp: exp(-x^2) and erfcx(|x|) at the float x, erfc(x) = exp(-x^2) erfcx(|x|),
    reflected by erfc(x) = 2 - erfc(|x|) for x < 0; then x's radius through the Lipschitz
    constants |erfc'| <= 2/sqrt(pi) and |(exp(-x^2))'| <= sqrt(2/e)."""
    xx = x * x
    g, rg = mr_exp(-xx, (U * xx + TINY) * C_INF)
    e, re = erfcx_point(abs(x))
    c, rc = mr_mul(g, rg, e, re)              # erfc(|x|)
    neg = x < 0.0
    c2 = 2.0 - c
    rc2 = (rc + U * abs(c2) + TINY) * C_INF
    c = c2 if neg else c
    rc = rc2 if neg else rc
    return c, (rc + LIP_ERFC * rx) * C_INF, g, (rg + LIP_GAUSS * rx) * C_INF


@njit(**JIT_PRIM)
def mr_erfc(x, rx):
    """erfc of X in [x - rx, x + rx], |x| <= 16 (NaN otherwise)."""
    c, rc, g, rg = mr_erfc_gauss(x, rx)
    return c, rc
