"""The registry of activations: id -> ``Activation`` spec (see ``spec.py``).

Adding an activation: write its spec module beside ``selu.py`` (a member of the
piecewise exponential-polynomial family is one ``family.piecewise_activation`` call, see
``serlu.py``), list it here, and run ``python -m tools.generate_kernels`` (see
tools/README.md).  SELU keeps its hand-written closed forms (``selu.py``); the others'
are derived from their integrals by ``family.py``.
"""
from __future__ import annotations

from selu_theory.activations import celu, elu, relu, selu, serlu
from selu_theory.activations.spec import Activation

REGISTRY = {spec.id: spec for spec in (selu.SPEC, elu.SPEC, celu.SPEC, serlu.SPEC, relu.SPEC)}


def get(activation_id: str) -> Activation:
    try:
        return REGISTRY[activation_id]
    except KeyError:
        raise KeyError(f"unknown activation {activation_id!r} (known: {', '.join(sorted(REGISTRY))})") from None


def ids() -> tuple:
    return tuple(REGISTRY)
