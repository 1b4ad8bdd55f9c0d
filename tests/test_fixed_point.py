"""selu_theory.fixed_point: Krawczyk-proven (alpha, lambda) for a prescribed fixed point."""
from __future__ import annotations

import dataclasses
import sys
import time
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from flint import arb

try:  # the package may not be installed in the venv; make the repo root importable
    import selu_theory  # noqa: F401
except ImportError:  # pragma: no cover - depends on how pytest is launched
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selu_theory import constants
from selu_theory import fixed_point as fixed_point_module
from selu_theory import params as params_module
from selu_theory.ball import exact, precision
from selu_theory.fixed_point import FixedPointError, FixedPointParams, solve_alpha_lambda

NOTEBOOK_ALPHA = 1.9769021954242014  # getSELUparameters, (mu*, nu*) = (-0.1, 2.0)
NOTEBOOK_LAMBDA = 1.073851239616046


@pytest.fixture(scope="module")
def paper():
    return solve_alpha_lambda(0, 1)  # omega = 0, tau = 1


@pytest.fixture(scope="module")
def notebook():
    return solve_alpha_lambda("-0.1", "2.0", omega=1, tau=1)


# --------------------------------------------------------------------------- independent mpmath

def _mp_moments(alpha, lam, m, v):
    """mu~, nu~ from the closed forms, written independently of the generated kernels."""
    mp = mpmath
    s = mp.sqrt(2 * v)
    e0 = mp.erfc(m / s)
    e1 = mp.exp(m + v / 2) * mp.erfc((m + v) / s)
    e2 = mp.exp(2 * m + 2 * v) * mp.erfc((m + 2 * v) / s)
    g = mp.sqrt(2 / mp.pi) * mp.sqrt(v) * mp.exp(-m ** 2 / (2 * v))
    mu = lam / 2 * (-(alpha + m) * e0 + alpha * e1 + g + 2 * m)
    xi = lam ** 2 / 2 * ((m ** 2 + v) * (2 - e0) + alpha ** 2 * (-2 * e1 + e2 + e0) + m * g)
    return mu, xi - mu ** 2


def _mp_solve(mu_s, nu_s, omega, tau, start, dps):
    with mpmath.workdps(dps):
        mu_s, nu_s = mpmath.mpf(mu_s.numerator) / mu_s.denominator, mpmath.mpf(nu_s.numerator) / nu_s.denominator
        m, v = mu_s * omega, nu_s * tau

        def eqs(a, l):
            mu, nu = _mp_moments(a, l, m, v)
            return [mu - mu_s, nu - nu_s]

        a, l = mpmath.findroot(eqs, [mpmath.mpf(start[0]), mpmath.mpf(start[1])], tol=mpmath.mpf(10) ** (-dps + 5))
        return mpmath.nstr(a, dps), mpmath.nstr(l, dps)


def _exact_decimal(s: str) -> arb:
    return exact(Fraction(s))


# --------------------------------------------------------------------------- alpha01, lambda01

def test_paper_fixed_point_reproduces_alpha01_lambda01(paper):
    assert isinstance(paper, FixedPointParams)
    assert paper.unique and paper.globally_unique
    assert paper.mu_star == 0 and paper.nu_star == 1 and paper.omega == 0 and paper.tau == 1
    assert "paper" in paper.convention
    assert paper.alpha.overlaps(constants.alpha01(256))
    assert paper.lam.overlaps(constants.lambda01(256))
    assert paper.alpha.rad() < arb("1e-30") and paper.lam.rad() < arb("1e-30")
    assert paper.alpha_float == constants.ALPHA01_FLOAT
    assert paper.lam_float == constants.LAMBDA01_FLOAT


def test_framework_strings_within_half_unit_of_31st_decimal(paper):
    # The framework strings carry 31 decimals (32 significant digits); correctly rounded
    # they are within half a unit of the last place, 0.5e-31, of the true value.
    half_ulp = exact(Fraction(5, 10 ** 32))
    with precision(300):
        for ball, text in ((paper.alpha, constants.ALPHA01_FRAMEWORKS), (paper.lam, constants.LAMBDA01_FRAMEWORKS)):
            assert len(text.split(".")[1]) == 31
            assert abs(ball - _exact_decimal(text)) < half_ulp


