"""Second-order jets over Arb balls: value, gradient and Hessian enclosures over a box,
and first-order jets at a point -- the ingredients of the Taylor form

    f(x) = f(c) + g(c).(x - c) + 1/2 (x - c)^T H(xi) (x - c),   xi in the box,

whose overestimate shrinks like the square of the box (the mean-value form's like the
box itself, times the gradient's overestimate).  The engine and the checker each turn
these enclosures into a bound with their own code.

Base functions of (m, v) = (mu*omega, nu*tau) enter through their partials of order
up to k+2 over the box (centred forms down from the generated naive kernels, as in
``base_enclosures.over_box``); where k+2 = 4 the order-4 partials come from the order-4
kernels on pieces of V: naive, or (a family with order-5 kernels) the centred form
from order 5 on each piece (``_centred4``).
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

from flint import arb, ctx

from selu_theory import ball, base_enclosures, box_memo, moment_map, partials
from selu_theory.jets import Jet, JetOps, is_constant, zeros
from selu_theory.kernel_loader import load_kernels

N = 4  # the base variables (mu, omega, nu, tau); a box with extra variables has more


@functools.cache
def pairs(n: int) -> tuple:
    """The Hessian's upper triangle for n variables, column by column: (i, j), i <= j,
    at index j (j + 1) / 2 + i, so an index does not depend on n (``hidx``)."""
    return tuple((i, j) for j in range(n) for i in range(j + 1))


PAIRS = pairs(N)
ZERO = arb(0)
# The naive order-4 kernels overestimate by ~50-1300 times the width of V (the xi
# family's worst: their terms cancel), and that overestimate is the Hessian's, so V is
# cut in pieces of width <= PIECE_WIDTH[order] (at most MAX_PIECES), by the order of
# the partials wanted.  Measured for max dS/dmu and min dS/dnu over Omega to 1e-10:
# 4 fixed pieces 1138 boxes, 8: 938, 16: 810 (CPU about equal); width <= 1/128: 888
# in less time (small boxes take one piece; interior pieces are cached, below: 1150
# boxes for max dS/dmu and min dS/dtau in 8.5 s CPU against 1100 in 14 s uncached;
# pieces of 1/256 (<= 32) give 970 boxes in 10 s).  Order 3 (the Hessian of a first
# derivative, S): thm1-contraction 179 -> 79 boxes, lemma42 2739 -> 2351; there the
# width is relative to |V| (Lemma 44's v runs to 20, Lemma 42's from 0.04): width
# <= |V|/128 gave Lemmas 42 and 44 3597 boxes in 16.7 s CPU against 3447 in 20.7 s
# (<= 1/128) and 4641 in 16.0 s (one piece).
PIECE_WIDTH = {3: 1 / 128, 4: 1 / 128}
RELATIVE_PIECES = {3}
MAX_PIECES = 16


def pieces(order: int, V: arb) -> int:
    """How many pieces of V the naive order-4 kernels are evaluated on."""
    h = PIECE_WIDTH.get(order)
    if h is None or not V.is_finite():
        return 1
    if order in RELATIVE_PIECES:
        h *= abs(float(V.mid()))
        if not h > 0:
            return 1
    return max(1, min(MAX_PIECES, math.ceil(float(2 * V.rad()) / h)))


def hidx(i: int, j: int) -> int:
    i, j = (i, j) if i <= j else (j, i)
    return j * (j + 1) // 2 + i


class Jet2:
    """val, grad (n balls, n = len(grad)) and the Hessian's upper triangle (``pairs(n)``).

    A constant (``constant``: its derivatives the shared exact zeros) enters products,
    quotients and sums as a number: the entries are the same balls as the general rules
    give when its value is finite (x * c + a * 0 = x * c exactly), at a fraction of the
    operations -- on a box with point sides, omega and tau themselves are constants."""

    __slots__ = ("val", "grad", "hess")

    def __init__(self, val, grad, hess):
        self.val, self.grad, self.hess = val, grad, hess

    @staticmethod
    def variable(value: arb, index: int, n: int = N) -> "Jet2":
        return Jet2(value, tuple(arb(1) if i == index else arb(0) for i in range(n)), (arb(0),) * len(pairs(n)))

    @staticmethod
    def constant(value: arb, n: int = N) -> "Jet2":
        return Jet2(value, zeros(n), zeros(len(pairs(n))))

    def _lift(self, other):
        if isinstance(other, Jet2):
            return other
        return Jet2.constant(other if isinstance(other, arb) else ball.exact(other), len(self.grad))

    def __add__(self, other):
        o = self._lift(other)
        if is_constant(o):
            return Jet2(self.val + o.val, self.grad, self.hess) if not is_constant(self) else \
                Jet2.constant(self.val + o.val, len(self.grad))
        if is_constant(self):
            return Jet2(self.val + o.val, o.grad, o.hess)
        return Jet2(self.val + o.val, tuple([a + b for a, b in zip(self.grad, o.grad)]),
                    tuple([a + b for a, b in zip(self.hess, o.hess)]))

    __radd__ = __add__

    def __neg__(self):
        if is_constant(self):
            return Jet2.constant(-self.val, len(self.grad))
        return Jet2(-self.val, tuple([-a for a in self.grad]), tuple([-a for a in self.hess]))

    def __pos__(self):
        return self

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def scale(self, c: arb) -> "Jet2":
        if is_constant(self):
            return Jet2.constant(self.val * c, len(self.grad))
        return Jet2(self.val * c, tuple([a * c for a in self.grad]), tuple([a * c for a in self.hess]))

    def __mul__(self, other):
        if not isinstance(other, Jet2):
            return self.scale(other if isinstance(other, arb) else ball.exact(other))
        a, b = self, other
        if is_constant(b) and b.val.is_finite():
            return a.scale(b.val)
        if is_constant(a) and a.val.is_finite():
            return Jet2(a.val * b.val, tuple([a.val * y for y in b.grad]), tuple([a.val * k for k in b.hess]))
        av, bv, ag, bg = a.val, b.val, a.grad, b.grad
        return Jet2(av * bv,
                    tuple([x * bv + av * y for x, y in zip(ag, bg)]),
                    tuple([h * bv + av * k + ag[i] * bg[j] + ag[j] * bg[i]
                           for (i, j), h, k in zip(pairs(len(ag)), a.hess, b.hess)]))

    __rmul__ = __mul__

    def __truediv__(self, other):
        b = self._lift(other)
        a = self
        inv = 1 / b.val
        q = a.val * inv
        if is_constant(b) and q.is_finite():
            return Jet2(q, tuple([x * inv for x in a.grad]), tuple([h * inv for h in a.hess])) \
                if not is_constant(a) else Jet2.constant(q, len(a.grad))
        qg = tuple([(x - q * y) * inv for x, y in zip(a.grad, b.grad)])
        # a = q b, so a'' = q'' b + q' b' + b' q' + q b''
        qh = tuple([(h - q * k - b.grad[i] * qg[j] - b.grad[j] * qg[i]) * inv
                    for (i, j), h, k in zip(pairs(len(a.grad)), a.hess, b.hess)])
        return Jet2(q, qg, qh)

    def __rtruediv__(self, other):
        return self._lift(other) / self


def _unary(u: Jet2, f0, f1, f2) -> Jet2:
    """phi(u) from phi, phi', phi'' at u.val."""
    if is_constant(u):
        return Jet2.constant(f0, len(u.grad))
    g = u.grad
    return Jet2(f0, tuple([f1 * a for a in g]),
                tuple([f1 * h + f2 * g[i] * g[j] for (i, j), h in zip(pairs(len(g)), u.hess)]))


