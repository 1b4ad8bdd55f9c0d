"""Theorems 2-3 and Lemmas 40-43: proved and replayed, each with a twin that a slightly
false variant is NOT proved; ambiguous readings tested both ways."""

import pytest

from verification import checker
from conftest import assert_widened_is_disproved, part_of, past_extremum, proved, run_part, widened

CLAIMS = ["thm2-variance-decreases", "thm3a-variance-increases", "thm3b-variance-increases",
          "lemma40-derivative-signs", "lemma41-mean-low-variance", "lemma42-mean-derivative-bounds",
          "lemma43-mean-squared-bound"]


@pytest.mark.parametrize("claim_id", CLAIMS)
def test_claim_certified_and_replayed(claim_id):
    res, body = proved(claim_id)
    chk = checker.check(body)
    assert chk.ok, chk.messages
    assert chk.status == res.status
    if claim_id != "lemma42-mean-derivative-bounds":  # one reading of Lemma 42 fails: see below
        assert res.status == "proved"


@pytest.mark.parametrize("claim_id,key", [
    ("thm2-variance-decreases", "nu_tilde-nu.max"),
    ("thm3a-variance-increases", "nu_tilde-nu.min"),
    ("lemma40-derivative-signs", "dmu_dnu.min"),
    ("lemma43-mean-squared-bound", "mu_tilde^2.max"),
])
def test_threshold_past_certified_extremum_is_disproved(claim_id, key, runner):
    res, _ = proved(claim_id)
    part = part_of(claim_id, key)
    out = run_part(part, runner, threshold=past_extremum(res, part))
    assert out.status == "disproved" and out.counterexample


@pytest.mark.parametrize("claim_id,key,ranges", [
    # Theorem 2 fails once nu reaches below the fixed point's variance
    ("thm2-variance-decreases", "nu_tilde-nu.max", {"nu": ("0.5", "16")}),
    # Theorem 3 fails once nu grows past the fixed point
    ("thm3b-variance-increases", "nu_tilde-nu.min", {"nu": ("0.02", "1.5")}),
    # mu~^2 < 0.005 fails for larger |mu*omega|
    ("lemma43-mean-squared-bound", "mu_tilde^2.max", {"omega": ("-0.3", "0.3")}),
])
def test_domain_widened_past_the_claim_is_disproved(claim_id, key, ranges, runner):
    assert_widened_is_disproved(claim_id, key, ranges, runner)


def test_lemma42_readings_nu_from_005_holds_and_from_002_fails():
    res, _ = proved("lemma42-mean-derivative-bounds")
    status = {p.key: p.status for p in res.parts}
    for expr in ("dmu_dmu", "dmu_domega", "dmu_dnu", "dmu_dtau"):
        assert status[f"{expr}.min"] == status[f"{expr}.max"] == "proved"
    # |d mu~/d nu| < 0.52 is false from nu = 0.02 on (Theorem 3's range): a counterexample
    assert status["dmu_dnu[nu>=0.02].min"] == "disproved"
    v = {x.key: x.verdict for x in res.verdicts}
    assert v["|dmu_dnu[nu>=0.02]|.max"] == "not confirmed"


def test_lemma43_figure_a7_peak_is_located():
    res, _ = proved("lemma43-mean-squared-bound")
    status = {p.key: p.status for p in res.parts}
    # h increases up to 0.187341 and decreases from 0.187343: the peak is at 0.187342 +- 1e-6
    assert status["h'.min[before peak]"] == "proved" and status["h'.max[after peak]"] == "proved"
    lo, hi = res.enclosures["h.max"]
    assert abs(lo - 0.00451457) < 1e-8


def test_lemma43_peak_twin_wrong_location_is_disproved(runner):
    # claim the peak is before 0.1873: then h' > 0 on [0.01, 0.1874] is false
    part = part_of("lemma43-mean-squared-bound", "h'.min[before peak]")
    out = run_part(part, runner, domain=widened(part, nu=("0.01", "0.1874")))
    assert out.status == "disproved"


def test_lemma40_bracket_paper_value_is_not_the_minimum():
    res, _ = proved("lemma40-derivative-signs")
    v = {(x.key, x.kind): x.verdict for x in res.verdicts}
    assert v[("dxi_dmu-bracket.min", "lower")] == "valid but loose"
    assert v[("dxi_dmu-bracket.min", "approx")] == "not confirmed"
