"""Scaled CELU (Barron 2017, scaled as SELU scales ELU) as an ``Activation`` spec:
    celu(x) = lam (max(0, x) + min(0, alpha (exp(x/alpha) - 1)))
            = lam x (x >= 0),  lam alpha (exp(x/alpha) - 1) (x < 0)
(for x < 0 and alpha > 0 the exponential branch is already negative).  The exponent's
rate 1/alpha depends on a parameter, so xi~ is not polynomial in alpha: only lam is a
declared scale.  Closed forms derived in ``family.py``.
"""
from __future__ import annotations

import sympy as sp

from selu_theory.activations.family import Term, piecewise_activation
from selu_theory.activations.spec import Parameter, Structure

alpha, lam = sp.symbols("alpha lam", positive=True)

# the terms c*x**k*exp(a*x) of each side, as Term(c, k, a)
NEGATIVE = (Term(lam * alpha, 0, 1 / alpha), Term(-lam * alpha, 0, 0))   # x < 0
POSITIVE = (Term(lam, 1, 0),)   # x >= 0
SPEC_TERMS = (NEGATIVE, POSITIVE)

SPEC = piecewise_activation(
    "celu", "CELU (scaled)",
    (Parameter("alpha", alpha, "alpha", "1", "1.0",
               "the CELU α: saturation -λα and exponent rate 1/α of the negative branch"),
     Parameter("lam", lam, "lambda", "1", "", "the scale λ of both branches (1 by default: plain CELU)")),
    negative=NEGATIVE,
    positive=POSITIVE,
    structure=Structure(scale="lam"),
    formula="lam*(max(0, x) + min(0, alpha*(exp(x/alpha) - 1)))",
    doc=__doc__,
)