class Jet2Ops:
    """``ops`` for ``Expr.evaluate`` and the moment map on second-order jets of n variables."""

    def __init__(self, n: int = N):
        self.n = n

    def const(self, q):
        return Jet2.constant(ball.exact(q), self.n)

    @staticmethod
    def sqr(x: Jet2) -> Jet2:
        return _unary(x, ball.sqr(x.val), 2 * x.val, arb(2))

    def ipow(self, x: Jet2, n: int) -> Jet2:
        if n < 0:
            return self.const(1) / self.ipow(x, -n)
        if n == 0:
            return self.const(1)
        if n == 1:
            return x
        return _unary(x, ball.ipow(x.val, n), n * ball.ipow(x.val, n - 1), n * (n - 1) * ball.ipow(x.val, n - 2))

    @staticmethod
    def _sqrt(x: Jet2, r: arb) -> Jet2:
        d1 = 1 / (2 * r)
        return _unary(x, r, d1, -d1 / (2 * x.val))

    @classmethod
    def sqrt(cls, x: Jet2) -> Jet2:
        return cls._sqrt(x, ball.sqrt(x.val))

    @classmethod
    def sqrt_nonneg(cls, x: Jet2) -> Jet2:
        return cls._sqrt(x, ball.sqrt_nonneg(x.val))

    @staticmethod
    def exp(x: Jet2) -> Jet2:
        e = ball.exp(x.val)
        return _unary(x, e, e, e)


