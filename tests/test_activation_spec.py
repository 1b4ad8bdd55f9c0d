"""The activation specs: what they declare holds (functions used, structure, named
constants), and their closed forms are the Gaussian integrals they say they are."""
import mpmath
import pytest
import sympy as sp
from flint import arb

from selu_theory import activations, constants, symbolic
from selu_theory.activations.spec import functions_used, structure_holds
from selu_theory.ball import precision


@pytest.mark.parametrize("activation_id", activations.ids())
def test_spec_declares_the_functions_it_uses(activation_id):
    spec = activations.get(activation_id)
    used = set()
    for fam in spec.families:
        for _, expr in fam.functions:
            used |= functions_used(expr)
            assert expr.free_symbols <= {symbolic.m, symbolic.v} | {p.symbol for p in spec.parameters}
    assert used <= set(spec.special_functions)


@pytest.mark.parametrize("activation_id", activations.ids())
def test_declared_structure_holds(activation_id):
    assert structure_holds(activations.get(activation_id))


def test_structure_check_can_fail():
    """False twin: xi~ with an alpha^3 term is not quadratic in alpha."""
    spec = activations.get("selu")
    fam = spec.families[0]
    alpha = spec.parameter("alpha").symbol
    lam = spec.parameter("lam").symbol
    bad_xi = fam.function("xi") + lam**2 * alpha**3 * symbolic.m
    bad = spec.__class__(**{**spec.__dict__, "families": (
        fam.__class__(fam.name, (fam.functions[0], ("xi", bad_xi)), fam.max_order),) + spec.families[1:]})
    assert not structure_holds(bad)


def test_selu_constants_are_the_named_ones():
    spec = activations.get("selu")
    assert spec.parameter_names == ("alpha", "lam")
    assert [p.default for p in spec.parameters] == ["alpha01", "lambda01"]
    with precision(160):
        for p in spec.parameters:
            # the frameworks' 31 digits agree with the closed form to their last digit
            assert abs(constants.NAMED[p.default](128) - arb(p.framework_text)) < arb("1e-30")


def _quadrature_gap(spec, moment, closed_form, m, v):
    """|30-digit quadrature of the spec's integrand (split at z = 0) - closed form| at
    (m, v) and the named constants, relative to 1 + |value|."""
    point = {symbolic.m: sp.Rational(str(m)), symbolic.v: sp.Rational(str(v))}
    with precision(140):
        for p in spec.parameters:
            if p.default in constants.NAMED:
                point[p.symbol] = sp.Rational(constants.NAMED[p.default](140).mid().str(40, radius=False))
            else:   # an exact decimal
                point[p.symbol] = sp.Rational(p.default)
    with mpmath.workdps(30):
        neg, pos = spec.integrand(moment)
        fneg = sp.lambdify(symbolic.z, neg.subs(point), modules="mpmath")
        fpos = sp.lambdify(symbolic.z, pos.subs(point), modules="mpmath")
        integral = mpmath.quad(fneg, [-mpmath.inf, 0]) + mpmath.quad(fpos, [0, mpmath.inf])
        closed = closed_form.subs(point).replace(symbolic.erfcx, lambda x: sp.exp(x**2) * sp.erfc(x))
        value = mpmath.mpf(str(sp.N(closed, 35)))
        return abs(integral - value) / (1 + abs(value))


@pytest.mark.parametrize("activation_id", activations.ids())
@pytest.mark.parametrize("m, v", [(0.0, 1.0), (-0.3, 0.8), (0.7, 1.9), (-1.5, 2.5)])
def test_closed_forms_are_the_gaussian_integrals(activation_id, m, v):
    """A check of the spec (not a proof): its closed forms are its integrals."""
    spec = activations.get(activation_id)
    for moment in ("mean", "second"):
        assert _quadrature_gap(spec, moment, spec.closed_form(moment), m, v) < 1e-25, (moment, m, v)


def test_quadrature_check_can_fail():
    """False twin: xi~ with the Gaussian term's sign flipped is not E[selu(z)^2]."""
    spec = activations.get("selu")
    wrong = spec.closed_form("second") - 2 * symbolic.m * sp.sqrt(symbolic.v) * spec.parameter("lam").symbol ** 2
    assert _quadrature_gap(spec, "second", wrong, 0.7, 1.9) > 1e-3
