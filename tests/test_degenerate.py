"""Degenerate objectives stop early as undecided, with the reason, and the prover and its
checker agree on every such result.

Before: `bound "S/0" --below 1` split boxes until the whole budget of 400,000 was spent
(minutes), and with --max-boxes 2000 once produced a certificate its own checker
rejected.  Now a box containing a point with no finite value, or a subtree whose
enclosures stay NaN or unbounded, is left undecided at once."""
from __future__ import annotations

import copy
import json
import math
from fractions import Fraction

import pytest

from selu_theory.params import Params
from verification import certificate as cert_io
from verification import checker
from verification import engine as E
from verification.domain import Domain

DEGENERATE = [
    # (expression, extra options, words of the reason)
    ("S/0", [], "no finite value"),
    ("sqrt(-1-S)", [], "no finite value"),
    # mu kept off 0: on a mirror-symmetric domain S (even) is searched on mu >= 0, whose
    # corner mu = 0 has a finite (huge) S, a certified counterexample, not a degenerate case
    ("S", ["--domain", "nu=1e-300:1e-300,mu=0.05:0.1"], "no finite value"),
    # finite at every point (nu - nu is exactly 0) but NaN on every box of positive width
    ("sqrt(nu - nu)", [], "NaN or unbounded"),
]


def _bound(cli, tmp_path, expr, extra, *mode):
    mode = mode or ("--below", "1")
    return cli("bound", expr, *mode, *extra, "--workers", "1", "--out", str(tmp_path))


@pytest.mark.parametrize("expr,extra,why", DEGENERATE)
def test_degenerate_bound_stops_early_as_undecided_with_its_reason(cli, tmp_path, expr, extra, why):
    code, out, err = _bound(cli, tmp_path, expr, extra)
    assert code == 1 and err == "", err
    assert "status: undecided" in out
    assert "undecided because" in out and why in " ".join(out.split())
    boxes = int(out.split("boxes: ")[1].split(",")[0])
    # the default budget is 400,000 boxes; the early stop spends a few per subtree
    assert boxes <= 32 * 2 * E.NONFINITE_STREAK + 64
    assert "checker accepted" in out


@pytest.mark.parametrize("expr,extra,why", DEGENERATE)
@pytest.mark.parametrize("mode", [("--below", "1"), ("--max",)])
def test_prover_and_checker_agree_on_degenerate_results(cli, tmp_path, expr, extra, why, mode):
    code, out, _ = _bound(cli, tmp_path, expr, extra, *mode)
    (path,) = (tmp_path / "certificates").glob("bound-*.json")
    code2, out2, err2 = cli("check", str(path), "--workers", "1")
    assert err2 == "" and "ACCEPTED" in out2 and "undecided" in out2, out2
    assert code == code2 == 1


@pytest.mark.parametrize("mode,status", [(("--max",), "undecided"), (("--below", "1e300"), "disproved")])
def test_values_beyond_the_float_range(cli, tmp_path, mode, status):
    """exp(700 nu) is finite but above 1.8e308 on part of the domain.  --max used to make a
    certificate its own checker rejected (a leaf bound of inf): now undecided, with why."""
    code, out, _ = cli("bound", "exp(700*nu)", *mode, "--max-boxes", "200", "--workers", "1", "--out", str(tmp_path))
    assert code == 1 and f"status: {status}" in out and "checker accepted" in out, out
    if status == "undecided":
        assert "beyond the float range" in out
    (path,) = (tmp_path / "certificates").glob("bound-*.json")
    code2, out2, _ = cli("check", str(path), "--workers", "1")
    assert code2 == 1 and "ACCEPTED" in out2 and status in out2


def test_small_budget_result_replays(cli, tmp_path):
    """The case that once gave a certificate its own checker rejected."""
    code, out, _ = cli("bound", "S/0", "--below", "1", "--max-boxes", "2000", "--workers", "1",
                       "--out", str(tmp_path))
    assert code == 1 and "checker accepted" in out


def test_tree_with_leaves_still_needs_a_target(cli, tmp_path):
    """The relaxation is only for trees without leaves: a proof's target is still required."""
    assert cli("bound", "S", "--below", "1", "--domain", "mu=0,omega=0,nu=1,tau=1", "--workers", "1",
               "--out", str(tmp_path), "--quiet")[0] == 0
    (path,) = (tmp_path / "certificates").glob("bound-*.json")
    body = copy.deepcopy(json.loads(path.read_bytes()))
    part = next(p for p in body["parts"] if p["kind"] == "extremum")
    part["target"] = None
    res = checker.check(cert_io.seal(body))
    assert not res.ok and "target" in " ".join(res.messages)


def test_streak_stop_leaves_the_subtree_undecided_and_says_why():
    obj = E.Objective("sqrt(nu - nu)", Params(), 1)
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("0.8", "1.5"), tau=("1", "1"))
    res = E.prove_upper(obj, dom, dom.outward(), 1.0, False, 100_000)
    assert res.leaves == 0 and res.undecided >= 1
    assert res.boxes <= 2 * E.NONFINITE_STREAK  # one streak, then the stack once
    assert "NaN or unbounded" in res.reason


def test_a_local_singularity_costs_one_streak_and_the_rest_is_proved():
    """sqrt(nu - 0.8): NaN only on boxes reaching below nu = 0.8 (the outward-rounded
    domain box does); after one streak there, the rest of the subtree gets leaves."""
    obj = E.Objective("sqrt(nu - 0.8) + tau", Params(), 1)
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("0.8", "1.5"), tau=("0.9", "1.1"))
    res = E.prove_upper(obj, dom, dom.outward(), 3.0, False, 100_000)
    assert res.undecided >= 1 and res.leaves > 0 and "NaN or unbounded" in res.reason
    assert res.boxes < 4 * E.NONFINITE_STREAK


def test_a_finite_objective_is_not_stopped():
    """The early stop never fires where enclosures are finite: S < 1 near the fixed point."""
    obj = E.Objective("S", Params(), 1)
    dom = Domain.of(mu=("-0.01", "0.01"), omega=("-0.01", "0.01"), nu=("0.95", "1.05"), tau=("0.99", "1.01"))
    with E.Runner(1) as r:
        out = E.run_bound(obj, dom, 1.0, True, r, max_boxes=20_000)
    assert out.status == "proved" and out.reason == ""
    assert math.isfinite(out.max_upper) and Fraction(out.max_upper) < 1


def test_the_streak_is_carried_down_the_breadth_first_top():
    """The top levels decide boxes one work item each; a subtree below them starts with the
    non-finite streak of the boxes above it, so each stops after the streak's remainder
    (about twice that many boxes: the streak down one branch, then the stack once)."""
    obj = E.Objective("sqrt(nu - nu)", Params(), 1)
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("0.8", "1.5"), tau=("1", "1"))
    with E.Runner(1) as r:
        out = E.run_bound(obj, dom, 1.0, False, r, max_boxes=100_000)
    assert out.status == "undecided" and out.leaves == 0 and "NaN or unbounded" in out.reason
    subtrees = 2 ** E.TOP_LEVELS
    assert out.boxes <= (subtrees - 1) + subtrees * 2 * (E.NONFINITE_STREAK - E.TOP_LEVELS)