# --------------------------------------------------------------------------- base functions

def available(needs: dict, activation: str) -> bool:
    """Box enclosures of every needed family's partials to order k+2 exist: order <= 2
    from the centred forms over the order-3 kernels, 3 over the order-4 kernels, 4 from
    the order-4 kernels themselves (centred forms over order 5 where it exists)."""
    names = load_kernels(activation, "ball_kernels").NAMES
    return all(o + 2 <= 2 or f"{f}_order4" in names for f, o in needs.items())


# Interior pieces of V lie on a dyadic grid (a piece's width a power of two, its ends
# multiples of it), so boxes that share M = mu*omega -- the halves of a box split in nu
# or tau, a box and its faces in nu or tau -- share them: each is evaluated once per
# process (a pure function of its inputs: the trees do not depend on the cache).
_PIECE_CACHE = {}
PIECE_CACHE_SIZE = 20000


def _key(x: arb) -> tuple:
    return x.mid().man_exp() + x.rad().man_exp()


def _grid_pieces(V: arb, pieces: int):
    """Balls covering V: its two end pieces, cut at grid points, and the whole grid
    cells between them (a flag says which are grid cells, hence cacheable)."""
    lo, hi = float(V.lower().mid()), float(V.upper().mid())
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [(V, False)]
    h = 2.0 ** math.ceil(math.log2((hi - lo) / pieces))
    a, b = math.ceil(lo / h), math.floor(hi / h)
    if b - a < 1:
        return [(V, False)]
    out = [(V.lower().union(arb(a * h)), False)]
    out += [(arb(k * h).union(arb((k + 1) * h)), True) for k in range(a, b)]
    out.append((arb(b * h).union(V.upper()), False))
    return out


# The order-4 partials over a piece P of V, where the family has order-5 kernels: the
# centred form  f4(c) + f5(M x P) . ((M, P) - c)  about c = (mid M, mid P), the naive
# order-5 enclosure's overestimate multiplied by the piece's half-width.  Measured on
# 96 leaf boxes of Lemmas 10-11, against the range sampled on a 5x5 grid, pieces of
# 1/128: median overestimate 2 (mu) and 5-27 (xi) times, against 12-29 and 37-377 for
# the naive order-4 kernels (worst 4 and 87 against 131 and 1160); the naive order-4
# enclosure was never the tighter one there (0 of 15,270 partials), but it is on wide
# pieces (191 of 240 partials on 24 pieces, M half-widths 0.005-1, V widths 0.01-0.5): it is
# evaluated, and met with the centred form, only where that is not finite or the
# piece's half-widths add up to more than NAIVE_TOO (no change of boxes and no
# measurable CPU on Lemmas 10-11 and 42; met on every piece: 10% more CPU, no change).
CENTRED = True
NAIVE_TOO = 1 / 128


@functools.cache  # keyed by the module itself: a user's kernels may be loaded again
def _centred4(module, family, centred):
    """(group, names, f(M, P, *pars)) for the order-4 partials over M x P from the ball
    kernels ``module``: the centred form from the order-5 kernels ("order4c"), or the
    naive order-4 kernels ("order4": no order 5, or ``centred`` off); where the centred
    form is not finite, or the piece is wide, met with the naive enclosure."""
    names4, f4 = module.NAMES[f"{family}_order4"], getattr(module, f"{family}_order4")
    g5 = f"{family}_order5"
    if not centred or g5 not in module.NAMES:
        return "order4", names4, f4
    names5, f5 = module.NAMES[g5], getattr(module, g5)
    im = [names5.index(partials.raise_order(n, "m")) for n in names4]
    iv = [names5.index(partials.raise_order(n, "v")) for n in names4]

    def f(M, P, *pars):
        cm, cp = M.mid(), P.mid()
        dM, dP = M - cm, P - cp
        at, up = f4(cm, cp, *pars), f5(M, P, *pars)
        out = [a + up[i] * dM + up[j] * dP for a, i, j in zip(at, im, iv)]
        if not all(x.is_finite() for x in out) or dM.rad() + dP.rad() > NAIVE_TOO:
            out = [_meet(x, y) for x, y in zip(out, f4(M, P, *pars))]
        return out
    return "order4c", names4, f


