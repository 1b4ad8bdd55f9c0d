"""Designing new SELU parameters: params, theorems and domain from the command line.

The mpmath oracle below integrates SELU against the Gaussian density numerically: it shares
no formula with the kernels (no erfc closed forms), so it checks them independently.
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest

from selu_theory import constants
from selu_theory.params import Params
from verification import checker, prove
from verification import claims as C
from verification import domain_search as DS
from verification import scaled_claims as SC
from verification.cli import main
from verification.engine import Runner

NOTEBOOK = (1.9769021954242014, 1.073851239616046)  # getSELUparameters, (-0.1, 2.0), omega = tau = 1


# --------------------------------------------------------------------------- independent oracle

def _mp_moments(alpha, lam, m, v):
    """E selu(z), E selu(z)^2 for z ~ N(m, v) by numerical quadrature (mpmath)."""
    s = mpmath.sqrt(v)

    def pdf(x):
        return mpmath.exp(-(x - m) ** 2 / (2 * v)) / (s * mpmath.sqrt(2 * mpmath.pi))

    def neg(x):
        return lam * alpha * (mpmath.exp(x) - 1)

    e1 = mpmath.quad(lambda x: lam * x * pdf(x), [0, m + 12 * s if m + 12 * s > 0 else 1, mpmath.inf]) + \
        mpmath.quad(lambda x: neg(x) * pdf(x), [-mpmath.inf, min(m, 0) - 12 * s, 0])
    e2 = mpmath.quad(lambda x: (lam * x) ** 2 * pdf(x), [0, m + 12 * s if m + 12 * s > 0 else 1, mpmath.inf]) + \
        mpmath.quad(lambda x: neg(x) ** 2 * pdf(x), [-mpmath.inf, min(m, 0) - 12 * s, 0])
    return e1, e2 - e1 ** 2


def _mp_alpha_lambda(mu, nu, omega, tau, start):
    with mpmath.workdps(45):
        mu, nu = mpmath.mpf(Fraction(mu).numerator) / Fraction(mu).denominator, mpmath.mpf(nu)
        m, v = mu * omega, nu * tau

        def f(a, lam):
            e, var = _mp_moments(a, lam, m, v)
            return [e - mu, var - nu]
        return mpmath.findroot(f, [mpmath.mpf(x) for x in start], tol=mpmath.mpf(10) ** -38)


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _bounds(d):
    return Fraction(d["lower"]), Fraction(d["upper"])


def _mpf_fraction(x) -> Fraction:
    man, exp = x.man_exp  # no mpf(x): that would round to the current precision
    return Fraction(int(man)) * Fraction(2) ** int(exp)


# --------------------------------------------------------------------------- params

@pytest.mark.parametrize("target", [("0.1", "1.5", 0, 1), ("-0.1", "2.0", 1, 1), ("-0.2", "0.5", 0, 1)])
def test_params_enclosure_contains_mpmath_root_and_excludes_perturbed(target, tmp_path, capsys):
    mu, nu, om, ta = target
    js = tmp_path / "p.json"
    code, out, err = _run(["params", "--fixed-point", mu, nu, "--omega", str(om), "--tau", str(ta),
                           "--json", str(js)], capsys)
    assert code == 0, err
    data = json.loads(js.read_text())
    a_lo, a_hi = _bounds(data["alpha"])
    l_lo, l_hi = _bounds(data["lambda"])
    root = _mp_alpha_lambda(mu, nu, om, ta, (data["alpha"]["float"], data["lambda"]["float"]))
    a, lam = _mpf_fraction(root[0]), _mpf_fraction(root[1])
    # the enclosure is about 1e-30 wide; the oracle is good to about 1e-38
    assert a_lo <= a <= a_hi and l_lo <= lam <= l_hi
    eps = Fraction(1, 10 ** 25)
    assert not (a_lo <= a * (1 + eps) <= a_hi) and not (l_lo <= lam * (1 - eps) <= l_hi)
    assert data["unique_in_box"] and data["globally_unique"]
    kb = [Fraction(x) for x in data["krawczyk_box"]["alpha"]]
    assert kb[0] <= a_lo and a_hi <= kb[1]


def test_params_alpha01_reproduces_registered_claim(tmp_path, capsys):
    js = tmp_path / "p.json"
    code, out, _ = _run(["params", "--fixed-point", "0", "1", "--json", str(js)], capsys)
    assert code == 0
    assert "these are alpha01, lambda01" in out and "< 1, stable" in out
    data = json.loads(js.read_text())
    with Runner(1) as r:
        reg = prove.run_claim(C.get("alpha-lambda-01"), r)
    assert reg.status == "proved"
    for key, name in (("alpha", "alpha"), ("lambda", "lambda")):
        lo, hi = _bounds(data[name])
        rlo, rhi = reg.enclosures[key]
        assert max(lo, Fraction(rlo)) <= min(hi, Fraction(rhi))  # the two enclosures overlap
        assert hi - lo < Fraction(1, 10 ** 29)
    a01 = constants.alpha01(200)
    assert a01.overlaps(SC.ball.interval(*_bounds(data["alpha"])))
    assert data["alpha"]["float"] == constants.ALPHA01_FLOAT and data["lambda"]["float"] == constants.LAMBDA01_FLOAT
    assert data["stable"] is True and data["attracting"] is True
    assert data["spectral_norm"]["upper_float"] < 0.7877 < 1


def test_params_notebook_convention(tmp_path, capsys):
    js = tmp_path / "p.json"
    code, out, _ = _run(["params", "--fixed-point", "-0.1", "2.0", "--omega", "1", "--tau", "1",
                         "--json", str(js)], capsys)
    assert code == 0
    data = json.loads(js.read_text())
    assert "getSELUparameters notebook convention" in data["convention"]
    # the notebook's float alpha is 1.1e-15 off the root (its own float rounding)
    assert abs(data["alpha"]["float"] - NOTEBOOK[0]) < 2e-15
    assert abs(data["lambda"]["float"] - NOTEBOOK[1]) < 2e-15
    assert data["reference"]["alpha_minus_certified"] != 0
    # ... and with omega = tau = 1 the fixed point is not stable, and says so
    assert data["stable"] is False and data["attracting"] is False
    assert "NOT stable" in out and "repels" in out


def test_params_no_solution_is_reported(capsys):
    code, out, err = _run(["params", "--fixed-point", "0.5", "0.01"], capsys)
    assert code == 1
    assert "no solution" in out and "outside the attainable range" in out
    assert "Traceback" not in err


def test_params_locates_fixed_point_of_given_alpha_lambda(tmp_path, capsys):
    js = tmp_path / "p.json"
    code, out, _ = _run(["params", "--alpha", "1.5", "--lambda", "1.1", "--json", str(js)], capsys)
    assert code == 0
    data = json.loads(js.read_text())
    with mpmath.workdps(40):
        def f(mu, nu):
            e, var = _mp_moments(mpmath.mpf("1.5"), mpmath.mpf("1.1"), 0, nu)
            return [e - mu, var - nu]
        mu, nu = mpmath.findroot(f, [mpmath.mpf(data["mu_star"]["float"]), mpmath.mpf(data["nu_star"]["float"])])
        for x, d in ((mu, data["mu_star"]), (nu, data["nu_star"])):
            assert Fraction(d["lower"]) <= _mpf_fraction(x) <= Fraction(d["upper"])
    assert data["stable"] is True


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("args", [
    ["params", "--fixed-point", "0", "0"],
    ["params", "--fixed-point", "0", "-1"],
    ["params", "--fixed-point", "nan", "1"],
    ["params", "--fixed-point", "0", "nan"],
    ["params", "--fixed-point", "0", "inf"],
    ["params", "--fixed-point", "0", "1", "--tau", "0"],
    ["params", "--fixed-point", "0", "1", "--tau", "-1"],
    ["params", "--fixed-point", "0", "1", "--tau", "nan"],
    ["params", "--fixed-point", "0", "1", "--omega", "nan"],
    ["params", "--fixed-point", "zero", "1"],
    ["params", "--fixed-point", "0"],
    ["params"],
    ["params", "--fixed-point", "0", "1", "--alpha", "1.5"],
    ["params", "--fixed-point", "0", "1", "--digits", "0"],
    ["params", "--alpha", "nan", "--lambda", "1"],
    ["params", "--alpha", "-1", "--lambda", "1"],
    ["theorems", "--fixed-point", "0", "0"],
    ["theorems", "--fixed-point", "0", "1", "--tau", "0"],
    ["theorems", "--fixed-point", "nan", "1"],
    ["theorems"],
    ["theorems", "--alpha", "1.5", "--lambda", "inf"],
    ["domain", "--fixed-point", "0", "-0.5"],
    ["domain", "--tau", "0"],
    ["domain", "--theorems", "4"],
    ["domain", "--variables", "sigma"],
    ["domain", "--resolution", "0"],
    ["domain", "--resolution", "nan"],
    ["atlas", "--nu", "0:1:3"],
    ["atlas", "--nu", "nan:1:3"],
    ["atlas", "--mu", "a:b:c"],
    ["atlas", "--mu", "0:1:x"],
    ["atlas", "--mu", "1:0:3"],
    ["atlas", "--mu", "0:1:0"],
    ["atlas", "--tau", "0"],
    ["atlas", "--mu", "0", "1"],
    ["atlas", "--nu", "-1", "1", "3"],
    ["atlas", "--tau", "1:2:3"],
    ["atlas", "--scale-step", "0"],
    ["atlas", "--workers", "0"],
    ["atlas", "--in-process", "--scheduler", "tcp://127.0.0.1:8786"],
])
def test_bad_input_is_one_line_and_exit_2(args, capsys):
    code, out, err = _run(args, capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("selu-verify: error:")


# --------------------------------------------------------------------------- theorems

def test_theorem_claims_for_alpha01_are_the_registered_ones():
    claims = SC.theorem_claims(Params(), (0, 1))
    ids = [c.id for c in claims]
    assert ids[:4] == ["jacobian-at-fixed-point", "thm1-contraction", "thm1-mean-image", "thm1-variance-image"]
    for c in claims:
        if c.id in C.REGISTRY:
            assert c is C.REGISTRY[c.id]
    assert SC.OMEGA_SHAPE.domain(SC.PAPER_CENTRE) == C.OMEGA
    assert SC.OMEGA_PLUS_SHAPE.domain(SC.PAPER_CENTRE) == C.OMEGA_PLUS
    assert SC.OMEGA_MINUS_SHAPE.domain(SC.PAPER_CENTRE) == C.OMEGA_MINUS


def test_theorem_claims_are_centred_and_scaled():
    p = Params("1.8", "1.05")
    claims = {c.id.split("@")[0]: c for c in SC.theorem_claims(p, ("0.1", "4"), omega="0.5", tau="2")}
    d = claims["thm1-contraction"].parts[0].domain
    F = Fraction
    assert d.bounds == ((F("0.1") - F("0.2"), F("0.1") + F("0.2")), (F("0.4"), F("0.6")),
                        (F("3.2"), F(6)), (F("1.9"), F("2.2")))
    assert claims["thm2-variance-decreases"].parts[0].domain.bounds[2] == (F(12), F(64))
    assert all(c.params == p for c in claims.values())
    # alpha01 with another weight convention gets '@' ids: its domains are not the registered ones
    other = SC.theorem_claims(Params(), (0, 1), omega="1")
    assert all("@" in c.id for c in other)


def test_theorems_cli_alpha01(tmp_path, capsys):
    code, out, _ = _run(["theorems", "--alpha", "alpha01", "--lambda", "lambda01", "--out", str(tmp_path),
                         "--workers", "1"], capsys)
    assert code == 0
    assert out.count("PROVED ") == 7
    rep = json.loads((tmp_path / "theorems" / "report.json").read_text())
    assert all(c["status"] == "proved" and c["checked"] for c in rep["claims"])


def test_theorems_cli_new_stable_fixed_point(tmp_path, capsys):
    js = tmp_path / "r.json"
    code, out, _ = _run(["theorems", "--fixed-point", "0", "1.5", "--out", str(tmp_path), "--workers", "1",
                         "--json", str(js)], capsys)
    assert code == 0, out
    rep = json.loads(js.read_text())
    assert len(rep["claims"]) == 7 and all(c["checked"] for c in rep["claims"])
    # every certificate replays
    for c in rep["claims"]:
        assert checker.check(c["certificate"]).ok


def test_unstable_target_is_reported_with_counterexample(tmp_path, capsys):
    """The notebook's example under omega = tau = 1: S > 1 at the fixed point, so Theorem 1
    fails on every domain around it; the failure is printed with a verified counterexample."""
    js = tmp_path / "r.json"
    code, out, _ = _run(["theorems", "--fixed-point", "-0.1", "2.0", "--omega", "1", "--tau", "1",
                         "--out", str(tmp_path), "--workers", "1", "--json", str(js)], capsys)
    assert code == 1
    assert "NOT stable" in out
    assert "DISPROVED jacobian-at-fixed-point" in out and "DISPROVED thm1-contraction" in out
    rep = {c["id"].split("@")[0]: c for c in json.loads(js.read_text())["claims"]}
    cex = rep["thm1-contraction"]["counterexample"]
    assert cex is not None and cex["key"] == "S.max"
    assert rep["thm1-contraction"]["checked"]  # the checker accepts the disproof


# --------------------------------------------------------------------------- domain search

@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    out = tmp_path_factory.mktemp("domain")
    with Runner(1) as r:
        res = DS.search(Params(), SC.PAPER_CENTRE, r, variables=("tau",), scale=False, thm2=True, thm3=True,
                        out=out)
    return res, out


def _claim(theorem, domain, tol=1e-6):
    return C.Claim("bound", "re-verification", "re-verification", "test", SC.THEOREM_PARTS[theorem](domain, tol))


def test_domain_search_result_is_reproved_and_one_step_larger_is_not(searched):
    res, out = searched
    assert res.certified and all(c.status == "proved" and c.checker_ok for c in res.certified)
    with Runner(1) as r:
        for name, theorem, shape, axes in DS.final_domains(res):
            domain = shape.domain(res.centre)
            # re-verified by the claims engine on its own (enclosures of width 1e-6) ...
            again = prove.run_claim(_claim(theorem, domain), r)
            assert again.status == "proved", name
            # ... and a slightly larger domain is not proved
            for ax in axes:
                big = DS.shape_at(shape, ax, 1).domain(res.centre)
                assert prove.run_claim(_claim(theorem, big, 1e300), r).status != "proved", (name, ax.name)
    # the certificates on disk replay
    certs = sorted((out / "certificates").glob("domain-*.json"))
    assert len(certs) == len(res.certified)
    assert all(checker.check(str(p)).ok for p in certs)


def test_domain_search_extends_the_papers_domains(searched):
    res, _ = searched
    tau = res.variables[0].shape.tau
    assert tau[0] <= Fraction("0.95") and tau[1] >= Fraction("1.1")  # contains the paper's tau-range
    assert DS.axis_value(res.thm2.good_shape, res.thm2.axis, res.centre) < 3  # below Omega+'s 3
    hi_a, hi_b = (DS.axis_value(r.good_shape, r.axis, res.centre) for r in res.thm3)
    assert hi_a > Fraction("0.24") and hi_b > Fraction("0.24")  # beyond Omega-'s and Theorem 3's ends
    text = DS.format_result(res)
    assert "paper nu_lo = 3" in text and "smallest certified nu_lo" in text
    data = res.to_json()
    json.dumps(data)
    assert data["theorem2"]["paper_nu_lo"] == "3"


def test_domain_cli_smoke(tmp_path, capsys):
    js = tmp_path / "d.json"
    code, out, _ = _run(["domain", "--theorems", "2", "--out", str(tmp_path), "--workers", "1", "--json", str(js),
                         "--quiet"], capsys)
    assert code == 0
    data = json.loads(js.read_text())
    assert data["theorem2"]["good"] is not None
    assert (tmp_path / "domain" / "domain.png").stat().st_size > 0


def test_domain_for_an_unstable_target_finds_none(tmp_path, capsys):
    code, out, _ = _run(["domain", "--fixed-point", "-0.1", "2.0", "--omega", "1", "--tau", "1", "--theorems", "1",
                         "--variables", "nu", "--no-scale", "--workers", "1", "--out", str(tmp_path)], capsys)
    assert code == 1
    assert "S > 1 at the fixed point" in out and "none certified" in out


def test_run_all_hook_for_the_all_command():
    import argparse
    seen = []

    def fake_run_claims(args, claims):
        seen.extend(claims)
        return 0

    plain = argparse.Namespace(alpha=None, lam=None, fixed_point=None, omega="0", tau="1", quiet=True)
    assert SC.run_all(plain, fake_run_claims) is None and not seen
    ns = argparse.Namespace(alpha=None, lam=None, fixed_point=["0", "1.5"], omega="0", tau="1", quiet=True)
    assert SC.run_all(ns, fake_run_claims) == 0
    assert [c.id for c in seen][1:4] == ["thm1-contraction", "thm1-mean-image", "thm1-variance-image"]
    assert seen[1].parts[0].domain.bounds[2] == (Fraction("1.2"), Fraction("2.25"))
    nosol = argparse.Namespace(alpha=None, lam=None, fixed_point=["0.5", "0.01"], omega="0", tau="1", quiet=True)
    assert SC.run_all(nosol, fake_run_claims) == 1
