"""Domains with more than the four variables (mu, omega, nu, tau): one list of variables
(``quantities.BASE_VARS`` and ``EXTRA_VARS``), the domain, the evaluator and its jets of
any dimension, the engine, the certificate schema and the checker.

A claim with a fifth variable (the dropout rate) is proved and replayed; 1 and 2 workers
write identical certificates; forged certificates (the rate dropped, renamed, widened,
an unknown variable, a split beyond the dimensions) are rejected.
"""
from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
from flint import arb

from selu_theory import ball, quantities, taylor
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params
from verification import certificate as cert_io
from verification import checker, prove
from verification.certify import certify_result
from verification.claim_types import Claim, Extremum
from verification.domain import Domain, DomainError, up
from verification.engine import Runner

FIVE = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.95", "1.1"),
                 rate=("0", "0.2"))
# a function of every variable: mu_tilde sees (mu, omega) through m, nu directly, the rate
# through the expression only
EXPR = "(1 - rate)*mu_tilde + rate**2*nu"


def five_claim(expr=EXPR, tol=1e-7) -> Claim:
    return Claim("nvars-test@five", "five variables", "", "test",
                 (Extremum("f.max", expr, "max", FIVE, threshold="1", tol=tol),))


@pytest.fixture(scope="module")
def proved():
    claim = five_claim()
    with Runner(1) as r:
        res = prove.run_claim(claim, r)
    done = certify_result(res, Params())
    return res, done


# --------------------------------------------------------------------------- variables and domains

def test_one_list_of_variables():
    assert quantities.BASE_VARS == ("mu", "omega", "nu", "tau")
    assert quantities.domain_variables(["q", "rate", "mu"]) == quantities.BASE_VARS + ("rate", "q")
    with pytest.raises(ValueError, match="unknown domain variable"):
        quantities.domain_variables(["dropout"])
    for v in quantities.EXTRA_VARS:
        assert parse(v).names == {v}
        assert quantities.reducible_pairs([v, "mu_tilde"]) == (True, True)


def test_domain_with_a_rate():
    assert FIVE.names == quantities.BASE_VARS + ("rate",) and FIVE.extra == ("rate",)
    assert Domain.from_json(json.loads(json.dumps(FIVE.to_json()))) == FIVE
    d = Domain.parse("rate=0:0.1", defaults=Domain.of(mu=(0, 0), omega=(0, 0), nu=(1, 1), tau=(1, 1)))
    assert d.names[-1] == "rate" and d.bounds[-1] == (0, F(1, 10))
    assert Domain.parse("nu=1:2", defaults=FIVE).bounds[-1] == (0, F(1, 5))   # extras come with the defaults
    four = Domain(FIVE.bounds[:4])
    assert four.names == quantities.BASE_VARS and four != FIVE
    assert FIVE.reduced((True, True)).names == FIVE.names
    assert FIVE.preimage((F(1, 100), 1, F(1), 1, F(1, 10)))[-1] == F(1, 10)


@pytest.mark.parametrize("text, message", [
    ("rate=-0.1:0.1", "rate must lie in"), ("rate=0:1", "rate must lie in"),
    ("q=0:1.5", "q must lie in"), ("dropout=0:1", "unknown domain variable"),
    ("rate=0:0.1,rate=0:0.2", "given twice")])
def test_bad_extra_variables(text, message):
    with pytest.raises(DomainError, match=message):
        Domain.parse(text, defaults=FIVE)


def test_variables_in_canonical_order():
    with pytest.raises(DomainError, match="in this order"):
        Domain(FIVE.bounds[:4] + ((0, 0), (0, 0)), FIVE.names[:4] + ("q", "rate"))
    with pytest.raises(DomainError, match="needs"):
        Domain(FIVE.bounds[:4], FIVE.names)


# --------------------------------------------------------------------------- evaluation

def test_evaluator_needs_the_rate_in_its_domain():
    with pytest.raises(ValueError, match="not a variable of the domain"):
        Evaluator(parse(EXPR), Params())
    ev = Evaluator(parse(EXPR), Params(), 128, FIVE.names)
    with pytest.raises(ValueError, match="coordinates"):
        ev.point((0, 0, 1, 1))
    pt = (F(1, 20), F(1, 50), F(6, 5), F(1), F(1, 10))
    v = ev.point(pt)
    mu_t = Evaluator(parse("mu_tilde"), Params(), 128).point(pt[:4])
    with ball.precision(128):
        assert v.overlaps(mu_t * ball.exact(F(9, 10)) + ball.exact(F(1, 100)) * ball.exact(F(6, 5)))


