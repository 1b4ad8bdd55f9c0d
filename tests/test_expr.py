"""The expression language: exact literals, one expression in every number system."""
from fractions import Fraction

import numpy as np
import pytest

from selu_theory.evaluate import Evaluator
from selu_theory.expr import ExprError, parse
from selu_theory.params import Params


def test_literals_are_exact_rationals():
    e = parse("0.1 + 1e-3")
    seen = []

    class Ops:
        @staticmethod
        def const(q):
            seen.append(q)
            return q
    assert e.evaluate({}, Ops) == Fraction(1, 10) + Fraction(1, 1000)
    assert seen == [Fraction(1, 10), Fraction(1, 1000)]


def test_ball_value_contains_exact_tenth():
    # a float 0.1 would put the ball beside 1/10 at high precision
    ev = Evaluator(parse("nu - 0.1"), Params(), bits=200)
    v = ev.point((0, 0, Fraction(1, 10), 1))
    assert v.contains(0)


@pytest.mark.parametrize("text", ["S", "nu_tilde - nu", "J11**2 + J12**2 - sqrt(J21**2 + 1)",
                                  "exp(-mu_tilde) * xi_tilde / (1 + tau)", "-S**3 + 2*S"])
def test_float_ball_and_jet_agree(text):
    ev = Evaluator(parse(text), Params())
    pt = (0.05, -0.07, 1.1, 1.02)
    f = ev.floats(*[np.array([x]) for x in pt])[0]
    b = ev.point(pt)
    assert abs(float(b.mid()) - f) < 1e-12 * max(1, abs(f))
    box = tuple((x - 1e-3, x + 1e-3) for x in pt)
    j = ev.box(box)
    assert j.val.contains(b)


@pytest.mark.parametrize("text", ["", "  ", "x", "S.real", "S[0]", "S,S", "S==1", "S<1", "abs(S)", "'S'",
                                  "S**S", "S**-17", "S @ S", "lambda: 0", "1 if S else 0", "S\n+1"])
def test_rejected(text):
    with pytest.raises(ExprError):
        parse(text)
