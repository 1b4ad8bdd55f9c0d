"""The mirror symmetry (mu, omega) -> (-mu, -omega), on the prover's side.

Why it holds.  The moment map sees (mu, omega) only through m = mu*omega and (nu, tau)
only through v = nu*tau (z ~ N(mu*omega, nu*tau), for every activation), so mu~, xi~,
nu~ and every function of (m, v) alone are EVEN under the mirror sigma(mu, omega, nu,
tau, extra) = (-mu, -omega, nu, tau, extra).  The Jacobian J = d(mu~, nu~)/d(mu, nu) has
J11 = omega dmu~/dm, J21 = omega dnu~/dm (ODD: omega times an even function) and J12 =
tau dmu~/dv, J22 = tau dnu~/dv (EVEN).  S = (sqrt((J11+J22)^2 + (J21-J12)^2) +
sqrt((J11-J22)^2 + (J21+J12)^2)) / 2: flipping the signs of J11 and J21 swaps its two
roots, so S is EVEN.  sigma is linear and diagonal, so the partials of an even function
in mu and omega are ODD and those in nu, tau (and extra variables) EVEN: dS/dmu,
dS/domega are ODD, dS/dnu, dS/dtau EVEN; dq/dmu = omega dq/dm, dq/domega = mu dq/dm are
ODD for q = mu~, xi~, nu~.

How a proof uses it, on a domain D that is mirror-symmetric (mu in [-a, a], omega in
[-b, b] exactly, a > 0; other variables anything), so that sigma(D) = D:
  * EVEN f: f(D) = f(H) with H = D cut to mu >= 0 (every point of D with mu < 0 is the
    mirror of one of H).  Its extremum is proved on H: the part records the parity and
    the half ("half") and its tree covers H.
  * ODD f with a min part and a max part over the same D: min_D f = -max_D f (sigma
    maps D onto D and negates f), so one is proved and the other records a reference to
    it ("of"), its enclosure the negated one and its witness the mirrored point.  Halving
    the domain would save nothing for an odd f (max_D f needs both max_H f and min_H f).
A pair already searched as its product (the quantity table's reduction) is not halved:
its tree lives on m, where the mirror is the identity.

The checker (``verification.checker``) does its own parity analysis and its own domain
checks; nothing here is trusted by it.
"""
from __future__ import annotations

import ast
from fractions import Fraction

from selu_theory.expr import parse
from selu_theory.quantities import lookup

EVEN, ODD, UNKNOWN = "even", "odd", None

# Names whose parity is not "a function of m alone" (those are read from the quantity
# table's product_mu_omega flag, which the engine's domain reduction already trusts):
# the variables mu, omega themselves, omega (or mu) times an even partial in m, and S
# with its partials (see the module's docstring for each).
_NAMED = {"mu": ODD, "omega": ODD, "J11": ODD, "J21": ODD,
          "S": EVEN, "dS_dmu": ODD, "dS_domega": ODD, "dS_dnu": EVEN, "dS_dtau": EVEN}
_NAMED.update({f"d{q}_d{x}": ODD for q in ("mu", "xi", "nu") for x in ("mu", "omega")})


def name_parity(name: str, activation: str):
    """EVEN, ODD or UNKNOWN (None) for one name of the expression language."""
    if name in _NAMED:
        return _NAMED[name]
    row = lookup(name, activation)
    # a function of m = mu*omega and of variables the mirror leaves alone (nu, tau, extra
    # variables, constants) is unchanged by it
    if row is not None and row.product_mu_omega:
        return EVEN
    return UNKNOWN


def _times(a, b):
    """Parity of a product or quotient: the signs multiply."""
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return EVEN if a == b else ODD


def _node(node, activation: str):
    if isinstance(node, ast.Constant):
        return EVEN
    if isinstance(node, ast.Name):
        return name_parity(node.id, activation)
    if isinstance(node, ast.UnaryOp):  # -f has f's parity
        return _node(node.operand, activation)
    if isinstance(node, ast.BinOp):
        a = _node(node.left, activation)
        if isinstance(node.op, ast.Pow):
            # f^n: EVEN f stays EVEN; ODD f gives (-1)^n
            if a is UNKNOWN:
                return UNKNOWN
            return EVEN if a == EVEN or node._selu_power % 2 == 0 else ODD
        b = _node(node.right, activation)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            # f + g keeps a parity only when both have it (mu + nu has none)
            return a if a == b else UNKNOWN
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return _times(a, b)
        return UNKNOWN
    if isinstance(node, ast.Call):
        # sqrt, exp of an EVEN argument are EVEN; of an ODD one neither (exp(mu))
        return EVEN if _node(node.args[0], activation) == EVEN else UNKNOWN
    return UNKNOWN


def parity(expr, activation: str):
    """EVEN, ODD or UNKNOWN (None) of an expression (text or parsed ``Expr``) under the
    mirror (mu, omega) -> (-mu, -omega); UNKNOWN whenever a rule does not apply."""
    e = parse(expr, activation) if isinstance(expr, str) else expr
    return _node(e.tree.body, activation)


def symmetric(domain) -> bool:
    """The domain is exactly mirror-symmetric: mu in [-a, a] with a > 0, omega in [-b, b]."""
    (mlo, mhi), (olo, ohi) = domain.bounds[0], domain.bounds[1]
    return mlo == -mhi and mhi > 0 and olo == -ohi


def half(domain):
    """The domain cut to mu >= 0."""
    b = list(domain.bounds)
    b[0] = (Fraction(0), b[0][1])
    return type(domain)(tuple(b), domain.names)


def halves(part, activation: str, pairs) -> bool:
    """Prove this extremum part on its half domain: an EVEN expression on a symmetric
    domain whose (mu, omega) pair is not already searched as its product."""
    return (not pairs[0]) and symmetric(part.domain) and parity(part.expr, activation) == EVEN


def mirrored_parts(extrema, activation: str) -> dict:
    """{key of a part proved as the mirror of another: that other part's key}: for each
    ODD expression, the first min part and the first max part over the same domain with
    mirror-opposite thresholds (both None, or t and -t) and the same tolerance; the max
    part is proved and the min part mirrors it.  Deterministic: the parts' order."""
    out, seen = {}, {}
    for p in extrema:
        if not symmetric(p.domain) or parity(p.expr, activation) != ODD:
            continue
        th = None if p.threshold is None else Fraction(p.threshold) * (1 if p.sense == "max" else -1)
        key = (p.expr, p.domain, th, p.tol)
        seen.setdefault(key, {}).setdefault(p.sense, p)
    for pair in seen.values():
        if "max" in pair and "min" in pair:
            out[pair["min"].key] = pair["max"].key
    return out


def mirror_point(pt) -> tuple:
    """sigma of a point: (-mu, -omega, the rest)."""
    return (-Fraction(pt[0]), -Fraction(pt[1])) + tuple(Fraction(x) for x in pt[2:])