def test_jets_carry_the_rate_first_and_second_order():
    """The gradient and Hessian components of the rate, on a point box (exact
    derivatives): d/drate = -mu_tilde + 2 rate nu, d2/drate2 = 2 nu, d2/(drate dnu) =
    -dmu_dnu + 2 rate, and the mean-value/Taylor forms enclose values inside a 5-D box."""
    ev = Evaluator(parse(EXPR), Params(), 128, FIVE.names)
    pt = (F(1, 16), F(1, 32), F(5, 4), F(1), F(1, 8))      # dyadic: the point box is exact
    box = tuple((float(x), float(x)) for x in pt)
    mu_t = Evaluator(parse("mu_tilde"), Params(), 128).point(pt[:4])
    g = ev.box(box).grad
    j2 = taylor.box_jet2(ev, box)
    with ball.precision(128):
        d_rate = -mu_t + 2 * ball.exact(pt[4]) * ball.exact(pt[2])
        assert g[4].overlaps(d_rate) and j2.grad[4].overlaps(d_rate)
        assert j2.hess[taylor.hidx(4, 4)].overlaps(ball.exact(2 * pt[2]))
        dmu_dnu = Evaluator(parse("dmu_dnu"), Params(), 128).point(pt[:4])
        assert j2.hess[taylor.hidx(2, 4)].overlaps(-dmu_dnu + ball.exact(2 * pt[4]))
    assert len(j2.hess) == 15 and taylor.pairs(5)[:10] == taylor.PAIRS
    wide = tuple((float(lo), float(hi)) for lo, hi in FIVE.bounds)
    forms = taylor.second_order(ev, wide)
    for corner in [(F("-0.1"), F("0.1"), F("1.5"), F("1.1"), F("0.2")), pt]:
        assert forms.val.overlaps(ev.point(corner)) and forms.val.contains(ev.point(corner))


def test_hessian_index_does_not_depend_on_the_dimension():
    for n in (1, 4, 5, 6):
        for k, (i, j) in enumerate(taylor.pairs(n)):
            assert taylor.hidx(i, j) == taylor.hidx(j, i) == k


# --------------------------------------------------------------------------- prove and replay

def test_a_five_variable_claim_is_proved_and_replayed(proved):
    res, done = proved
    assert res.status == "proved" and done.status == "proved", done.reason
    part = done.certificate.parts[0]
    assert part.variables == FIVE.names and len(part.box) == 5
    body = done.certificate.to_json()
    assert set(body["parts"][0]["domain"]) == set(FIVE.names)
    assert "rate in [0, 0.2]" in done.check.proves
    # the enclosure holds the maximum found by a float scan of the rate and the corners
    ev = Evaluator(parse(EXPR), Params(), 128, FIVE.names)
    lo, hi = res.enclosures["f.max"]
    best = max(float(ev.point((mu, om, nu, tau, r)).mid())
               for mu in (F("-0.1"), F("0.1")) for om in (F("-0.1"), F("0.1"))
               for nu in (F("0.8"), F("1.5")) for tau in (F("0.95"), F("1.1")) for r in (0, F("0.2")))
    assert best <= hi and hi - lo < 1e-6
    leaves = {n[1] for n in part.tree if n[0] == "l"}
    assert leaves & {"enclosure2", "mvf2", "taylor"}, "the 5-D second-order forms were used"


def test_one_and_two_workers_write_the_same_certificate(proved):
    _, done1 = proved
    with Runner(2) as r:
        res = prove.run_claim(five_claim(), r)
    done2 = certify_result(res, Params(), workers=2)
    assert done2.certificate.to_bytes() == done1.certificate.to_bytes()


def test_four_variable_parts_are_written_as_before():
    d = Domain(FIVE.bounds[:4])
    claim = Claim("nvars-test@four", "four", "", "test", (Extremum("m.max", "mu_tilde", "max", d, threshold="1"),))
    with Runner(1) as r:
        res = prove.run_claim(claim, r)
    part = res.parts[0].record.to_json()
    assert list(part["domain"]) == ["mu", "omega", "nu", "tau"] and "variables" not in part


