"""First-order jets over Arb balls: a value enclosure and a gradient enclosure.

Evaluating an expression on jets whose variables are the intervals of a box gives, by
the chain rule in interval arithmetic, an enclosure of the expression's range and of its
gradient over the whole box: the ingredients of the mean-value form and of the
monotonicity tests of the box engine.
"""
from __future__ import annotations

from fractions import Fraction

from flint import arb

from selu_theory import ball


class Jet:
    __slots__ = ("val", "grad")

    def __init__(self, val, grad):
        self.val = val
        self.grad = grad

    @staticmethod
    def variable(value: arb, index: int, n: int) -> "Jet":
        return Jet(value, tuple(arb(1) if i == index else arb(0) for i in range(n)))

    @staticmethod
    def constant(value: arb, n: int) -> "Jet":
        return Jet(value, (arb(0),) * n)

    def _lift(self, other):
        if isinstance(other, Jet):
            return other
        return Jet(ball.exact(other) if not isinstance(other, arb) else other, (arb(0),) * len(self.grad))

    def __add__(self, other):
        o = self._lift(other)
        return Jet(self.val + o.val, tuple(a + b for a, b in zip(self.grad, o.grad)))

    __radd__ = __add__

    def __sub__(self, other):
        o = self._lift(other)
        return Jet(self.val - o.val, tuple(a - b for a, b in zip(self.grad, o.grad)))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __neg__(self):
        return Jet(-self.val, tuple(-a for a in self.grad))

    def __pos__(self):
        return self

    def __mul__(self, other):
        if not isinstance(other, Jet):
            c = other if isinstance(other, arb) else ball.exact(other)
            return Jet(self.val * c, tuple(a * c for a in self.grad))
        return Jet(self.val * other.val,
                   tuple(a * other.val + self.val * b for a, b in zip(self.grad, other.grad)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._lift(other)
        inv = 1 / o.val
        q = self.val * inv
        return Jet(q, tuple((a - q * b) * inv for a, b in zip(self.grad, o.grad)))

    def __rtruediv__(self, other):
        return self._lift(other) / self


class JetOps:
    """``ops`` for ``Expr.evaluate`` and the moment map on jets."""

    def __init__(self, n: int):
        self.n = n

    def const(self, q: Fraction):
        return Jet.constant(ball.exact(q), self.n)

    @staticmethod
    def sqr(x: Jet) -> Jet:
        return Jet(ball.sqr(x.val), tuple(2 * x.val * a for a in x.grad))

    def ipow(self, x, n: int):
        if n < 0:
            return self.const(1) / self.ipow(x, -n)
        if n == 0:
            return self.const(1)
        val = ball.ipow(x.val, n)
        d = n * ball.ipow(x.val, n - 1)
        return Jet(val, tuple(d * a for a in x.grad))

    @staticmethod
    def sqrt(x: Jet) -> Jet:
        r = ball.sqrt(x.val)
        return Jet(r, tuple(a / (2 * r) for a in x.grad))

    @staticmethod
    def sqrt_nonneg(x: Jet) -> Jet:
        r = ball.sqrt_nonneg(x.val)
        return Jet(r, tuple(a / (2 * r) for a in x.grad))

    @staticmethod
    def exp(x: Jet) -> Jet:
        e = ball.exp(x.val)
        return Jet(e, tuple(e * a for a in x.grad))


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
