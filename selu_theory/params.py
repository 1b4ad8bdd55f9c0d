"""The SELU parameters (alpha, lambda) as exact specifications.

A parameter is either a named constant ("alpha01", "lambda01", computed from its closed
form at whatever precision is asked) or an exact rational given as decimal text.  Keeping
the specification rather than a float lets every evaluation, and the certificate checker,
rebuild the same ball at its own precision.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from selu_theory import constants

NAMED = {"alpha01": constants.alpha01, "lambda01": constants.lambda01}


class ParamError(ValueError):
    pass


def _rational(text: str, what: str) -> Fraction:
    try:
        q = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise ParamError(f"{what} must be a finite number or one of {', '.join(NAMED)}; got {text!r}") from None
    return q


def check_spec(text, what: str) -> str:
    t = str(text).strip()
    if t in NAMED:
        return t
    try:
        f = float(t)
    except ValueError:
        f = None
    if f is not None and not math.isfinite(f):
        raise ParamError(f"{what} must be finite; got {text!r}")
    q = _rational(t, what)
    if q <= 0:
        raise ParamError(f"{what} must be positive; got {text!r}")
    return t


@dataclass(frozen=True)
class Params:
    alpha: str = "alpha01"
    lam: str = "lambda01"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_spec(self.alpha, "alpha"))
        object.__setattr__(self, "lam", check_spec(self.lam, "lambda"))

    @staticmethod
    def _ball(spec: str, bits: int) -> arb:
        if spec in NAMED:
            return NAMED[spec](bits)
        q = Fraction(spec)
        return arb(q.numerator) / arb(q.denominator)

    def balls(self, bits: int):
        return self._ball(self.alpha, bits), self._ball(self.lam, bits)

    def floats(self):
        a, l = self.balls(128)
        return float(a.mid()), float(l.mid())

    def describe(self) -> str:
        return f"alpha={self.alpha}, lambda={self.lam}"
