"""Property test: ``api.value`` balls contain the independent oracle's value.

This holds the package's kernels (closed forms, generated code, the expression evaluator)
to an independent truth: the mpmath Gaussian quadrature of ``oracle_mpmath``.  Points are
the corners of the paper's domains Omega, Omega+ and Omega- plus seeded random points of a
wide region (|mu|, |omega| <= 1, nu in [0.05, 16] log-uniform, tau in [0.8, 1.25]); at
each point every quantity (and at random points the constants alpha, lam, pi) is
checked alone, and one random expression besides.

A ball must contain the true value; the oracle is within about 1e-44 (relative) of it, so
a ball is accepted when it reaches within ORACLE_TOL of the oracle value.  At 128 bits the
balls are about 1e-37 wide, so this demands agreement to ~30 digits.  A ball wider than
WIDE (relative) would make containment weak: that fails too, with its own message.
"""
from __future__ import annotations

import itertools
import math
import os
import random
from fractions import Fraction

import pytest

from oracle_mpmath import CONSTANT_NAMES, MOMENT_NAMES, MomentOracle, to_fraction
from random_expressions import decimal_text, evaluate, names_of, random_tree, render
from verification import api

SEED = 20261202
CASES = int(os.environ.get("SELU_PROPERTY_CASES", "30"))
ORACLE_TOL = Fraction(1, 10**32)  # absolute, times max(1, |value|)
WIDE = Fraction(1, 10**20)

DOMAINS = {  # the paper's domains (claims.md): (mu, omega, nu, tau) ranges
    "Omega": (("-0.1", "0.1"), ("-0.1", "0.1"), ("0.8", "1.5"), ("0.95", "1.1")),
    "Omega+": (("-1", "1"), ("-0.1", "0.1"), ("3", "16"), ("0.8", "1.25")),
    "Omega-": (("-0.1", "0.1"), ("-0.1", "0.1"), ("0.05", "0.24"), ("0.8", "1.25")),
}


def corner_points() -> list:
    return [pytest.param(tuple(Fraction(x) for x in corner), id=f"{name}-{'/'.join(corner)}")
            for name, ranges in DOMAINS.items() for corner in itertools.product(*ranges)]


def random_point(rng: random.Random) -> tuple:
    def dec(x, places=4):
        return Fraction(round(x * 10**places), 10**places)
    return (dec(rng.uniform(-1, 1)), dec(rng.uniform(-1, 1)),
            dec(math.exp(rng.uniform(math.log(0.05), math.log(16)))), dec(rng.uniform(0.8, 1.25)))


@pytest.fixture(scope="module")
def oracle():
    return MomentOracle()


def ball_ends(ball) -> tuple:
    """The exact rational ends of an Arb ball, as midpoint -/+ radius (both exact; the
    ball's ``lower()``/``upper()`` would round to flint's global 53-bit precision)."""
    def q(x):
        man, exp = x.man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    mid, rad = q(ball.mid()), q(ball.rad())
    return mid - rad, mid + rad


def assert_encloses(expr: str, point: tuple, truth: Fraction):
    lo, hi = ball_ends(api.value(expr, point))
    scale = max(1, abs(truth))
    where = f"api.value({expr!r}, {tuple(decimal_text(x) for x in point)})"
    assert lo - ORACLE_TOL * scale <= truth <= hi + ORACLE_TOL * scale, (
        f"{where} = [{float(lo)!r}, {float(hi)!r}] misses the oracle's {float(truth)!r}")
    assert hi - lo <= WIDE * scale, f"{where} is too wide to mean anything: [{float(lo)!r}, {float(hi)!r}]"


@pytest.mark.parametrize("point", corner_points())
def test_value_encloses_oracle_at_domain_corners(oracle, point):
    q = oracle.quantities(point)
    for name in MOMENT_NAMES:
        assert_encloses(name, point, to_fraction(q[name]))


@pytest.mark.parametrize("index", range(CASES))
def test_value_encloses_oracle_at_random_points(oracle, index):
    rng = random.Random(f"{SEED}:{index}")
    point = random_point(rng)
    q = oracle.quantities(point)
    for name in MOMENT_NAMES + CONSTANT_NAMES:
        assert_encloses(name, point, to_fraction(q[name]))
    tree = random_tree(rng, rng.randint(1, 3))
    env = oracle.quantities(point, names_of(tree))
    assert_encloses(render(tree), point, to_fraction(evaluate(tree, env)))


def test_value_check_catches_a_wrong_value(oracle):
    """A false twin: the oracle's nu~ is not enclosed by the package's xi~ (off by mu~^2)."""
    point = (Fraction(1, 5), Fraction(1, 2), Fraction(1), Fraction(1))
    q = oracle.quantities(point)
    with pytest.raises(AssertionError, match="misses the oracle"):
        assert_encloses("xi_tilde", point, to_fraction(q["nu_tilde"]))
