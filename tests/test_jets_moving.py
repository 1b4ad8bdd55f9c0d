"""Second-order jets over a box's moving sides only (``taylor.second_order``), constants
as numbers in the jets, and the chain rule through (m, v) without its zero products:
the same balls as the full jets and the general rules, and enclosures that contain the
mpmath oracle's values and Arb point values sampled in the box."""
import random
from fractions import Fraction

import pytest
from flint import arb

from selu_theory import ball, taylor
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.jets import Jet, JetOps
from selu_theory.params import Params
from verification import checker
from oracle_mpmath import MomentOracle

BITS = 112
LO = (-0.1, -0.1, 0.8, 0.95)
HI = (0.08, 0.08, 1.45, 1.08)
WIDTH = (0.01, 0.01, 0.03, 0.01)


def _ev(expr):
    return Evaluator(parse(expr), Params(), BITS)


def _same(a: arb, b: arb) -> bool:
    """The same ball: midpoint and radius bit for bit."""
    if not (a.is_finite() and b.is_finite()):
        return not a.is_finite() and not b.is_finite()
    return a.mid().man_exp() == b.mid().man_exp() and a.rad().man_exp() == b.rad().man_exp()


def _boxes(rnd, k=6):
    """Boxes on Omega with random point sides: (m, v) rectangles at omega = tau = 1,
    faces, a point, a full box."""
    out = [tuple((lo, lo + w) for lo, w in zip(LO, WIDTH)),
           ((0.01, 0.02), (1.0, 1.0), (1.1, 1.12), (1.0, 1.0)),
           tuple((x, x) for x in (0.03125, -0.0625, 1.125, 1.0))]
    for _ in range(k):
        lo = [rnd.uniform(a, b) for a, b in zip(LO, HI)]
        out.append(tuple((a, a) if rnd.random() < 0.4 else (a, a + w) for a, w in zip(lo, WIDTH)))
    return out


@pytest.mark.parametrize("expr", ["S", "dS_dmu", "dS_dtau", "nu_tilde - nu", "dmu_dtau", "mu_tilde**2"])
def test_moving_jets_are_the_full_jets_entries(expr):
    """Every entry on the moving sides is the full jets' ball; the point sides' entries
    are exact zeros (they multiply a zero deviation in every form)."""
    ev = _ev(expr)
    for bx in _boxes(random.Random(expr)):
        free = taylor.moving(bx)
        got, full = taylor.second_order(ev, bx), taylor.second_order(ev, bx, range(len(bx)))
        assert _same(got.val, full.val) and _same(got.f_mid, full.f_mid), bx
        assert got.mid == full.mid
        for i in range(len(bx)):
            if i in free:
                assert _same(got.grad[i], full.grad[i]) and _same(got.g_mid[i], full.g_mid[i]), (bx, i)
            else:
                assert got.grad[i].is_zero() and got.g_mid[i].is_zero()
            for j in range(len(bx)):
                h = got.hess[taylor.hidx(i, j)]
                if i in free and j in free:
                    assert _same(h, full.hess[taylor.hidx(i, j)]), (bx, i, j)
                else:
                    assert h.is_zero()


def test_a_wide_side_cannot_be_a_constant():
    bx = ((0.0, 0.01), (1.0, 1.0), (1.0, 1.1), (1.0, 1.0))
    with pytest.raises(ValueError, match="positive width"):
        taylor.box_jet2(_ev("S"), bx, (2,))


