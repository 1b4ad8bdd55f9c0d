"""Random expressions of the package's expression language, for the property tests:
a small grammar over the oracle's names (+ - * and powers 2 and 3, exact decimal
literals), rendered as text for the package and evaluated in mpmath for the oracle."""
from __future__ import annotations

import random
from fractions import Fraction

from oracle_mpmath import CONSTANT_NAMES, MOMENT_NAMES, VARIABLE_NAMES, to_mpf


def random_literal(rng: random.Random) -> Fraction:
    """An exact short decimal in (0, 5]: 1 to 3 decimals."""
    places = rng.randint(0, 3)
    return Fraction(rng.randint(1, 5 * 10**places), 10**places)


def random_tree(rng: random.Random, depth: int, variables_only: bool = False):
    """('name', n) | ('num', q) | (op, a, b) for op in + - * | ('pow', a, k).
    With ``variables_only`` the names are mu, omega, nu, tau: a polynomial with exact values."""
    if depth == 0 or rng.random() < 0.3:
        if rng.random() < 0.8:
            r = rng.random()
            pool = MOMENT_NAMES if r < 0.75 else VARIABLE_NAMES if r < 0.95 else CONSTANT_NAMES
            return ("name", rng.choice(VARIABLE_NAMES if variables_only else pool))
        return ("num", random_literal(rng))
    kind = rng.choice(("+", "-", "*", "*", "pow", "scale"))
    if kind == "pow":
        return ("pow", random_tree(rng, depth - 1, variables_only), rng.choice((2, 3)))
    if kind == "scale":
        return ("*", ("num", random_literal(rng)), random_tree(rng, depth - 1, variables_only))
    return (kind, random_tree(rng, depth - 1, variables_only), random_tree(rng, depth - 1, variables_only))


def decimal_text(q: Fraction) -> str:
    """Exact decimal text of a Fraction whose denominator divides a power of 10."""
    sign = "-" if q < 0 else ""
    q = abs(q)
    places = 0
    while (q * 10**places).denominator != 1:
        places += 1
        assert places <= 60, "not a short decimal"
    n = int(q * 10**places)
    if places == 0:
        return f"{sign}{n}"
    digits = str(n).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def render(tree) -> str:
    kind = tree[0]
    if kind == "name":
        return tree[1]
    if kind == "num":
        return decimal_text(tree[1])
    if kind == "pow":
        return f"({render(tree[1])})**{tree[2]}"
    return f"({render(tree[1])} {kind} {render(tree[2])})"


def names_of(tree) -> set:
    if tree[0] == "name":
        return {tree[1]}
    if tree[0] == "num":
        return set()
    return set().union(*(names_of(t) for t in tree[1:] if isinstance(t, tuple)))


def evaluate(tree, env, number=to_mpf):
    """The expression at ``env`` (names to values); literals become ``number(Fraction)``:
    mpf at the oracle's precision by default, or the Fraction itself for exact arithmetic."""
    kind = tree[0]
    if kind == "name":
        return env[tree[1]]
    if kind == "num":
        return number(tree[1])
    if kind == "pow":
        return evaluate(tree[1], env, number) ** tree[2]
    a, b = evaluate(tree[1], env, number), evaluate(tree[2], env, number)
    return a + b if kind == "+" else a - b if kind == "-" else a * b
