"""First-order jets over Arb balls: a value enclosure and a gradient enclosure.

Evaluating an expression on jets whose variables are the intervals of a box gives, by
the chain rule in interval arithmetic, an enclosure of the expression's range and of its
gradient over the whole box: the ingredients of the mean-value form and of the
monotonicity tests of the box engine.
"""
from __future__ import annotations

import functools
from fractions import Fraction

from flint import arb

from selu_theory import ball


@functools.cache
def zeros(n: int) -> tuple:
    """The one tuple of n exact zeros: a jet whose gradient is this object is a
    constant (``Jet.constant``, ``taylor.Jet2.constant``), which the operations of both
    kinds of jet treat as a number."""
    return (arb(0),) * n


def is_constant(x) -> bool:
    return x.grad is zeros(len(x.grad))


class Jet:
    """A value and a gradient.  A constant (``constant``: the shared exact zeros) enters
    sums and products as a number: the entries are the same balls as the general rules
    give when its value is finite (x * c + a * 0 = x * c exactly), in fewer operations."""

    __slots__ = ("val", "grad")

    def __init__(self, val, grad):
        self.val = val
        self.grad = grad

    @staticmethod
    def variable(value: arb, index: int, n: int) -> "Jet":
        return Jet(value, tuple(arb(1) if i == index else arb(0) for i in range(n)))

    @staticmethod
    def constant(value: arb, n: int) -> "Jet":
        return Jet(value, zeros(n))

    def _lift(self, other):
        if isinstance(other, Jet):
            return other
        return Jet.constant(ball.exact(other) if not isinstance(other, arb) else other, len(self.grad))

    def __add__(self, other):
        o = self._lift(other)
        if is_constant(o):
            return Jet(self.val + o.val, self.grad)
        if is_constant(self):
            return Jet(self.val + o.val, o.grad)
        return Jet(self.val + o.val, tuple([a + b for a, b in zip(self.grad, o.grad)]))

    __radd__ = __add__

    def __sub__(self, other):
        o = self._lift(other)
        if is_constant(o):
            return Jet(self.val - o.val, self.grad)
        return Jet(self.val - o.val, tuple([a - b for a, b in zip(self.grad, o.grad)]))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __neg__(self):
        if is_constant(self):
            return Jet.constant(-self.val, len(self.grad))
        return Jet(-self.val, tuple([-a for a in self.grad]))

    def __pos__(self):
        return self

    def __mul__(self, other):
        if not isinstance(other, Jet):
            c = other if isinstance(other, arb) else ball.exact(other)
            return Jet(self.val * c, self.grad if is_constant(self) else tuple([a * c for a in self.grad]))
        a, b = self, other
        if is_constant(b) and b.val.is_finite():
            return a * b.val
        if is_constant(a) and a.val.is_finite():
            return Jet(a.val * b.val, tuple([a.val * y for y in b.grad]))
        av, bv = a.val, b.val
        return Jet(av * bv, tuple([x * bv + av * y for x, y in zip(a.grad, b.grad)]))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._lift(other)
        inv = 1 / o.val
        q = self.val * inv
        if is_constant(o) and q.is_finite():
            return Jet(q, self.grad if is_constant(self) else tuple([a * inv for a in self.grad]))
        return Jet(q, tuple([(a - q * b) * inv for a, b in zip(self.grad, o.grad)]))

    def __rtruediv__(self, other):
        return self._lift(other) / self


def _unary(x: Jet, val, d) -> Jet:
    """phi(x) from phi and phi' at x.val (a constant stays one)."""
    if is_constant(x):
        return Jet.constant(val, len(x.grad))
    return Jet(val, tuple([d * a for a in x.grad]))


class JetOps:
    """``ops`` for ``Expr.evaluate`` and the moment map on jets."""

    def __init__(self, n: int):
        self.n = n

    def const(self, q: Fraction):
        return Jet.constant(ball.exact(q), self.n)

    @staticmethod
    def sqr(x: Jet) -> Jet:
        if is_constant(x):
            return Jet.constant(ball.sqr(x.val), len(x.grad))
        return Jet(ball.sqr(x.val), tuple([2 * x.val * a for a in x.grad]))

    def ipow(self, x, n: int):
        if n < 0:
            return self.const(1) / self.ipow(x, -n)
        if n == 0:
            return self.const(1)
        val = ball.ipow(x.val, n)
        if is_constant(x):
            return Jet.constant(val, len(x.grad))
        return _unary(x, val, n * ball.ipow(x.val, n - 1))

    @staticmethod
    def sqrt(x: Jet) -> Jet:
        r = ball.sqrt(x.val)
        if is_constant(x):
            return Jet.constant(r, len(x.grad))
        return Jet(r, tuple([a / (2 * r) for a in x.grad]))

    @staticmethod
    def sqrt_nonneg(x: Jet) -> Jet:
        r = ball.sqrt_nonneg(x.val)
        if is_constant(x):
            return Jet.constant(r, len(x.grad))
        return Jet(r, tuple([a / (2 * r) for a in x.grad]))

    @staticmethod
    def exp(x: Jet) -> Jet:
        e = ball.exp(x.val)
        return _unary(x, e, e)


class BallOps:
    """``ops`` for point evaluation in Arb balls."""

    @staticmethod
    def const(q):
        return ball.exact(q)

    sqr = staticmethod(ball.sqr)
    ipow = staticmethod(ball.ipow)
    sqrt = staticmethod(ball.sqrt)
    sqrt_nonneg = staticmethod(ball.sqrt_nonneg)
    exp = staticmethod(ball.exp)
