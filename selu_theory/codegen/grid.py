"""Render an activation's midpoint-radius grid kernels (``grid_mr_kernels.py``).

The moments family's closed forms and their (m, v) partials (the same sympy expressions
as the ball kernels, after common-subexpression elimination) become numba code in the
midpoint-radius arithmetic of ``selu_theory.mr_arith``: one mr_* call per sympy
operation, so every rounding is carried by the primitive's own proven error term (see
mr_arith's docstring).

* Numbers (rationals, pi, sqrt(2), their products) are folded at generation time into one
  constant per product, enclosed in Arb (256 bits) and printed as (float, radius); a
  constant that is exactly a float is printed with radius 0 and multiplies by mr_scale.
* Each expression is first rewritten exactly as a sum over monomials in its special-
  function values (``by_special_monomials``), which halves the operation count.
* Subexpressions that do not depend on m (functions of v and the parameters) are hoisted
  into ``<group>_hoisted(v, rv, K)``: the sweeps compute them once per (nu, tau) and pass
  the flat tuple H (v, rv first) to ``<group>_mr(m, rm, H, K)``.
* a - b is mr_sub(a, b) (no separate negation), -x is the exact (-x, r).
* sqrt is mr_sqrt_checked (NaN if the argument may be negative), x**-1 is mr_div(1, x),
  exp/erfcx are mr_exp/mr_erfcx; erfc(a) is mr_erfc_gauss, which also gives exp(-a^2)
  when the expressions use it (one exp for both); NaN outside their proven ranges.

A closed form this printer cannot write raises ``GridUnsupported``.
"""
from __future__ import annotations

import re

import sympy as sp
from flint import arb, ctx

from selu_theory import partials, symbolic
from selu_theory.codegen.common import input_hash
from selu_theory.float_bounds import float_and_error

REGENERATE = "python -m tools.generate_grid_kernels"
# (function name, orders of the moments family it returns)
GROUPS = (("moments_order0", (0,)), ("moments_order0_1", (0, 1)))


class GridUnsupported(ValueError):
    """The midpoint-radius printer has no primitive for part of a closed form."""


def _arb_of(x: sp.Expr) -> arb:
    """A rigorous Arb enclosure of a sympy number built from rationals, pi, e, exp, + *
    and integer or half-integer powers (what the closed forms' constants are made of)."""
    if x.is_Rational:
        return arb(x.p) / x.q
    if x is sp.pi:
        return arb.pi()
    if x is sp.E:
        return arb(1).exp()
    if isinstance(x, sp.exp) and x.args[0].is_number:
        return _arb_of(x.args[0]).exp()
    if x.is_Add:
        return sum((_arb_of(a) for a in x.args), arb(0))
    if x.is_Mul:
        out = arb(1)
        for a in x.args:
            out *= _arb_of(a)
        return out
    if x.is_Pow:
        b, e = x.as_base_exp()
        bb = _arb_of(b)
        if e.is_Integer:
            return bb ** int(e)
        if e.is_Rational and e.q == 2:
            return bb.sqrt() ** int(e.p)
    raise GridUnsupported(f"no rigorous constant for {x}")


