"""The piecewise exponential-polynomial family of activations, break at 0.

    f(x) = sum_i c_i x**k_i exp(a_i x)   (x < 0),     sum_j c_j x**k_j exp(a_j x)   (x >= 0)

with powers k in {0, 1, 2} and coefficients c and rates a sympy expressions of the
activation's (positive) parameters, never of x.  SELU, ELU, CELU, SERLU and the shifted
ReLU are members.  ``piecewise_activation`` builds an ``Activation`` spec from the two
lists of ``Term``s; ``terms_of`` decomposes a sympy expression in x into terms, or says in
one line why it is not in the family (``NotInFamily``).

The closed forms of mu~ = E[f(z)] and xi~ = E[f(z)^2], z ~ N(m, v), are derived here with
sympy from the integrals, not typed in:

1. Half-line Laplace transforms of the Gaussian (``laplace_erfc``): completing the square,
   a x - (x-m)^2/(2v) = -(x - c)^2/(2v) + K with c = m + a v and K = a m + a^2 v/2 (sympy
   checks the identity), so
       I0-(a) = int_{-oo}^0 exp(a x) N(x; m, v) dx = exp(K) int_{-oo}^{-c/sqrt(v)} phi(t) dt
   and the standard normal integral is sympy's ``integrate``; likewise I0+ on [0, oo).
2. Numerically stable form (``laplace_erfcx``): with u = (m + a v)/sqrt(2v) and
   G = exp(-m^2/(2v)), exp(K) erfc(u) = G erfcx(u) since K - u^2 = -m^2/(2v), so
       I0-(a) = G erfcx(u)/2,      I0+(a) = G erfcx(-u)/2   (the mirrored form),
   which never forms exp(K) (overflow) times erfc (underflow); sympy checks that these
   equal the integrals of step 1.  A rate that is identically 0 keeps the plain erfc form
   of step 1 (SELU's C0 = erfc(m/sqrt(2v))).
3. Powers: int x^k exp(a x) N dx = d^k/da^k I0(a) (differentiation under the integral),
   k <= 4, since the second moment multiplies two terms (powers add, rates add):
       E[f^2] = sum over the pieces, sum_{i,j} c_i c_j J_{k_i+k_j}(a_i + a_j).
   erfcx' = 2 x erfcx - 2/sqrt(pi) keeps the derivatives in the stable form.

Every moment exists: exp(a x) is dominated by the Gaussian for every real a.  The tests
check the closed forms against mpmath quadrature of the integrands, and that SELU's
derived forms agree with the hand-written ones of ``selu.py`` (which stays SELU's spec, so
its claims and certificates are unchanged).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from selu_theory.activations.spec import Activation, Family, Parameter, Structure, functions_used
from selu_theory.symbolic import erfcx, gaussian_density, m, v, z

POWERS = (0, 1, 2)
MAX_ORDER = 4          # partial derivatives in (m, v) the runtime needs (as for SELU)
_a = sp.Symbol("a", real=True)   # the rate, while deriving


class NotInFamily(ValueError):
    """An expression or term outside the piecewise exponential-polynomial family."""


@dataclass(frozen=True)
class Term:
    """coef * x**power * exp(rate*x); coef and rate are sympy expressions of the
    parameters only."""
    coef: sp.Expr
    power: int
    rate: sp.Expr = sp.Integer(0)

    def __post_init__(self):
        object.__setattr__(self, "coef", sp.sympify(self.coef))
        object.__setattr__(self, "rate", sp.sympify(self.rate))
        if not (isinstance(self.power, int) and self.power in POWERS):
            raise NotInFamily(f"x**{self.power} is not in the family (powers 0, 1, 2)")

    def expr(self, x) -> sp.Expr:
        return self.coef * x**self.power * sp.exp(self.rate * x)


# --------------------------------------------------------------------- decomposition

def _show(e) -> str:
    return sp.sstr(e)


def _factor_term(term: sp.Expr, x: sp.Symbol) -> tuple:
    """(coef, power, rate) of one product term, or NotInFamily."""
    coef, power, rate = sp.Integer(1), 0, sp.Integer(0)
    for f in sp.Mul.make_args(term):
        if not f.has(x):
            coef *= f
        elif f == x:
            power += 1
        elif f.is_Pow and f.base == x:
            k = f.exp
            if not (k.is_Integer and 0 <= int(k) <= 2):
                raise NotInFamily(f"{_show(f)} is not in the family (powers 0, 1, 2)")
            power += int(k)
        elif isinstance(f, sp.exp):
            g = sp.expand(f.args[0])
            if not g.is_polynomial(x):
                raise NotInFamily(f"{_show(f)} is not in the family (exp of a linear function of x only)")
            poly = sp.Poly(g, x)
            if poly.degree() > 1:
                raise NotInFamily(f"{_show(f)} is not in the family (exp of a linear function of x only; "
                                  "its Gaussian moments may not exist)")
            r = poly.coeff_monomial(x)
            if r.has(x):
                raise NotInFamily(f"{_show(f)} is not in the family (exp of a linear function of x only)")
            rate += r
            coef *= sp.exp(poly.coeff_monomial(1))
        elif f.is_Pow and not f.base.has(x):
            raise NotInFamily(f"{_show(f)} is not in the family (write exponentials as exp(a*x))")
        else:
            what = type(f).__name__ if isinstance(f, sp.Function) else None
            hint = "only c*x**k*exp(a*x), k = 0, 1, 2"
            raise NotInFamily(f"{_show(f)} is not in the family ({hint})" if what is None
                              else f"{_show(f)} is not in the family ({what} of x; {hint})")
        if power > 2:
            raise NotInFamily(f"x**{power} is not in the family (powers 0, 1, 2)")
    return coef, power, rate


# Above this degree bound in x an expression is refused before it is expanded:
# expanding (x+1)**1000 would take long, and no member of the family needs it.
_EXPAND_LIMIT = 8


def _degree_bound(e, x) -> int:
    """An upper bound on the degree in x of e's polynomial parts (exp(...) counts 0;
    its argument is bounded separately), without expanding anything."""
    if not e.has(x):
        return 0
    if e == x:
        return 1
    if e.is_Add:
        return max(_degree_bound(a, x) for a in e.args)
    if e.is_Mul:
        return sum(_degree_bound(a, x) for a in e.args)
    if e.is_Pow and e.exp.is_Integer and int(e.exp) > 0:
        return int(e.exp) * _degree_bound(e.base, x)
    if isinstance(e, sp.exp):
        if _degree_bound(e.args[0], x) > _EXPAND_LIMIT:
            raise NotInFamily(f"{_show(e)} is not in the family (exp of a linear function of x only)")
        return 0
    return 0   # anything else is judged term by term after expansion


def terms_of(expr, x) -> tuple:
    """The terms (``Term``) of a sympy expression in x: like terms (same power and rate)
    merged, in a fixed order.  Raises ``NotInFamily`` with a one-line reason."""
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Expr):
        raise NotInFamily(f"{_show(expr)} is not an expression")
    degree = _degree_bound(expr, x)
    if degree > _EXPAND_LIMIT:
        raise NotInFamily(f"x**{degree} is not in the family (powers 0, 1, 2)")
    # expand products and powers of sums, and exp of sums into products (exp(x+1) = e*exp(x))
    expanded = sp.expand(expr, power_exp=True, mul=True, multinomial=True, power_base=False, log=False)
    merged = {}
    for term in sp.Add.make_args(expanded):
        if term == 0:
            continue
        coef, power, rate = _factor_term(term, x)
        key = (power, sp.simplify(rate))
        merged[key] = merged.get(key, sp.Integer(0)) + coef
    out = [Term(sp.simplify(c), k, r) for (k, r), c in merged.items()]
    return tuple(sorted((t for t in out if t.coef != 0),
                        key=lambda t: (t.power, sp.default_sort_key(t.rate))))


# --------------------------------------------------------------------- derivation

@functools.cache
def laplace_erfc(side: str) -> sp.Expr:
    """I0(a) = int exp(a x) N(x; m, v) dx over x < 0 ('-') or x >= 0 ('+'), derived by
    completing the square and sympy's integral of the standard normal density."""
    x, t, w = sp.symbols("x t w", real=True)
    V = sp.Symbol("V", positive=True)
    c = m + _a * V
    exponent = _a * x - (x - m) ** 2 / (2 * V)
    K = sp.expand(exponent + (x - c) ** 2 / (2 * V))
    if K.has(x):
        raise AssertionError("completing the square failed")
    phi = sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)
    # x = c + sqrt(V) t: x < 0 <=> t < -c/sqrt(V)
    tail = sp.integrate(phi, (t, -sp.oo, w)) if side == "-" else sp.integrate(phi, (t, w, sp.oo))
    return (sp.exp(K) * tail.subs(w, -c / sp.sqrt(V))).subs(V, v)


