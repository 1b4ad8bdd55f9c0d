"""Load an activation's generated kernels by id: the one place the runtime finds them.

``load_kernels("selu", "ball_kernels")`` is ``selu_theory._generated.selu.ball_kernels``.
The kernels are written by ``tools/generate_kernels.py`` from the activation's spec
(``selu_theory.activations``); this module imports neither the specs nor sympy, so the
runtime pays for neither.

A user activation (id ``u`` + 12 hex digits, ``selu_theory.user_activation.register``)
has its kernels in the per-user cache, imported as ``selu_theory.user_kernels.<id>.<kind>``
(a package whose ``__path__`` is the cache directory, so the names are stable, functions
pickle, and a spawned worker finds them from the id alone).  Its files are checked
against their manifest's sha256 before the first import in a process.
"""
from __future__ import annotations

import functools
import importlib
import re
import sys
from types import ModuleType

from selu_theory import user_cache

KINDS = ("ball_kernels", "float_kernels", "numba_kernels", "grid_mr_kernels")
_ID = re.compile(r"^[a-z][a-z0-9]*$")


class KernelsNotFound(LookupError):
    """No generated kernels for this activation (or no such kind of kernel)."""


def load_kernels(activation_id: str, kind: str) -> ModuleType:
    """The generated module of ``kind`` (one of KINDS) for the activation ``activation_id``."""
    if kind not in KINDS:
        raise KernelsNotFound(f"no kernel kind {kind!r} (kinds: {', '.join(KINDS)})")
    if user_cache.is_user_id(activation_id):
        return _load_user(activation_id, kind)
    return _load_builtin(activation_id, kind)


@functools.cache
def _load_builtin(activation_id: str, kind: str) -> ModuleType:
    if not isinstance(activation_id, str) or not _ID.match(activation_id):
        raise KernelsNotFound(f"unknown activation {activation_id!r}: no generated kernels")
    name = f"selu_theory._generated.{activation_id}.{kind}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and name.startswith(e.name):
            raise KernelsNotFound(f"unknown activation {activation_id!r}: no generated kernels "
                                  f"(python -m tools.generate_kernels writes them)") from None
        raise


USER_PACKAGE = "selu_theory.user_kernels"
# (id, kind) -> (the cache directory it was loaded from, module): each file is checked
# against the manifest once per process and directory.
_user_loaded: dict = {}


def _load_user(activation_id: str, kind: str) -> ModuleType:
    folder = user_cache.activation_dir(activation_id)
    hit = _user_loaded.get((activation_id, kind))
    if hit is not None and hit[0] == folder:
        return hit[1]
    if hit is not None or any(k[0] == activation_id and d != folder for k, (d, _) in _user_loaded.items()):
        forget(activation_id)   # loaded from another cache directory (SELU_THEORY_CACHE changed)
    try:
        user_cache.verify(activation_id, ["__init__.py", f"{kind}.py"])
    except user_cache.CacheCorrupted as exc:
        raise KernelsNotFound(f"{exc}; register the spec again to regenerate it") from None
    except LookupError as exc:
        raise KernelsNotFound(f"{exc} (register its spec first)" if not folder.is_dir() else str(exc)) from None
    package = importlib.import_module(USER_PACKAGE)
    package.__path__[:] = [str(user_cache.activations_dir())]   # the cache directory now
    importlib.invalidate_caches()   # the directory may have appeared since the last import
    try:
        module = importlib.import_module(f"{USER_PACKAGE}.{activation_id}.{kind}")
    except ModuleNotFoundError:
        raise KernelsNotFound(f"user activation {activation_id!r} has no {kind}") from None
    _user_loaded[(activation_id, kind)] = (folder, module)
    return module


def forget(activation_id: str):
    """Drop a user activation's imported kernels (they were regenerated or moved), so the
    next ``load_kernels`` checks and imports the files again."""
    for key in [k for k in _user_loaded if k[0] == activation_id]:
        del _user_loaded[key]
    prefix = f"{USER_PACKAGE}.{activation_id}"
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


def spec_text(activation_id: str) -> str | None:
    """The canonical spec text of a user activation (from its checked manifest); None for
    a built-in activation.  Certificates record it, so that they replay elsewhere."""
    if not user_cache.is_user_id(activation_id):
        return None
    try:
        return user_cache.verify(activation_id, [])["spec"]
    except LookupError:
        raise KernelsNotFound(f"user activation {activation_id!r} is not in the cache") from None
    except user_cache.CacheCorrupted as exc:
        raise KernelsNotFound(str(exc)) from None


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