def test_box_contains_enclosure(paper, notebook):
    for r in (paper, notebook):
        (alo, ahi), (llo, lhi) = r.box
        assert all(e.is_exact() for e in (alo, ahi, llo, lhi))
        assert alo < r.alpha < ahi and llo < r.lam < lhi
        assert ahi - alo > arb("1e-7")  # uniqueness holds in a box, not only a point
        assert len(r.box_str()) == 2


# --------------------------------------------------------------------------- notebook example

def test_getseluparameters_example(notebook):
    assert notebook.unique and notebook.globally_unique
    assert "getSELUparameters" in notebook.convention
    assert notebook.mu_star == Fraction(-1, 10) and notebook.nu_star == 2
    # The notebook solves in double precision; it agrees to ~1e-15 (alpha is 1.0e-15 off).
    assert abs(notebook.alpha_float - NOTEBOOK_ALPHA) <= 2e-15
    assert abs(notebook.lam_float - NOTEBOOK_LAMBDA) <= 2e-15
    assert notebook.alpha.rad() < arb("1e-30") and notebook.lam.rad() < arb("1e-30")


def test_float_and_fraction_inputs_mean_the_same_rational(notebook):
    r = solve_alpha_lambda(-0.1, 2.0, omega=1.0, tau=Fraction(1))
    assert r.mu_star == Fraction(-1, 10)
    assert r.alpha.overlaps(notebook.alpha) and r.lam.overlaps(notebook.lam)
    r2 = solve_alpha_lambda(Fraction(-1, 10), 2, omega="1", tau="1")
    assert r2.alpha.overlaps(notebook.alpha)


# --------------------------------------------------------------------------- independent check

@pytest.mark.parametrize("target", [(0, 1, 0, 1), ("-0.1", "2.0", 1, 1), ("0.2", "0.1", 0, 1), ("0.1", "3", 0, "1/2")])
def test_enclosure_contains_mpmath_root_and_excludes_perturbation(target):
    mu_s, nu_s, om, tau = (Fraction(str(t)) for t in target)
    r = solve_alpha_lambda(*target)
    # dps = 60: findroot is accurate to ~1e-57, so within 1e-50 of it lies the true root.
    a60, l60 = _mp_solve(mu_s, nu_s, om, tau, (r.alpha_float, r.lam_float), 60)
    with precision(400):
        assert arb(a60, arb("1e-50")).contains(r.alpha)
        assert arb(l60, arb("1e-50")).contains(r.lam)
        # ... and the enclosure rejects a root moved by 1e-25.
        assert not r.alpha.overlaps(arb(a60) + arb("1e-25"))
        assert not r.lam.overlaps(arb(l60) + arb("1e-25"))
    # dps = 120 (error ~1e-115, far below the ~1e-86 radius): plain containment.
    a120, l120 = _mp_solve(mu_s, nu_s, om, tau, (a60, l60), 120)
    with precision(450):
        assert r.alpha.contains(arb(a120)) and r.lam.contains(arb(l120))


def test_precision_follows_bits():
    lo = solve_alpha_lambda(0, 1, bits=64)
    hi = solve_alpha_lambda(0, 1, bits=512)
    assert lo.alpha.rad() < arb(2) ** -64 and hi.alpha.rad() < arb(2) ** -512
    assert lo.alpha.overlaps(hi.alpha) and hi.alpha.overlaps(constants.alpha01(512))


# --------------------------------------------------------------------------- stability

def test_paper_fixed_point_is_stable(paper):
    assert paper.stable is True
    assert abs(paper.spectral_norm - arb("0.7877")) < arb("5e-5")
    assert paper.spectral_norm.rad() < arb("1e-60")
    (j11, j12), (j21, j22) = paper.jacobian
    assert j11 == 0 and j21 == 0  # omega = 0: the mean does not feed back
    assert abs(j12 - arb("0.088834")) < arb("1e-5") and abs(j22 - arb("0.782648")) < arb("1e-5")
    assert paper.spectral_radius < 1


def test_paper_convention_target_without_norm_contraction():
    # (0.2, 0.1) with omega = 0: S > 1, so the paper's contraction criterion fails, but the
    # spectral radius is < 1, so the fixed point is still locally attracting.
    r = solve_alpha_lambda("0.2", "0.1", omega=0, tau=1)
    assert r.stable is False
    assert r.spectral_norm > arb("1.4")
    assert r.spectral_radius < 1


