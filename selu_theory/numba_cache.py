"""Where numba caches this package's compiled kernels: the per-user cache directory.

Every kernel is jitted with ``cache=True``.  numba's default places the cache beside the
source (``__pycache__``), which is read-only in an installed package (numba then falls
back to ~/.cache/numba) and, in a checkout, invisible to the user.  This module installs
one numba cache *locator* for the package's own source files (and the user activations'
generated kernels)::

    $SELU_THEORY_CACHE/numba/    (default ~/.cache/selu-theory/numba; see user_cache.root)
      <dir>_<sha1 of the source directory>/   numba's index (.nbi) and object code (.nbc)

so the first ``grid``/``paper-grid`` run compiles the kernels it uses and every later
run, in any process, loads them.  ``SELU_THEORY_NUMBA_CACHE`` names another directory
(CI shares one within a run); a user's own ``NUMBA_CACHE_DIR`` is respected (numba's own
locator then applies to every file).

Staleness.  numba keys a cached function by its own source file's contents only, but
the sweeps *inline* the primitives of ``mr_arith``, the float helpers and the generated
moment kernels, which live in other files.  So the source stamp here is the file's
sha256 together with ``dependency_tag()``: a hash of every file whose jitted code can be
inlined into another (the numba-using modules of ``selu_theory`` and of
``selu_theory/_generated/*``).  Regenerating kernels or editing a primitive invalidates
every cached kernel at once; the old entries are overwritten, not piled up.

numba's own index adds the numba version, the signature and the CPU to the key.  The
locator class is numba's extension point (``CacheImpl._locator_classes``,
also settable as NUMBA_CACHE_LOCATOR_CLASSES); installing it must precede the jit
decorators, so the modules defining jitted functions import this module first.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pathlib

from numba.core import caching, config

from selu_theory import user_cache

ENV = "SELU_THEORY_NUMBA_CACHE"
# numba names the class holding the locator list CacheImpl (0.68) or _CacheImpl (older)
_IMPL = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
_PACKAGE = pathlib.Path(__file__).resolve().parent


def cache_dir() -> pathlib.Path:
    """The directory numba's cache of this package's kernels lives in."""
    env = os.environ.get(ENV)
    if env:
        return pathlib.Path(env).expanduser()
    return user_cache.root() / "numba"


@functools.lru_cache(maxsize=None)
def dependency_tag() -> str:
    """sha256 of every package file with jitted code (its own and generated kernels):
    part of every cached kernel's source stamp (see the module docstring)."""
    h = hashlib.sha256()
    files = sorted(_PACKAGE.glob("*.py")) + sorted(_PACKAGE.glob("_generated/**/*.py"))
    for f in files:
        data = f.read_bytes()
        if b"numba" in data:
            h.update(f.relative_to(_PACKAGE).as_posix().encode() + b"\n")
            h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def _ours(py_file: str) -> bool:
    """The package's files and the user activations' generated kernels."""
    p = pathlib.Path(py_file).resolve()
    for base in (_PACKAGE, user_cache.activations_dir().resolve()):
        try:
            p.relative_to(base)
            return True
        except ValueError:
            pass
    return False


class PackageCacheLocator(caching._CacheLocator):
    """numba's cache of a package kernel in ``cache_dir()``, stamped with the file's
    contents and the dependency tag."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir() / self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        with open(self._py_file, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest(), dependency_tag()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if config.CACHE_DIR or not os.path.exists(py_file) or not _ours(py_file):
            return None   # numba's own locators (NUMBA_CACHE_DIR, __pycache__, ...)
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None   # not writable: numba's defaults
        return self


def install() -> None:
    """Put the locator first (idempotent; before any of the package's jit decorators)."""
    if PackageCacheLocator not in _IMPL._locator_classes:
        _IMPL._locator_classes.insert(0, PackageCacheLocator)


install()
