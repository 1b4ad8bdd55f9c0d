"""The SELU moment map, stated symbolically.

Net input z ~ N(m, v) with m = mu*omega, v = nu*tau.  The first and second moments of
selu(z) are Gaussian integrals; their closed forms below are written with
erfcx(x) = exp(x^2) erfc(x), which keeps exp(.)*erfc(.) products from overflowing or
cancelling and keeps derivatives in the same erfcx form.  ``gaussian_integrands`` gives
the defining integrals; tests check the closed forms against rigorous quadrature of them.
"""
from __future__ import annotations

import functools
import itertools

import sympy as sp

m, v = sp.symbols("m v", real=True)
alpha, lam = sp.symbols("alpha lam", positive=True)
z = sp.Symbol("z", real=True)


class erfcx(sp.Function):
    """exp(x**2) * erfc(x), with the derivative rule erfcx' = 2 x erfcx - 2/sqrt(pi)."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 2 * x * erfcx(x) - 2 / sp.sqrt(sp.pi)


def _parts():
    s = sp.sqrt(v)
    G = sp.exp(-(m**2) / (2 * v))
    C0 = sp.erfc(m / sp.sqrt(2 * v))
    E1 = G * erfcx((m + v) / sp.sqrt(2 * v))
    E2 = G * erfcx((m + 2 * v) / sp.sqrt(2 * v))
    return s, G, C0, E1, E2


@functools.cache
def mu_tilde() -> sp.Expr:
    """E[selu(z)] (paper Eq. 4)."""
    s, G, C0, E1, _ = _parts()
    return lam / 2 * (-(alpha + m) * C0 + alpha * E1 + sp.sqrt(2 / sp.pi) * s * G + 2 * m)


@functools.cache
def xi_tilde() -> sp.Expr:
    """E[selu(z)^2], the second moment."""
    s, G, C0, E1, E2 = _parts()
    return lam**2 / 2 * ((m**2 + v) * (2 - C0) + alpha**2 * (-2 * E1 + E2 + C0)
                         + sp.sqrt(2 / sp.pi) * m * s * G)


def nu_tilde() -> sp.Expr:
    """Var[selu(z)] (paper Eq. 5)."""
    return xi_tilde() - mu_tilde() ** 2


def gaussian_integrands():
    """The defining integrands in z, for (z <= 0, z > 0): (mean, second moment)."""
    dens = sp.exp(-((z - m) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    neg = lam * alpha * (sp.exp(z) - 1)
    pos = lam * z
    return {"mean": (neg * dens, pos * dens), "second": (neg**2 * dens, pos**2 * dens)}


BASE_FUNCTIONS = ("mu", "xi")


def derivative_orders(order: int):
    """The (i, j) with i + j == order, i derivatives in m and j in v, in a fixed order."""
    return [(order - j, j) for j in range(order + 1)]


def derivative_name(base: str, i: int, j: int) -> str:
    return base + ("_" + "m" * i + "v" * j if i + j else "")


@functools.cache
def derivatives(max_order: int = 3):
    """{name: expr} for all partial derivatives of mu~ and xi~ in (m, v) up to max_order."""
    out = {}
    for base, expr in (("mu", mu_tilde()), ("xi", xi_tilde())):
        for order in range(max_order + 1):
            for i, j in derivative_orders(order):
                out[derivative_name(base, i, j)] = sp.diff(expr, *([m] * i + [v] * j)) if i + j else expr
    return out
