"""Generated kernels of every built-in activation, and of an activation built here from
terms, against an independent mpmath oracle of the defining integrals.

The oracle never sees a closed form, a spec or a kernel: each activation is written
below as a plain mpmath function, and

    E[f(z)^p],  z ~ N(m, v),  z = m + s u,  s = sqrt(v),  u ~ N(0, 1)

is an ``mpmath.quad`` (Gauss-Legendre) over u in [-CUT, CUT] split at the break
u0 = -m/s (each piece analytic); every integrand here is at most a polynomial of degree
4 in z times exp(a z) with a z <= 0 on its side, times the Gaussian, so the tails beyond
|u| = CUT = 14 are below 1e-35 relative at the points tested.  The
(m, v) partials are differentiated under the integral sign, on the Gaussian density:
d/dm E[g] = E[g u]/s and d/dv E[g] = E[g (u^2 - 1)]/(2v) (dominated convergence: |f|^p
grows at most like x^4 exp(a x), which the Gaussian dominates).  The parameter partials
of ``moments_params`` are ``mpmath.diff`` of the oracle in the parameter.

A ball kernel is right at a point when the ball, widened by the oracle's own error
(10 x quad's error estimate + 1e-21 relative), contains the oracle value, and its radius
is small (so containment is not vacuous).
"""
import importlib.util
import random

import mpmath
import pytest
import sympy as sp
from flint import arb

from selu_theory import kernel_loader
from selu_theory.activations import family
from selu_theory.activations.spec import Parameter
from selu_theory.ball import precision
from selu_theory.codegen.kernels import render_activation

MP = mpmath.MPContext()
MP.dps = 25
RTOL = MP.mpf("1e-21")
CUT = 14


def _selu(x, alpha, lam):
    return lam * x if x >= 0 else lam * alpha * (MP.exp(x) - 1)


def _elu(x, alpha):
    return x if x >= 0 else alpha * (MP.exp(x) - 1)


def _celu(x, alpha, lam):
    return lam * (max(0, x) + min(0, alpha * (MP.exp(x / alpha) - 1)))


def _serlu(x, alpha, lam):
    return lam * x if x >= 0 else lam * alpha * x * MP.exp(x)


def _relu(x, b, lam):
    return lam * (max(0, x) - b)


def _mixed(x, alpha, lam):
    """The activation built in this test from terms (see ``mixed_kernels``)."""
    if x < 0:
        return (lam * alpha * MP.exp(x / alpha) - lam * alpha + lam * x**2 * MP.exp(2 * x) / 2
                + x * MP.exp(x + 1) / 8)
    return lam * x * MP.exp(-x / 4) + alpha * x**2 * MP.exp(-x / 2) / 8 + lam / 4


# (oracle function, default parameters, a second parameter set) per activation
CASES = {
    "selu": (_selu, ("1.6732632423543772848170429916717", "1.0507009873554804934193349852946"), ("0.9", "1.3")),
    "elu": (_elu, ("1",), ("2.25",)),
    "celu": (_celu, ("1", "1"), ("0.6", "1.4")),
    "serlu": (_serlu, ("2.90427", "1.07862"), ("1.5", "0.8")),
    "relu": (_relu, ("0.3989422804", "1.712858550"), ("0.75", "1.1")),
    "mixed": (_mixed, ("1.5", "0.75"), ("0.7", "1.2")),
}

STRUCTURED = [("0", "1"), ("-1", "0.5"), ("1", "2"), ("0.25", "0.1"), ("-2", "3"), ("2", "0.3")]
_rng = random.Random(20260409)
RANDOM = [(f"{_rng.uniform(-2, 2):.6f}", f"{_rng.uniform(0.1, 4):.6f}") for _ in range(3)]


def oracle(f, m: str, v: str, params) -> dict:
    """{name: (value, error)} of mu, xi and their first (m, v) partials."""
    m, v = MP.mpf(m), MP.mpf(v)
    ps = [MP.mpf(p) for p in params]
    s = MP.sqrt(v)
    u0 = -m / s
    phi = lambda u: MP.exp(-u * u / 2) / MP.sqrt(2 * MP.pi)  # noqa: E731
    weights = {"": lambda u: 1, "_m": lambda u: u / s, "_v": lambda u: (u * u - 1) / (2 * v)}
    out = {}
    for base, p in (("mu", 1), ("xi", 2)):
        for suffix, w in weights.items():
            g = lambda u: f(m + s * u, *ps) ** p * w(u) * phi(u)  # noqa: E731
            lo, elo = MP.quad(g, [-CUT, u0], error=True, method="gauss-legendre")
            hi, ehi = MP.quad(g, [u0, CUT], error=True, method="gauss-legendre")
            value = lo + hi
            out[base + suffix] = (value, 10 * (elo + ehi) + RTOL * (1 + abs(value)))
    return out


