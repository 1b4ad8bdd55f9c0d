"""Issue 12: box enclosures of the order-3 and order-4 (m, v)-partials of mu~ and xi~
from the order-5 kernels (``taylor._centred4``: on each piece of V the order-4 kernels
at the piece's centre plus the naive order-5 enclosure times its half-widths).

The oracle is independent of the kernels and of the closed forms: the defining Gaussian
integrals E[selu(z)^p], z ~ N(m, v), differentiated under the integral sign,

    d^{i+j}/dm^i dv^j E[f(z)] = 2^-j v^-(i+2j)/2 E[f(z) He_{i+2j}(u)],  u = (z - m)/sqrt(v)

(Rodrigues' formula and the heat equation; He_k the probabilists' Hermite polynomials),
each an mpmath Gauss-Legendre quadrature over |u| <= 16 split at the kink u = -m/sqrt(v)
(the tails beyond are below 1e-50; ``oracle_mpmath`` bounds them).
"""
from __future__ import annotations

import functools
import random

import mpmath
import pytest
from flint import arb

from selu_theory import ball, partials, taylor
from selu_theory.kernel_loader import load_kernels
from selu_theory.params import Params
from tests.oracle_mpmath import MomentOracle

CUT = 16
MP = mpmath.MPContext()  # private: 30 digits, the oracle's integrand shared by every k
MP.dps = 30
ORACLE = MomentOracle()  # its selu(x) and alpha01, lambda01 (from their closed forms)
KMAX = 10  # d^5/dv^5 -> He_10


@functools.cache
def _nodes(m: float, v: float):
    """u -> (selu(m + s u) phi(u), selu^2 phi(u), [He_0(u) .. He_KMAX(u)]), memoised: the
    quadratures of every k visit the same nodes."""
    s, memo = MP.sqrt(MP.mpf(v)), {}

    def at(u):
        if u not in memo:
            f = MP.mpf(ORACLE.selu(MP.mpf(m) + s * u))
            g = MP.exp(-u * u / 2) / MP.sqrt(2 * MP.pi)
            he = [MP.mpf(1), u]
            for n in range(1, KMAX):
                he.append(u * he[-1] - n * he[-2])
            memo[u] = (f * g, f * f * g, he)
        return memo[u]
    return s, at


def oracle_partial(name: str, m: float, v: float):
    """d^{i+j}/dm^i dv^j of mu~ ('mu_...') or xi~ ('xi_...') at (m, v), by quadrature."""
    base, i, j = partials.split(name)
    p, k = (0 if base == "mu" else 1), i + 2 * j
    s, at = _nodes(m, v)
    u0 = min(max(-MP.mpf(m) / s, -CUT), CUT)
    total = sum(MP.quad(lambda u: at(u)[p] * at(u)[2][k], [a, b], method="gauss-legendre")
                for a, b in ((-CUT, u0), (u0, CUT)))
    return total / (2 ** j * s ** k)


def _ball(x) -> arb:
    """The oracle value as a ball of radius 1e-22 relative (30-digit quadrature)."""
    return arb(MP.nstr(x, 35), abs(float(x)) * 1e-22 + 1e-300)


PARS = Params().balls(120)
# (M, V) boxes met on Lemmas 10-11's leaves and a wider one near the root of Omega
BOXES = [((-0.013, 0.004), (0.8173, 0.9411)),
         ((0.002, 0.0021), (1.2001, 1.2102)),
         ((-0.01, 0.01), (0.76, 1.65))]


def _partials(M, V, order: int, centred: bool) -> dict:
    old = taylor.CENTRED
    taylor.CENTRED = centred
    try:
        with ball.precision(100):
            return taylor.box_partials("moments", ball.interval(*M), ball.interval(*V), PARS, order,
                                       activation="selu")
    finally:
        taylor.CENTRED = old


def test_the_order5_kernels_match_the_oracle_at_points():
    k = load_kernels("selu", "ball_kernels")
    for m, v in ((0.01, 0.9), (-0.1, 1.3)):
        with ball.precision(100):
            got = dict(zip(k.NAMES["moments_order5"], k.moments_order5(arb(m), arb(v), *PARS)))
        assert len(got) == 12
        for n, x in got.items():
            assert x.rad() < 1e-20 * (1 + abs(x.mid())), n
            assert x.overlaps(_ball(oracle_partial(n, m, v))), (n, m, v)


@pytest.mark.parametrize("M,V", BOXES)
def test_centred_enclosures_contain_the_oracle_at_sampled_points(M, V):
    enc = _partials(M, V, 4, centred=True)
    rnd = random.Random(12)
    names = [n for n in enc if sum(partials.split(n)[1:]) in (3, 4)]
    assert len(names) == 18  # 2 bases x (4 + 5) partials
    corners = [(M[0], V[0]), (M[1], V[1])]
    for m, v in corners + [(rnd.uniform(*M), rnd.uniform(*V)) for _ in range(2)]:
        for n in names:
            assert enc[n].overlaps(_ball(oracle_partial(n, m, v))), (n, m, v)


@pytest.mark.parametrize("M,V", BOXES[:2])
def test_centred_enclosures_are_tighter_than_the_naive_ones(M, V):
    """On the leaf-sized boxes every order-3 and order-4 partial is narrower, the xi
    family's order-4 partials (whose terms cancel) by at least 5 times."""
    new, old = _partials(M, V, 4, True), _partials(M, V, 4, False)
    for n in new:
        order = sum(partials.split(n)[1:])
        if order < 3:
            continue
        assert new[n].rad() < old[n].rad(), n
        if order == 4 and n.startswith("xi"):
            assert 5 * new[n].rad() < old[n].rad(), (n, new[n].rad(), old[n].rad())


def test_only_the_ball_kernels_carry_order5():
    assert "moments_order5" in load_kernels("selu", "ball_kernels").NAMES
    for kind in ("float_kernels", "numba_kernels"):
        assert not any(f.endswith("_order5") for f in load_kernels("selu", kind).NAMES)


def test_without_order5_the_naive_order4_kernels_are_used():
    """Families without an order-5 group (SELU's sub-functions, where it did not pay:
    fewer boxes for Lemmas 44-45, more CPU; other activations) keep the naive order-4
    kernels; the switch ``CENTRED`` off does the same for SELU's moments."""
    elu, selu = load_kernels("elu", "ball_kernels"), load_kernels("selu", "ball_kernels")
    group, _, f = taylor._centred4(elu, "moments", True)
    assert group == "order4" and f is elu.moments_order4
    assert taylor._centred4(selu, "sub", True)[0] == "order4"
    assert taylor._centred4(selu, "moments", False)[0] == "order4"
    assert taylor._centred4(selu, "moments", True)[0] == "order4c"
