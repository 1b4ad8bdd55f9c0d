"""The shared sympy vocabulary of the activation specs (``selu_theory.activations``).

The pre-activation is z ~ N(m, v) with m = mu*omega, v = nu*tau.  An activation's moments
are Gaussian integrals in z; their closed forms are written with
erfcx(x) = exp(x^2) erfc(x), which keeps exp(.)*erfc(.) products from overflowing or
cancelling and keeps derivatives in the same erfcx form.  This module holds only what
every spec shares: the symbols m, v, z, the erfcx function, the Gaussian density and the
partial derivatives of a spec's base functions.  It knows no activation.
"""
from __future__ import annotations

import functools

import sympy as sp

from selu_theory import partials

m, v = sp.symbols("m v", real=True)
z = sp.Symbol("z", real=True)

# The elementary and special functions a spec's closed forms may use; every kernel
# printer knows exactly these (a spec naming another one is refused by the generators).
SPECIAL_FUNCTIONS = frozenset({"exp", "erfc", "erfcx"})


class erfcx(sp.Function):
    """exp(x**2) * erfc(x), with the derivative rule erfcx' = 2 x erfcx - 2/sqrt(pi)."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 2 * x * erfcx(x) - 2 / sp.sqrt(sp.pi)


def gaussian_density() -> sp.Expr:
    """The density of z ~ N(m, v)."""
    return sp.exp(-((z - m) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)


def derivative_expr(spec, family: str, name: str) -> sp.Expr:
    """The partial derivative named like 'xi_mmv' (d^3 xi / dm^2 dv) of a spec's family."""
    base, i, j = partials.split(name)
    return _derivative(spec, family, base, i, j)


@functools.cache
def _derivative(spec, family: str, base: str, i: int, j: int) -> sp.Expr:
    if i + j == 0:
        return spec.family(family).function(base)
    if j > 0:
        return sp.diff(_derivative(spec, family, base, i, j - 1), v)
    return sp.diff(_derivative(spec, family, base, i - 1, j), m)


def derivatives(spec, max_order: int = 3, family: str = "moments") -> dict:
    """{name: expr} for all partial derivatives of a spec's family up to max_order."""
    out = {}
    for base in spec.family(family).names:
        for order in range(max_order + 1):
            for i, j in partials.orders(order):
                out[partials.name(base, i, j)] = _derivative(spec, family, base, i, j)
    return out
