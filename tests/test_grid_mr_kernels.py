"""The generated midpoint-radius kernels (``_generated/selu/grid_mr_kernels.py``) enclose
the Arb values of the generated ball kernels, output by output, at exact float points."""
import random

import numpy as np
from flint import arb
from numba import njit

from selu_theory.ball import precision
from selu_theory.grid_kernels import constants
from selu_theory.kernel_loader import load_kernels
from selu_theory.params import Params

MR = load_kernels("selu", "grid_mr_kernels")
BK = load_kernels("selu", "ball_kernels")
hoisted = MR.moments_order0_1_hoisted
point = MR.moments_order0_1_mr


@njit(cache=True)
def _eval(m, rm, v, rv, K):
    return point(m, rm, hoisted(v, rv, K), K)


def _points(n=60, seed=8):
    rng = random.Random(seed)
    pts = [(0.0, 1.0), (-0.1, 0.8), (0.1, 1.5), (-0.7, 0.8), (3.0, 0.02)]
    while len(pts) < n:
        m, v = rng.uniform(-3, 3), rng.uniform(0.02, 6)
        if m + v > 0:
            pts.append((m, v))
    return pts


def test_every_output_is_enclosed_with_a_small_radius():
    params = Params()
    K = constants(params)
    with precision(200):
        alpha, lam = params.balls(200)
        for m, v in _points():
            vals = _eval(m, 0.0, v, 0.0, K)
            exact = BK.moments_order0_1(arb(m), arb(v), alpha, lam)
            for k, (name, ball) in enumerate(zip(MR.NAMES["moments_order0_1"], exact)):
                mid, rad = vals[2 * k], vals[2 * k + 1]
                assert np.isfinite(mid) and np.isfinite(rad), (name, m, v)
                err = abs(ball - arb(mid))
                assert err.upper() <= arb(rad), (name, m, v, mid, rad, ball)
                assert rad <= 1e-13 * max(1.0, abs(mid)), (name, m, v, rad)


def test_outside_the_proven_range_is_nan():
    """m + v <= 0 puts an erfcx argument below 0: the kernels fail closed (NaN)."""
    K = constants(Params())
    vals = _eval(-2.0, 0.0, 1.0, 0.0, K)
    assert any(np.isnan(x) for x in vals)
