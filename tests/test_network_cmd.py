"""selu-verify network: verdicts, certified fixed points against an independent oracle,
bad input, JSON, the simulation's determinism.

The oracle is tests/oracle_mpmath.py (SELU's moments as mpmath quadratures of the
defining integrals); the fixed points it gives are found here by Newton's method on the
one-dimensional maps the module doc of verification/network.py describes, from a start
of the test's own.  Everything runs in-process with one worker, small depths and widths.
"""
from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle_mpmath as O  # noqa: E402

from selu_theory import dropout as D  # noqa: E402
from selu_theory.params import Params  # noqa: E402
from verification import api  # noqa: E402
from verification import claims as C  # noqa: E402
from verification import network as NW  # noqa: E402
from verification.engine import Runner  # noqa: E402

ORACLE = O.MomentOracle()
KAIMING = ("--init", "pytorch:kaiming_normal:linear", "--fan-in", "512", "--depth", "8")


def run_json(cli, tmp_path, *args):
    path = tmp_path / "net.json"
    code, out, err = cli("network", *args, "--json", str(path))
    return code, out, err, json.loads(path.read_text())


def oracle_fixed_point(second_moment, start, steps=12):
    """xi = X(xi) by Newton on the oracle's X and dX/dxi (``second_moment(xi)``)."""
    x = mpmath.mpf(start)
    for _ in range(steps):
        val, slope = second_moment(O.to_fraction(x))
        step = (val - x) / (slope - 1)
        x -= step
        if abs(step) < mpmath.mpf("1e-25"):
            break
    return x


def ensemble(tau, q=Fraction(1)):
    """Standard dropout at keep q (q = 1: none): X(xi) = xi~(0, xi tau) / q."""
    def second_moment(xi):
        m = ORACLE.moments(0, xi * tau)
        return m["xi"] / O.to_mpf(q), O.to_mpf(tau) * m["dxi_dv"] / O.to_mpf(q)
    return second_moment


def test_kaiming_linear_is_certified_at_0_1(cli, tmp_path):
    code, out, err, data = run_json(cli, tmp_path, *KAIMING)
    assert code == 0, err
    assert "verdict: self-normalizing (ensemble map): converges to (0, 1) from your input;" in out
    assert data["certified"] is True and data["tau"] == "1" and data["omega"] == "0"
    for sec in ("paper", "ensemble"):
        s = data[sec]
        assert s["certified"] and s["input_inside"]
        lo, hi = s["nu_star"]
        assert lo <= 1 <= hi and hi - lo < 1e-8
        assert s["contraction_max"][1] < 1
    assert data["krawczyk"]["stable"] is True
    assert all(len(line) <= 80 for line in out.splitlines()[5:] if not line.startswith("  source"))


def test_kaiming_selu_gain_moves_the_fixed_point(cli, tmp_path):
    """gain 3/4 -> tau = 9/16: the verdict names the moved fixed point and tau as the
    reason; the certified xi* contains the oracle's; the paper's map is not certified
    (S > 1 at its fixed point)."""
    args = ("--init", "pytorch:kaiming_normal:selu", "--fan-in", "512", "--depth", "8")
    code, out, err, data = run_json(cli, tmp_path, *args)
    verdict = data["verdict"]
    assert "not (0, 1)" in verdict and "tau = 0.5625 is not 1" in verdict
    assert "converges to (0, 1)" not in verdict
    e = data["ensemble"]
    assert e["certified"]
    xi = oracle_fixed_point(ensemble(Fraction(9, 16)), "0.05")
    lo, hi = (Fraction(x) for x in e["fixed_interval"])
    assert lo < O.to_fraction(xi) < hi
    mu = ORACLE.moments(0, O.to_fraction(xi) * Fraction(9, 16), derivatives=False)["mu"]
    assert e["mu_star"][0] <= float(mu) <= e["mu_star"][1]
    assert data["paper"]["certified"] is False and data["krawczyk"]["stable"] is False
    assert "S > 1 at its fixed point" in " ".join(data["estimated"])


def test_standard_dropout_moves_the_fixed_point(cli, tmp_path):
    code, out, err, data = run_json(cli, tmp_path, *KAIMING, "--dropout", "standard:0.1")
    e = data["ensemble"]
    assert e["certified"] and "not (0, 1)" in data["verdict"] and "standard dropout" in data["verdict"]
    xi = oracle_fixed_point(ensemble(Fraction(1), Fraction(9, 10)), "1.5")
    lo, hi = (Fraction(x) for x in e["fixed_interval"])
    assert lo < O.to_fraction(xi) < hi
    assert 1.5 < e["nu_star"][0]


@pytest.mark.parametrize("rate", ["0.05", "0.1"])
def test_alpha_dropout_keeps_0_1_certified(cli, tmp_path, rate):
    code, out, err, data = run_json(cli, tmp_path, *KAIMING, "--dropout", f"alpha:{rate}")
    assert code == 0, err
    assert data["dropout"] == f"alpha:{rate}" and data["certified"] is True
    assert "converges to (0, 1)" in data["verdict"]
    assert data["paper"]["certified"] and data["ensemble"]["certified"]
    assert "certified" in out and "float" in out      # both labels appear


