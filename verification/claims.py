"""The claims registry: every claim of the paper (Klambauer et al., 2017) that the toolkit
certifies, with its domain, the quantities to enclose and the paper's numbers.

A claim is a list of parts, each decided by one certificate section:
  * ``Extremum``  enclose max or min of an expression on a domain (and, with a
    threshold, prove it stays on the right side of it);
  * ``PointCheck`` a relation of an expression at one exact point;
  * ``FixedPoint`` existence and uniqueness of (alpha, lambda) for a target fixed point.
``PaperNumber`` entries compare the paper's printed numbers with certified enclosures.
"""
from __future__ import annotations

from fractions import Fraction

from verification import claims_subfunctions
from verification.claim_types import (
    DEFAULT_TOL,
    NO_TOL,
    Claim,
    Derived,
    Extremum,
    FixedPoint,
    PaperNumber,
    PointCheck,
)
from verification.domain import Domain

OMEGA = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.95", "1.1"))
OMEGA_PLUS = Domain.of(mu=("-1", "1"), omega=("-0.1", "0.1"), nu=("3", "16"), tau=("0.8", "1.25"))
OMEGA_MINUS = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.05", "0.24"), tau=("0.8", "1.25"))
FIXED_POINT_01 = ("0", "0", "1", "1")
# No registered part is threshold-only (tests/test_tight_extrema.py); C.NO_TOL stays for
# the modules that build such parts (network, paper_grid, scaled_claims).
__all__ = ["CLAIMS", "REGISTRY", "DEFAULT_TOL", "NO_TOL", "get", "required", "threshold_value"]


def _image(quantity: str, label: str, lo: str, hi: str, domain: Domain):
    return (Extremum(f"{label}.min", quantity, "min", domain, threshold=lo),
            Extremum(f"{label}.max", quantity, "max", domain, threshold=hi))


