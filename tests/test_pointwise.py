"""selu_theory.pointwise against the activation specs (the one source of the mathematics).

For every built-in: f at sample points on both sides of 0 equals the spec's mean
integrand divided by the Gaussian density (sympy, evaluated at the default parameters to
30 digits), and the saturation expression equals sympy's limit of the negative piece at
-oo.  The float saturation agrees with the expression.  A user activation is refused in
one line.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from selu_theory import activations, pointwise
from selu_theory import symbolic
from selu_theory.params import Params

Z = [-30.0, -4.5, -1.0, -0.25, -1e-3, 1e-3, 0.3, 1.0, 2.7]


def _symbols(spec):
    return {p.name: p.symbol for p in spec.parameters}


def pieces(spec):
    """(f for z < 0, f for z >= 0): the spec's mean integrand over the Gaussian density."""
    neg, pos = spec.integrand("mean")
    dens = symbolic.gaussian_density()
    return sp.simplify(neg / dens), sp.simplify(pos / dens)


def _defaults(activation):
    p = Params(activation=activation)
    return dict(zip(p.names, p.floats()))


@pytest.mark.parametrize("activation", activations.ids())
def test_function_matches_the_spec(activation):
    spec = activations.get(activation)
    vals = _defaults(activation)
    subs = {s: sp.Float(repr(vals[n]), 30) for n, s in _symbols(spec).items()}
    f_neg, f_pos = pieces(spec)
    f = pointwise.function(activation, vals)
    for x in Z:
        want = (f_neg if x < 0 else f_pos).subs(subs).subs(symbolic.z, sp.Float(repr(x), 30))
        got = float(f(np.array([x]))[0])
        assert got == pytest.approx(float(want), rel=1e-13, abs=1e-15), (activation, x)


@pytest.mark.parametrize("activation", activations.ids())
def test_saturation_is_the_limit_at_minus_infinity(activation):
    spec = activations.get(activation)
    f_neg, _ = pieces(spec)
    limit = sp.limit(f_neg, symbolic.z, -sp.oo)
    text = pointwise.saturation_expr(activation)
    expr = sp.sympify(text, locals=_symbols(spec))
    assert sp.simplify(limit - expr) == 0, (activation, limit, text)
    vals = _defaults(activation)
    want = float(expr.subs({s: vals[n] for n, s in _symbols(spec).items()}))
    assert pointwise.saturation_float(activation, vals) == pytest.approx(want, rel=1e-15, abs=0)


def test_every_builtin_is_covered():
    assert set(pointwise.KNOWN) == set(activations.ids())


def test_unknown_activation_is_one_line():
    with pytest.raises(pointwise.PointwiseUnknown) as info:
        pointwise.function("user-0123abcd", {}, "--simulate")
    msg = str(info.value)
    assert "\n" not in msg and "--simulate" in msg and "selu" in msg
    with pytest.raises(pointwise.PointwiseUnknown):
        pointwise.saturation_expr("user-0123abcd")
