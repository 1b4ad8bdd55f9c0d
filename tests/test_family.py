"""The piecewise exponential-polynomial family (selu_theory/activations/family.py): the
derivation of the closed forms, the decomposition of expressions into terms, and the
validation of specs.  The kernels are checked against quadrature in
test_family_oracle.py."""
import random

import mpmath
import pytest
import sympy as sp

from selu_theory import activations, symbolic
from selu_theory.activations import family, selu
from selu_theory.activations.family import NotInFamily, Term, terms_of
from selu_theory.activations.spec import Parameter, Structure, structure_holds

x = sp.Symbol("x", real=True)
alpha, lam = sp.symbols("alpha lam", positive=True)


def _value(expr, point) -> mpmath.mpf:
    """expr at point, erfcx written out, to 40 digits."""
    e = expr.replace(symbolic.erfcx, lambda y: sp.exp(y**2) * sp.erfc(y))
    return mpmath.mpf(str(sp.N(e.subs(point), 40)))


def test_derived_selu_agrees_with_the_hand_written_forms():
    """SELU's closed forms derived from its terms equal selu.py's (which stays SELU's spec)."""
    derived = family.piecewise_activation(
        "seluderived", "SELU (derived)", selu.SPEC.parameters,
        negative=[(lam * alpha, 0, 1), (-lam * alpha, 0, 0)], positive=[(lam, 1, 0)])
    rng = random.Random(9)
    for _ in range(6):
        point = {symbolic.m: sp.Rational(rng.randint(-300, 300), 100),
                 symbolic.v: sp.Rational(rng.randint(5, 400), 100),
                 alpha: sp.Rational(rng.randint(50, 300), 100), lam: sp.Rational(rng.randint(50, 200), 100)}
        for moment in ("mean", "second"):
            a = _value(derived.closed_form(moment), point)
            b = _value(selu.SPEC.closed_form(moment), point)
            assert abs(a - b) <= mpmath.mpf("1e-30") * (1 + abs(b)), (moment, point)


def test_the_comparison_can_fail():
    """False twin: a derived SELU with a different negative branch differs."""
    wrong = family.piecewise_activation(
        "seluwrong", "wrong", selu.SPEC.parameters,
        negative=[(lam * alpha, 0, 1), (-lam * alpha / 2, 0, 0)], positive=[(lam, 1, 0)])
    point = {symbolic.m: sp.Rational(1, 3), symbolic.v: sp.Rational(6, 5), alpha: 2, lam: 1}
    assert abs(_value(wrong.closed_form("mean"), point) - _value(selu.SPEC.closed_form("mean"), point)) > 0.1


def test_laplace_transforms_are_their_integrals():
    """I0-(a), I0+(a) in the stable erfcx form against quadrature, including rates for
    which exp(a m + a^2 v/2) alone would be huge."""
    a = family._a
    for side, lo, hi in (("-", -mpmath.inf, 0), ("+", 0, mpmath.inf)):
        form = family.laplace_erfcx(side)
        for m, v, rate in ((0.3, 1.2, 1.0), (-1.0, 0.5, -3.0), (2.0, 2.0, 0.25), (-0.5, 3.0, 6.0)):
            point = {symbolic.m: sp.Float(m, 40), symbolic.v: sp.Float(v, 40), a: sp.Float(rate, 40)}
            with mpmath.workdps(40):
                dens = lambda t: mpmath.exp(rate * t - (t - m) ** 2 / (2 * v)) / mpmath.sqrt(2 * mpmath.pi * v)  # noqa: E731
                q = mpmath.quad(dens, [lo, 0, hi] if lo == -mpmath.inf and hi != 0 else [lo, hi])
                assert abs(_value(form, point) - q) <= mpmath.mpf("1e-25") * (1 + abs(q)), (side, m, v, rate)


def test_rate_zero_terms_use_plain_erfc():
    mu = activations.get("relu").closed_form("mean")
    assert {type(f).__name__ for f in mu.atoms(sp.Function)} <= {"erfc", "exp"}
    assert not mu.has(symbolic.erfcx)


@pytest.mark.parametrize("activation_id", ["elu", "celu", "serlu", "relu"])
def test_builtin_structure_is_declared_and_holds(activation_id):
    spec = activations.get(activation_id)
    assert spec.structure != Structure() and structure_holds(spec)


@pytest.mark.parametrize("activation_id", ["elu", "celu", "serlu", "relu"])
def test_inferred_structure_is_the_declared_one(activation_id):
    """infer_structure reads the structure off the terms; for the built-ins it is the
    declared one (which structure_holds confirms on the closed forms)."""
    module = getattr(activations, activation_id)
    spec = activations.get(activation_id)
    neg, pos = module.SPEC_TERMS
    assert family.infer_structure(spec.parameters, neg, pos) == spec.structure


def test_inferred_structure_holds_for_a_terms_built_activation():
    a, c = sp.symbols("a c", positive=True)
    params = (Parameter("a", a, "a", "1"), Parameter("c", c, "c", "1"))
    neg = terms_of(c * (a + 1) * x * sp.exp(x), x)
    pos = terms_of(c * x - c / 3, x)
    st = family.infer_structure(params, neg, pos)
    assert st == Structure(scale="c", shape_affine="a")
    assert structure_holds(family.piecewise_activation("t", "t", params, neg, pos, structure=st, max_order=0))
    # a quadratic coefficient is not affine; a parameter in a rate is not a scale
    assert family.infer_structure(params, terms_of(c * a**2 * sp.exp(x), x), pos) == Structure(scale="c")
    assert family.infer_structure(params, terms_of(c * sp.exp(c * x), x), pos).scale is None


