"""The kinds of claim the registry holds: a ``Claim`` is a list of parts, each decided by
one certificate section (``Extremum``, ``PointCheck``, ``FixedPoint``), with ``Derived``
quantities and the paper's printed numbers (``PaperNumber``) beside them.  Both halves of
the registry (``claims`` and ``claims_subfunctions``) build on these."""
from __future__ import annotations

from dataclasses import dataclass, field

from selu_theory.params import Params
from verification.domain import Domain

DEFAULT_TOL = 1e-10
NO_TOL = 1e300  # prove the threshold only; the extremum enclosure is whatever the proof gives


@dataclass(frozen=True)
class Extremum:
    key: str
    expr: str
    sense: str  # "max" | "min"
    domain: Domain
    threshold: str = None  # max < threshold, or min > threshold
    tol: float = DEFAULT_TOL
    reading: str = ""  # non-empty: an alternative reading of the paper, reported but not required

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
    # ((parameter name, exact value), ...) held fixed (activations with more than two
    # parameters); the others are solved for
    fixed: tuple = ()


@dataclass(frozen=True)
class Derived:
    """A certified interval computed from part enclosures: with op "sum", the sum of
    coef * enclosure; with op "absmax", max |q| over the enclosures (coefficients ignored)."""

    key: str
    label: str
    terms: tuple  # ((key, coefficient), ...)
    op: str = "sum"


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
