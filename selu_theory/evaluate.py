"""Evaluate an expression of the moment map at a point (Arb ball), over a box (jet:
value and gradient enclosures) or on float arrays (search only)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import arb

from selu_theory import ball, base_enclosures, moment_map
from selu_theory.expr import Expr
from selu_theory.jets import BallOps, Jet, JetOps
from selu_theory.params import Params

VARS = ("mu", "omega", "nu", "tau")


class FloatOps:
    const = staticmethod(float)

    @staticmethod
    def sqr(x):
        return x * x

    @staticmethod
    def ipow(x, n):
        return x ** n

    sqrt = staticmethod(np.sqrt)
    sqrt_nonneg = staticmethod(lambda x: np.sqrt(np.maximum(x, 0.0)))
    exp = staticmethod(np.exp)


def _base_jets(mu, omega, nu, tau, alpha, lam, order):
    """Jets of the base partials of order < ``order`` over the box of the variable jets."""
    m = mu * omega
    v = nu * tau
    enc = base_enclosures.over_box(m.val, v.val, alpha, lam, order)
    out = {}
    for n in base_enclosures.names_up_to(order - 1):
        fm, fv = enc[base_enclosures._raise(n, "m")], enc[base_enclosures._raise(n, "v")]
        out[n] = Jet(enc[n], tuple(fm * a + fv * b for a, b in zip(m.grad, v.grad)))
    return out


class Evaluator:
    """One expression, one (alpha, lambda), one Arb precision."""

    def __init__(self, expr: Expr, params: Params, bits: int = ball.DEFAULT_PREC):
        self.expr = expr
        self.params = params
        self.bits = bits
        self.jacobian = moment_map.needs_jacobian(expr.names)
        self.order = 1 if self.jacobian else 0
        self.alpha_f, self.lam_f = params.floats()
        self._balls = {}

    def _params(self):
        if self.bits not in self._balls:
            self._balls[self.bits] = self.params.balls(self.bits + 20)
        return self._balls[self.bits]

    def point(self, pt) -> arb:
        """Enclosure of the expression at an exact point (floats or Fractions)."""
        with ball.precision(self.bits):
            alpha, lam = self._params()
            xs = [ball.exact(x) for x in pt]
            base = base_enclosures.at_point(xs[0] * xs[1], xs[2] * xs[3], alpha, lam, self.order)
            env = moment_map.quantities(*xs, base, BallOps, self.jacobian)
            return self.expr.evaluate(env, BallOps)

    def box(self, bx) -> Jet:
        """Jet over the box ((lo, hi),) * 4: enclosures of the value and the gradient."""
        with ball.precision(self.bits):
            alpha, lam = self._params()
            ops = JetOps(4)
            xs = [Jet.variable(ball.interval(lo, hi), i, 4) for i, (lo, hi) in enumerate(bx)]
            base = _base_jets(*xs, alpha, lam, self.order + 1)
            env = moment_map.quantities(*xs, base, ops, self.jacobian)
            return self.expr.evaluate(env, ops)

    def floats(self, mu, omega, nu, tau):
        """Float64 values on arrays: a search heuristic, never a proof."""
        with np.errstate(all="ignore"):
            base = base_enclosures.floats(mu * omega, nu * tau, self.alpha_f, self.lam_f, self.order)
            env = moment_map.quantities(mu, omega, nu, tau, base, FloatOps, self.jacobian)
            return np.asarray(self.expr.evaluate(env, FloatOps), dtype=float)


def as_fraction_point(pt):
    return tuple(Fraction(x) for x in pt)