class Emitter:
    """Turns sympy expressions into lines of mr_* calls; every value is a (mid, rad) pair
    of names, or a generation-time constant."""

    def __init__(self, spec):
        self.lines = []
        self.memo = {}
        self.n = 0
        self.names = {symbolic.m: ("m", "rm"), symbolic.v: ("v", "rv")}
        for i, p in enumerate(spec.parameters):
            self.names[p.symbol] = (f"K[{2 * i}]", f"K[{2 * i + 1}]")

    def fresh(self):
        self.n += 1
        return f"u{self.n}", f"ru{self.n}"

    def op(self, call: str):
        x, r = self.fresh()
        self.lines.append(f"{x}, {r} = {call}")
        return x, r

    @staticmethod
    def constant(c: sp.Expr):
        """(mid literal, rad literal, exact?) of a sympy number."""
        old = ctx.prec
        ctx.prec = 256
        try:
            f, r = float_and_error(_arb_of(c))
        finally:
            ctx.prec = old
        return repr(f), repr(r), r == 0.0

    def emit(self, e: sp.Expr):
        if e in self.names:
            return self.names[e]
        if e in self.memo:
            return self.memo[e]
        out = self._emit(e)
        self.memo[e] = out
        return out

    def _emit(self, e: sp.Expr):
        if e.is_number:
            f, r, _ = self.constant(e)
            return f, r
        if e.is_Add:
            return self.add(e)
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        fn = type(e).__name__
        if fn == "erfc" or fn == "gauss":
            # erfc(a) and gauss(a) = exp(-a^2) from one mr_erfc_gauss call
            x, r = self.emit(e.args[0])
            c, rc = self.fresh()
            g, rg = self.fresh()
            self.lines.append(f"{c}, {rc}, {g}, {rg} = mr_erfc_gauss({x}, {r})")
            self.memo[sp.erfc(e.args[0])] = (c, rc)
            self.memo[gauss(e.args[0])] = (g, rg)
            return (c, rc) if fn == "erfc" else (g, rg)
        if fn in ("exp", "erfcx"):
            x, r = self.emit(e.args[0])
            return self.op(f"mr_{fn}({x}, {r})")
        raise GridUnsupported(f"no midpoint-radius kernel for {e}")

    def add(self, e):
        pos, neg = [], []
        for t in e.as_ordered_terms():
            c, rest = t.as_coeff_Mul()
            (neg if c.is_negative else pos).append(-t if c.is_negative else t)
        if not pos:   # -(a + b + ...)
            x, r = self.add(sp.Add(*neg, evaluate=False)) if len(neg) > 1 else self.emit(neg[0])
            return self.op(f"(-{x}, {r})")
        x, r = self.emit(pos[0])
        for t in pos[1:]:
            y, ry = self.emit(t)
            x, r = self.op(f"mr_add({x}, {r}, {y}, {ry})")
        for t in neg:
            y, ry = self.emit(t)
            x, r = self.op(f"mr_sub({x}, {r}, {y}, {ry})")
        return x, r

    def mul(self, e):
        numeric = [a for a in e.args if a.is_number]
        symbolic_factors = [a for a in e.as_ordered_factors() if not a.is_number]
        c = sp.Mul(*numeric)
        x, r = self.emit(symbolic_factors[0])
        for a in symbolic_factors[1:]:
            y, ry = self.emit(a)
            x, r = self.op(f"mr_mul({x}, {r}, {y}, {ry})")
        if c == 1:
            return x, r
        if c == -1:
            return self.op(f"(-{x}, {r})")
        f, rf, exact = self.constant(c)
        if exact:
            return self.op(f"mr_scale({f}, {x}, {r})")
        return self.op(f"mr_mul({f}, {rf}, {x}, {r})")

    def pow(self, e):
        b, ex = e.as_base_exp()
        if ex.is_Rational and ex.q == 2:
            x, r = self.emit(b)
            x, r = self.op(f"mr_sqrt_checked({x}, {r})")
            n = int(ex.p)
        elif ex.is_Integer:
            x, r = self.emit(b)
            n = int(ex)
        else:
            raise GridUnsupported(f"unsupported power {e}")
        k = abs(n)
        if k == 0:
            return "1.0", "0.0"
        if k == 2:
            y, ry = self.op(f"mr_sqr({x}, {r})")
        else:
            y, ry = x, r
            for _ in range(k - 1):
                y, ry = self.op(f"mr_mul({y}, {ry}, {x}, {r})")
        if n < 0:
            y, ry = self.op(f"mr_div(1.0, 0.0, {y}, {ry})")
        return y, ry


class gauss(sp.Function):
    """gauss(a) = exp(-a^2), marked so that the printer computes it together with erfc(a)
    (one exp for both, as mr_erfc_gauss)."""

    nargs = 1


def pair_gauss_with_erfc(exprs):
    """Rewrite every exp(b) with b = -a^2 for an erfc(a) among exprs as gauss(a)."""
    erfc_args = sorted({f.args[0] for e in exprs for f in e.atoms(sp.erfc)}, key=sp.default_sort_key)
    rep = {}
    for e in exprs:
        for f in e.atoms(sp.exp):
            for a in erfc_args:
                if sp.simplify(f.args[0] + a**2) == 0:
                    rep[f] = gauss(a)
                    break
    return [e.xreplace(rep) for e in exprs]


def by_special_monomials(e: sp.Expr) -> sp.Expr:
    """e rewritten as a sum over monomials in its special-function values (erfc(..),
    exp(..), erfcx(..) taken as symbols), each coefficient factored: an exact identity
    that cancels the terms the chain rule spreads over many products (the m-partial
    of mu~ goes from 96 operations to 12)."""
    atoms = sorted(e.atoms(sp.Function), key=sp.default_sort_key)
    syms = [sp.Dummy(f"F{i}") for i in range(len(atoms))]
    poly = sp.Poly(sp.expand(e.xreplace(dict(zip(atoms, syms)))), *syms)
    out = sp.Integer(0)
    for powers, coeff in poly.terms():
        out += sp.factor(coeff) * sp.Mul(*[s**k for s, k in zip(syms, powers)])
    return out.xreplace(dict(zip(syms, atoms)))


