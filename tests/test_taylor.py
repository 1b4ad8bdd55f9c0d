"""Second-order jets and the Taylor form (selu_theory/taylor.py, the engine's and the
checker's bounds): Hessians against exact polynomials and the mpmath oracle, bounds
that contain every sampled value, and the checker replaying the new leaf kinds."""
import random
from fractions import Fraction

import mpmath
import pytest

from selu_theory import ball, taylor
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params
from verification import checker, engine
from verification.domain import Domain
from oracle_mpmath import MomentOracle, to_fraction

POINT = (Fraction(3, 100), Fraction(-7, 100), Fraction(11, 10), Fraction(51, 50))


def _ev(expr):
    return Evaluator(parse(expr), Params(), 80)


def _hess(j2, i, k):
    return j2.hess[taylor.hidx(i, k)]


def test_hessian_of_a_polynomial_is_exact_at_a_point():
    # f = mu*omega^2*nu + tau^3 - nu/tau: every second partial by hand
    ev = _ev("mu*omega**2*nu + tau**3 - nu/tau")
    mu, om, nu, ta = POINT
    j2 = taylor.box_jet2(ev, tuple((x, x) for x in POINT))
    want = {(0, 1): 2 * om * nu, (0, 2): om ** 2, (1, 1): 2 * mu * nu, (1, 2): 2 * mu * om,
            (2, 3): 1 / ta ** 2, (3, 3): 6 * ta - 2 * nu / ta ** 3, (0, 0): 0, (2, 2): 0}
    for (i, k), v in want.items():
        assert _hess(j2, i, k).overlaps(ball.exact(v))
        assert _hess(j2, i, k).rad() < 1e-15


def test_hessian_of_mu_tilde_matches_the_oracle():
    """d^2 mu~/dx_i dx_k from the oracle's (m, v) partials, differentiated once more by
    mpmath, composed with m = mu*omega, v = nu*tau by hand."""
    oracle = MomentOracle()
    mu, om, nu, ta = (mpmath.mpf(x.numerator) / x.denominator for x in POINT)
    m, v = mu * om, nu * ta

    def d(name, wrt):
        q = to_fraction
        f = (lambda x: oracle.moments(q(x), q(v))[name]) if wrt == "m" else \
            (lambda y: oracle.moments(q(m), q(y))[name])
        return mpmath.diff(f, m if wrt == "m" else v, h=mpmath.mpf("1e-12"))
    with mpmath.workdps(45):
        M_m, M_v = (oracle.moments(to_fraction(m), to_fraction(v))[k] for k in ("dmu_dm", "dmu_dv"))
        M_mm, M_mv, M_vv = d("dmu_dm", "m"), d("dmu_dm", "v"), d("dmu_dv", "v")
    grads = ((om, 0), (mu, 0), (0, ta), (0, nu))  # (dm/dx, dv/dx)
    cross = {(0, 1): (1, 0), (2, 3): (0, 1)}  # d^2 m/dmu domega, d^2 v/dnu dtau
    j2 = taylor.box_jet2(_ev("mu_tilde"), tuple((x, x) for x in POINT))
    for i in range(4):
        for k in range(i, 4):
            (a, b), (c, e) = grads[i], grads[k]
            cm, cv = cross.get((i, k), (0, 0))
            want = M_mm * a * c + M_mv * (a * e + b * c) + M_vv * b * e + M_m * cm + M_v * cv
            got = _hess(j2, i, k)
            assert abs(float(got.mid()) - float(want)) < 1e-9 * max(1, abs(float(want)))


@pytest.mark.parametrize("expr", ["S", "nu_tilde - nu", "dmu_dnu", "mu_tilde**2"])
@pytest.mark.parametrize("sign", [1, -1])
def test_taylor_bound_and_second_order_enclosures_contain_sampled_values(expr, sign):
    rnd = random.Random(12)
    dom = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.95", "1.1"))
    obj = engine.Objective(expr, Params(), sign)
    ev = obj.evaluator()
    for _ in range(3):
        lo = [rnd.uniform(a, b) for a, b in ((-.1, .08), (-.1, .08), (.8, 1.45), (.95, 1.08))]
        w = [0.02, 0.02, 0.05, 0.02]
        bx = tuple((a, a + s) for a, s in zip(lo, w))
        forms = taylor.second_order(ev, bx)
        forms = forms if sign > 0 else -forms
        ub = engine.taylor_bound(obj, bx, forms)
        ub_checker = checker._taylor_upper(forms, bx)
        for _ in range(20):
            p = tuple(rnd.uniform(a, b) for a, b in bx)
            fp = ev.point(p) * sign
            assert fp <= ub.upper() and fp <= ub_checker.upper()
            assert forms.val.lower() <= fp <= forms.val.upper()
            jet = taylor.point_jet(ev, p)
            for g, G in zip(jet.grad, forms.grad):
                assert G.contains((g * sign).mid())