def test_undeclarable_structure_does_not_hold():
    """False twin: CELU's alpha is also its rate, so xi~ is not quadratic in alpha."""
    spec = activations.get("celu")
    bad = spec.__class__(**{**spec.__dict__, "structure": Structure(scale="lam", shape_affine="alpha")})
    assert not structure_holds(bad)


def test_defaults_of_relu_and_serlu_are_near_the_exact_solutions():
    """The decimal defaults round the (0, 1) solutions (the certified ones come from
    ``params``): relu b = 1/sqrt(2 pi), lam = 1/sqrt(1/2 - 1/(2 pi))."""
    relu = activations.get("relu")
    b = float(relu.parameter("b").default)
    lam_ = float(relu.parameter("lam").default)
    assert abs(b - 1 / (2 * mpmath.pi) ** 0.5) < 1e-10
    assert abs(lam_ - 1 / mpmath.sqrt(0.5 - 1 / (2 * mpmath.pi))) < 1e-9
    serlu = activations.get("serlu")
    assert (serlu.parameter("alpha").default, serlu.parameter("lam").default) == ("2.90427", "1.07862")


# ------------------------------------------------------------------ terms_of

def test_terms_of_decomposes_members():
    assert terms_of(lam * alpha * x * sp.exp(x), x) == (Term(alpha * lam, 1, 1),)
    got = terms_of((x + 1) ** 2 * sp.exp(x / alpha), x)
    assert [(t.power, t.rate) for t in got] == [(0, 1 / alpha), (1, 1 / alpha), (2, 1 / alpha)]
    assert [t.coef for t in got] == [1, 2, 1]
    assert terms_of(sp.exp(x + 1), x) == (Term(sp.E, 0, 1),)
    # like terms merge, and cancel
    assert terms_of(alpha * (sp.exp(x) - 1) + alpha, x) == (Term(alpha, 0, 1),)
    assert terms_of(sp.exp(x) * sp.exp(x), x) == (Term(1, 0, 2),)


@pytest.mark.parametrize("expr, says", [
    (x**3, "x**3 is not in the family (powers 0, 1, 2)"),
    (x**2 * x * sp.exp(x), "x**3 is not in the family"),
    (sp.exp(x**2), "exp(x**2) is not in the family"),
    (sp.sin(x), "sin(x) is not in the family"),
    (1 / x, "1/x is not in the family (powers 0, 1, 2)"),
    (sp.exp(sp.exp(x)), "exp(exp(x)) is not in the family"),
    (sp.sqrt(x), "sqrt(x) is not in the family"),
    (2**x, "2**x is not in the family"),
    (sp.Abs(x), "Abs(x) is not in the family"),
    # refused before expanding (which would take long)
    (x**1000, "x**1000 is not in the family (powers 0, 1, 2)"),
    ((x + 1) ** 100000 * sp.exp(x), "x**100000 is not in the family"),
    (sp.exp((x + 1) ** 5000), "exp((x + 1)**5000) is not in the family"),
])
def test_terms_of_rejects_non_members_with_one_line(expr, says):
    with pytest.raises(NotInFamily) as e:
        terms_of(expr, x)
    assert str(e.value).startswith(says) and "\n" not in str(e.value)


# ------------------------------------------------------------------ validation

def _params():
    return (Parameter("alpha", alpha, "alpha", "1"), Parameter("lam", lam, "lambda", "1"))


@pytest.mark.parametrize("negative, positive, says", [
    ([(lam, 3, 0)], [(lam, 1, 0)], "x**3 is not in the family"),
    ([(lam * symbolic.z, 0, 0)], [(lam, 1, 0)], "coefficient (x < 0) lam*z uses z"),
    ([(lam, 0, 0)], [(lam, 1, symbolic.m)], "rate (x >= 0) m uses m"),
    ([(sp.sin(lam), 0, 0)], [(lam, 1, 0)], "coefficient (x < 0) sin(lam) uses sin"),
    ([(lam ** sp.Rational(1, 3), 0, 0)], [(lam, 1, 0)], "coefficient (x < 0) lam**(1/3)"),
    ([(lam, 0, 0)], [(sp.Float("0.1") * lam, 1, 0)], "coefficient (x >= 0) 0.1*lam has a float"),
    ([(lam, 0, 1 / (lam - lam))], [(lam, 1, 0)], "rate (x < 0) zoo is not finite"),
])
def test_piecewise_activation_rejects_bad_terms(negative, positive, says):
    with pytest.raises(NotInFamily) as e:
        family.piecewise_activation("bad", "bad", _params(), negative, positive)
    assert str(e.value).startswith(says)


def test_parameters_must_be_positive_symbols():
    a = sp.Symbol("alpha", real=True)
    with pytest.raises(NotInFamily, match="positive"):
        family.piecewise_activation("bad", "bad", (Parameter("alpha", a, "alpha", "1"),), [(a, 0, 0)], [(1, 1, 0)])