def _group_source(spec, fname, orders):
    names = [partials.name(b, i, j) for b in spec.family("moments").names
             for o in orders for i, j in partials.orders(o)]
    exprs = pair_gauss_with_erfc([by_special_monomials(symbolic.derivative_expr(spec, "moments", n))
                                  for n in names])
    subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t"), optimizations="basic")
    # fold numeric subexpressions (sqrt(2), 1/sqrt(pi), ...) back in: one constant per product
    numeric = {}
    kept = []
    for s, e in subs:
        e = e.xreplace(numeric)
        if e.is_number:
            numeric[s] = e
        else:
            kept.append((s, e))
    reduced = [e.xreplace(numeric) for e in reduced]
    point_dep = {symbolic.m}
    hoisted, point = [], []
    for s, e in kept:
        if e.free_symbols & point_dep:
            point_dep.add(s)
            point.append((s, e))
        else:
            hoisted.append((s, e))
    # lift the m-free parts of the point expressions (lam/2, alpha^2, 1/v, ...) into the
    # hoisted part: in a sum or product that depends on m, its m-free terms or factors
    # (numeric coefficient included) become one hoisted value
    lifted = {}

    def lift(e):
        if e.is_Atom or e.is_number:
            return e
        if not (e.free_symbols & point_dep):
            if e not in lifted:
                lifted[e] = sp.Symbol(f"h{len(lifted)}")
                hoisted.append((lifted[e], e))
            return lifted[e]
        if e.is_Add or e.is_Mul:
            free = [a for a in e.args if not (a.free_symbols & point_dep)]
            dep = [lift(a) for a in e.args if a.free_symbols & point_dep]
            if len(free) > 1 or (len(free) == 1 and not free[0].is_number):
                group = e.func(*free)
                return e.func(lift(group), *dep, evaluate=False) if not group.is_number else e.func(group, *dep, evaluate=False)
            return e.func(*free, *dep, evaluate=False)
        return e.func(*[lift(a) for a in e.args])

    point = [(s, lift(e)) for s, e in point]
    reduced = [lift(e) for e in reduced]

    em = Emitter(spec)
    for s, e in hoisted:
        x, r = em.emit(e)
        em.names[s] = (x, r)
    hoisted_lines = em.lines
    ret = "".join(f", {x}, {r}" for s, _ in hoisted for x, r in [em.names[s]])
    # one flat tuple of floats (v, rv, then the hoisted pairs): numba's parfor analysis
    # rejects nested tuples inlined into the sweeps
    h_src = ["@njit(**JIT_INLINE)", f"def {fname}_hoisted(v, rv, K):",
             f'    """v and the subexpressions of {fname}_mr free of m, as (mid, rad) pairs, flat."""']
    h_src += [f"    {ln}" for ln in hoisted_lines]
    h_src.append(f"    return (v, rv{ret})")

    em.memo = {}   # the hoisted part's temporaries are not in scope in the point function
    em.lines = ["v, rv = H[0], H[1]"]
    for i, (s, _) in enumerate(hoisted):
        x, r = em.names[s]
        em.lines.append(f"{x}, {r} = H[{2 * i + 2}], H[{2 * i + 3}]")
    for s, e in point:
        em.names[s] = em.emit(e)
    outs = [em.emit(e) for e in reduced]
    p_src = ["@njit(**JIT_INLINE)", f"def {fname}_mr(m, rm, H, K):",
             f'    """{", ".join(names)} as (mid, rad) pairs, in that order; H = {fname}_hoisted(v, rv, K)."""']
    p_src += [f"    {ln}" for ln in em.lines]
    p_src.append("    return (" + ", ".join(f"{x}, {r}" for x, r in outs) + ")")
    return "\n".join(h_src) + "\n\n\n" + "\n".join(p_src), names


HEADER = '''"""GENERATED by {origin}.
Do not edit.  Regenerate: {regenerate}

Midpoint-radius numba kernels of the moments family: one call of a selu_theory.mr_arith
primitive per operation, each carrying its proven rounding error.  K holds the
parameters ({params}) as (mid, rad) pairs, in that order.
"""
from numba import njit

from selu_theory.mr_arith import {imports}

GENERATOR_INPUT_HASH = {hash!r}
'''


def registry_origin(spec) -> str:
    return f"tools/generate_grid_kernels.py from the {spec.name} spec (selu_theory/activations/{spec.id}.py)"


def render(spec, origin: str | None = None, regenerate: str = REGENERATE) -> str:
    """The text of the grid_mr_kernels.py of ``spec``."""
    parts = [HEADER.format(origin=origin or registry_origin(spec), regenerate=regenerate,
                           params=", ".join(spec.parameter_names),
                           hash=input_hash(spec), imports="{imports}")]
    names_map = {}
    for fname, orders in GROUPS:
        src, names = _group_source(spec, fname, orders)
        names_map[fname] = tuple(names)
        parts.append("\n\n" + src + "\n")
    body = "".join(parts[1:])
    used = sorted(set(re.findall(r"\b(mr_[a-z_]+)\(", body)))
    parts[0] = parts[0].replace("{imports}", ", ".join(["JIT_INLINE"] + used))
    parts.append("\n\nNAMES = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in names_map.items()) + "}\n")
    return "".join(parts)