def _u(a) -> sp.Expr:
    return (m + a * v) / sp.sqrt(2 * v)


def _gauss() -> sp.Expr:
    return sp.exp(-(m**2) / (2 * v))


def _erfcx_to_erfc(e: sp.Expr) -> sp.Expr:
    return e.replace(erfcx, lambda y: sp.exp(y**2) * sp.erfc(y))


def _vanishes(e: sp.Expr) -> bool:
    """e == 0 after expanding, merging exponentials and expanding their exponents."""
    e = sp.powsimp(sp.expand(e), combine="exp")
    e = e.replace(sp.exp, lambda g: sp.exp(sp.expand(g)))
    return sp.expand(e) == 0


@functools.cache
def laplace_erfcx(side: str) -> sp.Expr:
    """I0(a) in the stable erfcx form (step 2 of the module docstring), checked equal to
    ``laplace_erfc`` by sympy."""
    form = _gauss() * erfcx(_u(_a) if side == "-" else -_u(_a)) / 2
    if not _vanishes(_erfcx_to_erfc(form) - laplace_erfc(side)):
        raise AssertionError(f"the erfcx form of I0{side} does not match the integral")
    return form


@functools.cache
def moment_integral(side: str, power: int, zero_rate: bool) -> sp.Expr:
    """J_k(a) = int x^k exp(a x) N(x; m, v) dx over the side, in the rate symbol ``_a``
    (or at a = 0 when zero_rate): the k-th derivative in a of I0, collected as
    G * (P erfcx(u) + Q) (or P erfc + G Q at a = 0) with P, Q polynomials."""
    if zero_rate:
        return sp.expand(sp.diff(laplace_erfc(side), _a, power).subs(_a, 0))
    base = laplace_erfcx(side)
    d = sp.diff(base, _a, power)
    E, G = sp.Dummy("E"), sp.Dummy("G")
    arg = _u(_a) if side == "-" else -_u(_a)
    d = d.xreplace({erfcx(arg): E, _gauss(): G})
    d = sp.expand(d)
    P = sp.expand(d.coeff(E) / G)
    Q = sp.expand((d - d.coeff(E) * E) / G)
    if P.has(E, G) or Q.has(E, G):
        raise AssertionError("J_k not of the form G (P erfcx + Q)")
    return _gauss() * (sp.factor(P) * erfcx(arg) + sp.factor(Q))


