"""The SELU moment map, stated symbolically.

Net input z ~ N(m, v) with m = mu*omega, v = nu*tau.  The first and second moments of
selu(z) are Gaussian integrals; their closed forms below are written with
erfcx(x) = exp(x^2) erfc(x), which keeps exp(.)*erfc(.) products from overflowing or
cancelling and keeps derivatives in the same erfcx form.  ``gaussian_integrands`` gives
the defining integrals; tests check the closed forms against rigorous quadrature of them.
"""
from __future__ import annotations

import functools

import sympy as sp

from selu_theory import partials

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


def F_sub() -> sp.Expr:
    """The 'main subfunction' of Lemmas 44-46 with x = v = nu*tau, y = m = mu*omega:
    F(x, y) = erfcx((x+y)/sqrt(2x)) - 2 erfcx((2x+y)/sqrt(2x))."""
    return erfcx((m + v) / sp.sqrt(2 * v)) - 2 * erfcx((m + 2 * v) / sp.sqrt(2 * v))


def E1_sub() -> sp.Expr:
    """Lemma 47's f(x, y) = exp((2y+x)/2) erfc((x+y)/sqrt(2x)) = exp(-y^2/(2x)) erfcx(...)."""
    return sp.exp(-(m**2) / (2 * v)) * erfcx((m + v) / sp.sqrt(2 * v))


def _ren_mackenzie():
    try:
        from selu_theory import subfunctions
    except ImportError:  # pragma: no cover - optional module
        return {}
    return dict(subfunctions.SUBFUNCTIONS)


@functools.cache
def families():
    """Families of base functions of (m, v), each generated with its own kernels (so a
    claim pays only for the family it uses), and the highest derivative order each needs
    (point order + 2: jets over boxes from centred forms)."""
    fams = {
        "moments": ({"mu": mu_tilde(), "xi": xi_tilde()}, 4),
        "sub": ({"F": F_sub(), "E1": E1_sub()}, 3),
    }
    rm = _ren_mackenzie()
    if rm:
        fams["rm"] = (rm, 3)
    for fam, (funcs, _) in fams.items():
        for name in funcs:
            assert "_" not in name, f"base function name {name!r} must not contain '_'"
    return fams


BASE_FUNCTIONS = ("mu", "xi")


derivative_orders = partials.orders
derivative_name = partials.name


def derivative_expr(family: str, name: str) -> sp.Expr:
    base, _, idx = name.partition("_")
    return _derivative(family, base, idx.count("m"), idx.count("v"))


@functools.cache
def _derivative(family: str, base: str, i: int, j: int) -> sp.Expr:
    if i + j == 0:
        return families()[family][0][base]
    if j > 0:
        return sp.diff(_derivative(family, base, i, j - 1), v)
    return sp.diff(_derivative(family, base, i - 1, j), m)


def derivatives(max_order: int = 3, family: str = "moments"):
    """{name: expr} for all partial derivatives of a family up to max_order."""
    out = {}
    for base in families()[family][0]:
        for order in range(max_order + 1):
            for i, j in derivative_orders(order):
                out[derivative_name(base, i, j)] = _derivative(family, base, i, j)
    return out
