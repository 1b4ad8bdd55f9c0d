"""What an activation is, as data: the ``Activation`` spec.

Everything downstream of the mathematics is keyed by a spec's ``id``: the generators in
``tools/`` print its families' partial derivatives into ``selu_theory/_generated/<id>/``,
and the runtime loads those kernels through ``selu_theory.kernel_loader``.  A spec holds

* its parameters, each with the named constant it defaults to (SELU: alpha -> alpha01);
* the Gaussian integrands that *define* the first and second moments mu~ and xi~ (one
  piece for z < 0 and one for z >= 0), which tests integrate rigorously;
* the sympy closed forms of mu~ and xi~ in (m, v) and the parameters (erfcx form);
* its families of base functions (each generated as its own kernels, so a claim pays only
  for the family it uses) and the highest partial-derivative order each needs;
* the special functions its closed forms use;
* the structural facts a fast path may rely on (``Structure``), declared here and checked
  symbolically by ``structure_holds`` (a test), so that no fast path assumes them silently.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from selu_theory import symbolic


@dataclass(frozen=True)
class Parameter:
    """One parameter of the activation.

    ``name`` is its sympy symbol's name and its name as a kernel argument and in
    expressions; ``label`` its name in messages and certificates ("lambda" for ``lam``);
    ``default`` the value it takes when none is given: a named constant of
    ``selu_theory.constants.NAMED`` ("alpha01") or an exact decimal ("1", "2.90427");
    ``framework_text`` the decimal that deep-learning frameworks hard-code, if any;
    ``meaning`` one line for the docs and the quantity table."""
    name: str
    symbol: sp.Symbol
    label: str
    default: str
    framework_text: str = ""
    meaning: str = ""


@dataclass(frozen=True)
class Family:
    """Base functions of (m, v) and the parameters, generated together; ``max_order`` is
    the highest partial derivative the runtime needs (point order + 2: jets over boxes
    from centred forms; SELU's moments 5: the order-4 partials over boxes by centred
    forms, from order-5 kernels that only the ball kernels get)."""
    name: str
    functions: tuple  # ((base name, sympy expression), ...)
    max_order: int
    doc: str = ""

    @property
    def names(self) -> tuple:
        return tuple(n for n, _ in self.functions)

    def function(self, name: str) -> sp.Expr:
        for n, e in self.functions:
            if n == name:
                return e
        raise KeyError(f"family {self.name!r} has no base function {name!r}")


@dataclass(frozen=True)
class Structure:
    """Declared facts about the moments' dependence on the parameters.

    ``scale``: the parameter s with mu~ = s * f and xi~ = s^2 * g, f and g free of s.
    ``shape_affine``: the parameter a with f affine in a and g quadratic in a.
    Either may be None (no such fact is declared; no fast path may assume it)."""
    scale: str | None = None
    shape_affine: str | None = None


@dataclass(frozen=True)
class Activation:
    id: str
    name: str
    parameters: tuple              # (Parameter, ...), in kernel-argument order after (m, v)
    integrands: tuple              # (("mean"|"second", z < 0 piece, z >= 0 piece), ...)
    families: tuple                # (Family, ...); the first is "moments" with mu and xi
    special_functions: frozenset   # names of the functions the closed forms use
    structure: Structure = Structure()
    doc: str = ""
    formula: str = ""              # one line for humans, e.g. "lam*x (x >= 0); lam*alpha*(exp(x)-1) (x < 0)"

    def __post_init__(self):
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names) or {"m", "v"} & set(names):
            raise ValueError(f"activation {self.id!r}: parameter names must be distinct and not m, v")
        if not self.families or self.families[0].name != "moments" or self.families[0].names != ("mu", "xi"):
            raise ValueError(f"activation {self.id!r}: the first family must be 'moments' = (mu, xi)")
        unknown = set(self.special_functions) - symbolic.SPECIAL_FUNCTIONS
        if unknown:
            raise ValueError(f"activation {self.id!r}: no kernels for {sorted(unknown)}")
        for fam in self.families:
            for n in fam.names:
                if "_" in n:
                    raise ValueError(f"base function name {n!r} must not contain '_'")

    @property
    def parameter_names(self) -> tuple:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"activation {self.id!r} has no parameter {name!r}")

    def family(self, name: str) -> Family:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(f"activation {self.id!r} has no family {name!r}")

    @property
    def family_names(self) -> tuple:
        return tuple(f.name for f in self.families)

    def closed_form(self, moment: str) -> sp.Expr:
        """'mean' -> mu~, 'second' -> xi~."""
        return self.family("moments").function({"mean": "mu", "second": "xi"}[moment])

    def integrand(self, moment: str) -> tuple:
        """(z < 0 piece, z >= 0 piece) of the integrand of E[f(z)] or E[f(z)^2]."""
        for name, neg, pos in self.integrands:
            if name == moment:
                return neg, pos
        raise KeyError(moment)


def functions_used(expr: sp.Expr) -> set:
    """Names of the sympy functions applied anywhere in expr."""
    return {type(f).__name__ for f in expr.atoms(sp.Function)}


def structure_holds(spec: Activation) -> bool:
    """Check the spec's declared Structure symbolically (True when nothing is declared)."""
    mu, xi = spec.closed_form("mean"), spec.closed_form("second")
    st = spec.structure
    if st.scale is not None:
        s = spec.parameter(st.scale).symbol
        f, g = sp.simplify(mu / s), sp.simplify(xi / s**2)
        if f.has(s) or g.has(s):
            return False
        mu, xi = f, g
    if st.shape_affine is not None:
        a = spec.parameter(st.shape_affine).symbol
        try:
            pf, pg = sp.Poly(sp.expand(mu), a), sp.Poly(sp.expand(xi), a)
        except sp.PolynomialError:   # a inside a function (a rate): not polynomial in a
            return False
        if pf.degree() > 1 or pg.degree() > 2:
            return False
        if any(c.has(a) for c in pf.all_coeffs() + pg.all_coeffs()):
            return False
    return True