CLAIMS = (
    Claim(
        id="alpha-lambda-01",
        title="alpha01 and lambda01",
        statement="(alpha01, lambda01) is the unique solution of mu~(0,0,1,1) = 0, nu~(0,0,1,1) = 1; "
                  "enclosed to >= 30 digits, matching the closed forms",
        reference="Sec. 3 / Eq. (8)-(9)",
        parts=(FixedPoint("alpha,lambda", "0", "1", "0", "1", digits=30),),
        paper=(PaperNumber("alpha01", "1.6733", "approx", "alpha"),
               PaperNumber("lambda01", "1.0507", "approx", "lambda"),
               PaperNumber("alpha01 (frameworks)", "1.6732632423543772848170429916717", "approx", "alpha",
                           note="the constant hard-coded in deep-learning frameworks"),
               PaperNumber("lambda01 (frameworks)", "1.0507009873554804934193349852946", "approx", "lambda",
                           note="the constant hard-coded in deep-learning frameworks")),
        group="constants",
    ),
    Claim(
        id="jacobian-at-fixed-point",
        title="Jacobian at the fixed point",
        statement="at (mu, omega, nu, tau) = (0, 0, 1, 1): J11 = J21 = 0, J12 > 0, J22 > 0, S < 1",
        reference="Sec. 3 (main text), Theorem 1 discussion",
        parts=(PointCheck("J11", "J11", FIXED_POINT_01, "=="),
               PointCheck("J21", "J21", FIXED_POINT_01, "=="),
               PointCheck("J12", "J12", FIXED_POINT_01, ">"),
               PointCheck("J22", "J22", FIXED_POINT_01, ">"),
               PointCheck("S", "S", FIXED_POINT_01, "<", "1")),
        paper=(PaperNumber("S at the fixed point", "0.7877", "approx", "S"),),
        group="constants",
    ),
    Claim(
        id="thm1-contraction",
        title="Theorem 1: contraction",
        statement="S < 1 on Omega (the Jacobian's spectral norm); max S enclosed",
        reference="Theorem 1, Lemmata 10-12 (A3.4.5)",
        parts=(Extremum("S.max", "S", "max", OMEGA, threshold="1"),),
        paper=(PaperNumber("bound on S", "1", "upper", "S.max", tight=False,
                           note="the theorem's statement; the paper proves it by a grid, not an enclosure"),),
        group="theorem1",
    ),
    Claim(
        id="thm1-mean-image",
        title="Theorem 1: mean image",
        statement="mu~(Omega) is inside [-0.1, 0.1]; min and max of mu~ enclosed",
        reference="Theorem 1 proof (mapping into the domain)",
        parts=_image("mu_tilde", "mu_tilde", "-0.1", "0.1", OMEGA),
        paper=(PaperNumber("min mu~", "-0.03106", "lower", "mu_tilde.min", note="recalled"),
               PaperNumber("max mu~", "0.06773", "upper", "mu_tilde.max", note="recalled")),
        group="theorem1",
    ),
    Claim(
        id="thm1-variance-image",
        title="Theorem 1: variance image",
        statement="nu~(Omega) is inside [0.8, 1.5]; min and max of nu~ enclosed, and the bound "
                  "[min xi~ - max mu~^2, max xi~] the paper may have used",
        reference="Theorem 1 proof (mapping into the domain)",
        parts=_image("nu_tilde", "nu_tilde", "0.8", "1.5", OMEGA) + (
            Extremum("xi_tilde.min", "xi_tilde", "min", OMEGA),
            Extremum("xi_tilde.max", "xi_tilde", "max", OMEGA),
            Extremum("mu_tilde^2.max", "mu_tilde**2", "max", OMEGA)),
        derived=(Derived("bound_form.lo", "min xi~ - max mu~^2", (("xi_tilde.min", 1), ("mu_tilde^2.max", -1))),
                 Derived("bound_form.hi", "max xi~", (("xi_tilde.max", 1),))),
        paper=(PaperNumber("lower end (as the true min of nu~)", "0.80009", "lower", "nu_tilde.min", note="recalled"),
               PaperNumber("upper end (as the true max of nu~)", "1.48617", "upper", "nu_tilde.max", note="recalled"),
               PaperNumber("lower end (as min xi~ - max mu~^2)", "0.80009", "approx", "bound_form.lo", note="recalled"),
               PaperNumber("upper end (as max xi~)", "1.48617", "approx", "bound_form.hi", note="recalled")),
        group="theorem1",
    ),
)

LEMMA40_DOMAIN = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.8", "1.25"))
THM3A = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.02", "0.16"), tau=("0.8", "1.25"))
THM3B = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.02", "0.24"), tau=("0.9", "1.25"))
OMEGA_MINUS_FROM_002 = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.02", "0.24"), tau=("0.8", "1.25"))
OMEGA_WIDE_TAU = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.8", "1.25"))
LEMMA41_DOMAIN = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.02", "0.5"), tau=("1", "1"))
FIG_A7 = Domain.of(mu=("0.1", "0.1"), omega=("-0.1", "-0.1"), nu=("0.01", "1"), tau=("1", "1"))
FIG_A7_PEAK = "0.187342"


def _abs_bound(label, expr, domain, bound, suffix="", tol=DEFAULT_TOL, reading=""):
    """Parts and derived |q|-max for a paper bound |expr| < bound."""
    k = f"{label}{suffix}"
    parts = (Extremum(f"{k}.min", expr, "min", domain, threshold=f"-{bound}", tol=tol, reading=reading),
             Extremum(f"{k}.max", expr, "max", domain, threshold=bound, tol=tol, reading=reading))
    derived = Derived(f"|{k}|.max", f"max |{expr}|", ((f"{k}.min", 1), (f"{k}.max", 1)), op="absmax")
    return parts, derived


