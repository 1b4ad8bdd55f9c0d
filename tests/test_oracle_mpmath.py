"""Checks of the independent oracle (``oracle_mpmath``) itself, against truths that do not
pass through it: the paper's closed forms (transcribed here from claims.md in mpmath), a
different quadrature rule, ``mpmath.diff``, ``mpmath.svd_r`` and the published constants.
The package is not used here at all."""
from __future__ import annotations

from fractions import Fraction

import pytest

from oracle_mpmath import MP, MomentOracle, alpha01, lambda01, largest_singular_value, to_fraction, to_mpf

# Points in (m, v): the property test's region and the paper's wider domains (Omega+ with
# v up to 20, Omega- with v down to 0.04), kinks left and right of the centre.
MV_POINTS = [(Fraction(0), Fraction(1)), (Fraction(1, 100), Fraction(88, 100)),
             (Fraction(-9, 100), Fraction(3, 2)), (Fraction(1, 10), Fraction(4, 100)),
             (Fraction(-1, 10), Fraction(4, 100)), (Fraction(-1, 1), Fraction(20)),
             (Fraction(1, 1), Fraction(3)), (Fraction(3, 10), Fraction(1, 2))]


@pytest.fixture(scope="module")
def oracle():
    return MomentOracle()


def closed_forms(m, v, alpha, lam):
    """mu~ and xi~ by the paper's erfc closed forms (claims.md, Eq. 4 and the second moment)."""
    m, v = to_mpf(m), to_mpf(v)
    s = MP.sqrt(v)
    r2s = MP.sqrt(2) * s
    c0 = MP.erfc(m / r2s)
    e1 = MP.exp(m + v / 2) * MP.erfc((m + v) / r2s)
    e2 = MP.exp(2 * m + 2 * v) * MP.erfc((m + 2 * v) / r2s)
    g = MP.exp(-m * m / (2 * v))
    k = MP.sqrt(2 / MP.pi)
    mu = lam / 2 * (-(alpha + m) * c0 + alpha * e1 + k * s * g + 2 * m)
    xi = lam ** 2 / 2 * ((m * m + v) * (2 - c0) + alpha ** 2 * (-2 * e1 + e2 + c0) + k * m * s * g)
    return mu, xi


def test_alpha_lambda_match_the_frameworks_31_digits():
    assert abs(alpha01() - MP.mpf("1.6732632423543772848170429916717")) < MP.mpf("1e-30")
    assert abs(lambda01() - MP.mpf("1.0507009873554804934193349852946")) < MP.mpf("1e-30")


def test_fixed_point_of_the_oracle(oracle):
    """alpha01, lambda01 are defined by mu~(0,0,1,1) = 0, nu~(0,0,1,1) = 1."""
    q = oracle.quantities((0, 0, 1, 1))
    assert abs(q["mu_tilde"]) < MP.mpf("1e-40")
    assert abs(q["nu_tilde"] - 1) < MP.mpf("1e-40")
    assert q["J11"] == 0 and q["J21"] == 0


def test_known_values_of_S(oracle):
    """S at the fixed point (main text: ~0.7877) and at the maximiser of S on Omega."""
    s_fixed = oracle.quantities((0, 0, 1, 1))["S"]
    assert abs(s_fixed - MP.mpf("0.7876733605")) < MP.mpf("1e-10")
    s_max = oracle.quantities(("-0.1", "-0.1", "0.8", "1.1"))["S"]
    assert abs(s_max - MP.mpf("0.8976083584")) < MP.mpf("1e-10")


@pytest.mark.parametrize("m, v", MV_POINTS)
def test_quadrature_matches_closed_forms(oracle, m, v):
    mom = oracle.moments(m, v, derivatives=False)
    mu, xi = closed_forms(m, v, oracle.alpha, oracle.lam)
    assert abs(mom["mu"] - mu) < MP.mpf("1e-38")
    assert abs(mom["xi"] - xi) < MP.mpf("1e-38") * max(1, abs(xi))


@pytest.mark.parametrize("m, v", MV_POINTS[:4])
def test_gauss_legendre_matches_tanh_sinh_on_the_half_lines(oracle, m, v):
    """The truncated Gauss-Legendre rule against tanh-sinh over the untruncated half-lines."""
    mm, vv = to_mpf(m), to_mpf(v)
    s = MP.sqrt(vv)
    norm = 1 / MP.sqrt(2 * MP.pi)

    def f(u):
        return oracle.selu(mm + s * u) * (u * u - 1) * norm * MP.exp(-u * u / 2)
    ts = MP.quad(f, [MP.ninf, -mm / s, MP.inf], method="tanh-sinh")
    assert abs(oracle.moments(m, v)["dmu_dv"] - ts / (2 * vv)) < MP.mpf("1e-38")


@pytest.mark.parametrize("m, v", [MV_POINTS[1], MV_POINTS[4]])
def test_derivatives_under_the_integral_match_mp_diff(oracle, m, v):
    mom = oracle.moments(m, v)
    diff = oracle.derivatives_by_mp_diff(m, v)
    for name, val in diff.items():
        assert abs(mom[name] - val) < MP.mpf("1e-30"), name


@pytest.mark.parametrize("m, v", MV_POINTS[1:4])
def test_derivatives_match_mp_diff_of_the_closed_forms(oracle, m, v):
    mom = oracle.moments(m, v)
    mm, vv = to_mpf(m), to_mpf(v)
    for k, name in enumerate(("mu", "xi")):
        dm = MP.diff(lambda x: closed_forms(x, vv, oracle.alpha, oracle.lam)[k], mm)
        dv = MP.diff(lambda y: closed_forms(mm, y, oracle.alpha, oracle.lam)[k], vv)
        assert abs(mom[f"d{name}_dm"] - dm) < MP.mpf("1e-30")
        assert abs(mom[f"d{name}_dv"] - dv) < MP.mpf("1e-30")


def test_largest_singular_value_matches_svd():
    for entries in [(0.1, -0.7, 0.3, 0.2), (0, 0.09, 0, 0.78), (1, 2, 2, 4), (-0.5, 0, 0, 0.5)]:
        j = [to_mpf(Fraction(x)) for x in entries]
        svd = MP.svd_r(MP.matrix([[j[0], j[1]], [j[2], j[3]]]), compute_uv=False)
        assert abs(largest_singular_value(*j) - max(svd)) < MP.mpf("1e-38")


def test_to_fraction_is_exact_and_keeps_the_sign():
    assert to_fraction(MP.mpf(-0.75)) == Fraction(-3, 4)
    assert to_fraction(0) == 0
    third = MP.mpf(1) / 3
    assert abs(to_fraction(third) - Fraction(1, 3)) < Fraction(1, 10**44)