def test_notebook_convention_fixed_points_are_repelling(notebook):
    # With omega = tau = 1 the mean feeds back with slope ~1: S > 1 and even the spectral
    # radius exceeds 1, so these fixed points are (linearly) unstable.
    assert notebook.stable is False and notebook.spectral_radius > 1
    r = solve_alpha_lambda(0, 1, omega=1, tau=1)
    assert r.alpha.overlaps(constants.alpha01(256))  # m* = 0 either way
    assert r.stable is False and r.spectral_radius > 1


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("args, match", [
    ((0, 0), "nu_star must be > 0"),
    ((0, -1), "nu_star must be > 0"),
    ((0, float("nan")), "nu_star must be finite"),
    ((float("nan"), 1), "mu_star must be finite"),
    ((0, "nan"), "nu_star must be a finite number"),
    ((0, "1e-999999999"), "nu_star: exponent"),  # refused by its spelling, not after minutes
    ((0, float("inf")), "nu_star must be finite"),
    ((0, 1, float("inf")), "omega must be finite"),
    ((0, 1, 0, 0), "tau must be > 0"),
    ((0, 1, 0, -1), "tau must be > 0"),
    ((0, 1, 0, 1, 20), "bits"),
])
def test_bad_inputs(args, match):
    with pytest.raises(FixedPointError, match=match):
        solve_alpha_lambda(*args)


def test_no_real_root_at_all():
    # omega = 0, (mu*, nu*) = (-2, 1): mu~/sqrt(nu~) = g(alpha) is decreasing on alpha >= 0
    # from 0.683 to -0.803, and the eliminated quadratic has no real root: no (alpha, lambda).
    with pytest.raises(FixedPointError, match="no root found.*certified"):
        solve_alpha_lambda(-2, 1)


def test_only_negative_alpha_roots():
    # (1, 1): mu*/sqrt(nu*) = 1 > g(0) = 0.683; the real roots have alpha < 0.
    with pytest.raises(FixedPointError, match="no root with alpha > 0.*certified"):
        solve_alpha_lambda(1, 1)


def test_error_is_a_value_error():
    assert issubclass(FixedPointError, ValueError)


def test_ill_conditioned_target():
    # omega = 1, (1, 0.01): z ~ N(1, 0.01) is negative with probability ~1e-23, so alpha
    # barely matters; the double-precision search alone finds a spurious root here.
    r = solve_alpha_lambda(1, "0.01", omega=1, tau=1)
    assert r.unique and r.alpha > 0 and r.lam > 0
    assert abs(r.alpha_float - 1.01) < 0.01 and abs(r.lam_float - 1) < 1e-12
    assert r.alpha.rel_accuracy_bits() >= 256 and r.lam.rel_accuracy_bits() >= 256
    a, l = _mp_solve(Fraction(1), Fraction(1, 100), Fraction(1), Fraction(1), (r.alpha_float, r.lam_float), 120)
    with precision(450):
        assert r.alpha.contains(arb(a)) and r.lam.contains(arb(l))
    # With the working precision capped it is reported, not answered wrongly.
    with pytest.raises(FixedPointError, match="ill-conditioned"):
        solve_alpha_lambda(1, "0.01", omega=1, tau=1, max_bits=320)


def test_precision_context_restored():
    from flint import ctx

    before = ctx.prec
    solve_alpha_lambda(0, 1, bits=300)
    with pytest.raises(FixedPointError):
        solve_alpha_lambda(-2, 1)
    assert ctx.prec == before


def test_fast():
    for args in ((0, 1, 0, 1), ("-0.1", "2.0", 1, 1)):
        t = time.perf_counter()
        solve_alpha_lambda(*args)
        assert time.perf_counter() - t < 1.0  # typically ~1 ms; generous for loaded machines


def test_fast_path_needs_the_declared_structure(monkeypatch):
    """The quadratic elimination is valid only for moments affine / quadratic in alpha: an
    activation that does not declare that structure is refused, not solved wrongly."""
    with pytest.raises(FixedPointError, match="unknown activation"):
        solve_alpha_lambda(0, 1, activation="tanh")
    selu = params_module.activation_parameters("selu")
    monkeypatch.setattr(params_module, "activation_parameters",
                        lambda a="selu": dataclasses.replace(selu, structure=None))
    monkeypatch.setattr(fixed_point_module, "activation_parameters",
                        lambda a="selu": dataclasses.replace(selu, structure=None))
    with pytest.raises(FixedPointError, match="does not declare"):
        solve_alpha_lambda(0, 1)
