"""Rigorous float64 grid kernels: every grid value comes with a proven error bound.

The paper evaluated S (Lemma 12) and mu~^2 (Lemma 43) in floats on uniform grids and
bounded the rounding error by hand ("< 1e-13").  These numba kernels evaluate the same
quantities at every grid point in *midpoint-radius* arithmetic (``selu_theory.mr_arith``,
whose docstring proves the error model): each intermediate is a pair (x, r) and the true
real value is proven to lie in [x - r, x + r].

The formulas are not written here.  mu~, xi~ and their (m, v) partials are GENERATED
from the activation's sympy closed forms into ``_generated/<id>/grid_mr_kernels.py``
(``tools/generate_grid_kernels.py``, one mr_* primitive per operation; the subexpressions
free of m are hoisted and computed once per (nu, tau)).  This module composes them: the
Jacobian J of (mu, nu) -> (mu~, nu~) and its spectral norm S (``jacobian_mr``,
``spectral_mr``, the only place J and S are written), the generic expression programs,
and the sweeps.  The tests compare every grid value with an Arb evaluation of the
generated ball kernels and check the radius contains the difference.

Every activation with generated grid kernels has its own sweeps: the module-level ones
are SELU's; ``kernels_for(activation)`` rebuilds the same functions with the activation's
kernels as their globals (see the end of the module).  The parameters reach the kernels
as a flat tuple K = (mid, rad) per parameter in the activation's order (``constants``);
the bare float sweep takes a tuple P of floats.  numba specialises on a tuple's length,
so activations of any arity need no padding.

Every helper of the moment map is inlined by numba into the sweep loops (one loop body);
the mr_* primitives are inlined by LLVM (see ``mr_arith.JIT_PRIM``).  On the 2-core AMD
machine (AVX2) LLVM does not vectorize them (inspect_asm: scalar sd instructions, no
gathers: the table lookups of erfcx/exp need gathers its cost model refuses on this CPU);
the helpers are branch-free (one return, selects) so that it can where gathers are cheap.

The sweeps stream over cells of the grid (index ranges), keeping per cell only the
largest upper end, the smallest lower end, the arg-max/arg-min of the midpoint, the
largest radius and a count of failed points: memory does not grow with the grid.
``prange`` runs the cells of a batch in parallel; every reduction is a max/min over a
fixed cell order, so the results do not depend on the thread count.
"""
from __future__ import annotations

import functools
import types
from dataclasses import dataclass

import numpy as np
from flint import ctx
from numba import njit, prange

from selu_theory.float_bounds import float_and_error, frac_pair  # noqa: F401  (frac_pair: public here for callers)
from selu_theory.kernel_loader import KernelsNotFound, load_kernels
from selu_theory.mr_arith import (INF, JIT_INLINE, JIT_KERNEL, NAN, mr_add, mr_div, mr_erfcx, mr_exp, mr_mul,
                                  mr_mulx, mr_scale, mr_sqr, mr_sqrt, mr_sqrt_checked, mr_sub)

# The module-level kernels are SELU's (the paper's grids): numba resolves module-level
# names as compile-time globals, so the sweeps defined below are compiled against SELU's
# generated formulas and cached by numba as before.  Any other activation with generated
# grid kernels gets the same sweeps rebuilt from the same bytecode with its own kernels
# as globals (``kernels_for``, at the end of this module).
ACTIVATION = "selu"


class GridUnavailable(ValueError):
    """The activation has no generated grid kernels (e.g. a user activation whose moments
    the grid generator could not print): the grid method cannot sweep it."""


_MR = load_kernels(ACTIVATION, "grid_mr_kernels")
_FLOAT = load_kernels(ACTIVATION, "numba_kernels")
moments_hoisted = _MR.moments_order0_1_hoisted
moments_mr = _MR.moments_order0_1_mr          # mu, mu_m, mu_v, xi, xi_m, xi_v
values_hoisted = _MR.moments_order0_hoisted
values_mr = _MR.moments_order0_mr             # mu, xi
moments_float = _FLOAT.moments_order0_1
values_float = _FLOAT.moments_order0


