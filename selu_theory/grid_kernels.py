"""Rigorous float64 grid kernels: every grid value comes with a proven error bound.

The paper evaluated S (Lemma 12) and mu~^2 (Lemma 43) in floats on uniform grids and
bounded the rounding error by hand ("< 1e-13").  These numba kernels evaluate the same
quantities at every grid point in *midpoint-radius* arithmetic: each intermediate is a
pair (x, r) and the true real value is proven to lie in [x - r, x + r].

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
3. **Formulas.** With m = mu*omega, v = nu*tau, a = sqrt(2/(pi v)), G = exp(-m^2/(2v)),
   C0 = erfc(m/sqrt(2v)), E1 = G erfcx((m+v)/sqrt(2v)), E2 = G erfcx((m+2v)/sqrt(2v)):
       mu~   = lam/2 (-(alpha+m) C0 + alpha E1 + a v G + 2m)
       mu_m  = lam/2 (2 - C0 + alpha E1)          mu_v = lam/4 (alpha E1 + (1-alpha) a G)
       xi~   = lam^2/2 ((m^2+v)(2-C0) + alpha^2 (-2E1 + E2 + C0) + a v m G)
       xi_m  = lam^2 (m (2-C0) + a v G + alpha^2 (E2 - E1))
       xi_v  = lam^2/2 (2 - C0 + alpha^2 (2E2 - E1))
   (the derivatives simplify through C0' = -aG, E1' = E1 - aG, E2' = 2E2 - aG in m); the
   tests compare every grid value with an Arb evaluation of the generated sympy kernels,
   so a wrong formula cannot pass.  alpha, lambda and the constants 2/sqrt(pi), ln 2 enter
   as (float, radius) pairs rounded from Arb balls.

4. **Speed.** Every helper is inlined into the sweep loops and written branch-free (one
   return, selects), so LLVM vectorizes the innermost (omega) loop with AVX2/AVX-512:
   the rigorous S sweep runs faster than a plain float sweep calling glibc.

The sweeps stream over cells of the grid (index ranges), keeping per cell only the
largest upper end, the smallest lower end, the arg-max/arg-min of the midpoint, the
largest radius and a count of failed points: memory does not grow with the grid.
``prange`` runs the cells of a batch in parallel; every reduction is a max/min over a
fixed cell order, so the results do not depend on the thread count.
"""
from __future__ import annotations

import math

import numpy as np
from flint import ctx
from numba import njit, prange

from selu_theory._generated import grid_tables as tables
from selu_theory.float_bounds import float_and_error, frac_pair  # noqa: F401  (frac_pair: public here for callers)

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


# --------------------------------------------------------------------------------------
# (alpha, lambda) constants as (float, radius) pairs, from Arb balls


def ball_pair(x):
    """(f, r): f the float nearest the ball's midpoint, r >= |x - f| for all x in the ball."""
    return float_and_error(x)


def constants(params) -> tuple:
    """The tuple K of (mid, rad) pairs the kernels take: alpha, alpha^2, 1 - alpha,
    lam/2, lam/4, lam^2, lam^2/2 (see the K_* indices)."""
    old = ctx.prec
    ctx.prec = 256
    try:
        a, l = params.balls(256)
        pairs = [ball_pair(x) for x in (a, a * a, 1 - a, l / 2, l / 4, l * l, l * l / 2)]
    finally:
        ctx.prec = old
    return tuple(float(x) for p in pairs for x in p)


K_A, K_A2, K_OMA, K_LH, K_LQ, K_L2, K_L2H = (2 * i for i in range(7))

# Every helper is inlined by numba into the kernels: LLVM then sees one loop body and
# vectorizes it (AVX2/AVX-512).  Branch-free helpers (one return, selects) matter for that.
_JIT = dict(cache=True, fastmath=False, error_model="numpy", inline="always")
_KERNEL = dict(cache=True, fastmath=False, error_model="numpy")


# --------------------------------------------------------------------------------------
# midpoint-radius arithmetic.  A radius r certifies |true - x| <= r.


@njit(**_JIT)
def mr_add(x, rx, y, ry):
    z = x + y
    return z, ((rx + ry) + U * abs(z) + TINY) * C_INF


