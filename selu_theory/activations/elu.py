"""ELU (Clevert et al. 2016) as an ``Activation`` spec: elu(x) = x (x >= 0),
alpha (e^x - 1) (x < 0), with the scale fixed at 1: one parameter, so in general it
cannot reach a chosen fixed point (mu, nu) (two equations, one unknown).

A member of the piecewise exponential-polynomial family (``family.py``): its closed forms
of mu~ and xi~ are derived there from the Gaussian integrals.
"""
from __future__ import annotations

import sympy as sp

from selu_theory.activations.family import Term, piecewise_activation
from selu_theory.activations.spec import Parameter, Structure

alpha = sp.Symbol("alpha", positive=True)

# the terms c*x**k*exp(a*x) of each side, as Term(c, k, a)
NEGATIVE = (Term(alpha, 0, 1), Term(-alpha, 0, 0))   # x < 0
POSITIVE = (Term(1, 1, 0),)   # x >= 0
SPEC_TERMS = (NEGATIVE, POSITIVE)

SPEC = piecewise_activation(
    "elu", "ELU",
    (Parameter("alpha", alpha, "alpha", "1", "1.0",
               "the ELU α: the negative branch saturates at -α (1 by default)"),),
    negative=NEGATIVE,
    positive=POSITIVE,
    # mu~ is affine and xi~ quadratic in alpha (no scale parameter: lambda is 1)
    structure=Structure(shape_affine="alpha"),
    formula="x (x >= 0); alpha*(exp(x) - 1) (x < 0)",
    doc=__doc__,
)
