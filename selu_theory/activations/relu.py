"""Scaled and shifted ReLU as an ``Activation`` spec:
    relu(x) = lam (max(0, x) - b) = lam (x - b) (x >= 0),  -lam b (x < 0).
Two parameters, so it can reach the fixed point (0, 1): at (m, v) = (0, 1),
mu~ = lam (1/sqrt(2 pi) - b) and nu~ = lam^2 (1/2 - 1/(2 pi)) when b = 1/sqrt(2 pi), so
b = 1/sqrt(2 pi) = 0.3989422804..., lam = 1/sqrt(1/2 - 1/(2 pi)) = 1.712858550...; the
defaults are these to 10 digits (``params`` certifies the exact ones).  The parameters
are ordered (b, lam), shape before scale, as SELU's (alpha, lam).  Closed forms derived
in ``family.py`` (no exponential terms: plain erfc and the Gaussian).
"""
from __future__ import annotations

import sympy as sp

from selu_theory.activations.family import Term, piecewise_activation
from selu_theory.activations.spec import Parameter, Structure

b, lam = sp.symbols("b lam", positive=True)

# the terms c*x**k*exp(a*x) of each side, as Term(c, k, a)
NEGATIVE = (Term(-lam * b, 0, 0),)   # x < 0
POSITIVE = (Term(lam, 1, 0), Term(-lam * b, 0, 0))   # x >= 0
SPEC_TERMS = (NEGATIVE, POSITIVE)

SPEC = piecewise_activation(
    "relu", "ReLU (scaled, shifted)",
    (Parameter("b", b, "b", "0.3989422804", "",
               "the shift b (1/sqrt(2π) to 10 digits by default): relu(x) = λ(max(0, x) - b)"),
     Parameter("lam", lam, "lambda", "1.712858550", "",
               "the scale λ (1/sqrt(1/2 - 1/(2π)) to 10 digits by default)")),
    negative=NEGATIVE,
    positive=POSITIVE,
    structure=Structure(scale="lam", shape_affine="b"),
    formula="lam*(max(0, x) - b)",
    doc=__doc__,
)
