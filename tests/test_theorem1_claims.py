"""The five claims of the engine issue: each is proved and its certificate accepted, and
each has a twin that a slightly false variant is NOT proved (with a counterexample)."""
from fractions import Fraction

import pytest

from verification import checker
from verification import claims as C
from verification import prove
from conftest import assert_widened_is_disproved, part_of, past_extremum, proved, run_part

THEOREM1 = ["alpha-lambda-01", "jacobian-at-fixed-point", "thm1-contraction", "thm1-mean-image",
            "thm1-variance-image"]


@pytest.mark.parametrize("claim_id", THEOREM1)
def test_claim_is_proved_and_checker_accepts(claim_id):
    res, body = proved(claim_id)
    assert res.status == "proved"
    chk = checker.check(body)
    assert chk.ok, chk.messages
    assert chk.status == "proved"


@pytest.mark.parametrize("claim_id", ["thm1-contraction", "thm1-mean-image", "thm1-variance-image"])
def test_extrema_enclosed_to_1e_10(claim_id):
    res, _ = proved(claim_id)
    for part in res.parts:
        lo, hi = part.enclosure
        assert lo <= hi and hi - lo <= 1e-10, (part.key, lo, hi)


@pytest.mark.parametrize("claim_id,key", [
    ("thm1-contraction", "S.max"),
    ("thm1-mean-image", "mu_tilde.max"),
    ("thm1-mean-image", "mu_tilde.min"),
    ("thm1-variance-image", "nu_tilde.max"),
    ("thm1-variance-image", "nu_tilde.min"),
])
def test_threshold_just_past_the_certified_extremum_is_disproved(claim_id, key, runner):
    res, _ = proved(claim_id)
    part = part_of(claim_id, key)
    out = run_part(part, runner, threshold=past_extremum(res, part))
    assert out.status == "disproved"
    assert out.counterexample is not None
    # and the same threshold on the right side is proved
    assert run_part(part, runner, threshold=past_extremum(res, part, -Fraction(1, 10**9))).status == "proved"


@pytest.mark.parametrize("claim_id,key,ranges", [
    ("thm1-contraction", "S.max", {"nu": ("0.5", "1.5")}),
    ("thm1-contraction", "S.max", {"tau": ("0.95", "1.25"), "nu": ("0.7", "1.5")}),
    ("thm1-mean-image", "mu_tilde.max", {"omega": ("-0.5", "0.5")}),
    ("thm1-variance-image", "nu_tilde.min", {"nu": ("0.7", "1.5")}),
])
def test_domain_widened_past_the_claim_is_disproved(claim_id, key, ranges, runner):
    assert_widened_is_disproved(claim_id, key, ranges, runner)


def test_jacobian_point_checks_have_false_twins():
    params = C.get("jacobian-at-fixed-point").params
    res, _ = proved("jacobian-at-fixed-point")
    s_lo, s_hi = res.enclosures["S"]
    below = C.PointCheck("S", "S", C.FIXED_POINT_01, "<", str(Fraction(s_lo) - Fraction(1, 10**9)))
    assert prove.run_point(below, params, prove.DEFAULT_BITS).status == "disproved"
    wrong_sign = C.PointCheck("J12", "J12", C.FIXED_POINT_01, "<", "0")
    assert prove.run_point(wrong_sign, params, prove.DEFAULT_BITS).status == "disproved"
    # J11 vanishes at omega = 0 only: away from it, "== 0" is disproved
    off = C.PointCheck("J11", "J11", ("0", "1/100", "1", "1"), "==")
    assert prove.run_point(off, params, prove.DEFAULT_BITS).status == "disproved"


def test_variance_image_reports_which_reading_the_paper_used():
    res, _ = proved("thm1-variance-image")
    v = {x.key + ":" + x.kind: x.verdict for x in res.verdicts}
    # the paper's interval is the bound form, not the true range
    assert v["bound_form.lo:approx"] == "confirmed"
    assert v["bound_form.hi:approx"] == "confirmed"
    assert v["nu_tilde.min:lower"] == "valid but loose"
    assert v["nu_tilde.max:upper"] == "valid but loose"