def oracle_param_partials(f, m: str, v: str, params) -> dict:
    """{"mu:<i>"/"xi:<i>": value} of the parameter partials, by mpmath.diff of the oracle."""
    m, v = MP.mpf(m), MP.mpf(v)
    s = MP.sqrt(v)
    u0 = -m / s
    phi = lambda u: MP.exp(-u * u / 2) / MP.sqrt(2 * MP.pi)  # noqa: E731
    out = {}
    for i in range(len(params)):
        for base, p in (("mu", 1), ("xi", 2)):
            def moment(t, i=i, p=p):
                ps = [MP.mpf(q) for q in params]
                ps[i] = t
                g = lambda u: f(m + s * u, *ps) ** p * phi(u)  # noqa: E731
                return (MP.quad(g, [-CUT, u0], method="gauss-legendre")
                        + MP.quad(g, [u0, CUT], method="gauss-legendre"))
            out[f"{base}:{i}"] = MP.diff(moment, MP.mpf(params[i]))
    return out


def _contains(ball: arb, value, err) -> bool:
    """ball widened by the oracle's error contains the oracle value, and is narrow."""
    with precision(200):   # the comparison itself must not round at 53 bits
        widened = ball + arb(0, float(err) * 2)   # float(err) rounds: double it
        narrow = ball.rad() < 1e-15 * (1 + abs(ball.mid()))
        return narrow and widened.contains(arb(MP.nstr(value, 40)))


@pytest.fixture(scope="module")
def mixed_kernels(tmp_path_factory):
    """An activation built from sympy expressions via terms_of: power 2 with nonzero
    rates on both sides, a rate 1/alpha depending on a parameter, the constant e in a
    coefficient, a jump at 0; its ball
    and float kernels generated here (first partials only, to keep the test fast)."""
    x = sp.Symbol("x", real=True)
    alpha, lam = sp.symbols("alpha lam", positive=True)
    neg = family.terms_of(lam * alpha * sp.exp(x / alpha) - lam * alpha + lam * x**2 * sp.exp(2 * x) / 2
                          + x * sp.exp(x + 1) / 8, x)   # e as a coefficient
    pos = family.terms_of(lam * x * sp.exp(-x / 4) + alpha * x**2 * sp.exp(-x / 2) / 8 + lam / 4, x)
    assert {(t.power, t.rate) for t in pos} == {(1, -sp.Rational(1, 4)), (2, -sp.Rational(1, 2)), (0, 0)}
    spec = family.piecewise_activation(
        "mixed", "mixed", (Parameter("alpha", alpha, "alpha", "1.5"), Parameter("lam", lam, "lambda", "0.75")),
        neg, pos, max_order=1)
    files = render_activation(spec, ("ball_kernels.py", "float_kernels.py"), origin="tests/test_family_oracle.py")
    modules = {}
    for name, text in files.items():
        path = tmp_path_factory.mktemp("mixed") / name
        path.write_text(text)
        loader = importlib.util.spec_from_file_location(f"mixed_{name[:-3]}", path)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        modules[name[:-3]] = module
    return modules


def _kernels(activation_id, kind, mixed_kernels):
    if activation_id == "mixed":
        return mixed_kernels[kind]
    return kernel_loader.load_kernels(activation_id, kind)


def _check_point(activation_id, params, m, v, mixed_kernels):
    f = CASES[activation_id][0]
    ball = _kernels(activation_id, "ball_kernels", mixed_kernels)
    want = oracle(f, m, v, params)
    with precision(80):
        got = ball.moments_order0_1(arb(m), arb(v), *[arb(p) for p in params])
    names = ball.NAMES["moments_order0_1"]
    assert set(names) == set(want)
    for name, b in zip(names, got):
        value, err = want[name]
        assert _contains(b, value, err), (activation_id, params, m, v, name, b, value)