def test_second_order_leaves_are_replayed_and_forged_bounds_rejected():
    from conftest import proved
    import copy
    from verification import certificate as cert_io
    _, body = proved("thm3a-variance-increases")
    tree = body["parts"][0]["tree"]
    kinds = {n[1] for n in tree if n[0] == "l"}
    assert kinds & {"taylor", "enclosure2", "mvf2"}
    assert checker.check(body).ok
    # a Taylor leaf relabelled as a plain enclosure must be re-proved by that method
    b = copy.deepcopy(body)
    for n in b["parts"][0]["tree"]:
        if n[0] == "l" and n[1] == "taylor":
            n[1] = "enclosure"
    res = checker.check(cert_io.seal(b))
    assert not res.ok


def _leaf_boxes(tree, root):
    """(index, box) of every node of a preorder tree, boxes re-derived from the splits."""
    stack, out = [tuple(root)], []
    for i, n in enumerate(tree):
        bx = stack.pop()
        out.append((i, bx))
        if n[0] == "s":
            x = float.fromhex(n[2])
            left, right = list(bx), list(bx)
            left[n[1]], right[n[1]] = (bx[n[1]][0], x), (x, bx[n[1]][1])
            stack += [tuple(right), tuple(left)]
    return out


def test_face_leaves_are_replayed_and_a_wrong_face_leaf_is_rejected():
    """Leaf kind 'face' (the box's monotone faces re-evaluated): the checker replays it
    with its own code; relabelled, or claimed for a box the prover had to split, the
    certificate is rejected."""
    from conftest import proved
    import copy
    from verification import certificate as cert_io
    _, body = proved("thm2-variance-decreases")
    part = body["parts"][0]
    tree = part["tree"]
    assert any(n[0] == "l" and n[1] == "face" for n in tree)
    assert checker.check(body).ok
    # a face leaf relabelled as the Taylor form it beat
    b = copy.deepcopy(body)
    for n in b["parts"][0]["tree"]:
        if n[0] == "l" and n[1] == "face":
            n[1] = "taylor"
    assert not checker.check(cert_io.seal(b)).ok
    # a split whose two halves are leaves, one of them 'face', replaced by one 'face'
    # leaf on the whole box: the prover split it because no bound passed there
    root = [(float.fromhex(lo), float.fromhex(hi)) for lo, hi in part["box"]]
    boxes = dict(_leaf_boxes(tree, root))
    i = next(i for i in range(len(tree) - 2)
             if tree[i][0] == "s" and tree[i + 1][0] == tree[i + 2][0] == "l"
             and "face" in (tree[i + 1][1], tree[i + 2][1]))
    b = copy.deepcopy(body)
    enc = [[lo.hex(), hi.hex()] for lo, hi in boxes[i]]
    b["parts"][0]["tree"][i:i + 3] = [["l", "face", enc, tree[i + 1][3]]]
    res = checker.check(cert_io.seal(b))
    assert not res.ok and any("not below its bound" in m for m in res.messages), res.messages


def test_order4_pieces_cover_the_box_and_the_cache_changes_nothing():
    """The naive order-4 kernels on V in grid pieces (some cached) enclose the partials
    at sampled points of the box, and a cold cache gives the very same balls."""
    from selu_theory import base_enclosures
    rnd = random.Random(4)
    pars = Params().balls(100)
    M, V = ball.interval(-0.013, 0.004), ball.interval(0.8173, 0.9411)
    assert taylor.pieces(4, V) > 4
    with ball.precision(80):
        warm = taylor.box_partials("moments", M, V, pars, 4, activation="selu")
        again = taylor.box_partials("moments", M, V, pars, 4, activation="selu")
        taylor._PIECE_CACHE.clear()
        cold = taylor.box_partials("moments", M, V, pars, 4, activation="selu")
        for n in warm:
            assert warm[n].mid() == cold[n].mid() == again[n].mid()
            assert warm[n].rad() == cold[n].rad() == again[n].rad()
        for _ in range(5):
            m, v = ball.exact(rnd.uniform(-0.013, 0.004)), ball.exact(rnd.uniform(0.8173, 0.9411))
            pt = base_enclosures.at_point("moments", m, v, pars, 3, activation="selu")
            for n, x in pt.items():
                assert warm[n].contains(x), n


def test_a_leaf_dominated_by_a_wide_hessian_replays(tmp_path):
    """Regression: the Taylor bound used the Hessian's upper end as an exact number, so
    its ball was narrow and the engine's 2^-16 padding of that radius did not cover the
    checker's Hessian, recomputed at 112 bits, coming out higher: a correct leaf was
    rejected (E[y] = a E[d] + b of alpha dropout written directly, rate in [0, 0.2])."""
    from fractions import Fraction
    from selu_theory.params import Params
    from verification import claims as C
    from verification import dropout_claims as DC
    from verification.certify import certify_claim
    from verification.domain import Domain
    from verification.engine import Runner
    a, b = DC.paper_affine()
    e = f"{a}*((1 - rate)*mu_tilde - rate*{DC.L}) + {b}"
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("1", "1"), tau=("1", "1"), rate=(0, Fraction(1, 5)))
    parts = (C.Extremum("m.max", e, "max", dom, threshold="1/1000000", tol=C.NO_TOL),
             C.Extremum("m.min", e, "min", dom, threshold="-1/1000000", tol=C.NO_TOL))
    claim = C.Claim("wide-hessian-leaves", "", "", "", parts, params=Params())
    with Runner(1) as r:
        res, done = certify_claim(claim, r, tmp_path / "c.json")
    assert res.status == "proved" and done.proved, done.reason
