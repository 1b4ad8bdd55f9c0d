"""selu_theory.initialisers: tau = fan_in Var(w) of each framework initialiser.

The oracle: Var(w) as an mpmath quadrature (50 digits) of x^2 against the initialiser's
density, the density's parameters written here from the framework's documented formula
(PyTorch torch.nn.init docs, Keras VarianceScaling source), independently of the
module's tables and of its closed form for the truncated normal.  Monte Carlo draws are
a sanity check only.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from flint import arb

from selu_theory.ball import fraction_bounds, precision
from selu_theory.initialisers import (InitialiserError, initialiser, table, tau_versus_one,
                                      truncated_variance)
from selu_theory.network_sim import sample_weights

MP = mpmath.MPContext()
MP.dps = 50
TOL = MP.mpf("1e-40")
KERAS_C = MP.mpf("0.87962566103423978")


def var_normal(std):
    pdf = lambda x: MP.exp(-(x / std) ** 2 / 2) / (std * MP.sqrt(2 * MP.pi))
    return MP.quad(lambda x: x * x * pdf(x), [-MP.inf, 0, MP.inf])


def var_uniform(limit):
    return MP.quad(lambda x: x * x / (2 * limit), [-limit, 0, limit])


def var_truncated(std, cut=2):
    """Normal(0, std) re-drawn beyond cut*std: density phi(x/std)/std / P(|Z| <= cut)."""
    pdf = lambda x: MP.exp(-(x / std) ** 2 / 2) / (std * MP.sqrt(2 * MP.pi))
    lo, hi = -cut * std, cut * std
    mass = MP.quad(pdf, [lo, 0, hi])
    return MP.quad(lambda x: x * x * pdf(x), [lo, 0, hi]) / mass


def sq(x):
    return MP.sqrt(MP.mpf(x))


# (spec, fan_in, fan_out, oracle Var(w) from the documented formula)
CASES = [
    # PyTorch: kaiming_normal_ std = gain / sqrt(fan_mode); kaiming_uniform_ bound =
    # gain sqrt(3 / fan_mode); calculate_gain: linear 1, selu 3/4, relu sqrt 2, tanh 5/3.
    ("pytorch:kaiming_normal:linear", 512, None, lambda: var_normal(1 / sq(512))),
    ("pytorch:kaiming_normal:selu", 512, None, lambda: var_normal(MP.mpf(3) / 4 / sq(512))),
    ("pytorch:kaiming_normal:selu:fan_out", 512, 300,
     lambda: var_normal(MP.mpf(3) / 4 / sq(300))),
    ("pytorch:kaiming_normal", 100, None, lambda: var_normal(sq(2) / sq(100))),
    ("pytorch:kaiming_normal:tanh", 100, None, lambda: var_normal(MP.mpf(5) / 3 / sq(100))),
    ("pytorch:kaiming_normal:relu", 100, None, lambda: var_normal(sq(2) / sq(100))),
    ("pytorch:kaiming_normal:sigmoid", 100, None, lambda: var_normal(1 / sq(100))),
    # leaky_relu gain sqrt(2 / (1 + slope^2)), the docs' table
    ("pytorch:kaiming_normal:leaky_relu=0.01", 256, None,
     lambda: var_normal(sq(MP.mpf(2) / (1 + MP.mpf("0.01") ** 2)) / sq(256))),
    ("pytorch:kaiming_uniform", 256, None, lambda: var_uniform(sq(2) * sq(3) / sq(256))),
    ("pytorch:kaiming_uniform:leaky_relu=0.2:fan_out", 256, 64,
     lambda: var_uniform(sq(MP.mpf(2) / (1 + MP.mpf("0.2") ** 2)) * sq(3) / sq(64))),
    ("pytorch:kaiming_uniform:linear", 512, None, lambda: var_uniform(sq(3) / sq(512))),
    ("pytorch:kaiming_uniform:selu", 64, None, lambda: var_uniform(MP.mpf(3) / 4 * sq(3) / sq(64))),
    ("pytorch:kaiming_uniform:linear:fan_out", 64, 10, lambda: var_uniform(sq(3) / sq(10))),
    # nn.Linear: kaiming_uniform_(a=sqrt 5): gain sqrt(2/(1+5)), bound = gain sqrt(3/fan_in)
    ("pytorch:default", 77, None, lambda: var_uniform(sq(MP.mpf(2) / 6) * sq(3) / sq(77))),
    ("pytorch:xavier_normal", 512, 256, lambda: var_normal(sq(MP.mpf(2) / (512 + 256)))),
    ("pytorch:xavier_uniform", 512, 256, lambda: var_uniform(sq(MP.mpf(6) / (512 + 256)))),
    # Keras VarianceScaling: truncated normal std = sqrt(scale / n) / 0.87962566103423978
    # cut at 2 std; uniform limit sqrt(3 scale / n); n = fan_in or (fan_in + fan_out) / 2.
    ("keras:lecun_normal", 512, None, lambda: var_truncated(sq(MP.mpf(1) / 512) / KERAS_C)),
    ("keras:lecun_uniform", 512, None, lambda: var_uniform(sq(MP.mpf(3) / 512))),
    ("keras:glorot_normal", 512, 128,
     lambda: var_truncated(sq(MP.mpf(1) / ((512 + 128) / MP.mpf(2))) / KERAS_C)),
    ("keras:glorot_uniform", 512, 128, lambda: var_uniform(sq(MP.mpf(3) / ((512 + 128) / MP.mpf(2))))),
    ("keras:glorot_normal", 300, 300, lambda: var_truncated(sq(MP.mpf(1) / 300) / KERAS_C)),
    ("keras:he_normal", 33, None, lambda: var_truncated(sq(MP.mpf(2) / 33) / KERAS_C)),
    ("keras:he_uniform", 33, None, lambda: var_uniform(sq(MP.mpf(6) / 33))),
    ("normal:0.05", 1000, None, lambda: var_normal(MP.mpf("0.05"))),
    ("uniform:0.1", 1000, None, lambda: var_uniform(MP.mpf("0.1"))),
    ("truncated_normal:0.05", 1000, None, lambda: var_truncated(MP.mpf("0.05"))),
]


@pytest.mark.parametrize("spec,fan_in,fan_out,oracle", CASES, ids=[c[0] for c in CASES])
def test_tau_against_quadrature(spec, fan_in, fan_out, oracle):
    init = initialiser(spec, fan_in, fan_out)
    want = fan_in * oracle()
    assert init.omega == 0
    if init.exact:
        assert isinstance(init.tau, Fraction)
        assert abs(MP.mpf(init.tau.numerator) / init.tau.denominator - want) < TOL * abs(want)
    else:
        assert init.tau is None
    lo, hi = fraction_bounds(init.tau_ball(200))
    lo_m = MP.mpf(lo.numerator) / lo.denominator
    hi_m = MP.mpf(hi.numerator) / hi.denominator
    assert lo_m - TOL <= want <= hi_m + TOL
    assert hi_m - lo_m < TOL          # a tight ball, not a wide one that contains anything


def test_exact_values():
    """The headline numbers as exact rationals (docs quote them)."""
    tau = lambda s, fi=512, fo=None: initialiser(s, fi, fo).tau
    assert tau("pytorch:kaiming_normal:linear") == 1
    assert tau("pytorch:kaiming_normal:selu") == Fraction(9, 16)
    assert tau("pytorch:kaiming_uniform:selu") == Fraction(9, 16)
    assert tau("pytorch:kaiming_normal") == 2
    assert tau("pytorch:default") == Fraction(1, 3)
    assert tau("keras:lecun_uniform") == 1
    assert tau("keras:glorot_uniform", 512, 512) == 1
    assert tau("keras:glorot_uniform", 512, 128) == Fraction(8, 5)   # 2 fan_in / (fan_in + fan_out)
    assert tau("pytorch:kaiming_normal:selu:fan_out", 512, 256) == Fraction(9, 8)


def test_keras_lecun_normal_is_not_exactly_one():
    """Keras' 0.87962566103423978 is sqrt(V2) rounded up in the 17th digit: tau < 1,
    1 - tau = 6.727e-17, certified by the ball and confirmed by the quadrature."""
    init = initialiser("keras:lecun_normal", 512)
    t = init.tau_ball(200)
    assert t < 1                       # certified: the whole ball lies below 1
    gap = 1 - t
    assert 6.72e-17 < gap < 6.73e-17
    oracle = 512 * var_truncated(sq(MP.mpf(1) / 512) / KERAS_C)
    assert MP.mpf("6.72e-17") < 1 - oracle < MP.mpf("6.73e-17")
    # and V2 itself: sqrt(V2) = 0.87962566103423975041...
    with precision(220):
        root = truncated_variance(200).sqrt()
        assert abs(root - arb("0.87962566103423975041284")) < arb("1e-22")
    assert abs(MP.sqrt(var_truncated(MP.mpf(1))) - MP.mpf("0.87962566103423975041284")) < MP.mpf("1e-22")
    # without the correction (Keras' TruncatedNormal) the variance is V2 ~ 0.7737
    assert abs(initialiser("truncated_normal:1", 1).tau_float - 0.773741303549923) < 1e-14


@pytest.mark.parametrize("spec", ["keras:lecun_normal", "pytorch:kaiming_uniform:selu",
                                  "pytorch:kaiming_normal:linear", "keras:he_normal"])
def test_monte_carlo_sanity(spec):
    """Sanity only: 10^6 draws have fan_in * sample variance within 1% of tau."""
    init = initialiser(spec, 256)
    w = sample_weights(init, np.random.Generator(np.random.PCG64(7)), (1000, 1000))
    assert abs(256 * w.var() / init.tau_float - 1) < 0.01
    assert abs(w.mean()) < 5 * np.sqrt(init.tau_float / 256 / 1e6)
    if init.distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * init.scale_float
    if init.distribution == "uniform":
        assert np.abs(w).max() <= init.scale_float


BAD = [
    (("foo", 10), "unknown initialiser 'foo'; known:"),
    (("keras:lecun_gaussian", 10), "unknown initialiser"),
    (("pytorch:kaiming_normal:swish", 10), "unknown nonlinearity 'swish'"),
    (("keras:lecun_normal", 0), "fan-in must be at least 1; got 0"),
    (("keras:lecun_normal", -4), "fan-in must be at least 1; got -4"),
    (("keras:lecun_normal", "1e30"), "fan-in must be at most"),
    (("keras:lecun_normal", 2.5), "whole number"),
    (("keras:lecun_normal", "abc"), "fan-in must be a number"),
    (("keras:glorot_normal", 10), "needs a fan-out"),
    (("pytorch:xavier_uniform", 10), "needs a fan-out"),
    (("pytorch:kaiming_normal:selu:fan_out", 10), "needs a fan-out"),
    (("keras:glorot_uniform", 10, 0), "fan-out must be at least 1"),
    (("normal:-0.1", 10), "must be > 0"),
    (("uniform", 10), "write uniform:LIMIT"),
    (("normal:nan", 10), "finite"),
    (("", 10), "give a name"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[str(b[0]) for b in BAD])
def test_bad_input_one_line(args, fragment):
    with pytest.raises(InitialiserError) as info:
        initialiser(*args)
    msg = str(info.value)
    assert fragment in msg
    assert "\n" not in msg
    assert "Traceback" not in msg


def test_unknown_lists_the_known_names():
    with pytest.raises(InitialiserError) as info:
        initialiser("keras:lecun", 8)
    msg = str(info.value)
    for name in ("keras:", "lecun", "pytorch:kaiming_", "normal:STD", "uniform:LIMIT",
                 "pytorch:default"):
        assert name in msg


def test_table_and_tau_versus_one():
    rows = {r[0]: r for r in table(512, 512)}
    assert rows["keras:lecun_normal"][3] == "< 1 by 6.727e-17 (certified)"
    assert rows["pytorch:kaiming_normal:linear:fan_in"][3] == "= 1 exactly"
    assert rows["pytorch:kaiming_normal:selu:fan_in"][2] == "0.5625"
    assert rows["pytorch:default"][2] == "1/3"
    # without a fan-out the fan_avg initialisers are left out, not guessed
    names = [r[0] for r in table(512)]
    assert "keras:glorot_normal" not in names and "keras:lecun_normal" in names
    assert tau_versus_one(initialiser("keras:he_normal", 8)).startswith("> 1 by")