def _naive(family, M, V, pars, group, pieces, activation):
    if group == "order4":
        group, names, f = _centred4(load_kernels(activation, "ball_kernels"), family, CENTRED)
    else:
        module = load_kernels(activation, "ball_kernels")
        names, f = module.NAMES[f"{family}_{group}"], getattr(module, f"{family}_{group}")
    fname = f"{family}_{group}"
    if pieces == 1 or V.is_exact():
        return dict(zip(names, f(M, V, *pars)))
    vals, base = None, None
    for piece, cached in _grid_pieces(V, pieces):
        if cached:
            if base is None:
                base = (activation, fname, ctx.prec, _key(M)) + tuple(_key(p) for p in pars)
            k = base + _key(piece)
            got = _PIECE_CACHE.get(k)
            if got is None:
                if len(_PIECE_CACHE) >= PIECE_CACHE_SIZE:
                    _PIECE_CACHE.clear()
                got = _PIECE_CACHE[k] = f(M, piece, *pars)
        else:
            got = f(M, piece, *pars)
        vals = got if vals is None else [x.union(y) for x, y in zip(vals, got)]
    return dict(zip(names, vals))


@box_memo.memoized  # shared by the expressions replayed on one box (box_memo)
def box_partials(family: str, M: arb, V: arb, pars, order: int, *, activation: str) -> dict:
    """Enclosures over M x V of the family's partials of order <= ``order`` (<= 4).

    Order <= 2: ``base_enclosures.over_box``.  Orders 3 and 4: the order-4 partials on
    V in ``pieces`` (naive, or centred forms from order 5: ``_centred4``), and centred
    forms about the box's midpoint below them."""
    # the naive enclosures of orders <= 2 bound the centred forms on wide boxes
    low = _naive(family, M, V, pars, "order0_2", 1, activation)
    if order <= 2:
        enc = base_enclosures.over_box(family, M, V, pars, order, activation=activation)
        return {n: _meet(x, low[n]) if n in low else x for n, x in enc.items()}
    enc = _naive(family, M, V, pars, "order4", pieces(order, V), activation)
    cm, cv = M.mid(), V.mid()
    centre = base_enclosures.at_point(family, cm, cv, pars, 3, activation=activation)
    dM, dV = M - cm, V - cv
    up = partials.raise_order
    for o in (3, 2, 1, 0):
        for b in partials.bases(family, activation):
            for i, j in partials.orders(o):
                n = partials.name(b, i, j)
                cf = centre[n] + enc[up(n, "m")] * dM + enc[up(n, "v")] * dV
                enc[n] = _meet(cf, low[n]) if n in low else cf
    return enc


def _chain_program(m: Jet2, v: Jet2):
    """Which terms of the chain rule through (m, v) are not exact zeros, per gradient
    and Hessian entry: d m / d x_i = 0 for the v-side variables and d v / d x_i = 0 for
    the m-side ones, so most of the general rule's products are zeros.  A gradient
    entry: (m_i, v_i), None for a zero; a Hessian entry (i, j): (m_i m_j or None, the
    non-zero cross products m_i v_j, v_i m_j, v_i v_j or None, m_ij or None, v_ij or
    None)."""
    grad = _grad_program(m, v)
    mg, vg = [a for a, _ in grad], [b for _, b in grad]
    hess = []
    for (i, j), hm, hv in zip(pairs(len(mg)), m.hess, v.hess):
        mm = (mg[i], mg[j]) if mg[i] is not None and mg[j] is not None else None
        cross = tuple((a, b) for a, b in ((mg[i], vg[j]), (vg[i], mg[j])) if a is not None and b is not None)
        vv = (vg[i], vg[j]) if vg[i] is not None and vg[j] is not None else None
        hess.append((mm, cross, vv, _nonzero(hm), _nonzero(hv)))
    return grad, tuple(hess)