@njit(**_JIT)
def mr_sub(x, rx, y, ry):
    z = x - y
    return z, ((rx + ry) + U * abs(z) + TINY) * C_INF


@njit(**_JIT)
def mr_mul(x, rx, y, ry):
    z = x * y
    return z, (abs(x) * ry + abs(y) * rx + rx * ry + U * abs(z) + TINY) * C_INF


@njit(**_JIT)
def mr_scale(c, x, rx):
    """Exact float c times (x, rx)."""
    z = c * x
    return z, (abs(c) * rx + U * abs(z) + TINY) * C_INF


@njit(**_JIT)
def mr_mulx(x, y):
    """Product of two exact floats."""
    z = x * y
    return z, (U * abs(z) + TINY) * C_INF


@njit(**_JIT)
def mr_sqr(x, rx):
    z = x * x
    return z, (rx * (2.0 * abs(x) + rx) + U * z + TINY) * C_INF


@njit(**_JIT)
def mr_div(x, rx, y, ry):
    d = (abs(y) - ry) * (1.0 - 2.0 ** -50)  # < |y| - ry: a lower bound of |Y|
    z = x / y
    r = ((rx + abs(z) * ry * (1.0 + 2.0 ** -50)) / d + U * abs(z) + TINY) * C_INF
    ok = d > 0.0
    # one return with selects: branch-free code lets LLVM vectorize the loops
    return (z if ok else NAN), (r if ok else NAN)


@njit(**_JIT)
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


@njit(**_JIT)
def mr_sqrt_checked(x, rx):
    """sqrt in an expression: an argument that may be negative fails (NaN), as in Arb."""
    if not x - rx >= 0.0:
        return NAN, NAN
    return mr_sqrt(x, rx)


@njit(**_JIT)
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


@njit(**_JIT)
def mr_erfcx(x, rx):
    """erfcx of X in [x - rx, x + rx]; X >= 0 is required (NaN otherwise)."""
    p, e = erfcx_point(x)
    r = (e + LIP_ERFC * rx + TINY) * C_INF
    ok = x - rx >= 0.0
    return (p if ok else NAN), (r if ok else NAN)


@njit(**_JIT)
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


# --------------------------------------------------------------------------------------
# the moment map


@njit(**_JIT)
def v_part(nu, tau):
    """Quantities of v = nu*tau alone, hoisted out of the (mu, omega) loops:
    v, 2v, 1/sqrt(2v), a = sqrt(2/(pi v)) = (2/sqrt(pi))/sqrt(2v), a*v."""
    v, rv = mr_mulx(nu, tau)
    w, rw = 2.0 * v, 2.0 * rv                 # exact
    sw, rsw = mr_sqrt(w, rw)
    inv, rinv = mr_div(1.0, 0.0, sw, rsw)
    a, ra = mr_mul(TWO_SQRTPI, TWO_SQRTPI_RAD, inv, rinv)
    av, rav = mr_mul(a, ra, v, rv)
    return v, rv, w, rw, inv, rinv, a, ra, av, rav


@njit(**_JIT)
def blocks(m, rm, v, rv, w, rw, inv, rinv):
    """C0 = erfc(m/sqrt(2v)), G = exp(-m^2/(2v)), E1, E2 as (mid, rad) pairs."""
    z0, rz0 = mr_mul(m, rm, inv, rinv)
    mv, rmv = mr_add(m, rm, v, rv)
    z1, rz1 = mr_mul(mv, rmv, inv, rinv)
    m2v, rm2v = mr_add(m, rm, w, rw)
    z2, rz2 = mr_mul(m2v, rm2v, inv, rinv)
    # G and C0 at the float z0, then z0's radius through Lipschitz constants
    zz = z0 * z0
    g, rg = mr_exp(-zz, (U * zz + TINY) * C_INF)
    x0, rx0 = erfcx_point(abs(z0))
    c, rc = mr_mul(g, rg, x0, rx0)            # erfc(|z0|)
    neg = z0 < 0.0
    c2 = 2.0 - c                              # erfc(z0) = 2 - erfc(|z0|)
    rc2 = (rc + U * abs(c2) + TINY) * C_INF
    c = c2 if neg else c
    rc = rc2 if neg else rc
    rC0 = (rc + LIP_ERFC * rz0) * C_INF
    rG = (rg + LIP_GAUSS * rz0) * C_INF
    x1, rx1 = mr_erfcx(z1, rz1)
    E1, rE1 = mr_mul(g, rG, x1, rx1)
    x2, rx2 = mr_erfcx(z2, rz2)
    E2, rE2 = mr_mul(g, rG, x2, rx2)
    return c, rC0, g, rG, E1, rE1, E2, rE2


