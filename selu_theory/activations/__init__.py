"""The registry of activations: id -> ``Activation`` spec (see ``spec.py``).

Adding an activation: write its spec module beside ``selu.py``, list it here, and run
``python tools/generate_kernels.py`` (see tools/README.md).
"""
from __future__ import annotations

from selu_theory.activations import selu
from selu_theory.activations.spec import Activation

REGISTRY = {spec.id: spec for spec in (selu.SPEC,)}


def get(activation_id: str) -> Activation:
    try:
        return REGISTRY[activation_id]
    except KeyError:
        raise KeyError(f"unknown activation {activation_id!r} (known: {', '.join(sorted(REGISTRY))})") from None


def ids() -> tuple:
    return tuple(REGISTRY)