# --------------------------------------------------------------------------------------
# the parameters as (float, radius) pairs, from Arb balls


def ball_pair(x):
    """(f, r): f the float nearest the ball's midpoint, r >= |x - f| for all x in the ball."""
    return float_and_error(x)


def constants(params) -> tuple:
    """The tuple K the kernels take: (mid, rad) of each parameter, in the activation's
    order (SELU: alpha, lam), flat: 2 * arity floats.  numba specialises the sweeps on the
    tuple's length, so no padding to a maximum arity is needed.  GridUnavailable when the
    activation has no grid kernels."""
    require_activation(params.activation)
    old = ctx.prec
    ctx.prec = 256
    try:
        pairs = [ball_pair(x) for x in params.balls(256)]
    finally:
        ctx.prec = old
    return tuple(float(x) for p in pairs for x in p)


# --------------------------------------------------------------------------------------
# the moment map: generated base partials, J and S composed here


@njit(**JIT_INLINE)
def v_part(nu, tau, K):
    """(v = nu*tau, its radius, the m-free subexpressions of the moments kernel), flat:
    computed once per (nu, tau)."""
    v, rv = mr_mulx(nu, tau)
    return moments_hoisted(v, rv, K)


@njit(**JIT_INLINE)
def v_part_values(nu, tau, K):
    """The same for the value kernel (mu~, xi~ only)."""
    v, rv = mr_mulx(nu, tau)
    return values_hoisted(v, rv, K)


@njit(**JIT_INLINE)
def jacobian_mr(omega, tau, mu_t, rmu_t, mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v):
    """J11 = omega mu_m, J12 = tau mu_v, J21 = omega nu_m, J22 = tau nu_v, with
    nu~ = xi~ - mu~^2: nu_m = xi_m - 2 mu~ mu_m, nu_v = xi_v - 2 mu~ mu_v."""
    t, rt = mr_mul(mu_t, rmu_t, mu_m, rmu_m)
    nu_m, rnu_m = mr_sub(xi_m, rxi_m, 2.0 * t, 2.0 * rt)
    t, rt = mr_mul(mu_t, rmu_t, mu_v, rmu_v)
    nu_v, rnu_v = mr_sub(xi_v, rxi_v, 2.0 * t, 2.0 * rt)
    j11, r11 = mr_scale(omega, mu_m, rmu_m)
    j12, r12 = mr_scale(tau, mu_v, rmu_v)
    j21, r21 = mr_scale(omega, nu_m, rnu_m)
    j22, r22 = mr_scale(tau, nu_v, rnu_v)
    return j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v


@njit(**JIT_INLINE)
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


@njit(**JIT_INLINE)
def point_S(mu, omega, tau, vq, K):
    m, rm = mr_mulx(mu, omega)
    mt, rmt, mu_m, rmu_m, mu_v, rmu_v, xt, rxt, xi_m, rxi_m, xi_v, rxi_v = moments_mr(m, rm, vq, K)
    j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v = jacobian_mr(
        omega, tau, mt, rmt, mu_m, rmu_m, mu_v, rmu_v, xi_m, rxi_m, xi_v, rxi_v)
    return spectral_mr(j11, r11, j12, r12, j21, r21, j22, r22)


@njit(**JIT_INLINE)
def point_mu2(mu, omega, vq, K):
    m, rm = mr_mulx(mu, omega)
    mt, rmt, xt, rxt = values_mr(m, rm, vq, K)
    return mr_sqr(mt, rmt)


# --------------------------------------------------------------------------------------
# the generic kernel: an expression program over the quantities of ``moment_map`` of
# derivative order <= 1

VARS = ("mu", "omega", "nu", "tau")
Q_NAMES = (("mu", "omega", "nu", "tau", "mu_tilde", "xi_tilde", "nu_tilde", "J11", "J12", "J21", "J22", "S")
           + tuple(f"d{q}_d{x}" for q in ("mu", "xi", "nu") for x in ("m", "v") + VARS))
NQ = len(Q_NAMES)

OP_LOAD, OP_CONST, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_SQR, OP_SQRT, OP_EXP = range(10)