# --------------------------------------------------------------------------- forgeries

def _forged(done, edit) -> dict:
    body = json.loads(done.certificate.to_bytes())
    edit(body["parts"][0])
    try:   # a careful forger also rewrites the statement to what the parts now say
        parts = [cert_io.part_from_json(p) for p in body["parts"]]
        body["statement"] = cert_io.rebuilt_statement(body["params"], parts, body["activation"]["id"])
    except cert_io.CertificateError:
        pass
    return cert_io.seal(body)


def _rejected(body, match):
    chk = checker.check(body)
    assert not chk.ok and chk.status == "undecided"
    assert any(match in m for m in chk.messages), chk.messages


def test_forged_rate_dropped(proved):
    def drop(p):
        del p["domain"]["rate"]
    _rejected(_forged(proved[1], drop), "must have 4 entries")


def test_forged_rate_dropped_everywhere(proved):
    """The rate removed from the domain, the boxes, the points and the splits: the
    expression still names it, so nothing is evaluated."""
    def drop(p):
        del p["domain"]["rate"]
        p["box"] = p["box"][:4]
        p["witness"]["point"] = p["witness"]["point"][:4]
        p["tree"] = [["u", p["box"]]]
        p["status"] = "undecided"
    _rejected(_forged(proved[1], drop), "rate, which is not a variable of the domain")


def test_forged_rate_renamed(proved):
    def rename(p):
        p["domain"]["q"] = p["domain"].pop("rate")
    _rejected(_forged(proved[1], rename), "rate, which is not a variable of the domain")


def test_forged_rate_widened(proved):
    def widen(p):
        p["domain"]["rate"] = ["0", "3/10"]
    _rejected(_forged(proved[1], widen), "root box is not the domain's outward box")


def test_forged_rate_widened_with_its_box(proved):
    """Domain and root box widened together: the tree's leaves no longer match the splits."""
    def widen(p):
        p["domain"]["rate"] = ["0", "3/10"]
        p["box"][4] = ["0x0.0p+0", up(F(3, 10)).hex()]
    _rejected(_forged(proved[1], widen), "does not match the tree's splits")


def test_forged_unknown_variable(proved):
    def unknown(p):
        p["domain"]["keep"] = p["domain"].pop("rate")
    _rejected(_forged(proved[1], unknown), "unknown variable")


def test_forged_split_beyond_the_dimensions(proved):
    def split(p):
        for node in p["tree"]:
            if node[0] == "s":
                node[1] = 5
                break
    _rejected(_forged(proved[1], split), "must be an integer in [0, 4]")


def test_forged_bound_on_the_rate_axis(proved):
    """A leaf bound lowered below what the replay computes is caught in 5-D too."""
    def lower(p):
        for node in p["tree"]:
            if node[0] == "l":
                node[3] = (-1.0).hex()
                break
        p["enclosure"][1] = (-1.0).hex()
        p["target"] = (-1.0).hex()
    chk = checker.check(_forged(proved[1], lower))
    assert not chk.ok


def test_arb_and_float_agree_on_five_variables():
    ev = Evaluator(parse(EXPR), Params(), 128, FIVE.names)
    import numpy as np
    pts = [(0.05, 0.02, 1.2, 1.0, 0.1), (-0.1, 0.1, 0.8, 1.1, 0.2)]
    for p in pts:
        f = ev.floats(*(np.array([x]) for x in p))[0]
        assert abs(f - float(ev.point(tuple(F(x) for x in p)).mid())) < 1e-12
    assert isinstance(ev.point(tuple(F(x) for x in pts[0])), arb)


def test_bound_takes_a_rate_and_grid_refuses_it(tmp_path, capsys):
    from verification.cli import main
    assert main(["bound", "(1-rate)*mu_tilde", "--max", "--domain", "rate=0:0.1", "--workers", "1",
                 "--out", str(tmp_path), "--quiet"]) == 0
    assert main(["grid", "mu_tilde", "--max", "--domain", "rate=0:0.1", "--steps",
                 "mu=0.05,omega=0.05,nu=0.1,tau=0.05"]) == 2
    err = capsys.readouterr().err
    assert "grid method runs on mu, omega, nu, tau only" in err and len(err.strip().splitlines()) == 1
