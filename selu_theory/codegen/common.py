"""What every kernel printer shares: the generator version, the input hash, the
activation metadata written into the kernels, and how a family's partial derivatives are
grouped into generated functions."""
from __future__ import annotations

import hashlib

import sympy as sp

from selu_theory import constants, partials

# Bump when any printer's output changes for the same spec (the ball, float and numba
# printers of ``kernels``, the midpoint-radius printer of ``grid``): it is part of the
# input hash, which is one per activation.
GENERATOR_VERSION = "kernels-5"

# Groups of outputs, each one generated function with shared subexpressions.
GROUPS = {
    "order0": [0],
    "order0_1": [0, 1],
    "order0_2": [0, 1, 2],
    "order3": [3],
    "order4": [4],
    "order5": [5],
}
# Groups only the Arb ball kernels get: order 5 serves box enclosures of the order-4
# partials by centred forms (``taylor.box_partials``), never a float search.
BALL_ONLY = frozenset({"order5"})


def family_groups(spec, family, ball: bool = True):
    """(function name, orders) of every kernel of a family, up to its highest order
    (``ball``: for the ball kernels, which alone get the groups of ``BALL_ONLY``)."""
    top = spec.family(family).max_order
    return [(f"{family}_{g}", orders) for g, orders in GROUPS.items()
            if max(orders) <= top and (ball or g not in BALL_ONLY)]


def group_names(spec, orders, family="moments"):
    names = []
    for base in spec.family(family).names:
        for order in orders:
            for i, j in partials.orders(order):
                names.append(partials.name(base, i, j))
    return names


def params_names(spec) -> tuple:
    """The outputs of ``moments_params``: mu, xi and their first derivatives in each
    parameter, named "mu:<p>", "xi:<p>" (the fixed-point solver's Jacobian)."""
    return ("mu", "xi") + tuple(f"{b}:{p}" for p in spec.parameter_names for b in ("mu", "xi"))


def metadata(spec) -> dict:
    """What the runtime needs to know about the activation without importing sympy or
    the spec: written into ball_kernels.py as module constants (see kernel_loader)."""
    named = tuple(p.default for p in spec.parameters if p.default in constants.NAMED)
    st = spec.structure
    return {
        "ACTIVATION_ID": spec.id,
        "ACTIVATION_NAME": spec.name,
        "FORMULA": spec.formula,
        # (name, label, default, meaning) per parameter, in kernel-argument order
        "PARAMETER_INFO": tuple((p.name, p.label, p.default, p.meaning) for p in spec.parameters),
        "NAMED_CONSTANTS": named,
        "STRUCTURE": {"scale": st.scale, "shape_affine": st.shape_affine},
    }


def input_hash(spec) -> str:
    """sha256 of the generators' version and everything of the spec the kernels print."""
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}\n{spec.id}\n{','.join(spec.parameter_names)}\n".encode())
    h.update(f"{metadata(spec)!r}\n".encode())
    for fam in spec.families:
        h.update(f"family {fam.name} {fam.max_order}\n".encode())
        for name, expr in fam.functions:
            h.update(f"{name} {sp.srepr(expr)}\n".encode())
    return h.hexdigest()