@njit(**JIT_INLINE)
def all_quantities(mu, omega, nu, tau, vq, K, qm, qr):
    """Fill qm/qr (mid/rad, in the order of Q_NAMES) at one point."""
    m, rm = mr_mulx(mu, omega)
    mt, rmt, mu_m, rmu_m, mu_v, rmu_v, xt, rxt, xi_m, rxi_m, xi_v, rxi_v = moments_mr(m, rm, vq, K)
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


@njit(**JIT_INLINE)
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
# The (mu, omega) loops are innermost, omega (axis 1) the innermost one; everything of
# v = nu*tau alone is computed once per (nu, tau).

KIND_S, KIND_MU2, KIND_TAPE = 0, 1, 2
NSTATE = 6  # hi, lo, amax, amin, rad, bad


@njit(**JIT_INLINE)
def _cell_axes(c, n1, n2, n3):
    c3 = c % n3
    c2 = (c // n3) % n2
    c1 = (c // (n3 * n2)) % n1
    c0 = c // (n3 * n2 * n1)
    return c0, c1, c2, c3


@njit(**JIT_INLINE)
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


@njit(**JIT_INLINE)
def _cell_start():
    st = np.empty(NSTATE)
    st[0], st[1], st[2], st[3], st[4], st[5] = -INF, INF, -INF, INF, 0.0, 0.0
    return st, np.zeros(4, np.int64), np.zeros(4, np.int64)


@njit(**JIT_INLINE)
def _cell_store(cc, st, ia, ib, state, imax, imin):
    for q in range(NSTATE):
        state[cc, q] = st[q]
    for q in range(4):
        imax[cc, q] = ia[q]
        imin[cc, q] = ib[q]


@njit(parallel=True, **JIT_KERNEL)
def sweep_S(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, jlo, jhi, state, imax, imin):
    """S on the cells c_start .. c_end - 1 (see the block comment above), at the points
    (i0, j) with jlo[i0] <= j < jhi[i0] (all of them: jlo = 0, jhi = n1)."""
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
                vq = v_part(x2[i2], tau, K)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    ja, jb = max(j0, jlo[i0]), min(j1, jhi[i0])
                    for j in range(ja, jb):     # the innermost loop
                        f[j - ja], rf[j - ja] = point_S(mu, x1[j], tau, vq, K)
                    _reduce_row(f, rf, jb - ja, ja, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


@njit(parallel=True, **JIT_KERNEL)
def sweep_mu2(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, jlo, jhi, state, imax, imin):
    """mu~^2 on the cells c_start .. c_end - 1, at the points jlo[i0] <= j < jhi[i0]."""
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
                vq = v_part_values(x2[i2], tau, K)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    ja, jb = max(j0, jlo[i0]), min(j1, jhi[i0])
                    for j in range(ja, jb):
                        f[j - ja], rf[j - ja] = point_mu2(mu, x1[j], vq, K)
                    _reduce_row(f, rf, jb - ja, ja, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


def _function_copy(f, namespace: dict, qualname: str, name: str = None):
    """Python function ``f``'s code with ``namespace`` as its globals, under its own
    qualified name (numba's disk cache is keyed by file and qualified name: a copy must
    not share the original's)."""
    g = types.FunctionType(f.__code__, namespace, name or f.__name__, f.__defaults__, f.__closure__)
    g.__qualname__ = qualname
    g.__doc__, g.__module__ = f.__doc__, f.__module__
    return g


def _twin(f, name: str):
    """A copy of jitted ``f``'s Python function named ``name``, in this module."""
    return _function_copy(f.py_func, globals(), name, name)


# Serial twins of the two sweeps: the same code, prange running as range, so the same
# per-cell results.  A small grid (``grid_sweep.SERIAL_POINTS``) uses them: compiling a
# parallel sweep costs ~3 s more CPU (numba's parfor passes: 6.4 vs 3.6 s for sweep_S,
# measured 2026-12-01), more than such a grid's whole sweep.
sweep_S_serial = njit(**JIT_KERNEL)(_twin(sweep_S, "sweep_S_serial"))
sweep_mu2_serial = njit(**JIT_KERNEL)(_twin(sweep_mu2, "sweep_mu2_serial"))


# the generic path is not inlined into one loop (it interprets a program per point)
all_quantities_call = njit(**JIT_KERNEL)(all_quantities.py_func)
run_tape_call = njit(**JIT_KERNEL)(run_tape.py_func)


@njit(parallel=True, **JIT_KERNEL)
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
                vq = v_part(nu, tau, K)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for j in range(j0, j1):
                        all_quantities_call(mu, x1[j], nu, tau, vq, K, qm, qr)
                        f[j - j0], rf[j - j0] = run_tape_call(tape, cm, cr, qm, qr, regm, regr)
                    _reduce_row(f, rf, j1 - j0, j0, i0, i2, i3, st, ia, ib)
        _cell_store(cc, st, ia, ib, state, imax, imin)


# --------------------------------------------------------------------------------------
# the bare float sweep: the generated float kernels in plain float64 with glibc erfc/exp,
# no error bound -- what the paper computed, and the baseline of the error bound's cost


@njit(parallel=True, **JIT_KERNEL)
def sweep_float(kind, x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, P, amax, imax):
    """The float sweep; P the parameters' floats in the activation's order (a tuple of the
    activation's arity, unpacked into the generated kernels' (m, v, *params))."""
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = _cell_axes(c_start + cc, n1, n2, n3)
        am = -INF
        ia = np.zeros(4, np.int64)
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                nu = x2[i2]
                v = nu * tau
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for i1 in range(b1[c1], b1[c1 + 1]):
                        omega = x1[i1]
                        m = mu * omega
                        if kind == KIND_MU2:
                            mt, xt = values_float(m, v, *P)
                            f = mt * mt
                        else:
                            mt, mu_m, mu_v, xt, xi_m, xi_v = moments_float(m, v, *P)
                            # J and S from the one composition (zero radii; the unused
                            # radius arithmetic is dead code to LLVM)
                            j11, r11, j12, r12, j21, r21, j22, r22, nu_m, rnu_m, nu_v, rnu_v = jacobian_mr(
                                omega, tau, mt, 0.0, mu_m, 0.0, mu_v, 0.0, xi_m, 0.0, xi_v, 0.0)
                            f = spectral_mr(j11, r11, j12, r12, j21, r21, j22, r22)[0]
                        if f > am:
                            am = f
                            ia[0], ia[1], ia[2], ia[3] = i0, i1, i2, i3
        amax[cc] = am
        for q in range(4):
            imax[cc, q] = ia[q]


# --------------------------------------------------------------------------------------
# single function values, for tests


@njit(**JIT_KERNEL)
def exp_value(x, rx):
    return mr_exp(x, rx)


@njit(**JIT_KERNEL)
def erfcx_value(x, rx):
    return mr_erfcx(x, rx)


# --------------------------------------------------------------------------------------
# the sweeps of any activation with generated grid kernels
#
# The functions above read the moment kernels through six module globals (KERNEL_NAMES).
# For another activation each function that reaches them (SPECIALISED, in the order they
# call one another) is rebuilt from its own bytecode with a copy of this module's globals
# in which those six names are the activation's kernels, and jitted with the original's
# options: one source for every activation, and SELU keeps the module-level functions,
# compiled and cached exactly as before.  The rebuilt functions get a qualified name
# tagged with the activation's id and its generator-input hash, so numba's on-disk cache
# (keyed by file and qualified name) holds one entry per activation and kernel version and
# never hands one activation the code compiled for another.

KERNEL_NAMES = ("moments_hoisted", "moments_mr", "values_hoisted", "values_mr", "moments_float", "values_float")
_INLINE = dict(JIT_INLINE)
_PARALLEL = dict(parallel=True, **JIT_KERNEL)
SPECIALISED = (("v_part", _INLINE), ("v_part_values", _INLINE), ("point_S", _INLINE), ("point_mu2", _INLINE),
               ("all_quantities", _INLINE), ("all_quantities_call", dict(JIT_KERNEL)),
               ("sweep_S", _PARALLEL), ("sweep_mu2", _PARALLEL), ("sweep_tape", _PARALLEL),
               ("sweep_float", _PARALLEL), ("sweep_S_serial", dict(JIT_KERNEL)),
               ("sweep_mu2_serial", dict(JIT_KERNEL)))


@dataclass(frozen=True)
class GridSweeps:
    """The sweeps of one activation (same signatures as the module-level ones)."""

    activation: str
    kernels_hash: str   # the generator-input hash of the kernels they were built from
    sweep_S: object
    sweep_mu2: object
    sweep_tape: object
    sweep_float: object   # None when the activation has no float (numba) kernels
    sweep_S_serial: object = None     # the serial twins (small grids)
    sweep_mu2_serial: object = None


def _kernel_modules(activation: str):
    """(grid_mr module, numba float module or None); GridUnavailable (one line) when the
    activation has no usable grid kernels."""
    try:
        mr = load_kernels(activation, "grid_mr_kernels")
    except KernelsNotFound as exc:
        raise GridUnavailable(f"the grid method needs {activation!r}'s generated midpoint-radius kernels, "
                              f"which it has not ({exc}); use the box prover (selu-verify bound)") from None
    need = ("moments_order0_hoisted", "moments_order0_mr", "moments_order0_1_hoisted", "moments_order0_1_mr")
    missing = [n for n in need if not hasattr(mr, n)]
    if missing:
        raise GridUnavailable(f"{activation!r}'s grid kernels lack {', '.join(missing)}; use the box prover "
                              f"(selu-verify bound)")
    try:
        fl = load_kernels(activation, "numba_kernels")
    except KernelsNotFound:
        fl = None
    if fl is not None and not all(hasattr(fl, n) for n in ("moments_order0", "moments_order0_1")):
        fl = None
    return mr, fl


def _rebuild(name: str, options: dict, namespace: dict, tag: str):
    """``name``'s Python function with ``namespace`` as its globals, jitted with ``options``."""
    # all_quantities_call shares its code with all_quantities: its own qualified name
    return njit(**options)(_function_copy(globals()[name].py_func, namespace, f"{name}__{tag}"))


@functools.lru_cache(maxsize=None)
def _sweeps(activation: str, kernels_hash: str) -> GridSweeps:
    if activation == ACTIVATION:
        return GridSweeps(ACTIVATION, kernels_hash, sweep_S, sweep_mu2, sweep_tape, sweep_float, sweep_S_serial,
                          sweep_mu2_serial)
    mr, fl = _kernel_modules(activation)
    namespace = dict(globals())
    namespace.update(moments_hoisted=mr.moments_order0_1_hoisted, moments_mr=mr.moments_order0_1_mr,
                     values_hoisted=mr.moments_order0_hoisted, values_mr=mr.moments_order0_mr,
                     moments_float=None if fl is None else fl.moments_order0_1,
                     values_float=None if fl is None else fl.moments_order0)
    tag = f"{activation}_{kernels_hash[:16]}"
    for name, options in SPECIALISED:
        # compiled lazily, at the first call: every name is in the namespace by then
        namespace[name] = _rebuild(name, options, namespace, tag)
    return GridSweeps(activation, kernels_hash, namespace["sweep_S"], namespace["sweep_mu2"],
                      namespace["sweep_tape"], namespace["sweep_float"] if fl is not None else None,
                      namespace["sweep_S_serial"], namespace["sweep_mu2_serial"])


def kernels_for(activation: str) -> GridSweeps:
    """The sweeps compiled from ``activation``'s generated kernels (built once per process
    and kernel version; numba compiles each at its first call, then caches it on disk).
    GridUnavailable (one line) when the activation has no grid kernels."""
    mr, _ = _kernel_modules(activation)
    return _sweeps(activation, str(getattr(mr, "GENERATOR_INPUT_HASH", "")))


def require_activation(activation: str) -> None:
    """GridUnavailable (one line) unless ``activation`` has generated grid kernels."""
    _kernel_modules(activation)
