"""SERLU (Zhang & Li 2018, "Effectiveness of Scaled Exponentially-Regularized Linear
Units", arXiv:1807.10117) as an ``Activation`` spec:
    serlu(x) = lam x (x >= 0),  lam alpha x exp(x) (x < 0)
a bump on the negative side (minimum -lam alpha/e at x = -1, zero response for large
negative input).  The defaults are the paper's published alpha_serlu = 2.90427 and
lambda_serlu = 1.07862, its float solution of mu~ = 0, nu~ = 1 at (m, v) = (0, 1); the
exact solution is alpha = 2.9042712333..., lam = 1.0786182835... (``params`` certifies
it).  Closed forms derived in ``family.py``.
"""
from __future__ import annotations

import sympy as sp

from selu_theory.activations.family import Term, piecewise_activation
from selu_theory.activations.spec import Parameter, Structure

alpha, lam = sp.symbols("alpha lam", positive=True)

# the terms c*x**k*exp(a*x) of each side, as Term(c, k, a)
NEGATIVE = (Term(lam * alpha, 1, 1),)   # x < 0
POSITIVE = (Term(lam, 1, 0),)   # x >= 0
SPEC_TERMS = (NEGATIVE, POSITIVE)

SPEC = piecewise_activation(
    "serlu", "SERLU",
    (Parameter("alpha", alpha, "alpha", "2.90427", "",
               "the SERLU α_serlu (the paper's 2.90427 by default): depth of the negative bump"),
     Parameter("lam", lam, "lambda", "1.07862", "",
               "the SERLU λ_serlu (the paper's 1.07862 by default): the scale of both branches")),
    negative=NEGATIVE,
    positive=POSITIVE,
    # mu~ = lam (a0 + a1 alpha), xi~ = lam^2 (b0 + b2 alpha^2): the SELU fast path applies
    structure=Structure(scale="lam", shape_affine="alpha"),
    formula="lam*x (x >= 0); lam*alpha*x*exp(x) (x < 0)",
    doc=__doc__,
)