def _nonzero(x: arb):
    return None if x.is_zero() else x


def _grad_program(m, v) -> tuple:
    """The gradient part of ``_chain_program`` (first- or second-order jets of m, v)."""
    return tuple((_nonzero(a), _nonzero(b)) for a, b in zip(m.grad, v.grad))


def _chain_grad(fm: arb, fv: arb, m, v, gprog) -> tuple:
    """f_m grad m + f_v grad v, its exact-zero products left out (``_chain_program``;
    the general rule if a partial is not finite)."""
    if not (fm.is_finite() and fv.is_finite()):
        return tuple(fm * a + fv * b for a, b in zip(m.grad, v.grad))
    grad = []
    for a, b in gprog:
        if a is None:
            grad.append(ZERO if b is None else fv * b)
        else:
            grad.append(fm * a if b is None else fm * a + fv * b)
    return tuple(grad)


def _base_jets2(family, m: Jet2, v: Jet2, pars, order: int, activation) -> dict:
    """Second-order jets of the family's base partials of order <= ``order`` over the box:
    the chain rule through m = mu*omega, v = nu*tau,
        grad f = f_m grad m + f_v grad v,
        H f = f_mm m_i m_j + f_mv (m_i v_j + v_i m_j) + f_vv v_i v_j + f_m m_ij + f_v v_ij,
    with its exact-zero terms left out (``_chain_program``): the sum of the others, in the
    same order, is the same ball when the partials are finite."""
    enc = box_partials(family, m.val, v.val, pars, order + 2, activation=activation)
    up = partials.raise_order
    gprog, hprog = _chain_program(m, v)
    out = {}
    for n in partials.names_up_to(partials.bases(family, activation), order):
        nm, nv = up(n, "m"), up(n, "v")
        fm, fv = enc[nm], enc[nv]
        fmm, fmv, fvv = enc[up(nm, "m")], enc[up(nm, "v")], enc[up(nv, "v")]
        grad = _chain_grad(fm, fv, m, v, gprog)
        if not all(x.is_finite() for x in (fm, fv, fmm, fmv, fvv)):  # the general rule, NaN and all
            hess = tuple(fmm * m.grad[i] * m.grad[j] + fmv * (m.grad[i] * v.grad[j] + v.grad[i] * m.grad[j])
                         + fvv * v.grad[i] * v.grad[j] + fm * hm + fv * hv
                         for (i, j), hm, hv in zip(pairs(len(m.grad)), m.hess, v.hess))
            out[n] = Jet2(enc[n], grad, hess)
            continue
        hess = []
        for mm, cross, vv, hm, hv in hprog:
            terms = []
            if mm is not None:
                terms.append(fmm * mm[0] * mm[1])
            if cross:
                c = cross[0][0] * cross[0][1]
                if len(cross) == 2:
                    c = c + cross[1][0] * cross[1][1]
                terms.append(fmv * c)
            if vv is not None:
                terms.append(fvv * vv[0] * vv[1])
            if hm is not None:
                terms.append(fm * hm)
            if hv is not None:
                terms.append(fv * hv)
            h = terms[0] if terms else ZERO
            for t in terms[1:]:
                h = h + t
            hess.append(h)
        out[n] = Jet2(enc[n], grad, tuple(hess))
    return out


_PARAM_BALLS = {}


def _param_balls(ev) -> tuple:
    """The parameters as balls, made once per parameters, bits and working precision
    (a named constant's digits cost more than the rest of a small box's arithmetic)."""
    key = (ev.params, ev.bits, ctx.prec)
    if key not in _PARAM_BALLS:
        _PARAM_BALLS[key] = ev.params.balls(ev.bits + 20)
    return _PARAM_BALLS[key]


def _constants(ev, wrap) -> dict:
    env = {n: wrap(b) for n, b in zip(ev.params.names, _param_balls(ev))}
    env["pi"] = wrap(arb.pi())
    return env


