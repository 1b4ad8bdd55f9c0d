"""Names of partial derivatives in the reduced variables (m, v): 'xi_mmv' is
d^3 xi / dm^2 dv.  Shared by the generator and the runtime (which never imports sympy)."""
from __future__ import annotations

import functools

from selu_theory.kernel_loader import load_kernels


def orders(order: int):
    """The (i, j) with i + j == order, i derivatives in m and j in v, in a fixed order."""
    return [(order - j, j) for j in range(order + 1)]


def name(base: str, i: int, j: int) -> str:
    return base + ("_" + "m" * i + "v" * j if i + j else "")


def split(n: str):
    base, _, idx = n.partition("_")
    return base, idx.count("m"), idx.count("v")


@functools.lru_cache(maxsize=4096)  # called ~300 times per box by the centred forms
def raise_order(n: str, dim: str) -> str:
    """The name of d(n)/dm or d(n)/dv."""
    base, i, j = split(n)
    return name(base, i + (dim == "m"), j + (dim == "v"))


def names_up_to(bases, order: int):
    return [name(b, i, j) for b in bases for o in range(order + 1) for i, j in orders(o)]


def bases(family: str, activation: str = "selu"):
    """The base functions of a family, as the activation's generated kernels list them."""
    return load_kernels(activation, "ball_kernels").NAMES[f"{family}_order0"]


def has_family(family: str, activation: str = "selu") -> bool:
    return f"{family}_order0" in load_kernels(activation, "ball_kernels").NAMES