def _j(side: str, power: int, rate: sp.Expr) -> sp.Expr:
    if rate == 0:
        return moment_integral(side, power, True)
    return moment_integral(side, power, False).subs(_a, rate)


def _products(terms) -> dict:
    """{(power, rate): coefficient} of the square of a sum of terms."""
    out = {}
    for i, s in enumerate(terms):
        for j, t in enumerate(terms):
            if j < i:
                continue
            key = (s.power + t.power, sp.simplify(s.rate + t.rate))
            out[key] = out.get(key, sp.Integer(0)) + (1 if i == j else 2) * s.coef * t.coef
    return out


def _linear(terms) -> dict:
    out = {}
    for t in terms:
        key = (t.power, sp.simplify(t.rate))
        out[key] = out.get(key, sp.Integer(0)) + t.coef
    return out


def _moment(pieces: dict) -> sp.Expr:
    total = sp.Integer(0)
    for side, groups in pieces.items():
        for (k, r), c in sorted(groups.items(), key=lambda kv: (kv[0][0], sp.default_sort_key(kv[0][1]))):
            c = sp.factor(c)
            if c != 0:
                total += c * _j(side, k, r)
    return total


def closed_forms(negative, positive) -> tuple:
    """(mu~, xi~) of the activation with these terms on x < 0 and x >= 0."""
    mu = _moment({"-": _linear(negative), "+": _linear(positive)})
    xi = _moment({"-": _products(negative), "+": _products(positive)})
    return mu, xi


# --------------------------------------------------------------------- the spec

def _as_term(t) -> Term:
    return t if isinstance(t, Term) else Term(*t)