def moving(bx, domain=None) -> tuple:
    """The indices of the box's sides the jets must differentiate in: the sides of
    positive width and, given the ``domain`` (anything with ``clamp``: the nearest point
    of the exact domain), every point side the mean-value forms' corner is clamped off
    -- a float side just outside a non-dyadic domain end (mu = float(-0.1) < -1/10):
    the form from that corner needs f's partial there, not 0."""
    free = {i for i, (lo, hi) in enumerate(bx) if lo != hi}
    if domain is not None:
        corner = domain.clamp(tuple(lo for lo, _ in bx))
        free |= {i for i, (lo, hi) in enumerate(bx) if lo == hi and Fraction(lo) != corner[i]}
    return tuple(sorted(free))


def _slots(n: int, free) -> dict:
    """{variable index: its place in a jet over the variables ``free`` (default all)}."""
    return {i: k for k, i in enumerate(range(n) if free is None else free)}


def box_jet2(ev, bx, free=None) -> Jet2:
    """Enclosures of the value, gradient and Hessian of ``ev``'s expression over the box
    ((lo, hi),) * n, one side per variable of ``ev.variables`` (``ev``: an
    ``evaluate.Evaluator``; variables beyond the base four enter the expression only).

    ``free``: the variables the jet differentiates in (default all; the gradient and
    Hessian are over these, in this order); every other side must be a point, which
    enters as a constant.  Each entry of the jet over ``free`` is computed by the very
    operations that compute it in the full jet (the jets' rules are entry by entry), so
    it is the same ball, at a fraction of the cost when few sides move: a point side
    multiplies a zero deviation in every form built on the box."""
    activation = ev.params.activation
    n = len(bx)
    slot = _slots(n, free)
    k = len(slot)
    with ball.precision(ev.bits):
        pars = _param_balls(ev)
        xs = [_variable(Jet2, lo, hi, slot.get(i), k) for i, (lo, hi) in enumerate(bx)]
        m, v = xs[0] * xs[1], xs[2] * xs[3]
        base = {f: _base_jets2(f, m, v, pars, o, activation) for f, o in ev.needs.items()}
        env = moment_map.quantities(*xs[:N], base, Jet2Ops(k), ev.expr.names, activation=activation)
        env.update(_extra(ev, xs))
        env.update(_constants(ev, lambda b: Jet2.constant(b, k)))
        return ev.expr.evaluate(env, Jet2Ops(k))


def _variable(kind, lo, hi, slot, k):
    """The jet of one side: a variable at place ``slot`` of ``k``, or (``slot`` None) a
    constant, which only a point side may be."""
    x = ball.interval(lo, hi)
    if slot is not None:
        return kind.variable(x, slot, k)
    if lo != hi:
        raise ValueError(f"a side [{lo}, {hi}] of positive width is not a variable of the jet")
    return kind.constant(x, k)


def _extra(ev, xs) -> dict:
    """The extra variables' jets by name (a box of exactly ``ev``'s variables)."""
    if len(xs) != len(ev.variables):
        raise ValueError(f"a box of {len(xs)} sides for the variables {', '.join(ev.variables)}")
    return dict(zip(ev.variables[N:], xs[N:]))


def point_jet(ev, pt, free=None) -> Jet:
    """Value and gradient of ``ev``'s expression at an exact point (floats or Fractions);
    the gradient over the variables ``free`` (default all), the others constants."""
    activation = ev.params.activation
    with ball.precision(ev.bits):
        pars = _param_balls(ev)
        slot = _slots(len(pt), free)
        k = len(slot)
        ops = JetOps(k)
        xs = [Jet.variable(ball.exact(x), slot[i], k) if i in slot else Jet.constant(ball.exact(x), k)
              for i, x in enumerate(pt)]
        m, v = xs[0] * xs[1], xs[2] * xs[3]
        base = {}
        gprog = _grad_program(m, v)
        for f, o in ev.needs.items():
            enc = base_enclosures.at_point(f, m.val, v.val, pars, o + 1, activation=activation)
            base[f] = {n: Jet(enc[n], _chain_grad(enc[partials.raise_order(n, "m")],
                                                  enc[partials.raise_order(n, "v")], m, v, gprog))
                       for n in partials.names_up_to(partials.bases(f, activation), o)}
        env = moment_map.quantities(*xs[:N], base, ops, ev.expr.names, activation=activation)
        env.update(_extra(ev, xs))
        env.update(_constants(ev, lambda b: Jet.constant(b, k)))
        return ev.expr.evaluate(env, ops)