def _lemma42():
    parts, derived, paper = (), (), ()
    bounds = (("dmu_dmu", "0.14"), ("dmu_domega", "0.14"), ("dmu_dnu", "0.52"), ("dmu_dtau", "0.11"))
    for suffix, dom in (("", OMEGA_MINUS), ("[nu>=0.02]", OMEGA_MINUS_FROM_002)):
        for expr, bound in bounds:
            p, d = _abs_bound(expr, expr, dom, bound, suffix,
                              reading="nu from 0.02, where Theorem 3 starts" if suffix else "")
            parts += p
            derived += (d,)
            paper += (PaperNumber(f"|d mu~/d {expr[5:]}| bound{' (nu from 0.02)' if suffix else ''}", bound,
                                  "upper", d.key, tight=False),)
    parts += (Extremum("alpha*erfcx.min", "alpha*E1*exp((mu*omega)**2/(2*nu*tau))", "min", OMEGA_MINUS),
              Extremum("alpha*erfcx.max", "alpha*E1*exp((mu*omega)**2/(2*nu*tau))", "max", OMEGA_MINUS),
              Extremum("(alpha-1)sqrt(2/(pi v)).min", "(alpha-1)*sqrt(2/(pi*nu*tau))", "min", OMEGA_MINUS),
              Extremum("(alpha-1)sqrt(2/(pi v)).max", "(alpha-1)*sqrt(2/(pi*nu*tau))", "max", OMEGA_MINUS))
    paper += (PaperNumber("intermediate bound on |d mu~/d mu|", "0.133", "upper", "|dmu_dmu|.max"),
              PaperNumber("alpha e^{z^2} erfc(z), lower", "1.1072", "lower", "alpha*erfcx.min"),
              PaperNumber("alpha e^{z^2} erfc(z), upper", "1.49042", "upper", "alpha*erfcx.max"),
              PaperNumber("(alpha-1) sqrt(2/(pi nu tau)), lower", "0.942286", "lower", "(alpha-1)sqrt(2/(pi v)).min"),
              PaperNumber("(alpha-1) sqrt(2/(pi nu tau)), upper", "2.68593", "upper", "(alpha-1)sqrt(2/(pi v)).max"))
    return parts, derived, paper


def _lemma10_11():
    parts, derived, paper = (), (), ()
    bounds = (("dS_dmu", "0.32112"), ("dS_domega", "2.63690"), ("dS_dnu", "2.28242"), ("dS_dtau", "2.98610"))
    for suffix, dom, note in (("", OMEGA, "on Omega"), ("[tau 0.8-1.25]", OMEGA_WIDE_TAU, "on Omega, tau in [0.8, 1.25]")):
        for expr, bound in bounds:
            # Every extremum enclosed to 1e-10 (DEFAULT_TOL), so the paper's bound is
            # compared with the true max |dS/dx|, not only decided.
            p, d = _abs_bound(expr, expr, dom, bound, suffix,
                              reading="tau in [0.8, 1.25]" if suffix else "")
            parts += p
            derived += (d,)
            paper += (PaperNumber(f"|dS/d{expr[4:]}| bound, {note}", bound, "upper", d.key, note="recalled"),)
    return parts, derived, paper


_L42 = _lemma42()
_L1011 = _lemma10_11()

