"""Load an activation's generated kernels by id: the one place the runtime finds them.

``load_kernels("selu", "ball_kernels")`` is ``selu_theory._generated.selu.ball_kernels``.
The kernels are written by ``tools/generate_kernels.py`` from the activation's spec
(``selu_theory.activations``); this module imports neither the specs nor sympy, so the
runtime pays for neither.
"""
from __future__ import annotations

import functools
import importlib
import re
from types import ModuleType

KINDS = ("ball_kernels", "float_kernels", "numba_kernels", "grid_mr_kernels")
_ID = re.compile(r"^[a-z][a-z0-9]*$")


class KernelsNotFound(LookupError):
    """No generated kernels for this activation (or no such kind of kernel)."""


@functools.cache
def load_kernels(activation_id: str, kind: str) -> ModuleType:
    """The generated module of ``kind`` (one of KINDS) for the activation ``activation_id``."""
    if kind not in KINDS:
        raise KernelsNotFound(f"no kernel kind {kind!r} (kinds: {', '.join(KINDS)})")
    if not _ID.match(activation_id):
        raise KernelsNotFound(f"unknown activation {activation_id!r}: no generated kernels")
    name = f"selu_theory._generated.{activation_id}.{kind}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and name.startswith(e.name):
            raise KernelsNotFound(f"unknown activation {activation_id!r}: no generated kernels "
                                  f"(python -m tools.generate_kernels writes them)") from None
        raise


def generator_input_hash(activation_id: str) -> str:
    """sha256 of what the kernels of ``activation_id`` were generated from (the spec's
    expressions as srepr and the generator's version); certificates record it."""
    return load_kernels(activation_id, "ball_kernels").GENERATOR_INPUT_HASH


# The module constants a ball_kernels module carries about its activation (the generator's
# ``metadata``): the runtime learns an activation's parameters here, without sympy.
METADATA = ("ACTIVATION_ID", "ACTIVATION_NAME", "FORMULA", "PARAMETER_INFO", "NAMED_CONSTANTS",
            "STRUCTURE", "GENERATOR_INPUT_HASH")


def activation_info(activation_id: str) -> dict:
    """{name: value} of the activation's metadata (see METADATA)."""
    module = load_kernels(activation_id, "ball_kernels")
    return {k: getattr(module, k) for k in METADATA}
