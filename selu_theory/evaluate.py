"""Evaluate an expression of the moment map at a point (Arb ball), over a box (jet:
value and gradient enclosures) or on float arrays (search only).

Points and boxes have one coordinate per variable of ``Evaluator.variables``: the base
(mu, omega, nu, tau), which the kernels see through m = mu*omega and v = nu*tau, then any
extra variables of the domain (``quantities.EXTRA_VARS``), which enter the expression
directly and carry their own gradient component."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import arb

from selu_theory import ball, base_enclosures, moment_map, quantities
from selu_theory.expr import Expr, parse
from selu_theory.jets import BallOps, Jet, JetOps
from selu_theory.params import Params
from selu_theory.quantities import BASE_VARS, domain_variables

VARS = BASE_VARS
NB = len(BASE_VARS)


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

    def __init__(self, expr: Expr, params: Params, bits: int = ball.DEFAULT_PREC, variables: tuple = VARS):
        self.expr = expr
        self.params = params
        unknown = set(expr.names) - set(quantities.names(params.activation))
        if unknown:
            raise ValueError(f"names {sorted(unknown)} are not quantities of {params.activation}")
        self.variables = tuple(variables)
        if self.variables != domain_variables(self.variables):
            raise ValueError(f"variables {self.variables} are not a domain's (mu, omega, nu, tau, extras)")
        self.extra = self.variables[NB:]
        missing = sorted(n for n in expr.names if n in quantities.EXTRA_VARS and n not in self.extra)
        if missing:
            raise ValueError(f"the expression uses {', '.join(missing)}, which is not a variable of the domain")
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

    def _dims(self, coords):
        if len(coords) != len(self.variables):
            raise ValueError(f"a point of this evaluator has {len(self.variables)} coordinates "
                             f"({', '.join(self.variables)}); got {len(coords)}")

    def point(self, pt) -> arb:
        """Enclosure of the expression at an exact point (floats or Fractions)."""
        self._dims(pt)
        with ball.precision(self.bits):
            p = self._params()
            xs = [ball.exact(x) for x in pt]
            m, v = xs[0] * xs[1], xs[2] * xs[3]
            base = {f: base_enclosures.at_point(f, m, v, p, o, activation=self.activation)
                    for f, o in self.needs.items()}
            env = moment_map.quantities(*xs[:NB], base, BallOps, self.expr.names, activation=self.activation)
            env.update(zip(self.extra, xs[NB:]))
            env.update(self._constants())
            return self.expr.evaluate(env, BallOps)

    def box(self, bx) -> Jet:
        """Jet over the box ((lo, hi),) * n: enclosures of the value and the gradient."""
        self._dims(bx)
        n = len(bx)
        with ball.precision(self.bits):
            p = self._params()
            ops = JetOps(n)
            xs = [Jet.variable(ball.interval(lo, hi), i, n) for i, (lo, hi) in enumerate(bx)]
            m, v = xs[0] * xs[1], xs[2] * xs[3]
            base = {f: _base_jets(f, m, v, p, o + 1, self.activation) for f, o in self.needs.items()}
            env = moment_map.quantities(*xs[:NB], base, ops, self.expr.names, activation=self.activation)
            env.update(zip(self.extra, xs[NB:]))
            env.update(self._constants(lambda b: Jet.constant(b, n)))
            return self.expr.evaluate(env, ops)

    def floats(self, mu, omega, nu, tau, *extra):
        """Float64 values on arrays: a search heuristic, never a proof."""
        self._dims((mu, omega, nu, tau) + extra)
        with np.errstate(all="ignore"):
            m, v = mu * omega, nu * tau
            base = {f: base_enclosures.floats(f, m, v, self.params_f, o, activation=self.activation)
                    for f, o in self.needs.items()}
            env = moment_map.quantities(mu, omega, nu, tau, base, FloatOps, self.expr.names,
                                        activation=self.activation)
            env.update(zip(self.extra, extra))
            env.update(self.floats_env, pi=np.pi)
            shape = np.broadcast(mu, omega, nu, tau, *extra)
            return np.asarray(self.expr.evaluate(env, FloatOps), dtype=float) * np.ones(shape.shape, dtype=float)


def as_fraction_point(pt):
    return tuple(Fraction(x) for x in pt)


_CACHE = {}


def cached_evaluator(expr: str, params: Params, bits: int, variables: tuple = VARS) -> Evaluator:
    """The Evaluator of an expression's text for ``params`` at ``bits`` bits over the
    domain variables ``variables``, built once per process (pool workers build each
    once, not once per box)."""
    key = (expr, params, bits, tuple(variables))
    if key not in _CACHE:
        _CACHE[key] = Evaluator(parse(expr, params.activation), params, bits, variables)
    return _CACHE[key]