CLAIMS += (
    Claim(
        id="thm2-variance-decreases",
        title="Theorem 2: variance decreases from above",
        statement="nu~ < nu on Omega+ (so every fixed point has nu < 3); max(nu~ - nu) enclosed",
        reference="Theorem 2",
        parts=(Extremum("nu_tilde-nu.max", "nu_tilde - nu", "max", OMEGA_PLUS, threshold="0"),),
        paper=(PaperNumber("nu~ - nu", "0", "upper", "nu_tilde-nu.max", tight=False),),
        group="theorem2",
    ),
    Claim(
        id="thm3a-variance-increases",
        title="Theorem 3 (a): variance increases from below",
        statement="nu~ > nu for mu, omega in [-0.1, 0.1], nu in [0.02, 0.16], tau in [0.8, 1.25]; min(nu~ - nu) enclosed",
        reference="Theorem 3",
        parts=(Extremum("nu_tilde-nu.min", "nu_tilde - nu", "min", THM3A, threshold="0"),),
        paper=(PaperNumber("nu~ - nu", "0", "lower", "nu_tilde-nu.min", tight=False),),
        group="theorem3",
    ),
    Claim(
        id="thm3b-variance-increases",
        title="Theorem 3 (b): variance increases from below",
        statement="nu~ > nu for mu, omega in [-0.1, 0.1], nu in [0.02, 0.24], tau in [0.9, 1.25]; min(nu~ - nu) enclosed",
        reference="Theorem 3",
        parts=(Extremum("nu_tilde-nu.min", "nu_tilde - nu", "min", THM3B, threshold="0"),),
        paper=(PaperNumber("nu~ - nu", "0", "lower", "nu_tilde-nu.min", tight=False),),
        group="theorem3",
    ),
    Claim(
        id="lemma40-derivative-signs",
        title="Lemma 40: signs of the derivatives",
        statement="on mu, omega in [-0.1, 0.1], nu in [0.8, 1.5], tau in [0.8, 1.25]: d mu~/d mu = omega * d mu~/dm "
                  "and d xi~/d mu = omega * d xi~/dm with d mu~/dm > 0 and d xi~/dm > 0 (so both have the sign of "
                  "omega); d mu~/d nu > 0; d xi~/d nu > 0",
        reference="Lemma 40 (appendix)",
        parts=(Extremum("dmu_dm.min", "dmu_dm", "min", LEMMA40_DOMAIN, threshold="0"),
               Extremum("dmu_dnu.min", "dmu_dnu", "min", LEMMA40_DOMAIN, threshold="0"),
               Extremum("dxi_dm.min", "dxi_dm", "min", LEMMA40_DOMAIN, threshold="0"),
               Extremum("dxi_dnu.min", "dxi_dnu", "min", LEMMA40_DOMAIN, threshold="0"),
               # d mu~/d nu = (lam tau / 4) [alpha E1 - (alpha - 1) sqrt(2/(pi nu tau)) G]: the bracket
               Extremum("dmu_dnu-bracket.min",
                        "alpha*E1 - (alpha-1)*sqrt(2/(pi*nu*tau))*exp(-(mu*omega)**2/(2*nu*tau))", "min",
                        LEMMA40_DOMAIN),
               # d xi~/d mu = lam^2 omega [m (2 - C0) + alpha^2 (E2 - E1) + sqrt(2 nu tau/pi) G]: the bracket
               Extremum("dxi_dmu-bracket.min", "dxi_dm/lam**2", "min", LEMMA40_DOMAIN),
               PointCheck("a", "(sqrt((2048+169*pi)/pi) - 13)/20", FIXED_POINT_01, ">", "0.782")),
        paper=(PaperNumber("lower bound of the d mu~/d nu bracket", "0.056", "lower", "dmu_dnu-bracket.min"),
               PaperNumber("minimum of the d xi~/d mu bracket (as a bound)", "0.0923765", "lower", "dxi_dmu-bracket.min"),
               PaperNumber("minimum of the d xi~/d mu bracket (its value)", "0.0923765", "approx",
                           "dxi_dmu-bracket.min", note="the paper evaluates the bracket at the corner nu*tau = 0.64, "
                           "mu*omega = -0.01"),
               PaperNumber("a = (sqrt((2048+169 pi)/pi) - 13)/20", "0.782", "lower", "a")),
        group="lemma40",
    ),
    Claim(
        id="lemma41-mean-low-variance",
        title="Lemma 41: mean at low variance",
        statement="|mu~| < 0.289324 for mu, omega in [-0.1, 0.1], 0.02 <= nu*tau <= 0.5 (mu~ depends on nu*tau "
                  "only: taken as nu in [0.02, 0.5], tau = 1); and mu~ < 0.21857 there",
        reference="Lemma 41, Figure A6",
        parts=(Extremum("mu_tilde.max", "mu_tilde", "max", LEMMA41_DOMAIN, threshold="0.289324"),
               Extremum("mu_tilde.min", "mu_tilde", "min", LEMMA41_DOMAIN, threshold="-0.289324"),
               Extremum("mu_tilde.max[Omega-]", "mu_tilde", "max", OMEGA_MINUS, threshold="0.289324",
                        reading="on Omega-, where Lemma 43 uses it"),
               Extremum("mu_tilde.min[Omega-]", "mu_tilde", "min", OMEGA_MINUS, threshold="-0.289324",
                        reading="on Omega-, where Lemma 43 uses it")),
        derived=(Derived("|mu_tilde|.max", "max |mu~|", (("mu_tilde.min", 1), ("mu_tilde.max", 1)), op="absmax"),),
        paper=(PaperNumber("|mu~| bound", "0.289324", "upper", "|mu_tilde|.max"),
               PaperNumber("upper side mu~ <", "0.21857", "upper", "mu_tilde.max")),
        group="low-variance",
    ),
    Claim(
        id="lemma42-mean-derivative-bounds",
        title="Lemma 42: bounds on the derivatives of mu~ in Omega-",
        statement="on Omega-: |d mu~/d mu| < 0.14, |d mu~/d omega| < 0.14, |d mu~/d nu| < 0.52, |d mu~/d tau| < 0.11 "
                  "(also tested from nu = 0.02, where Theorem 3 starts)",
        reference="Lemma 42",
        parts=_L42[0], derived=_L42[1], paper=_L42[2],
        group="low-variance",
    ),
    Claim(
        id="lemma43-mean-squared-bound",
        title="Lemma 43: mu~^2 < 0.005 in Omega-",
        statement="mu~^2 < 0.005 on Omega- (and from nu = 0.02); Figure A7: h(x) = mu~^2(0.1, -0.1, x, 1) "
                  "increases before x = 0.187342 - 1e-6 and decreases after 0.187342 + 1e-6 on [0.01, 1]",
        reference="Lemma 43, Figure A7",
        parts=(Extremum("mu_tilde^2.max", "mu_tilde**2", "max", OMEGA_MINUS, threshold="0.005"),
               Extremum("mu_tilde^2.max[nu>=0.02]", "mu_tilde**2", "max", OMEGA_MINUS_FROM_002, threshold="0.005",
                        reading="nu from 0.02, where Theorem 3 starts"),
               Extremum("h.max", "mu_tilde**2", "max", FIG_A7),
               Extremum("h'.min[before peak]", "2*mu_tilde*dmu_dnu", "min",
                        Domain.of(mu=("0.1", "0.1"), omega=("-0.1", "-0.1"), nu=("0.01", "0.187341"), tau=("1", "1")),
                        threshold="0"),
               Extremum("h'.max[after peak]", "2*mu_tilde*dmu_dnu", "max",
                        Domain.of(mu=("0.1", "0.1"), omega=("-0.1", "-0.1"), nu=("0.187343", "1"), tau=("1", "1")),
                        threshold="0")),
        paper=(PaperNumber("grid max of mu~^2 on Omega-", "0.00451457", "approx", "mu_tilde^2.max"),
               PaperNumber("h(x) at its peak", "0.00451457", "approx", "h.max"),
               PaperNumber("bound", "0.005", "upper", "mu_tilde^2.max", tight=False)),
        group="low-variance",
    ),
    Claim(
        id="lemma10-11-derivative-bounds",
        title="Lemmata 10-11: bounds on the partial derivatives of S",
        statement="|dS/d mu| < 0.32112, |dS/d omega| < 2.63690, |dS/d nu| < 2.28242, |dS/d tau| < 2.98610 on Omega "
                  "and on Omega with tau in [0.8, 1.25] (both readings of the recalled domain)",
        reference="Lemmata 10-11 (A3.4.5; recalled)",
        parts=_L1011[0], derived=_L1011[1], paper=_L1011[2],
        group="theorem1",
    ),
)


# Lemmas 44-47 live in their own module.
CLAIMS += claims_subfunctions.CLAIMS
REGISTRY = {c.id: c for c in CLAIMS}


def get(claim_id: str) -> Claim:
    try:
        return REGISTRY[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(REGISTRY)}") from None


def required(part) -> bool:
    """Parts that decide the claim; alternative readings are reported, not required."""
    return not getattr(part, "reading", "")


def threshold_value(part: Extremum):
    return None if part.threshold is None else Fraction(part.threshold)