@pytest.mark.parametrize("activation_id", list(CASES))
def test_ball_kernels_contain_the_oracle(activation_id, mixed_kernels):
    """Values and first (m, v) partials of mu~ and xi~, at structured and random points
    and two parameter sets."""
    _, defaults, other = CASES[activation_id]
    for m, v in STRUCTURED + RANDOM:
        _check_point(activation_id, defaults, m, v, mixed_kernels)
    for m, v in RANDOM[:2] + STRUCTURED[:2]:
        _check_point(activation_id, other, m, v, mixed_kernels)


def test_the_oracle_check_can_fail(mixed_kernels):
    """False twin: SERLU's kernels against the oracle of SELU's formula fail."""
    f = CASES["selu"][0]
    ball = kernel_loader.load_kernels("serlu", "ball_kernels")
    want = oracle(f, "0.5", "1.5", ("2.90427", "1.07862"))
    with precision(80):
        got = dict(zip(ball.NAMES["moments_order0"], ball.moments_order0(arb("0.5"), arb("1.5"), arb("2.90427"),
                                                                          arb("1.07862"))))
    assert not _contains(got["mu"], *want["mu"])


@pytest.mark.parametrize("activation_id", list(CASES))
def test_moments_params_match_the_oracle(activation_id, mixed_kernels):
    """moments_params (ball and float): mu, xi and their parameter partials against the
    oracle and mpmath.diff of the oracle."""
    f, defaults, other = CASES[activation_id]
    ball = _kernels(activation_id, "ball_kernels", mixed_kernels)
    flt = _kernels(activation_id, "float_kernels", mixed_kernels)
    names = ball.NAMES["moments_params"]
    pnames = [info[0] for info in ball.PARAMETER_INFO]
    assert flt.NAMES["moments_params"] == names
    for params, (m, v) in ((defaults, ("0.3", "1.2")), (other, RANDOM[0])):
        values = oracle(f, m, v, params)
        partials = oracle_param_partials(f, m, v, params)
        with precision(80):
            got = ball.moments_params(arb(m), arb(v), *[arb(p) for p in params])
        floats = flt.moments_params(float(m), float(v), *[float(p) for p in params])
        for name, b, fl in zip(names, got, floats):
            if ":" in name:
                base, p = name.split(":")
                index = pnames.index(p)
                want = partials[f"{base}:{index}"]
                err = MP.mpf("1e-16") * (1 + abs(want))   # mpmath.diff's step error
            else:
                want, err = values[name]
            assert _contains(b, want, err), (activation_id, name, b, want)
            assert abs(float(fl) - float(want)) <= 1e-11 * (1 + abs(float(want))), (activation_id, name, fl, want)


@pytest.mark.parametrize("activation_id", ["elu", "celu", "serlu", "relu"])
def test_grid_mr_kernels_enclose_the_ball_kernels(activation_id):
    """The midpoint-radius grid kernels (run as plain Python over the numba primitives,
    to skip compiling the kernels themselves) enclose the ball kernels' values with a
    small radius, at float points where every erfcx argument is >= 0 (elsewhere they
    fail closed, NaN)."""
    mr = kernel_loader.load_kernels(activation_id, "grid_mr_kernels")
    bk = kernel_loader.load_kernels(activation_id, "ball_kernels")
    params = [float(p) for p in CASES[activation_id][1]]
    K = tuple(x for p in params for x in (p, 0.0))
    rng = random.Random(5)
    points = [(0.0, 1.0), (0.5, 0.3), (2.0, 2.5)] + [(rng.uniform(0, 2), rng.uniform(0.1, 3)) for _ in range(5)]
    for m, v in points:
        H = mr.moments_order0_1_hoisted.py_func(v, 0.0, K)
        vals = mr.moments_order0_1_mr.py_func(m, 0.0, H, K)
        with precision(200):
            exact = bk.moments_order0_1(arb(m), arb(v), *[arb(p) for p in params])
            for k, (name, ball) in enumerate(zip(mr.NAMES["moments_order0_1"], exact)):
                mid, rad = vals[2 * k], vals[2 * k + 1]
                assert abs(ball - arb(mid)).upper() <= arb(rad), (activation_id, name, m, v, mid, rad, ball)
                # SERLU's xi~ carries J_2(2) = E[z^2 e^{2z}; z < 0] as G (P4 erfcx(u) + Q3) with
                # P4, Q3 quartic/cubic in (m, v), which cancel for large u: measured radii
                # up to 3e-12 relative (SELU, ELU, CELU, ReLU: below 2e-14)
                assert rad <= 1e-11 * max(1.0, abs(mid)), (activation_id, name, m, v, rad)
