"""Enclosures of a family's base functions and their (m, v)-partials at points and
over boxes.

Over a box the generated kernels, evaluated naively, lose the correlation between their
exp/erfcx factors; so each derivative of order k is enclosed by the centred form
    f(X) in f(c) + f_m(X) (M - c_m) + f_v(X) (V - c_v),
with the order-(k+1) partials enclosed the same way, down from a naive enclosure of the
highest order, where the overestimate is multiplied by the box's half-width.
"""
from __future__ import annotations

from flint import arb

from selu_theory import box_memo, partials
from selu_theory.kernel_loader import load_kernels

# Every function takes the activation id as a required keyword: no default, so a caller
# evaluating another activation can never fall back to SELU's kernels by omission.  The
# parameters are passed as ``params``, a tuple of balls (or floats) in the activation's
# kernel-argument order (``Params.balls``), never by name.

POINT_GROUP = {0: "order0", 1: "order0_1", 2: "order0_2"}
BOX_NAIVE_GROUP = {0: "order0_1", 1: "order0_2", 2: "order3", 3: "order4"}
# Naive order-4 enclosures overestimate by ~10x their true range on the boxes the
# engine meets; evaluating them on V cut in pieces costs 4 kernel calls and saves ~3x boxes
# for the S-derivative claims (measured: 2271 -> 783 boxes for |dS/dtau| < 2.98610).
V_PIECES = {3: 4}


def names_up_to(family: str, order: int, *, activation: str):
    return partials.names_up_to(partials.bases(family, activation), order)


raise_order = partials.raise_order


def _kernel(kind, family, group, activation):
    module = load_kernels(activation, kind)
    fname = f"{family}_{group}"
    return module.NAMES[fname], getattr(module, fname)


@box_memo.memoized  # shared by the expressions replayed on one box (box_memo)
def at_point(family: str, m: arb, v: arb, params: tuple, order: int, *, activation: str) -> dict:
    if order == 3:  # no combined kernel: orders 0-2 and 3 separately
        out = at_point(family, m, v, params, 2, activation=activation)
        names, f = _kernel("ball_kernels", family, "order3", activation)
        out.update(zip(names, f(m, v, *params)))
        return out
    names, f = _kernel("ball_kernels", family, POINT_GROUP[order], activation)
    return dict(zip(names, f(m, v, *params)))


def floats(family: str, m, v, params: tuple, order: int, *, activation: str) -> dict:
    names, f = _kernel("float_kernels", family, POINT_GROUP[order], activation)
    return dict(zip(names, f(m, v, *params)))


@box_memo.memoized
def over_box(family: str, M: arb, V: arb, params: tuple, order: int, *, activation: str) -> dict:
    """Enclosures over the (m, v) box M x V of every partial of order <= ``order``."""
    cm, cv = M.mid(), V.mid()
    dM, dV = M - cm, V - cv
    names, f = _kernel("ball_kernels", family, BOX_NAIVE_GROUP[order], activation)
    k = V_PIECES.get(order, 1)
    if k == 1 or V.is_exact():
        naive = dict(zip(names, f(M, V, *params)))
    else:
        lo, hi = V.lower(), V.upper()
        cuts = [lo + (hi - lo) * i / k for i in range(k)] + [hi]
        vals = None
        for a, b in zip(cuts, cuts[1:]):
            piece = f(M, a.union(b), *params)
            vals = piece if vals is None else [x.union(y) for x, y in zip(vals, piece)]
        naive = dict(zip(names, vals))
    centre = at_point(family, cm, cv, params, order, activation=activation)
    enc = dict(naive)
    for o in range(order, -1, -1):
        for b in partials.bases(family, activation):
            for i, j in partials.orders(o):
                n = partials.name(b, i, j)
                cf = centre[n] + enc[raise_order(n, "m")] * dM + enc[raise_order(n, "v")] * dV
                if n in naive and cf.overlaps(naive[n]):
                    cf = cf.intersection(naive[n])
                enc[n] = cf
    return {n: enc[n] for n in names_up_to(family, order, activation=activation)}