def _check_parameter_expr(what: str, e: sp.Expr, symbols: set):
    extra = e.free_symbols - symbols
    if extra:
        names = ", ".join(sorted(s.name for s in extra))
        raise NotInFamily(f"{what} {_show(e)} uses {names}: only the parameters may appear")
    bad = functions_used(e) - {"exp"}
    if bad:
        raise NotInFamily(f"{what} {_show(e)} uses {', '.join(sorted(bad))}: only exp, sqrt and powers")
    for p in e.atoms(sp.Pow):
        ex = p.exp
        if not (ex.is_Rational and ex.q in (1, 2)):
            raise NotInFamily(f"{what} {_show(e)}: only integer and half-integer powers")
    if e.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise NotInFamily(f"{what} {_show(e)} is not finite")
    if e.atoms(sp.Float):
        # a binary float is not the decimal the user wrote; the ball kernels need exact numbers
        raise NotInFamily(f"{what} {_show(e)} has a float: give exact numbers (sympy Rational)")


def infer_structure(parameters, negative, positive) -> Structure:
    """The ``Structure`` the terms guarantee, read off the terms (no closed form needed):

    * scale s: every coefficient is s times an expression free of s, and no rate has s
      (then mu~ = s f, xi~ = s^2 g with f, g free of s);
    * shape_affine a (another parameter): no rate has a and every coefficient, divided
      by the scale, is affine in a (then f is affine and g quadratic in a).

    The first parameter (in order) that qualifies is taken for each; None where none
    does.  ``spec.structure_holds`` confirms it on the closed forms (a test)."""
    terms = [_as_term(t) for t in tuple(negative) + tuple(positive)]
    symbols = [p.symbol for p in parameters]

    def is_scale(sym):
        return all(not t.rate.has(sym) and not sp.simplify(t.coef / sym).has(sym) for t in terms)

    scale = next((p for p in symbols if is_scale(p)), None)

    def is_affine(sym):
        if sym == scale or any(t.rate.has(sym) for t in terms):
            return False
        for t in terms:
            c = sp.expand(sp.simplify(t.coef / scale) if scale is not None else t.coef)
            if not c.is_polynomial(sym) or sp.degree(c, sym) > 1:
                return False
        return True

    shape = next((p for p in symbols if is_affine(p)), None)
    return Structure(scale=scale.name if scale is not None else None,
                     shape_affine=shape.name if shape is not None else None)


def piecewise_activation(id: str, name: str, parameters: Sequence[Parameter], negative, positive, *,
                         structure: Structure = Structure(), formula: str = "", doc: str = "",
                         max_order: int = MAX_ORDER) -> Activation:
    """The ``Activation`` spec of f = sum(negative terms) for x < 0, sum(positive terms)
    for x >= 0; terms are ``Term``s or (coef, power, rate) tuples.  Raises NotInFamily
    (a ValueError) with one line when a term or parameter is not allowed.  ``max_order``
    is the highest (m, v) partial the kernels get (4, as SELU's, unless a test needs
    fewer)."""
    parameters = tuple(parameters)
    symbols = set()
    for p in parameters:
        if not (isinstance(p.symbol, sp.Symbol) and p.symbol.is_positive is True and p.symbol.name == p.name):
            raise NotInFamily(f"parameter {p.name!r} must be a positive sympy Symbol of that name")
        symbols.add(p.symbol)
    negative = tuple(_as_term(t) for t in negative)
    positive = tuple(_as_term(t) for t in positive)
    for side, terms in (("x < 0", negative), ("x >= 0", positive)):
        for t in terms:
            _check_parameter_expr(f"coefficient ({side})", t.coef, symbols)
            _check_parameter_expr(f"rate ({side})", t.rate, symbols)
    mu, xi = closed_forms(negative, positive)
    neg = sum((t.expr(z) for t in negative), sp.Integer(0))
    pos = sum((t.expr(z) for t in positive), sp.Integer(0))
    dens = gaussian_density()
    used = functions_used(mu) | functions_used(xi)
    return Activation(
        id=id, name=name, parameters=parameters,
        integrands=(("mean", neg * dens, pos * dens), ("second", neg**2 * dens, pos**2 * dens)),
        families=(Family("moments", (("mu", mu), ("xi", xi)), max_order,
                         f"E[{id}(z)] and E[{id}(z)^2]"),),
        special_functions=frozenset(used),
        structure=structure, doc=doc, formula=formula)
