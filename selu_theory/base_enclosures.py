"""Enclosures of mu~, xi~ and their (m, v)-partials at points and over boxes.

Over a box the generated kernels, evaluated naively, lose the correlation between their
exp/erfcx factors; so each derivative of order k is enclosed by the centred form
    f(X) in f(c) + f_m(X) (M - c_m) + f_v(X) (V - c_v),
with the order-(k+1) partials enclosed the same way, down from a naive enclosure of the
highest order, where the overestimate is multiplied by the box's half-width.
"""
from __future__ import annotations

from flint import arb

from selu_theory import symbolic
from selu_theory._generated import ball_kernels, float_kernels

POINT_KERNELS = {0: "order0", 1: "order0_1", 2: "order0_2"}
BOX_NAIVE = {0: "order0_1", 1: "order0_2", 2: "order3"}


def names_up_to(order: int):
    return [symbolic.derivative_name(b, i, j) for b in symbolic.BASE_FUNCTIONS
            for o in range(order + 1) for i, j in symbolic.derivative_orders(o)]


def at_point(m: arb, v: arb, alpha: arb, lam: arb, order: int) -> dict:
    fname = POINT_KERNELS[order]
    return dict(zip(ball_kernels.NAMES[fname], getattr(ball_kernels, fname)(m, v, alpha, lam)))


def floats(m, v, alpha: float, lam: float, order: int) -> dict:
    fname = POINT_KERNELS[order]
    return dict(zip(float_kernels.NAMES[fname], getattr(float_kernels, fname)(m, v, alpha, lam)))


def _raise(name: str, dim: str) -> str:
    base, _, idx = name.partition("_")
    i, j = idx.count("m"), idx.count("v")
    if dim == "m":
        i += 1
    else:
        j += 1
    return symbolic.derivative_name(base, i, j)


def over_box(M: arb, V: arb, alpha: arb, lam: arb, order: int) -> dict:
    """Enclosures over the (m, v) box M x V of every partial of order <= ``order``."""
    cm, cv = M.mid(), V.mid()
    dM, dV = M - cm, V - cv
    fname = BOX_NAIVE[order]
    naive = dict(zip(ball_kernels.NAMES[fname], getattr(ball_kernels, fname)(M, V, alpha, lam)))
    centre = at_point(cm, cv, alpha, lam, order)
    enc = {k: val for k, val in naive.items()}
    for o in range(order, -1, -1):
        for b in symbolic.BASE_FUNCTIONS:
            for i, j in symbolic.derivative_orders(o):
                n = symbolic.derivative_name(b, i, j)
                cf = centre[n] + enc[_raise(n, "m")] * dM + enc[_raise(n, "v")] * dV
                if n in naive:
                    both = cf.intersection(naive[n]) if cf.overlaps(naive[n]) else cf
                    cf = both
                enc[n] = cf
    return {n: enc[n] for n in names_up_to(order)}