@njit(**_JIT)
def mu_tilde_mr(m, rm, av, rav, C0, rC0, G, rG, E1, rE1, K):
    """mu~ = lam/2 (-(alpha+m) C0 + alpha E1 + a v G + 2m)."""
    am, ram = mr_add(K[K_A], K[K_A + 1], m, rm)
    t1, rt1 = mr_mul(am, ram, C0, rC0)
    t2, rt2 = mr_mul(K[K_A], K[K_A + 1], E1, rE1)
    t3, rt3 = mr_mul(av, rav, G, rG)
    s, rs = mr_sub(t2, rt2, t1, rt1)
    s, rs = mr_add(s, rs, t3, rt3)
    s, rs = mr_add(s, rs, 2.0 * m, 2.0 * rm)
    return mr_mul(K[K_LH], K[K_LH + 1], s, rs)


@njit(**_JIT)
def first_partials_mr(m, rm, a, ra, av, rav, C0, rC0, G, rG, E1, rE1, E2, rE2, K):
    """mu_m, mu_v, xi_m, xi_v (formulas in the module docstring)."""
    tc, rtc = mr_sub(2.0, 0.0, C0, rC0)              # 2 - C0
    aE1, raE1 = mr_mul(K[K_A], K[K_A + 1], E1, rE1)
    s, rs = mr_add(tc, rtc, aE1, raE1)
    mu_m, rmu_m = mr_mul(K[K_LH], K[K_LH + 1], s, rs)
    aG, raG = mr_mul(a, ra, G, rG)
    t, rt = mr_mul(K[K_OMA], K[K_OMA + 1], aG, raG)
    s, rs = mr_add(aE1, raE1, t, rt)
    mu_v, rmu_v = mr_mul(K[K_LQ], K[K_LQ + 1], s, rs)
    d21, rd21 = mr_sub(E2, rE2, E1, rE1)             # E2 - E1
    t, rt = mr_mul(K[K_A2], K[K_A2 + 1], d21, rd21)
    mt, rmt = mr_mul(m, rm, tc, rtc)
    avG, ravG = mr_mul(av, rav, G, rG)
    s, rs = mr_add(mt, rmt, avG, ravG)
    s, rs = mr_add(s, rs, t, rt)
    xi_m, rxi_m = mr_mul(K[K_L2], K[K_L2 + 1], s, rs)
    d, rd = mr_add(d21, rd21, E2, rE2)               # 2 E2 - E1
    t, rt = mr_mul(K[K_A2], K[K_A2 + 1], d, rd)
    s, rs = mr_add(tc, rtc, t, rt)
    xi_v, rxi_v = mr_mul(K[K_L2H], K[K_L2H + 1], s, rs)
    return mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v


@njit(**_JIT)
def xi_tilde_mr(m, rm, v, rv, av, rav, C0, rC0, G, rG, E1, rE1, E2, rE2, K):
    """xi~ = lam^2/2 ((m^2+v)(2-C0) + alpha^2 (-2E1 + E2 + C0) + a v m G)."""
    tc, rtc = mr_sub(2.0, 0.0, C0, rC0)
    mm, rmm = mr_sqr(m, rm)
    q, rq = mr_add(mm, rmm, v, rv)
    t1, rt1 = mr_mul(q, rq, tc, rtc)
    s, rs = mr_sub(E2, rE2, 2.0 * E1, 2.0 * rE1)
    s, rs = mr_add(s, rs, C0, rC0)
    t2, rt2 = mr_mul(K[K_A2], K[K_A2 + 1], s, rs)
    t3, rt3 = mr_mul(av, rav, m, rm)
    t3, rt3 = mr_mul(t3, rt3, G, rG)
    s, rs = mr_add(t1, rt1, t2, rt2)
    s, rs = mr_add(s, rs, t3, rt3)
    return mr_mul(K[K_L2H], K[K_L2H + 1], s, rs)


