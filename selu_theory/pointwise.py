"""The built-in activations pointwise: f as a numpy float function, and the negative
saturation value f(-inf) = lim_{x -> -inf} f(x) as an expression of the parameters.

The mathematics of an activation lives in its spec (``selu_theory.activations``, sympy)
and in the kernels generated from it; the runtime never imports the specs (building them
takes seconds).  Two consumers need the activation itself rather than its Gaussian
moments: the numpy network of ``network_sim`` (f, floats, describes only) and alpha
dropout (a dropped unit is set to f(-inf), Klambauer et al. 2017: alpha' = -lambda alpha
for SELU).  Both are written here once per built-in; tests/test_pointwise.py checks each
against the spec (f against the spec's integrand divided by the Gaussian density at
sample points on both sides of 0, the saturation against sympy's limit of the negative
piece).  A user's own activation (a spec text) has no entry: ``PointwiseUnknown``, one
line.
"""
from __future__ import annotations

import numpy as np

__all__ = ["PointwiseUnknown", "function", "saturation_expr", "saturation_float", "KNOWN"]


class PointwiseUnknown(ValueError):
    """The activation has no pointwise form here (a user activation); one line."""


def _neg(z):
    return np.minimum(z, 0.0)


# id -> (f(z; parameter floats), f(-inf) as an expression text, f(-inf) as a float)
_TABLE = {
    "selu": (lambda z, p: p["lam"] * np.where(z > 0, z, p["alpha"] * np.expm1(_neg(z))),
             "-lam*alpha", lambda p: -p["lam"] * p["alpha"]),
    "elu": (lambda z, p: np.where(z > 0, z, p["alpha"] * np.expm1(_neg(z))),
            "-alpha", lambda p: -p["alpha"]),
    "celu": (lambda z, p: p["lam"] * np.where(z > 0, z, p["alpha"] * np.expm1(_neg(z) / p["alpha"])),
             "-lam*alpha", lambda p: -p["lam"] * p["alpha"]),
    "serlu": (lambda z, p: p["lam"] * np.where(z >= 0, z, p["alpha"] * z * np.exp(_neg(z))),
              "0", lambda p: 0.0),
    "relu": (lambda z, p: p["lam"] * (np.maximum(z, 0.0) - p["b"]),
             "-lam*b", lambda p: -p["lam"] * p["b"]),
}
KNOWN = tuple(_TABLE)


def _entry(activation: str, what: str):
    try:
        return _TABLE[activation]
    except KeyError:
        raise PointwiseUnknown(
            f"{what} needs the activation itself, written for the built-ins "
            f"{', '.join(KNOWN)}; not for {activation!r}") from None


def function(activation: str, values: dict, what: str = "the simulation"):
    """f as a vectorised numpy function of z, at the parameter floats ``values``."""
    f = _entry(activation, what)[0]
    p = dict(values)
    return lambda z: f(z, p)


def saturation_expr(activation: str, what: str = "alpha dropout") -> str:
    """lim_{x -> -inf} f(x) as an expression text of the parameters (exact)."""
    return _entry(activation, what)[1]


def saturation_float(activation: str, values: dict, what: str = "alpha dropout") -> float:
    return float(_entry(activation, what)[2](dict(values)))