class BoxForms:
    """A box's second-order evaluation: enclosures over the box of the value, gradient
    and Hessian; the midpoint c (floats, exact) with f(c) and grad f(c).  The value and
    gradient enclosures are the jets' intersected with their centred forms
        grad f(X) in grad f(c) + H(X) (X - c),   f(X) in f(c) + grad f(X) . (X - c),
    which beat the naive enclosures of the next order once the box is small.

    The derivatives are those of f restricted to the box: along a side of zero width
    (a point: omega = tau = 1 on an (m, v) rectangle, a face) the box does not move, so
    its gradient and Hessian entries are exact zeros (``second_order``) -- they are
    multiplied by a zero deviation in every form, and a consumer reads a side's partial
    only where the side has positive width or its mean-value corner lies off the side
    (then ``moving`` with the domain includes the side)."""

    __slots__ = ("val", "grad", "hess", "mid", "f_mid", "g_mid")

    def __init__(self, val, grad, hess, mid, f_mid, g_mid):
        self.val, self.grad, self.hess = val, grad, hess
        self.mid, self.f_mid, self.g_mid = mid, f_mid, g_mid

    def __neg__(self):
        return BoxForms(-self.val, tuple(-g for g in self.grad), tuple(-h for h in self.hess),
                        self.mid, -self.f_mid, tuple(-g for g in self.g_mid))


def _meet(a: arb, b: arb) -> arb:
    """Both enclose the same set, so their intersection does (a finite one alone if the
    other is not finite)."""
    if not a.is_finite():
        return b
    return a.intersection(b) if (b.is_finite() and a.overlaps(b)) else a


def _spread(xs, free, n: int) -> tuple:
    """A gradient over the variables ``free`` as one over all n (zeros elsewhere)."""
    out = [ZERO] * n
    for i, x in zip(free, xs):
        out[i] = x
    return tuple(out)


def _spread_hess(hs, free, n: int) -> tuple:
    """A Hessian's upper triangle over the variables ``free`` as one over all n."""
    out = [ZERO] * len(pairs(n))
    for (a, b), h in zip(pairs(len(free)), hs):
        out[hidx(free[a], free[b])] = h
    return tuple(out)


# Jets over the moving sides only: measured on the replay of the 17 certificates, 40% of
# the second-order evaluations are on boxes with a point side (an (m, v) rectangle at
# omega = tau = 1, faces), where the full jets computed 7 of 10 Hessian entries for
# nothing.  The entries kept are the same balls (``box_jet2``).
def second_order(ev, bx, free=None, domain=None) -> BoxForms:
    """``BoxForms`` of ``ev``'s expression over the box ((lo, hi),) * n: jets over the
    variables ``free`` (default: ``moving(bx, domain)``), zeros for the others (see
    ``BoxForms``).  ``free`` = every variable gives the full jets, whose entries on the
    moving sides are the same balls.  A caller that clamps a mean-value form's corner
    to the exact domain passes the ``domain``."""
    n = len(bx)
    free = moving(bx, domain) if free is None else tuple(free)
    j2 = box_jet2(ev, bx, free)
    mid = tuple(lo + (hi - lo) / 2 for lo, hi in bx)
    at = point_jet(ev, mid, free)
    with ball.precision(ev.bits):
        dev = [ball.interval(*bx[i]) - ball.exact(mid[i]) for i in free]
        grad = []
        for a in range(len(free)):
            g = at.grad[a]
            for b in range(len(free)):
                if not dev[b].is_zero():
                    g = g + j2.hess[hidx(a, b)] * dev[b]
            grad.append(_meet(j2.grad[a], g))
        val = at.val
        for g, d in zip(grad, dev):
            if not d.is_zero():
                val = val + g * d
        val = _meet(j2.val, val)
    return BoxForms(val, _spread(grad, free, n), _spread_hess(j2.hess, free, n), mid, at.val,
                    _spread(at.grad, free, n))
