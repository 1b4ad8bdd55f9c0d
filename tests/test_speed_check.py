"""Batched replay (``checker.check_many``): the same verdicts as ``check`` one by one,
for 1 and 2 workers, and a forged leaf in one certificate rejects that one only."""
import copy

import pytest

from verification import certificate as cert_io
from verification import checker
from conftest import proved


def _lowered_leaf(body):
    """A forgery only the leaf replay catches: the target lowered to the enclosure's
    lower end (the tree's shape and the witness stay valid; some leaf's bound is above)."""
    b = copy.deepcopy(body)
    part = next(p for p in b["parts"] if p["kind"] == "extremum")
    lo, hi = part["enclosure"]
    part["target"] = lo  # below the true max: some leaf bound is above it
    part["enclosure"] = [lo, lo]
    return cert_io.seal(b)


@pytest.mark.parametrize("workers", [1, 2])
def test_check_many_matches_check_and_rejects_only_the_forged_one(workers):
    bodies = [proved(c)[1] for c in ("thm1-mean-image", "thm1-variance-image", "jacobian-at-fixed-point")]
    forged = _lowered_leaf(bodies[0])
    sources = bodies + [forged]
    many = checker.check_many(sources, workers=workers)
    one = [checker.check(s) for s in sources]
    assert [r.ok for r in many] == [True, True, True, False]
    assert [(r.ok, r.status, r.leaves) for r in many] == [(r.ok, r.status, r.leaves) for r in one]
    assert many[3].messages == one[3].messages  # the same first failing leaf, in tree order


def test_check_many_ticks_every_leaf():
    bodies = [proved(c)[1] for c in ("thm1-mean-image", "thm1-variance-image")]
    ticks = {0: 0, 1: 0}

    def progress(i):
        def tick():
            ticks[i] += 1
        return tick
    res = checker.check_many(bodies, progress=progress, workers=2)
    assert [ticks[0], ticks[1]] == [r.leaves for r in res]


def test_a_part_decided_near_the_root_is_not_split_32_ways(runner):
    """The top of the tree is adaptive: the old forced top cost >= 63 boxes per part."""
    from conftest import part_of, run_part
    out = run_part(part_of("thm1-mean-image", "mu_tilde.max"), runner)
    assert out.status == "proved" and out.boxes < 32


def test_the_reused_replay_pool_is_made_by_worker_pool(monkeypatch):
    """The checker's reused pool goes through verification/worker_pool.py (its start
    method, workers that exit with their parent), like every other pool."""
    from verification import worker_pool
    made = []
    real = worker_pool.pool

    def counting(workers, *a, **k):
        made.append(workers)
        return real(workers, *a, **k)
    checker.close_pools()
    monkeypatch.setattr(worker_pool, "pool", counting)
    monkeypatch.setattr(checker, "LEAF_CHUNK", 2)  # a small certificate is one job otherwise
    try:
        body = proved("thm1-mean-image")[1]
        assert checker.check_many([body, body], workers=2)[0].ok
        assert checker.check_many([body], workers=2)[0].ok  # reused, not made again
    finally:
        checker.close_pools()
    assert made == [2]


def _bits(enc: dict) -> dict:
    return {n: (x.mid().man_exp(), x.rad().man_exp()) for n, x in enc.items()}


def test_box_memo_changes_no_bit_and_hands_out_copies():
    """Inside a scope the memoized base enclosures are bit for bit those computed
    without it; a caller extending the dict it got does not change the next answer."""
    from selu_theory import ball, base_enclosures, box_memo, taylor
    from selu_theory.params import Params
    pars = Params().balls(132)
    with ball.precision(112):
        M, V = ball.interval(-0.05, 0.04), ball.interval(0.9, 1.1)
        plain = (base_enclosures.over_box("moments", M, V, pars, 3, activation="selu"),
                 taylor.box_partials("moments", M, V, pars, 4, activation="selu"))
        with box_memo.scope():
            first = base_enclosures.over_box("moments", M, V, pars, 3, activation="selu")
            first["junk"] = None
            again = base_enclosures.over_box("moments", M, V, pars, 3, activation="selu")
            hess = taylor.box_partials("moments", M, V, pars, 4, activation="selu")
    assert "junk" not in again
    assert _bits(again) == _bits(plain[0]) and _bits(hess) == _bits(plain[1])


def test_value_only_replay_of_first_order_leaves():
    """'enclosure' leaves are replayed from a value enclosure without the gradient:
    a first-order certificate is accepted, its lowered twin rejected, and the value is
    an enclosure (it holds the exact values at the box's corners and centre)."""
    from selu_theory import ball
    from selu_theory.evaluate import cached_evaluator
    from selu_theory.params import Params
    from verification import engine
    engine.use_taylor(False)
    try:
        body = proved.__wrapped__("thm1-variance-image")[1]
    finally:
        engine.use_taylor(True)
    kinds = {n[1] for p in body["parts"] if p["kind"] == "extremum" for n in p["tree"] if n[0] == "l"}
    assert "enclosure" in kinds
    res = checker.check_many([body, _lowered_leaf(body)], workers=1)
    assert [r.ok for r in res] == [True, False]
    ev = cached_evaluator("nu_tilde", Params(), checker.CHECK_BITS)
    bx = ((-0.1, 0.1), (-0.1, 0.1), (0.8, 1.5), (0.95, 1.1))
    with ball.precision(checker.CHECK_BITS):
        value = checker._box_value(ev, bx)
        for pt in [(a, b, c, d) for a in bx[0] for b in bx[1] for c in bx[2] for d in bx[3]] + \
                  [tuple((lo + hi) / 2 for lo, hi in bx)]:
            assert value.contains(ev.point(pt))


@pytest.mark.parametrize("workers", [1, 2])
def test_check_later_judges_as_check_and_leaves_the_precision_alone(workers, monkeypatch):
    """``selu-verify all`` replays claim k while proving claim k+1: ``check_later``
    gives ``check``'s verdicts and messages, and returns with the caller's Arb
    precision (the prover's) as it was."""
    from flint import ctx
    monkeypatch.setattr(checker, "LEAF_CHUNK", 2)  # several jobs: the pool's path
    body = proved("thm1-mean-image")[1]
    forged = _lowered_leaf(body)
    prec = ctx.prec
    pending = [checker.check_later(src, workers) for src in (body, forged)]
    assert ctx.prec == prec
    got = [finish() for finish in pending]
    want = [checker.check(src) for src in (body, forged)]
    assert [(r.ok, r.status, r.leaves, r.messages) for r in got] == \
        [(r.ok, r.status, r.leaves, r.messages) for r in want]
    assert [r.ok for r in got] == [True, False]
    checker.close_pools()