def test_alpha_dropout_expressions_match_the_dropout_module():
    """The composed map's expression text (network.expressions) against dropout.py's
    closed form, fed the oracle's moments (floats at a non-fixed point)."""
    params = Params()
    exprs = NW.expressions("alpha:0.1")
    q, ap = 0.9, -float(O.alpha01() * O.lambda01())
    for nu in (Fraction(7, 10), Fraction(13, 10)):
        m = ORACLE.moments(0, nu, derivatives=False)
        mu_out, nu_out = D.alpha_dropout_moments(float(m["mu"]), float(m["xi"]), q, ap)
        f = NW.FloatMap(params, exprs, 1.0)
        assert f("M", float(nu)) == pytest.approx(mu_out, rel=1e-12, abs=1e-14)
        assert f("N", float(nu)) == pytest.approx(nu_out, rel=1e-12)


@pytest.mark.parametrize("args, words", [
    (("--dropout", "alpha:-0.1"), "must be >= 0"),
    (("--dropout", "standard:1"), "below 1"),
    (("--dropout", "gaussian:0.1"), "alpha:RATE"),
    (("--init", "pytorch:kaiming_wrong"), "known:"),
    (("--fan-in", "0"), "at least 1"),
    (("--depth", "100000000000000000000"), "depth must be between"),
    (("--simulate", "--width", "100000"), "--width must be between"),
    (("--width", "64"), "go with --simulate"),
    (("--input", "0", "-1"), "variance"),
])
def test_bad_input_exits_2_with_one_line(cli, args, words):
    base = {"--init": "pytorch:kaiming_normal:linear", "--fan-in": "64"}
    given = dict(base)
    rest = list(args)
    if rest[0] in base:
        given[rest[0]] = rest[1]
        rest = rest[2:]
    argv = ["network"] + [x for kv in given.items() for x in kv] + rest
    code, out, err = cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert "Traceback" not in err


def test_simulation_is_deterministic_for_a_seed(cli, tmp_path):
    args = ("--init", "keras:lecun_normal", "--fan-in", "32", "--depth", "4", "--simulate",
            "--batch", "16", "--quiet")
    runs = []
    for seed in ("3", "3", "4"):
        path = tmp_path / f"s{len(runs)}.json"
        code, out, err = cli("network", *args, "--seed", seed, "--json", str(path))
        assert code == 0, err
        runs.append(json.loads(path.read_text())["simulation"])
    assert runs[0] == runs[1] and runs[0]["var"] != runs[2]["var"]
    assert runs[0]["width"] == 32 and len(runs[0]["mean"]) == 5 and runs[0]["gaps"]


def test_false_twin_interval_without_the_fixed_point_is_not_certified():
    """The fixed-point parts on an interval that misses the fixed point (xi* = 1 at
    tau = 1) are refused by the pipeline: the self-map fails there."""
    exprs = NW.expressions("none")
    lo, hi = Fraction(101, 100), Fraction(102, 100)
    dom = NW.domain_of(lo, hi, (Fraction(1), Fraction(1)))
    parts = [C.Extremum("X.min", exprs["X"], "min", dom, threshold=str(lo), tol=C.NO_TOL),
             C.Extremum("X.max", exprs["X"], "max", dom, threshold=str(hi), tol=C.NO_TOL)]
    with Runner(1) as r:
        res, done = NW.certify_parts("network-fixed-point@test,false-twin", parts, Params(), r, None, 2000)
    assert done.status != "proved"


def test_api_twin_renders():
    r = api.network("pytorch:kaiming_normal:linear", 64, dropout="alpha:0.05", depth=4)
    assert r.certified and "converges to (0, 1)" in r.verdict
    assert repr(r).startswith("<NetworkReport ") and len(repr(r)) <= 300
    assert "<table>" in r._repr_html_() and "verdict" in r._repr_html_()
    d = r.to_dict()
    json.dumps(d)
    assert d["dropout"] == "alpha:0.05" and len(d["trajectory"]["mu"]) == 5


@pytest.mark.parametrize("dropout", ["none", "standard:0.1", "alpha:0.05"])
def test_expression_derivatives_match_finite_differences(dropout):
    """dM, dX, dN are the nu-derivatives of M, X, N (central differences, floats) and
    S = sqrt(dM^2 + dN^2): the contraction claims bound the right functions."""
    f = NW.FloatMap(Params(), NW.expressions(dropout), 0.75)
    h = 1e-5
    for x in (0.3, 1.0, 2.2):
        for val, der in (("M", "dM"), ("X", "dX"), ("N", "dN")):
            fd = (f(val, x + h) - f(val, x - h)) / (2 * h)
            assert f(der, x) == pytest.approx(fd, rel=1e-6, abs=1e-9), (val, x)
        assert f("S", x) == pytest.approx((f("dM", x) ** 2 + f("dN", x) ** 2) ** 0.5, rel=1e-12)


