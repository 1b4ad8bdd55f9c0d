"""Alpha dropout with the rate as a domain variable (``verification.dropout_claims``).

Oracles are independent of our kernels and of our formulas: SELU's moments and their
(m, v) partials come from ``oracle_mpmath`` (mpmath quadrature of the defining
integrals, its own alpha01/lambda01 from the closed forms); the dropped-out unit's
moments are written here from the definition d = B x + (1 - B) alpha'; a and b are
solved from "E[a d + b] = 0, Var(a d + b) = 1", never copied from the paper; the composed
map's Jacobian is mpmath's numerical derivative of the composed map itself.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest

from oracle_mpmath import MP, MomentOracle, largest_singular_value, to_mpf
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params
from verification import checker
from verification import dropout_claims as DC
from verification.cli import main
from verification.domain import Domain
from verification.engine import Runner

ORACLE = MomentOracle()
AP = -ORACLE.alpha * ORACLE.lam                 # alpha' = -lambda alpha
EPS = DC.RESTORATION_EPS
POINT = (F(1, 16), F(-1, 32), F(9, 8), F(17, 16))   # (mu, omega, nu, tau), inside Omega


def oracle_ab(q):
    """(a, b) from the requirement E[y] = 0, Var(y) = 1 at SELU's fixed point."""
    r = ORACLE.moments(0, 1, derivatives=False)
    mean_d = q * r["mu"] + (1 - q) * AP
    var_d = q * r["xi"] + (1 - q) * AP ** 2 - mean_d ** 2
    a = 1 / MP.sqrt(var_d)
    return a, -a * mean_d


def oracle_map(mu, nu, omega, tau, rate):
    """The composed map (paper's convention) from the definitions, in mpmath."""
    q = 1 - rate
    a, b = oracle_ab(q)
    # mpmath numbers (MP.diff moves mu, nu): the quadrature as derivatives_by_mp_diff runs it
    r = ORACLE._expectations(mu * omega, nu * tau, {"1": lambda u: 1})["1"]
    mean_d = q * r.real + (1 - q) * AP
    var_d = q * r.imag + (1 - q) * AP ** 2 - mean_d ** 2
    return a * mean_d + b, a * a * var_d


def evaluate(expr, point):
    d = Domain.of(mu=(0, 0), omega=(0, 0), nu=(1, 1), tau=(1, 1), rate=(0, 0))
    return Evaluator(parse(expr), Params(), 160, d.names).point(point)


def close(ball, x, tol="1e-25"):
    mid = MP.mpf(ball.mid().str(40, radius=False))
    return abs(mid - x) < MP.mpf(tol) + MP.mpf(ball.rad().str(5, radius=False))


@pytest.mark.parametrize("rate", ["0", "0.05", "0.1", "0.2"])
def test_a_b_against_an_independent_mpmath_computation(rate):
    a_o, b_o = oracle_ab(1 - MP.mpf(rate))
    a, b = DC.paper_affine()
    pt = (0, 0, 1, 1, F(rate))
    assert close(evaluate(a, pt), a_o) and close(evaluate(b, pt), b_o)


@pytest.mark.parametrize("rate", ["0", "0.1", "0.2"])
def test_restoration_expressions_are_the_definitions(rate):
    """E[d] + b/a and Var(d) - a^-2 vanish at the fixed point; with the oracle's a, b the
    corrected output y = a d + b has mean a (E[d] + b/a) = 0 and variance 1."""
    e = DC.restoration_expressions()
    pt = (0, 0, 1, 1, F(rate))
    assert close(evaluate(e["mean"], pt), MP.mpf(0)) and close(evaluate(e["var"], pt), MP.mpf(0))
    s, beta = DC.paper_s_beta()
    a_o, b_o = oracle_ab(1 - MP.mpf(rate))
    assert close(evaluate(s, pt), 1 / a_o ** 2) and close(evaluate(beta, pt), b_o / a_o)
    # away from the fixed point they are the dropped-out unit's corrected moments
    mu, nu = oracle_map(*(to_mpf(x) for x in (POINT[0], POINT[2], POINT[1], POINT[3])), MP.mpf(rate))
    m = DC.map_expressions()
    assert close(evaluate(m["M"], POINT + (F(rate),)), mu)
    assert close(evaluate(m["N"], POINT + (F(rate),)), nu)


def test_the_composed_jacobian_and_s_against_the_oracle():
    """J and S of the composed map at a point of Omega and rate 0.1, from the oracle's
    quadrature partials of SELU's moments and the definitions: mu_out = a E[d] + b and
    nu_out = a^2 (E[d^2] - E[d]^2) differentiated as they stand (d E[d] = q d mu~,
    d E[d^2] = q d xi~)."""
    rate = MP.mpf("0.1")
    q = 1 - rate
    a, _ = oracle_ab(q)
    mu, om, nu, ta = POINT
    r = ORACLE.moments(mu * om, nu * ta)
    e_d = q * r["mu"] + (1 - q) * AP
    d_mu = (to_mpf(om) * r["dmu_dm"], to_mpf(ta) * r["dmu_dv"])     # d mu~/d(mu, nu)
    d_xi = (to_mpf(om) * r["dxi_dm"], to_mpf(ta) * r["dxi_dv"])
    J = [[a * q * g for g in d_mu], [a * a * (q * h - 2 * e_d * q * g) for g, h in zip(d_mu, d_xi)]]
    m = DC.map_expressions()
    pt = POINT + (F(1, 10),)
    for name, val in zip(("J11", "J12", "J21", "J22"), (J[0][0], J[0][1], J[1][0], J[1][1])):
        assert close(evaluate(m[name], pt), val), name
    s = largest_singular_value(J[0][0], J[0][1], J[1][0], J[1][1])
    assert close(evaluate(m["S"], pt), s)


