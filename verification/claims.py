"""The claims registry: every claim of ``shared/paper/claims.md`` that the toolkit
certifies, with its domain, the quantities to enclose and the paper's numbers.

A claim is a list of parts, each decided by one certificate section:
  * ``Extremum``  enclose max or min of an expression on a domain (and, with a
    threshold, prove it stays on the right side of it);
  * ``PointCheck`` a relation of an expression at one exact point;
  * ``FixedPoint`` existence and uniqueness of (alpha, lambda) for a target fixed point.
``PaperNumber`` entries compare the paper's printed numbers with certified enclosures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from selu_theory.params import Params
from verification.domain import Domain

OMEGA = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.8", "1.5"), tau=("0.95", "1.1"))
OMEGA_PLUS = Domain.of(mu=("-1", "1"), omega=("-0.1", "0.1"), nu=("3", "16"), tau=("0.8", "1.25"))
OMEGA_MINUS = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("0.05", "0.24"), tau=("0.8", "1.25"))
FIXED_POINT_01 = ("0", "0", "1", "1")

DEFAULT_TOL = 1e-10


@dataclass(frozen=True)
class Extremum:
    key: str
    expr: str
    sense: str  # "max" | "min"
    domain: Domain
    threshold: str = None  # max < threshold, or min > threshold
    tol: float = DEFAULT_TOL

    @property
    def sign(self) -> int:
        return 1 if self.sense == "max" else -1


@dataclass(frozen=True)
class PointCheck:
    key: str
    expr: str
    point: tuple  # exact decimal strings for (mu, omega, nu, tau)
    relation: str  # ">", "<", "=="
    value: str = "0"


@dataclass(frozen=True)
class FixedPoint:
    key: str
    mu_star: str
    nu_star: str
    omega: str
    tau: str
    digits: int = 30


@dataclass(frozen=True)
class Derived:
    """A certified interval computed from part enclosures: sum of coef * enclosure."""

    key: str
    label: str
    terms: tuple  # ((key, coefficient), ...)


@dataclass(frozen=True)
class PaperNumber:
    label: str
    text: str
    kind: str  # "approx": the paper's value; "upper"/"lower": a bound the paper states
    key: str  # the certified quantity it is compared with
    tight: bool = True  # does the paper present the bound as (nearly) attained?
    note: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    reference: str
    parts: tuple
    paper: tuple = ()
    derived: tuple = ()
    params: Params = field(default_factory=Params)
    group: str = ""


def _image(quantity: str, label: str, lo: str, hi: str, domain: Domain):
    return (Extremum(f"{label}.min", quantity, "min", domain, threshold=lo),
            Extremum(f"{label}.max", quantity, "max", domain, threshold=hi))


CLAIMS = (
    Claim(
        id="alpha-lambda-01",
        title="alpha01 and lambda01",
        statement="(alpha01, lambda01) is the unique solution of mu~(0,0,1,1) = 0, nu~(0,0,1,1) = 1; "
                  "enclosed to >= 30 digits, matching the closed forms",
        reference="Sec. 3 / Eq. (8)-(9); claims.md 'Definitions-level claims'",
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

REGISTRY = {c.id: c for c in CLAIMS}


def get(claim_id: str) -> Claim:
    try:
        return REGISTRY[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(REGISTRY)}") from None


def threshold_value(part: Extremum):
    return None if part.threshold is None else Fraction(part.threshold)