@njit(**_JIT)
def jacobian_mr(omega, tau, mu_t, rmu_t, mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v):
    """J11 = omega mu_m, J12 = tau mu_v, J21 = omega nu_m, J22 = tau nu_v; nu_m, nu_v."""
    t, rt = mr_mul(mu_t, rmu_t, mu_m, rmu_m)
    nu_m, rnu_m = mr_sub(xi_m, rxi_m, 2.0 * t, 2.0 * rt)
    t, rt = mr_mul(mu_t, rmu_t, mu_v, rmu_v)
    nu_v, rnu_v = mr_sub(xi_v, rxi_v, 2.0 * t, 2.0 * rt)
    j11, r11 = mr_scale(omega, mu_m, rmu_m)
    j12, r12 = mr_scale(tau, mu_v, rmu_v)
    j21, r21 = mr_scale(omega, nu_m, rnu_m)
    j22, r22 = mr_scale(tau, nu_v, rnu_v)
    return j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v


@njit(**_JIT)
def spectral_mr(j11, r11, j12, r12, j21, r21, j22, r22):
    """S = (sqrt((J11+J22)^2 + (J21-J12)^2) + sqrt((J11-J22)^2 + (J21+J12)^2)) / 2."""
    a, ra = mr_add(j11, r11, j22, r22)
    b, rb = mr_sub(j21, r21, j12, r12)
    c, rc = mr_sub(j11, r11, j22, r22)
    d, rd = mr_add(j21, r21, j12, r12)
    a2, ra2 = mr_sqr(a, ra)
    b2, rb2 = mr_sqr(b, rb)
    c2, rc2 = mr_sqr(c, rc)
    d2, rd2 = mr_sqr(d, rd)
    p, rp = mr_add(a2, ra2, b2, rb2)
    q, rq = mr_add(c2, rc2, d2, rd2)
    sp_, rsp = mr_sqrt(p, rp)
    sq, rsq = mr_sqrt(q, rq)
    s, rs = mr_add(sp_, rsp, sq, rsq)
    return 0.5 * s, 0.5 * rs   # exact halving (rs >= TINY: no underflow)


@njit(**_JIT)
def point_S(mu, omega, tau, vq, K):
    v, rv, w, rw, inv, rinv, a, ra, av, rav = vq
    m, rm = mr_mulx(mu, omega)
    C0, rC0, G, rG, E1, rE1, E2, rE2 = blocks(m, rm, v, rv, w, rw, inv, rinv)
    mt, rmt = mu_tilde_mr(m, rm, av, rav, C0, rC0, G, rG, E1, rE1, K)
    mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v = first_partials_mr(
        m, rm, a, ra, av, rav, C0, rC0, G, rG, E1, rE1, E2, rE2, K)
    j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v = jacobian_mr(
        omega, tau, mt, rmt, mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v)
    return spectral_mr(j11, r11, j12, r12, j21, r21, j22, r22)


@njit(**_JIT)
def point_mu2(mu, omega, vq, K):
    v, rv, w, rw, inv, rinv, a, ra, av, rav = vq
    m, rm = mr_mulx(mu, omega)
    C0, rC0, G, rG, E1, rE1, E2, rE2 = blocks(m, rm, v, rv, w, rw, inv, rinv)
    mt, rmt = mu_tilde_mr(m, rm, av, rav, C0, rC0, G, rG, E1, rE1, K)
    return mr_sqr(mt, rmt)


# --------------------------------------------------------------------------------------
# the generic kernel: an expression program over the quantities of ``moment_map`` of
# derivative order <= 1

VARS = ("mu", "omega", "nu", "tau")
Q_NAMES = (("mu", "omega", "nu", "tau", "mu_tilde", "xi_tilde", "nu_tilde", "J11", "J12", "J21", "J22", "S")
           + tuple(f"d{q}_d{x}" for q in ("mu", "xi", "nu") for x in ("m", "v") + VARS))
NQ = len(Q_NAMES)

