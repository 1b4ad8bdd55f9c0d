"""Params: (activation, {parameter: value}), validated by the one number parser, compared by value."""
from __future__ import annotations

import pickle
import time

import pytest
from flint import arb

from selu_theory import constants
from selu_theory.expr import parse
from selu_theory.params import ParamError, Params, parameter_names


def test_defaults_and_backward_compatible_construction():
    p = Params()
    assert (p.activation, p.alpha, p.lam) == ("selu", "alpha01", "lambda01")
    assert Params("1.8", "1.05") == Params(alpha="1.8", lam="1.05")
    assert Params(None, None) == Params()
    assert Params(lam="1.05").alpha == "alpha01"
    assert p.describe() == "alpha=alpha01, lambda=lambda01"
    assert Params(" 1.8 ", "1.05").describe() == "alpha=1.8, lambda=1.05"
    assert p.names == ("alpha", "lam") == parameter_names("selu")


def test_equality_is_by_value_not_spelling():
    a, b = Params("1.8", "1.0507"), Params("1.80", "1.05070")
    assert a == b and a.same_values(b) and hash(a) == hash(b)
    assert b.lam == "1.05070"  # the spelling is kept for certificates and messages
    assert Params("0.5", "1") == Params("1/2", "1.0") == Params("0x1p-1", "1")
    assert Params("1.8", "1.0507") != Params("1.8", "1.0508")


def test_named_constant_differs_from_its_decimals():
    framework = Params(constants.ALPHA01_FRAMEWORKS, constants.LAMBDA01_FRAMEWORKS)
    assert framework != Params() and not framework.same_values(Params())
    assert Params("alpha01", constants.LAMBDA01_FRAMEWORKS) != Params()
    assert Params(" alpha01", "lambda01 ") == Params()


def test_params_work_as_keys_and_survive_pickling():
    d = {Params("1.8", "1.05"): 1}
    assert d[Params("1.80", "1.050")] == 1
    p = pickle.loads(pickle.dumps(Params("1.80", "lambda01")))
    assert p == Params("1.8", "lambda01") and p.alpha == "1.80"
    with pytest.raises(AttributeError):
        p.activation = "other"


@pytest.mark.parametrize("spec, match", [
    ("0", "must be positive"), ("-1", "must be positive"), ("nan", "finite"), ("inf", "finite"),
    ("abc", "must be a number"), ("1/0", "divides by zero"), ("1e-999999999", "exponent"),
    ("1" * 500, "digits"), ("alpha02", "must be a number"),
])
def test_bad_specifications_give_one_line(spec, match):
    t = time.perf_counter()
    with pytest.raises(ParamError, match=match) as exc:
        Params(spec, "1")
    assert time.perf_counter() - t < 0.5
    assert "\n" not in str(exc.value)


def test_unknown_activation_or_parameter():
    with pytest.raises(ParamError, match="unknown activation"):
        Params(activation="tanh")
    with pytest.raises(ParamError, match="no parameter 'beta'"):
        Params(beta="1")
    with pytest.raises(ParamError, match="2 parameters"):
        Params("1", "1", "1")


def test_balls():
    a, l = Params("1.5", "2").balls(64)
    assert a == arb(1.5) and l == arb(2)
    a, l = Params("1/3", "lambda01").balls(200)
    assert a.contains(arb(1) / 3) and l.overlaps(constants.lambda01(300))
    assert Params("1/3", "2").floats() == (pytest.approx(1 / 3), 2.0)
    env = Params("1.5", "2").ball_env(64)
    assert set(env) == {"alpha", "lam"} and env["lam"] == arb(2)


def test_expression_constants_are_the_parameter_names():
    assert parse("alpha * lam + pi").names == frozenset({"alpha", "lam", "pi"})
