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

from flint import arb, ctx

from selu_theory import ball, base_enclosures, box_memo, moment_map, partials
from selu_theory.jets import Jet, JetOps
from selu_theory.kernel_loader import load_kernels

N = 4  # the base variables (mu, omega, nu, tau); a box with extra variables has more


@functools.cache
def pairs(n: int) -> tuple:
    """The Hessian's upper triangle for n variables, column by column: (i, j), i <= j,
    at index j (j + 1) / 2 + i, so an index does not depend on n (``hidx``)."""
    return tuple((i, j) for j in range(n) for i in range(j + 1))


PAIRS = pairs(N)
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
    """val, grad (n balls, n = len(grad)) and the Hessian's upper triangle (``pairs(n)``)."""

    __slots__ = ("val", "grad", "hess")

    def __init__(self, val, grad, hess):
        self.val, self.grad, self.hess = val, grad, hess

    @staticmethod
    def variable(value: arb, index: int, n: int = N) -> "Jet2":
        return Jet2(value, tuple(arb(1) if i == index else arb(0) for i in range(n)), (arb(0),) * len(pairs(n)))

    @staticmethod
    def constant(value: arb, n: int = N) -> "Jet2":
        return Jet2(value, (arb(0),) * n, (arb(0),) * len(pairs(n)))

    def _lift(self, other):
        if isinstance(other, Jet2):
            return other
        return Jet2.constant(other if isinstance(other, arb) else ball.exact(other), len(self.grad))

    def __add__(self, other):
        o = self._lift(other)
        return Jet2(self.val + o.val, tuple(a + b for a, b in zip(self.grad, o.grad)),
                    tuple(a + b for a, b in zip(self.hess, o.hess)))

    __radd__ = __add__

    def __neg__(self):
        return Jet2(-self.val, tuple(-a for a in self.grad), tuple(-a for a in self.hess))

    def __pos__(self):
        return self

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def scale(self, c: arb) -> "Jet2":
        return Jet2(self.val * c, tuple(a * c for a in self.grad), tuple(a * c for a in self.hess))

    def __mul__(self, other):
        if not isinstance(other, Jet2):
            return self.scale(other if isinstance(other, arb) else ball.exact(other))
        a, b = self, other
        return Jet2(a.val * b.val,
                    tuple(x * b.val + a.val * y for x, y in zip(a.grad, b.grad)),
                    tuple(h * b.val + a.val * k + a.grad[i] * b.grad[j] + a.grad[j] * b.grad[i]
                          for (i, j), h, k in zip(pairs(len(a.grad)), a.hess, b.hess)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        b = self._lift(other)
        a = self
        inv = 1 / b.val
        q = a.val * inv
        qg = tuple((x - q * y) * inv for x, y in zip(a.grad, b.grad))
        # a = q b, so a'' = q'' b + q' b' + b' q' + q b''
        qh = tuple((h - q * k - b.grad[i] * qg[j] - b.grad[j] * qg[i]) * inv
                   for (i, j), h, k in zip(pairs(len(a.grad)), a.hess, b.hess))
        return Jet2(q, qg, qh)

    def __rtruediv__(self, other):
        return self._lift(other) / self


def _unary(u: Jet2, f0, f1, f2) -> Jet2:
    """phi(u) from phi, phi', phi'' at u.val."""
    return Jet2(f0, tuple(f1 * a for a in u.grad),
                tuple(f1 * h + f2 * u.grad[i] * u.grad[j] for (i, j), h in zip(pairs(len(u.grad)), u.hess)))


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


def _base_jets2(family, m: Jet2, v: Jet2, pars, order: int, activation) -> dict:
    """Second-order jets of the family's base partials of order <= ``order`` over the box."""
    enc = box_partials(family, m.val, v.val, pars, order + 2, activation=activation)
    up = partials.raise_order
    out = {}
    for n in partials.names_up_to(partials.bases(family, activation), order):
        fm, fv = enc[up(n, "m")], enc[up(n, "v")]
        fmm, fmv, fvv = enc[up(up(n, "m"), "m")], enc[up(up(n, "m"), "v")], enc[up(up(n, "v"), "v")]
        grad = tuple(fm * a + fv * b for a, b in zip(m.grad, v.grad))
        hess = tuple(fmm * m.grad[i] * m.grad[j] + fmv * (m.grad[i] * v.grad[j] + v.grad[i] * m.grad[j])
                     + fvv * v.grad[i] * v.grad[j] + fm * hm + fv * hv
                     for (i, j), hm, hv in zip(pairs(len(m.grad)), m.hess, v.hess))
        out[n] = Jet2(enc[n], grad, hess)
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


def box_jet2(ev, bx) -> Jet2:
    """Enclosures of the value, gradient and Hessian of ``ev``'s expression over the box
    ((lo, hi),) * n, one side per variable of ``ev.variables`` (``ev``: an
    ``evaluate.Evaluator``; variables beyond the base four enter the expression only)."""
    activation = ev.params.activation
    n = len(bx)
    with ball.precision(ev.bits):
        pars = _param_balls(ev)
        xs = [Jet2.variable(ball.interval(lo, hi), i, n) for i, (lo, hi) in enumerate(bx)]
        m, v = xs[0] * xs[1], xs[2] * xs[3]
        base = {f: _base_jets2(f, m, v, pars, o, activation) for f, o in ev.needs.items()}
        env = moment_map.quantities(*xs[:N], base, Jet2Ops(n), ev.expr.names, activation=activation)
        env.update(_extra(ev, xs))
        env.update(_constants(ev, lambda b: Jet2.constant(b, n)))
        return ev.expr.evaluate(env, Jet2Ops(n))


def _extra(ev, xs) -> dict:
    """The extra variables' jets by name (a box of exactly ``ev``'s variables)."""
    if len(xs) != len(ev.variables):
        raise ValueError(f"a box of {len(xs)} sides for the variables {', '.join(ev.variables)}")
    return dict(zip(ev.variables[N:], xs[N:]))


def point_jet(ev, pt) -> Jet:
    """Value and gradient of ``ev``'s expression at an exact point (floats or Fractions)."""
    activation = ev.params.activation
    with ball.precision(ev.bits):
        pars = _param_balls(ev)
        n = len(pt)
        ops = JetOps(n)
        xs = [Jet.variable(ball.exact(x), i, n) for i, x in enumerate(pt)]
        m, v = xs[0] * xs[1], xs[2] * xs[3]
        base = {}
        for f, o in ev.needs.items():
            enc = base_enclosures.at_point(f, m.val, v.val, pars, o + 1, activation=activation)
            base[f] = {n: Jet(enc[n], tuple(enc[partials.raise_order(n, "m")] * a +
                                            enc[partials.raise_order(n, "v")] * b
                                            for a, b in zip(m.grad, v.grad)))
                       for n in partials.names_up_to(partials.bases(f, activation), o)}
        env = moment_map.quantities(*xs[:N], base, ops, ev.expr.names, activation=activation)
        env.update(_extra(ev, xs))
        env.update(_constants(ev, lambda b: Jet.constant(b, n)))
        return ev.expr.evaluate(env, ops)


class BoxForms:
    """A box's second-order evaluation: enclosures over the box of the value, gradient
    and Hessian; the midpoint c (floats, exact) with f(c) and grad f(c).  The value and
    gradient enclosures are the jets' intersected with their centred forms
        grad f(X) in grad f(c) + H(X) (X - c),   f(X) in f(c) + grad f(X) . (X - c),
    which beat the naive enclosures of the next order once the box is small."""

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


def second_order(ev, bx) -> BoxForms:
    """``BoxForms`` of ``ev``'s expression over the box ((lo, hi),) * n."""
    j2 = box_jet2(ev, bx)
    mid = tuple(lo + (hi - lo) / 2 for lo, hi in bx)
    at = point_jet(ev, mid)
    with ball.precision(ev.bits):
        dev = [ball.interval(lo, hi) - ball.exact(c) for (lo, hi), c in zip(bx, mid)]
        grad = []
        for i in range(len(bx)):
            g = at.grad[i]
            for j in range(len(bx)):
                if not dev[j].is_zero():
                    g = g + j2.hess[hidx(i, j)] * dev[j]
            grad.append(_meet(j2.grad[i], g))
        val = at.val
        for g, d in zip(grad, dev):
            if not d.is_zero():
                val = val + g * d
        val = _meet(j2.val, val)
    return BoxForms(val, tuple(grad), j2.hess, mid, at.val, at.grad)