OP_LOAD, OP_CONST, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_SQR, OP_SQRT, OP_EXP = range(10)


@njit(**_JIT)
def all_quantities(mu, omega, nu, tau, vq, K, qm, qr):
    """Fill qm/qr (mid/rad, in the order of Q_NAMES) at one point."""
    v, rv, w, rw, inv, rinv, a, ra, av, rav = vq
    m, rm = mr_mulx(mu, omega)
    C0, rC0, G, rG, E1, rE1, E2, rE2 = blocks(m, rm, v, rv, w, rw, inv, rinv)
    mt, rmt = mu_tilde_mr(m, rm, av, rav, C0, rC0, G, rG, E1, rE1, K)
    xt, rxt = xi_tilde_mr(m, rm, v, rv, av, rav, C0, rC0, G, rG, E1, rE1, E2, rE2, K)
    mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v = first_partials_mr(
        m, rm, a, ra, av, rav, C0, rC0, G, rG, E1, rE1, E2, rE2, K)
    j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v = jacobian_mr(
        omega, tau, mt, rmt, mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v)
    s, rs = spectral_mr(j11, r11, j12, r12, j21, r21, j22, r22)
    mm2, rmm2 = mr_sqr(mt, rmt)
    nt, rnt = mr_sub(xt, rxt, mm2, rmm2)
    qm[0], qr[0] = mu, 0.0
    qm[1], qr[1] = omega, 0.0
    qm[2], qr[2] = nu, 0.0
    qm[3], qr[3] = tau, 0.0
    qm[4], qr[4] = mt, rmt
    qm[5], qr[5] = xt, rxt
    qm[6], qr[6] = nt, rnt
    qm[7], qr[7] = j11, r11
    qm[8], qr[8] = j12, r12
    qm[9], qr[9] = j21, r21
    qm[10], qr[10] = j22, r22
    qm[11], qr[11] = s, rs
    i = 12
    for gm, rgm, gv, rgv in ((mu_m, rmu_m, mu_v, rmu_v), (xi_m, rxi_m, xi_v, rxi_v), (nu_m, rnu_m, nu_v, rnu_v)):
        qm[i], qr[i] = gm, rgm
        qm[i + 1], qr[i + 1] = gv, rgv
        qm[i + 2], qr[i + 2] = mr_scale(omega, gm, rgm)   # d/dmu = omega d/dm
        qm[i + 3], qr[i + 3] = mr_scale(mu, gm, rgm)      # d/domega = mu d/dm
        qm[i + 4], qr[i + 4] = mr_scale(tau, gv, rgv)     # d/dnu = tau d/dv
        qm[i + 5], qr[i + 5] = mr_scale(nu, gv, rgv)      # d/dtau = nu d/dv
        i += 6


@njit(**_JIT)
def run_tape(tape, cm, cr, qm, qr, rm_, rr_):
    """Evaluate the expression program (rows: op, dst, a, b); returns (mid, rad)."""
    n = tape.shape[0]
    for i in range(n):
        op, dst, a, b = tape[i, 0], tape[i, 1], tape[i, 2], tape[i, 3]
        if op == OP_LOAD:
            rm_[dst], rr_[dst] = qm[a], qr[a]
        elif op == OP_CONST:
            rm_[dst], rr_[dst] = cm[a], cr[a]
        elif op == OP_ADD:
            rm_[dst], rr_[dst] = mr_add(rm_[a], rr_[a], rm_[b], rr_[b])
        elif op == OP_SUB:
            rm_[dst], rr_[dst] = mr_sub(rm_[a], rr_[a], rm_[b], rr_[b])
        elif op == OP_MUL:
            rm_[dst], rr_[dst] = mr_mul(rm_[a], rr_[a], rm_[b], rr_[b])
        elif op == OP_DIV:
            rm_[dst], rr_[dst] = mr_div(rm_[a], rr_[a], rm_[b], rr_[b])
        elif op == OP_NEG:
            rm_[dst], rr_[dst] = -rm_[a], rr_[a]
        elif op == OP_SQR:
            rm_[dst], rr_[dst] = mr_sqr(rm_[a], rr_[a])
        elif op == OP_SQRT:
            rm_[dst], rr_[dst] = mr_sqrt_checked(rm_[a], rr_[a])
        elif op == OP_EXP:
            rm_[dst], rr_[dst] = mr_exp(rm_[a], rr_[a])
        else:
            rm_[dst], rr_[dst] = NAN, NAN
    return rm_[tape[n - 1, 1]], rr_[tape[n - 1, 1]]