def test_grow_stays_inside_what_proves():
    """The domain search only accepts intervals its ``proves`` accepted, and gets close
    to the true limits (here a known set: [0.3, 7])."""
    seen = []

    def proves(a, b):
        seen.append((a, b))
        return a >= Fraction(3, 10) and b <= 7
    a, b = NW._grow(proves, (Fraction(8, 10), Fraction(15, 10)), 1.0)
    assert proves(a, b) and Fraction(3, 10) <= a < Fraction(45, 100) and 5 < b <= 7
    assert all(lo > 0 for lo, _ in seen)


@pytest.mark.parametrize("args, words", [
    (("--fan-in", "nan"), "fan-in must be a finite number"),
    (("--fan-in", "1e308"), "fan-in must be at most"),
    (("--fan-in", "1e-999999999"), "exponent"),
    (("--fan-in", "0.5"), "whole number"),
    (("--dropout", "alpha:nan"), "finite"),
    (("--dropout", "alpha:1e308"), "below 1"),
    (("--dropout", "standard:-1e308"), "must be >= 0"),
    (("--dropout", "alpha:1e-999999999"), "exponent"),
    (("--dropout", "standard:0.99999999999999999999999"), None),     # allowed: below 1
    (("--input", "nan", "1"), "finite"),
    (("--input", "0", "1e308"), "nu <= 1e6"),
    (("--input", "1e-999999999", "1"), "exponent"),
    (("--init", "normal:1e308"), "at most"),
    (("--init", "normal:1e-999999999"), "exponent"),
    (("--init", "keras:lecun_gaussian"), "known:"),
    (("--depth", "1e308"), "whole number"),
])
def test_hostile_numbers_exit_2_with_one_short_line(cli, args, words):
    """NaN, 1e308 and '1e-999999999' anywhere: exit 2 and one line that does not spell
    out 309 digits."""
    base = {"--init": "pytorch:kaiming_normal:linear", "--fan-in": "64"}
    given = dict(base)
    rest = list(args)
    if rest[0] in base:
        given[rest[0]] = rest[1]
        rest = rest[2:]
    argv = ["network"] + [x for kv in given.items() for x in kv] + rest + ["--depth", "2", "--quiet"]
    if words is None:         # a legal rate just below 1: analysed, no input error
        code, out, err = cli(*argv)
        assert code in (0, 1) and "Traceback" not in err
        return
    code, out, err = cli(*argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and words in err and len(lines[0]) < 400, err


def elu_alpha_dropout_direct(nu, rate, alpha=1):
    """(E y, Var y) for ELU (x; alpha (e^x - 1)) with alpha dropout, by one quadrature of
    the dropped-out, corrected output; alpha' = -alpha, the paper's a, b."""
    q, ap, al = 1 - mpmath.mpf(rate), -mpmath.mpf(alpha), mpmath.mpf(alpha)
    a = (q + ap ** 2 * q * (1 - q)) ** mpmath.mpf(-0.5)
    b = -a * (1 - q) * ap
    f = lambda x: x if x > 0 else al * mpmath.expm1(x)
    s = mpmath.sqrt(nu)
    dens = lambda u: mpmath.exp(-u * u / 2) / mpmath.sqrt(2 * mpmath.pi)
    e1 = mpmath.quad(lambda u: (a * f(s * u) + b) * dens(u), [-mpmath.inf, 0, mpmath.inf])
    e2 = mpmath.quad(lambda u: (a * f(s * u) + b) ** 2 * dens(u), [-mpmath.inf, 0, mpmath.inf])
    m1 = q * e1 + (1 - q) * (a * ap + b)
    return m1, q * e2 + (1 - q) * (a * ap + b) ** 2 - m1 ** 2


def test_alpha_dropout_for_elu_matches_a_direct_quadrature():
    """Alpha dropout for another built-in (ELU: alpha' = f(-inf) = -alpha, from
    selu_theory.pointwise): the composed map's expressions against the quadrature."""
    exprs = NW.expressions("alpha:0.1", "elu")
    f = NW.FloatMap(Params(activation="elu"), exprs, 1.0)
    for nu in ("0.5", "1.7"):
        mu_out, nu_out = elu_alpha_dropout_direct(mpmath.mpf(nu), "0.1")
        assert f("M", float(nu)) == pytest.approx(float(mu_out), rel=1e-12, abs=1e-14)
        assert f("N", float(nu)) == pytest.approx(float(nu_out), rel=1e-12)


def test_a_certified_counterexample_outranks_a_float_factor_below_one(cli, tmp_path):
    """Shifted ReLU carries the variance exactly (X' = 1): the float factor rounds to
    0.99998 at the float fixed point, but the contraction is disproved by a certified
    counterexample, so the verdict must not read "probably self-normalizing"."""
    code, out, err, data = run_json(cli, tmp_path, "--activation", "relu", *KAIMING)
    assert data["certified"] is False and data["ensemble"]["domain_status"] == "disproved"
    assert "verdict: not certified self-normalizing" in out and "probably" not in out