def test_at_rate_zero_the_map_is_the_activation():
    m = DC.map_expressions()
    four = POINT
    for mine, theirs in (("M", "mu_tilde"), ("N", "nu_tilde"), ("J11", "J11"), ("J12", "J12"),
                         ("J21", "J21"), ("J22", "J22"), ("S", "S")):
        a = evaluate(m[mine], four + (0,))
        b = Evaluator(parse(theirs), Params(), 160).point(four)
        assert a.overlaps(b), mine


# --------------------------------------------------------------------------- certified claims

@pytest.fixture(scope="module")
def runner():
    with Runner(1) as r:
        yield r


def test_restoration_is_certified(runner):
    o = DC.prove_restoration(runner, (0, F(1, 5)), EPS)
    assert o.proved, o.reason
    lo, hi = o.enclosures["var.max"]
    assert -float(EPS) < lo <= hi < float(EPS) and o.domain.names[-1] == "rate"
    assert o.boxes < 100


@pytest.mark.parametrize("which", ["a", "b"])
def test_restoration_false_twin_is_not_certified(runner, which):
    s, beta = (DC.false_twin_s(), None) if which == "a" else (None, f"1.000001*{DC.paper_s_beta()[1]}")
    o = DC.prove_restoration(runner, (0, F(1, 5)), EPS, s=s, beta=beta)
    assert o.status == "disproved" and not o.proved
    assert o.counterexample is not None


def test_theorem1_analogue_small_domain_certified_and_replayed(runner, tmp_path):
    """Omega x 1/2 with the rate in [0, 0.3]: contraction and self-map, written and
    replayed again from the file."""
    o = DC.prove_contraction(runner, (0, F(3, 10)), F(1, 2), out=tmp_path)
    assert o.proved, o.reason
    assert o.enclosures["S.max"][1] < 1
    chk = checker.check(o.certificate)
    assert chk.ok and chk.status == "proved" and "rate in [0, 0.3]" in chk.proves


def test_theorem1_analogue_fails_where_s_exceeds_one(runner):
    """Omega x 4 at rate 0.05: S > 1 (float search), a certified counterexample."""
    o = DC.prove_contraction(runner, (F(1, 20), F(1, 20)), 4)
    assert o.status == "disproved" and o.counterexample["key"] == "S.max"


def test_search_bookkeeping_on_made_up_outcomes():
    """Approach from below, then bisection, with a fake prover that proves below 0.37."""
    def attempt(x):
        return DC.Outcome(str(x), None, "proved" if x < F(37, 100) else "disproved", {}, 0, 0.0)
    s = DC._approach(DC.Search("rate"), attempt, F(1, 10), F(9, 10), 12)
    assert s.good < F(37, 100) <= s.bad and s.bad - s.good <= F(2, 1000) and s.bad_status == "disproved"
    assert len(s.steps) <= 12 and [o.status for o in s.steps][:2] == ["proved", "disproved"]
    s = DC._approach(DC.Search("rate"), attempt, F(1, 2), F(9, 10), 5)
    assert s.good is None and len(s.steps) == 1
    s = DC._approach(DC.Search("rate"), attempt, F(1, 10), F(3, 10), 4)
    assert s.bad is None and s.good == F(11, 40)     # 0.1, 0.2, 0.25, 0.275


@pytest.mark.parametrize("args, message", [
    (["--rate=-0.1:0.2"], "0 <= lo <= hi"), (["--rate", "0:1"], "below 1"),
    (["--rate", "0.3:0.2"], "0 <= lo <= hi"), (["--rate", "x"], "rate must be a number"),
    (["--scale", "0"], "scale"), (["--eps", "1"], "eps"), (["--largest-omega", "1"], "below 1")])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(["dropout", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_api_twin_repr_html_and_dict():
    from verification import api
    res = api.dropout(rate=("0", "0.2"), contraction=False)
    assert res.certified
    text = repr(res)
    assert text.startswith("<DropoutResult ") and "\n" not in text and len(text) <= 300
    assert "restoration proved" in text and "false twin disproved" in text
    html = res._repr_html_()
    assert "<table" in html and "restoration" in html
    d = res.to_dict()
    assert d["restoration"]["status"] == "proved" and d["false_twin"]["status"] == "disproved"
    assert d["restoration"]["domain"]["rate"] == ["0", "1/5"]


def test_cli_restoration_fits_80_columns(capsys):
    assert main(["dropout", "--no-contraction", "--rate", "0:0.1"]) == 0
    out = capsys.readouterr().out
    assert "restoration" in out and "false twin" in out and "disproved" in out
    assert all(len(line) <= 79 for line in out.splitlines()), out
