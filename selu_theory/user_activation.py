"""The user's own activation: ``register("x>=0: lam*x; x<0: lam*alpha*x*exp(x)") -> id``.

The text follows the grammar of ``selu_theory.activation_grammar`` (two pieces with the
break at 0, numbers, x, parameter names, + - * / ** exp; parsed without eval).  Its id is
``"u" + 12 hex digits of sha256(canonical text)`` (``user_cache.user_id``): the same
activation written with other spacing, piece order, factor order or number spelling
(``0.5`` / ``1/2``) gets the same id.  Its parameters are the user's names, sorted, each
defaulting to 1: ``Params(activation=id, alpha="2.9", lam="1.08")``.

On first use the kernels are generated (sympy, the family's closed forms, the printers
of ``selu_theory.codegen``) into the per-user cache (``selu_theory.user_cache``), never
into the package; after that ``kernel_loader.load_kernels(id, kind)`` finds them from the
id alone, also in a spawned worker.

Why the heavy half is imported at run time: sympy and the generators take seconds to
import, and this module is imported by the CLI and the checker for every command
(SELU included).  So the parser (``selu_theory.activation_grammar``) and the generators
(``selu_theory.user_codegen``) are imported by ``importlib`` only on a cache miss; a
cached activation costs a few file hashes.
This module is therefore a declared dynamic importer in tests/test_layers.py.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass

from selu_theory import kernel_loader, user_cache
from selu_theory.user_cache import UserActivationError

__all__ = ["UserActivationError", "register", "registration", "resolve", "ensure", "is_user_id", "spec_text"]

is_user_id = user_cache.is_user_id
GRAMMAR, CODEGEN = "selu_theory.activation_grammar", "selu_theory.user_codegen"


@dataclass(frozen=True)
class Registration:
    id: str
    spec: str            # the canonical spec text (what certificates record)
    generated: bool      # False: a cache hit
    seconds: float       # wall time of this registration


def _parse(text: str):
    # The parser builds sympy expressions: imported on a cache miss only (module docstring).
    return importlib.import_module(GRAMMAR).parse(text)


def _generate(parsed, activation_id: str, spec: str, fingerprint: str) -> None:
    # The family and the generators (sympy, seconds to import): only to generate kernels.
    # The id and the manifest's spec are the recorded text; the kernels are generated
    # from its parse (which prints the same canonical text under the same sympy).
    files = importlib.import_module(CODEGEN).files(parsed, activation_id)
    user_cache.install(activation_id, spec, files, fingerprint)
    kernel_loader.forget(activation_id)


def registration(text, on_generate=None) -> Registration:
    """Register a user activation's spec text: its id, canonical text, and whether its
    kernels had to be generated.  ``UserActivationError`` (one line) for a bad spec.
    ``on_generate(activation_id)`` is called before a generation (which takes tens of
    seconds), so that a command can say what it is waiting for."""
    t0 = time.perf_counter()
    if not isinstance(text, str):
        raise UserActivationError(f"activation spec must be text, got {type(text).__name__}")
    fingerprint = user_cache.generator_fingerprint()
    known = user_cache.alias(text)
    if known is not None and user_cache.cached(known, fingerprint=fingerprint):
        m = user_cache.read_manifest(known)
        if m is not None:
            return Registration(known, m["spec"], False, time.perf_counter() - t0)
    parsed = _parse(text)
    aid = user_cache.user_id(parsed.canonical)
    generated = False
    if not user_cache.cached(aid, parsed.canonical, fingerprint):
        if on_generate is not None:
            on_generate(aid)
        _generate(parsed, aid, parsed.canonical, fingerprint)
        generated = True
    user_cache.remember_alias(text, aid)
    return Registration(aid, parsed.canonical, generated, time.perf_counter() - t0)


def register(text) -> str:
    """The id of the user activation ``text`` (kernels generated into the cache on first use)."""
    return registration(text).id


def resolve(name_or_spec: str) -> str:
    """The activation id ``--activation NAME|SPEC`` means: a spec text (it has a ':') is
    registered (its kernels generated on first use); anything else is the id it names,
    returned as given (whoever loads it says whether it exists)."""
    if isinstance(name_or_spec, str) and ":" in name_or_spec:
        return register(name_or_spec)
    return name_or_spec


def ensure(spec, activation_id: str) -> None:
    """Make sure the cache holds the kernels of the activation ``activation_id`` whose
    canonical spec text is ``spec`` (a certificate's record), generating them if it does
    not.  ``UserActivationError`` when the text does not hash to the id (a forged or
    altered record) or does not parse."""
    if not isinstance(spec, str) or not is_user_id(activation_id):
        raise UserActivationError(f"not a user activation record: {activation_id!r}")
    try:
        spec.encode("ascii")
    except UnicodeEncodeError:
        raise UserActivationError("the activation's spec text is not ASCII") from None
    if user_cache.user_id(spec) != activation_id:
        raise UserActivationError(f"the spec text does not hash to the activation id {activation_id} "
                                  f"(forged or altered)")
    if user_cache.cached(activation_id, spec):
        return
    regenerate(spec, activation_id)


def fresh(activation_id: str) -> bool:
    """True when the cached kernels were generated by this generator (and check)."""
    return user_cache.cached(activation_id, fingerprint=user_cache.generator_fingerprint())


def regenerate(spec: str, activation_id: str) -> None:
    """Generate the kernels of ``spec`` with this generator and install them as
    ``activation_id`` (whose id ``spec`` must hash to), replacing what the cache held."""
    _generate(_parse(spec), activation_id, spec, user_cache.generator_fingerprint())


def spec_text(activation_id: str) -> str | None:
    """The canonical spec text of a cached user activation; None for a built-in."""
    return kernel_loader.spec_text(activation_id)