@pytest.mark.parametrize("expr", ["S", "nu_tilde - nu"])
def test_moving_forms_contain_the_oracle_and_sampled_point_values(expr):
    """On boxes with point sides: the value enclosure contains the mpmath oracle's value
    and Arb's point value at sampled points of the box, the gradient enclosure the point
    gradient there (moving sides), and the checker's Taylor bound is above them."""
    rnd = random.Random(7)
    oracle = MomentOracle()
    ev = _ev(expr)
    boxes = [((0.01, 0.03), (1.0, 1.0), (0.9, 0.95), (1.0, 1.0)),
             ((-0.05, -0.04), (0.05, 0.06), (1.2, 1.2), (0.98, 1.0))]
    for bx in boxes:
        forms = taylor.second_order(ev, bx)
        with ball.precision(BITS):
            ub = checker._taylor_upper(forms, bx)
            lb = -checker._taylor_upper(-forms, bx)
        free = taylor.moving(bx)
        for k in range(4):
            p = tuple(lo if lo == hi else rnd.uniform(lo, hi) for lo, hi in bx)
            fp = ev.point(p)
            assert forms.val.contains(fp) and lb.lower() <= fp.mid() <= ub.upper()
            jet = taylor.point_jet(ev, p)
            for i in free:
                assert forms.grad[i].contains(jet.grad[i])
            if k < 2:  # the oracle: quadratures of the defining integrals
                q = oracle.quantities(tuple(Fraction(x) for x in p), ("S", "nu_tilde", "nu"))
                want = q["S"] if expr == "S" else q["nu_tilde"] - q["nu"]
                assert forms.val.lower() <= float(want) <= forms.val.upper()
                assert lb.lower() <= float(want) <= ub.upper()


def _general(x):
    """A copy of a constant jet the operations do not recognise as one (its zeros are
    its own objects), so the general rules apply."""
    if isinstance(x, taylor.Jet2):
        return taylor.Jet2(x.val, tuple(arb(0) for _ in x.grad), tuple(arb(0) for _ in x.hess))
    return Jet(x.val, tuple(arb(0) for _ in x.grad))


@pytest.mark.parametrize("order", [1, 2])
def test_constants_give_the_general_rules_balls(order):
    with ball.precision(BITS):
        n = 3
        if order == 2:
            ops = taylor.Jet2Ops(n)
            x = taylor.Jet2.variable(ball.interval(0.5, 0.75), 0, n) * taylor.Jet2.variable(ball.interval(1, 1.25), 2, n)
            c = taylor.Jet2.constant(ball.exact(Fraction(7, 3)), n)
        else:
            ops = JetOps(n)
            x = Jet.variable(ball.interval(0.5, 0.75), 0, n) * Jet.variable(ball.interval(1, 1.25), 2, n)
            c = Jet.constant(ball.exact(Fraction(7, 3)), n)
        g = _general(c)
        pairs = [(c * x, g * x), (x * c, x * g), (x / c, x / g), (c / x, g / x), (x + c, x + g), (c + x, g + x),
                 (x - c, x - g), (c - x, g - x), (c * c, g * g), (ops.sqr(c), ops.sqr(g)), (ops.exp(c), ops.exp(g)),
                 (ops.sqrt(c), ops.sqrt(g)), (ops.ipow(c, 3), ops.ipow(g, 3)), (-c, -g), (c + c, g + g)]
        for k, (a, b) in enumerate(pairs):
            assert _same(a.val, b.val), k
            assert all(_same(u, w) for u, w in zip(a.grad, b.grad)), k
            if order == 2:
                assert all(_same(u, w) for u, w in zip(a.hess, b.hess)), k


def test_a_point_side_clamped_off_its_corner_keeps_its_partial():
    """mu = float(-0.1) lies just outside the exact domain end -1/10: the mean-value
    forms' corner is clamped to -1/10, off the side, so the form needs d/dmu there;
    with the domain the jets differentiate in mu and give the full jets' ball."""
    from verification.domain import Domain
    dom = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.95", "1.1"))
    bx = ((-0.1, -0.1), (-0.1, -0.05), (1.0, 1.0), (0.95, 1.0))
    assert taylor.moving(bx) == (1, 3) and taylor.moving(bx, dom) == (0, 1, 3)
    ev = _ev("S")
    got, full = taylor.second_order(ev, bx, domain=dom), taylor.second_order(ev, bx, range(4))
    assert not got.grad[0].is_zero() and _same(got.grad[0], full.grad[0])
    assert got.grad[2].is_zero()  # nu = 1 is inside the domain: a constant
