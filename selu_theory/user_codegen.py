"""A user activation's ``Activation`` spec and kernel files, built from its spec text.

This is the heavy half of ``selu_theory.user_activation``: it imports sympy, the family
(``selu_theory.activations.family``) and the generators (``selu_theory.codegen``), so
only ``user_activation`` imports it, and only when the cache lacks the kernels.

Each piece of the parsed spec (``activation_grammar``) is decomposed by
``family.terms_of`` into terms c*x**k*exp(a*x); a piece that is not such a sum
(sin(x), exp(x**2), 1/(1+exp(x))) is refused with the family's one-line reason.  The
parameters are the user's names, sorted, each defaulting to 1, labelled by their own
name.  The spec declares the ``Structure`` (scale, affine shape parameter) that
``family.infer_structure`` reads off the terms, once ``structure_holds`` has confirmed it
on the closed forms; nothing otherwise (no fast path may assume it).
"""
from __future__ import annotations

import ast
import dataclasses

from selu_theory import activation_grammar as grammar
from selu_theory.activations import family
from selu_theory.activations.spec import Parameter, Structure, structure_holds
from selu_theory.codegen import kernels
from selu_theory.user_cache import UserActivationError

DEFAULT = "1"   # every user parameter's default value
# Terms c*x**k*exp(a*x) per piece: the second moment has a closed form per pair of terms,
# and sympy's time grows with their number (SELU has 2 on x < 0; 40 s for SERLU's 1 + 1).
MAX_TERMS = 6
REGENERATE = "selu_theory.user_activation.register(SPEC) (at run time, into the user cache)"
INIT = '"""The generated kernels of the user activation {id} ({spec}); see selu_theory.user_kernels."""\n'


def formula(parsed: grammar.Parsed) -> str:
    """One line for humans, in the built-ins' style: 'lam*x (x >= 0); ... (x < 0)'."""
    pos, neg = (p.split(":", 1)[1].strip() for p in parsed.canonical.split(";"))
    return f"{pos} (x >= 0); {neg} (x < 0)"


def activation(parsed: grammar.Parsed, activation_id: str):
    """The ``Activation`` spec of a parsed user activation."""
    terms = {}
    for side, expr in (("x>=0", parsed.positive), ("x<0", parsed.negative)):
        try:
            terms[side] = family.terms_of(expr, grammar.X)
        except family.NotInFamily as exc:
            reason = " ".join(str(exc).split())
            raise UserActivationError(f"piece {side}: {grammar.PRINTER.doprint(expr)} is not in the family "
                                      f"(sums of c*x**k*exp(a*x), k <= 2), so its moments need not "
                                      f"exist: {reason}") from None
        if len(terms[side]) > MAX_TERMS:
            raise UserActivationError(f"piece {side} has {len(terms[side])} terms c*x**k*exp(a*x); at most "
                                      f"{MAX_TERMS} (each pair of terms is a closed form to derive)")
    params = tuple(Parameter(n, grammar.parameter_symbol(n), n, DEFAULT, "",
                             f"the parameter {n} of the user activation {activation_id} (default {DEFAULT})")
                   for n in parsed.parameters)
    try:
        structure = family.infer_structure(params, terms["x<0"], terms["x>=0"])
        spec = family.piecewise_activation(activation_id, f"user activation {activation_id}", params,
                                           terms["x<0"], terms["x>=0"], structure=structure,
                                           formula=formula(parsed), doc=f"The user activation {parsed.canonical}")
    except ValueError as exc:
        raise UserActivationError(f"activation {parsed.canonical!r}: {' '.join(str(exc).split())}") from None
    # A fast path relies on the declared structure: declare only what the closed forms
    # are confirmed to have (for the built-ins this is a test; here it runs every time).
    if structure != Structure() and not structure_holds(spec):
        spec = dataclasses.replace(spec, structure=Structure())
    return spec


def files(parsed: grammar.Parsed, activation_id: str) -> dict:
    """{filename: text} of every kernel file of the activation, and its package __init__."""
    spec = activation(parsed, activation_id)
    origin = f"the user activation spec {parsed.canonical!r} ({activation_id})"
    try:
        out = kernels.render_activation(spec, origin=origin, regenerate=REGENERATE)
    except ValueError as exc:
        raise UserActivationError(f"activation {parsed.canonical!r}: no kernels: "
                                  f"{' '.join(str(exc).split())}") from None
    for name, text in out.items():
        clash = clashing_name(text, set(parsed.parameters))
        if clash:
            raise UserActivationError(f"parameter name {clash!r} is a name the generated kernels use "
                                      f"({name}); choose another name")
    out["__init__.py"] = INIT.format(id=activation_id, spec=parsed.canonical)
    return out


def clashing_name(source: str, parameters: set) -> str | None:
    """A parameter name that the generated module also binds (an import, a function, a
    local variable): inside the kernels it would no longer mean the parameter."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in parameters:
            return node.id
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in parameters:
            return node.name
        if isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] in parameters:
            return node.asname or node.name
    return None
