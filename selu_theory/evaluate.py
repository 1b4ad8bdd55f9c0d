"""Evaluate an expression of the moment map at a point (Arb ball), over a box (jet:
value and gradient enclosures) or on float arrays (search only)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import arb

from selu_theory import ball, base_enclosures, moment_map, quantities
from selu_theory.expr import Expr, parse
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


def _base_jets(family, m, v, params, order, activation):
    """Jets of the family's base partials of order < ``order`` over the box of m, v."""
    enc = base_enclosures.over_box(family, m.val, v.val, params, order, activation=activation)
    out = {}
    for n in base_enclosures.names_up_to(family, order - 1, activation=activation):
        fm, fv = enc[base_enclosures.raise_order(n, "m")], enc[base_enclosures.raise_order(n, "v")]
        out[n] = Jet(enc[n], tuple(fm * a + fv * b for a, b in zip(m.grad, v.grad)))
    return out


class Evaluator:
    """One expression, one activation with its parameters (``params``), one Arb precision.

    The kernels are those of ``params.activation``, called with the parameters in the
    activation's order (``Params.balls``): nothing here names a parameter."""

    def __init__(self, expr: Expr, params: Params, bits: int = ball.DEFAULT_PREC):
        self.expr = expr
        self.params = params
        unknown = set(expr.names) - set(quantities.names(params.activation))
        if unknown:
            raise ValueError(f"names {sorted(unknown)} are not quantities of {params.activation}")
        self.bits = bits
        self.activation = params.activation
        self.needs = moment_map.requirements(expr.names, self.activation)  # {family: derivative order}
        self.params_f = params.floats()
        self.floats_env = dict(zip(params.names, self.params_f))
        self._balls = {}

    def _params(self):
        """The parameters as balls, in the activation's order (the kernels' arguments)."""
        if self.bits not in self._balls:
            self._balls[self.bits] = self.params.balls(self.bits + 20)
        return self._balls[self.bits]

    def _constants(self, wrap=lambda b: b) -> dict:
        """The expression's constants: the activation's parameters (by the names the
        parameters have) and pi."""
        env = {n: wrap(b) for n, b in zip(self.params.names, self._params())}
        env["pi"] = wrap(arb.pi())
        return env

    def point(self, pt) -> arb:
        """Enclosure of the expression at an exact point (floats or Fractions)."""
        with ball.precision(self.bits):
            p = self._params()
            xs = [ball.exact(x) for x in pt]
            m, v = xs[0] * xs[1], xs[2] * xs[3]
            base = {f: base_enclosures.at_point(f, m, v, p, o, activation=self.activation)
                    for f, o in self.needs.items()}
            env = moment_map.quantities(*xs, base, BallOps, self.expr.names, activation=self.activation)
            env.update(self._constants())
            return self.expr.evaluate(env, BallOps)

    def box(self, bx) -> Jet:
        """Jet over the box ((lo, hi),) * 4: enclosures of the value and the gradient."""
        with ball.precision(self.bits):
            p = self._params()
            ops = JetOps(4)
            xs = [Jet.variable(ball.interval(lo, hi), i, 4) for i, (lo, hi) in enumerate(bx)]
            m, v = xs[0] * xs[1], xs[2] * xs[3]
            base = {f: _base_jets(f, m, v, p, o + 1, self.activation) for f, o in self.needs.items()}
            env = moment_map.quantities(*xs, base, ops, self.expr.names, activation=self.activation)
            env.update(self._constants(lambda b: Jet.constant(b, 4)))
            return self.expr.evaluate(env, ops)

    def floats(self, mu, omega, nu, tau):
        """Float64 values on arrays: a search heuristic, never a proof."""
        with np.errstate(all="ignore"):
            m, v = mu * omega, nu * tau
            base = {f: base_enclosures.floats(f, m, v, self.params_f, o, activation=self.activation)
                    for f, o in self.needs.items()}
            env = moment_map.quantities(mu, omega, nu, tau, base, FloatOps, self.expr.names,
                                        activation=self.activation)
            env.update(self.floats_env, pi=np.pi)
            return np.asarray(self.expr.evaluate(env, FloatOps), dtype=float) * np.ones_like(mu, dtype=float)


def as_fraction_point(pt):
    return tuple(Fraction(x) for x in pt)


_CACHE = {}


def cached_evaluator(expr: str, params: Params, bits: int) -> Evaluator:
    """The Evaluator of an expression's text for ``params`` at ``bits`` bits, built once
    per process (pool workers build each once, not once per box)."""
    key = (expr, params, bits)
    if key not in _CACHE:
        _CACHE[key] = Evaluator(parse(expr, params.activation), params, bits)
    return _CACHE[key]