# --------------------------------------------------------------------------------------
# sweeps.  A cell is a box of index ranges [b_i[c_i], b_i[c_i + 1]) on each axis; cell
# number c = ((c0 n1 + c1) n2 + c2) n3 + c3.  One output row per cell of the batch:
#   state[:, 0] hi    max of fl(mid + rad) (the caller rounds it up once with nextafter)
#   state[:, 1] lo    min of fl(mid - rad) (rounded down likewise)
#   state[:, 2] amax  the largest midpoint, imax[:, 4] its indices (mu, omega, nu, tau)
#   state[:, 3] amin  the smallest midpoint, imin[:, 4] its indices
#   state[:, 4] rad   the largest radius
#   state[:, 5] bad   points whose value or radius is not finite (fail the grid)
# The (mu, omega) loops are innermost, omega (axis 1) the vectorized one; everything of
# v = nu*tau alone is computed once per (nu, tau).

KIND_S, KIND_MU2, KIND_TAPE = 0, 1, 2
NSTATE = 6  # hi, lo, amax, amin, rad, bad


@njit(**_JIT)
def _cell_axes(c, n1, n2, n3):
    c3 = c % n3
    c2 = (c // n3) % n2
    c1 = (c // (n3 * n2)) % n1
    c0 = c // (n3 * n2 * n1)
    return c0, c1, c2, c3


@njit(**_JIT)
def _reduce_row(f, rf, n, j0, i0, i2, i3, st, ia, ib):
    """Fold one row of values into the cell state st = [hi, lo, amax, amin, rad, bad]."""
    for q in range(n):
        fv, rv = f[q], rf[q]
        up, dn = fv + rv, fv - rv
        if not (up - dn < INF):       # NaN or infinite value or radius
            st[5] += 1.0
            continue
        if up > st[0]:
            st[0] = up
        if dn < st[1]:
            st[1] = dn
        if rv > st[4]:
            st[4] = rv
        if fv > st[2]:
            st[2] = fv
            ia[0], ia[1], ia[2], ia[3] = i0, j0 + q, i2, i3
        if fv < st[3]:
            st[3] = fv
            ib[0], ib[1], ib[2], ib[3] = i0, j0 + q, i2, i3


@njit(**_JIT)
def _cell_start():
    st = np.empty(NSTATE)
    st[0], st[1], st[2], st[3], st[4], st[5] = -INF, INF, -INF, INF, 0.0, 0.0
    return st, np.zeros(4, np.int64), np.zeros(4, np.int64)


@njit(**_JIT)
def _cell_store(cc, st, ia, ib, state, imax, imin):
    for q in range(NSTATE):
        state[cc, q] = st[q]
    for q in range(4):
        imax[cc, q] = ia[q]
        imin[cc, q] = ib[q]


@njit(parallel=True, **_KERNEL)
def sweep_S(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, state, imax, imin):
    """S on the cells c_start .. c_end - 1 (see the block comment above)."""
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = _cell_axes(c_start + cc, n1, n2, n3)
        j0, j1 = b1[c1], b1[c1 + 1]
        f = np.empty(j1 - j0)
        rf = np.empty(j1 - j0)
        st, ia, ib = _cell_start()
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                vq = v_part(x2[i2], tau)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for j in range(j0, j1):     # the vectorized loop
                        f[j - j0], rf[j - j0] = point_S(mu, x1[j], tau, vq, K)
                    _reduce_row(f, rf, j1 - j0, j0, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


@njit(parallel=True, **_KERNEL)
def sweep_mu2(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, state, imax, imin):
    """mu~^2 on the cells c_start .. c_end - 1."""
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = _cell_axes(c_start + cc, n1, n2, n3)
        j0, j1 = b1[c1], b1[c1 + 1]
        f = np.empty(j1 - j0)
        rf = np.empty(j1 - j0)
        st, ia, ib = _cell_start()
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                vq = v_part(x2[i2], tau)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for j in range(j0, j1):
                        f[j - j0], rf[j - j0] = point_mu2(mu, x1[j], vq, K)
                    _reduce_row(f, rf, j1 - j0, j0, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


# the generic path is not inlined into one loop (it interprets a program per point)
all_quantities_call = njit(**_KERNEL)(all_quantities.py_func)
run_tape_call = njit(**_KERNEL)(run_tape.py_func)


@njit(parallel=True, **_KERNEL)
def sweep_tape(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, tape, cm, cr, nreg, state, imax, imin):
    """An expression program on the cells c_start .. c_end - 1."""
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = _cell_axes(c_start + cc, n1, n2, n3)
        j0, j1 = b1[c1], b1[c1 + 1]
        f = np.empty(j1 - j0)
        rf = np.empty(j1 - j0)
        qm = np.zeros(NQ)
        qr = np.zeros(NQ)
        regm = np.zeros(max(nreg, 1))
        regr = np.zeros(max(nreg, 1))
        st, ia, ib = _cell_start()
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                nu = x2[i2]
                vq = v_part(nu, tau)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for j in range(j0, j1):
                        all_quantities_call(mu, x1[j], nu, tau, vq, K, qm, qr)
                        f[j - j0], rf[j - j0] = run_tape_call(tape, cm, cr, qm, qr, regm, regr)
                    _reduce_row(f, rf, j1 - j0, j0, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


# --------------------------------------------------------------------------------------
# the bare float sweep: the same formulas in plain float64 with glibc erfc/exp, no error
# bound -- what the paper computed, and the baseline of the error bound's cost


@njit(parallel=True, **_KERNEL)
def sweep_float(kind, x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, alpha, lam, amax, imax):
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    sq2pi = math.sqrt(2.0 / math.pi)
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = _cell_axes(c_start + cc, n1, n2, n3)
        am = -INF
        ia = np.zeros(4, np.int64)
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                nu = x2[i2]
                v = nu * tau
                inv = 1.0 / math.sqrt(2.0 * v)
                a = 2.0 / math.sqrt(math.pi) * inv
                av = sq2pi * math.sqrt(v)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for i1 in range(b1[c1], b1[c1 + 1]):
                        omega = x1[i1]
                        m = mu * omega
                        G = math.exp(-m * m / (2.0 * v))
                        C0 = math.erfc(m * inv)
                        E1 = math.exp(m + 0.5 * v) * math.erfc((m + v) * inv)
                        E2 = math.exp(2.0 * m + 2.0 * v) * math.erfc((m + 2.0 * v) * inv)
                        mt = 0.5 * lam * (-(alpha + m) * C0 + alpha * E1 + av * G + 2.0 * m)
                        if kind == KIND_MU2:
                            f = mt * mt
                        else:
                            tc = 2.0 - C0
                            mu_m = 0.5 * lam * (tc + alpha * E1)
                            mu_v = 0.25 * lam * (alpha * E1 + (1.0 - alpha) * a * G)
                            xi_m = lam * lam * (m * tc + av * G + alpha * alpha * (E2 - E1))
                            xi_v = 0.5 * lam * lam * (tc + alpha * alpha * (2.0 * E2 - E1))
                            j11 = omega * mu_m
                            j12 = tau * mu_v
                            j21 = omega * (xi_m - 2.0 * mt * mu_m)
                            j22 = tau * (xi_v - 2.0 * mt * mu_v)
                            f = 0.5 * (math.sqrt((j11 + j22) ** 2 + (j21 - j12) ** 2)
                                       + math.sqrt((j11 - j22) ** 2 + (j21 + j12) ** 2))
                        if f > am:
                            am = f
                            ia[0], ia[1], ia[2], ia[3] = i0, i1, i2, i3
        amax[cc] = am
        for q in range(4):
            imax[cc, q] = ia[q]


# --------------------------------------------------------------------------------------
# single function values, for tests


@njit(**_KERNEL)
def exp_value(x, rx):
    return mr_exp(x, rx)


@njit(**_KERNEL)
def erfcx_value(x, rx):
    return mr_erfcx(x, rx)
