"""Box enclosures (jets) against point evaluations: the value enclosure contains every
sampled value, and by the mean value theorem each difference quotient between two points
of the box lies in the gradient enclosure."""
import numpy as np
import pytest

from selu_theory import ball
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params

BOXES = {
    "Omega": ((-0.1, 0.1), (-0.1, 0.1), (0.8, 1.5), (0.95, 1.1)),
    "Omega+": ((-1, 1), (-0.1, 0.1), (3, 16), (0.8, 1.25)),
    "Omega-": ((-0.1, 0.1), (-0.1, 0.1), (0.05, 0.24), (0.8, 1.25)),
}


def _sub_boxes(domain, rng, n, rel):
    for _ in range(n):
        box = []
        for lo, hi in domain:
            w = (hi - lo) * rel
            a = rng.uniform(lo, hi - w)
            box.append((a, a + w))
        yield tuple(box)


@pytest.mark.parametrize("expr", ["S", "mu_tilde", "nu_tilde", "J22", "xi_tilde"])
@pytest.mark.parametrize("name", list(BOXES))
def test_jet_contains_values_and_difference_quotients(expr, name):
    rng = np.random.default_rng(7)
    ev = Evaluator(parse(expr), Params())
    for bx in _sub_boxes(BOXES[name], rng, 3, 0.05):
        jet = ev.box(bx)
        assert jet.val.is_finite()
        for _ in range(3):
            x = [rng.uniform(lo, hi) for lo, hi in bx]
            fx = ev.point(x)
            assert jet.val.contains(fx)
            for i, (lo, hi) in enumerate(bx):
                y = list(x)
                y[i] = rng.uniform(lo, hi)
                if y[i] == x[i]:
                    continue
                with ball.precision(ev.bits):
                    dq = (ev.point(y) - fx) / (ball.exact(y[i]) - ball.exact(x[i]))
                    assert jet.grad[i].overlaps(dq)


def test_enclosure_is_not_trivially_wide():
    ev = Evaluator(parse("S"), Params())
    jet = ev.box(((-0.1, -0.09), (-0.1, -0.09), (0.8, 0.81), (1.09, 1.1)))
    assert jet.val.rad() < 0.02
