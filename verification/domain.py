"""Domains: exact rational boxes in (mu, omega, nu, tau) and, after them, any extra
variables of ``quantities.EXTRA_VARS`` (a dropout rate); their outward float boxes."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from selu_theory import numbers
from selu_theory.numbers import text_of
from selu_theory.quantities import BASE_VARS, EXTRA_VARS, domain_variables

VARS = BASE_VARS   # the base variables, always a domain's first four coordinates


class DomainError(ValueError):
    pass


def _number(text: str, what: str) -> Fraction:
    try:
        return numbers.parse(text, what)
    except numbers.NumberError as exc:
        raise DomainError(str(exc)) from None


def down(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, -math.inf) if Fraction(f) > q else f


def up(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


@dataclass(frozen=True)
class Domain:
    """Closed box; ``bounds[i] = (lo, hi)`` for ``names[i]``, exact rationals.  ``names``
    is (mu, omega, nu, tau) followed by the extra variables in their canonical order
    (``quantities.domain_variables``); a 4-variable domain is the paper's."""

    bounds: tuple
    names: tuple = VARS

    def __post_init__(self):
        b = tuple((Fraction(lo), Fraction(hi)) for lo, hi in self.bounds)
        names = tuple(self.names)
        try:
            canonical = domain_variables(names)
        except ValueError as exc:
            raise DomainError(str(exc)) from None
        if names != canonical or len(set(names)) != len(names):
            raise DomainError(f"domain variables must be {', '.join(canonical)} in this order; "
                              f"got {', '.join(names)}")
        if len(b) != len(names):
            raise DomainError(f"a domain needs {', '.join(names)}")
        for name, (lo, hi) in zip(names, b):
            if lo > hi:
                raise DomainError(f"{name}: lower end {lo} exceeds upper end {hi}")
            if abs(lo) > 10**6 or abs(hi) > 10**6:
                raise DomainError(f"{name}: |value| above 1e6 is outside what the kernels support")
            if name in EXTRA_VARS and not EXTRA_VARS[name].admits(lo, hi):
                raise DomainError(f"{name} must lie in {EXTRA_VARS[name].range_text()}; got "
                                  f"[{text_of(lo)}, {text_of(hi)}]")
        if b[2][0] <= 0 or b[3][0] <= 0:
            raise DomainError("nu and tau must be positive on the whole domain (the variance nu*tau must be > 0)")
        object.__setattr__(self, "bounds", b)
        object.__setattr__(self, "names", names)

    @property
    def extra(self) -> tuple:
        """The extra variables (beyond mu, omega, nu, tau)."""
        return self.names[len(VARS):]

    @classmethod
    def of(cls, **ranges) -> "Domain":
        try:
            names = domain_variables(ranges)
        except ValueError as exc:
            raise DomainError(str(exc)) from None
        return cls(tuple((Fraction(str(ranges[v][0])), Fraction(str(ranges[v][1]))) for v in names), names)

    @classmethod
    def parse(cls, text: str, defaults: "Domain | None" = None) -> "Domain":
        """'mu=-0.1:0.1,omega=-0.1:0.1,nu=0.8:1.5,tau=0.95:1.1'; a single value 'omega=0'
        fixes a variable; base names missing from the text come from ``defaults`` (and
        its extra variables too); an extra variable (``rate=0:0.1``) adds a coordinate."""
        found = {}
        for item in filter(None, (s.strip() for s in str(text).split(","))):
            name, eq, rng = item.partition("=")
            name = name.strip()
            if not eq:
                raise DomainError(f"domain item {item!r} is not name=lo:hi")
            if name not in VARS and name not in EXTRA_VARS:
                raise DomainError(f"unknown domain variable {name!r}; use {', '.join(VARS + tuple(EXTRA_VARS))}")
            if name in found:
                raise DomainError(f"{name} given twice")
            lo, colon, hi = rng.partition(":")
            lo_q = _number(lo, name)
            hi_q = _number(hi, name) if colon else lo_q
            found[name] = (lo_q, hi_q)
        for i, v in enumerate(defaults.names if defaults is not None else VARS):
            if v not in found:
                if defaults is None:
                    raise DomainError(f"domain is missing {v}")
                found[v] = defaults.bounds[i]
        names = domain_variables(found)
        return cls(tuple(found[v] for v in names), names)

    def reduced(self, pairs=(True, True)) -> "Domain":
        """The domain with the (mu, omega) pair replaced by (mu*omega, 1) and/or the
        (nu, tau) pair by (nu*tau, 1): a bilinear image of a box is the interval between
        its extreme corner products."""
        b = list(self.bounds)
        for k, on in zip((0, 2), pairs):
            if on:
                (a, bb), (c, d) = b[k], b[k + 1]
                ps = [a * c, a * d, bb * c, bb * d]
                b[k], b[k + 1] = (min(ps), max(ps)), (Fraction(1), Fraction(1))
        return Domain(tuple(b), self.names)

    def preimage(self, pt, pairs=(True, True)) -> tuple:
        """A point of this domain mapped to ``pt`` of ``self.reduced(pairs)``: the same
        products m = mu*omega, v = nu*tau and the same unreduced coordinates."""
        out = []
        for k, on in zip((0, 2), pairs):
            if on:
                out += self._edge_solve(Fraction(pt[k]) * Fraction(pt[k + 1]), k)
            else:
                out += [Fraction(pt[k]), Fraction(pt[k + 1])]
        return tuple(out) + tuple(Fraction(x) for x in pt[len(VARS):])   # extra variables as they are

    def _edge_solve(self, target: Fraction, k: int):
        (a, b), (c, d) = self.bounds[k], self.bounds[k + 1]
        corners = [(a, c), (b, c), (b, d), (a, d)]
        for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1]):
            p, q = x0 * y0, x1 * y1
            if min(p, q) <= target <= max(p, q):
                t = Fraction(0) if p == q else (target - p) / (q - p)
                return (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        raise DomainError(f"{target} is not a product of this domain's {VARS[k]} and {VARS[k + 1]}")

    def outward(self) -> tuple:
        """The smallest float box containing the domain."""
        return tuple((down(lo), up(hi)) for lo, hi in self.bounds)

    def clamp(self, pt) -> tuple:
        """The nearest point of the exact domain (coordinates as Fractions)."""
        return tuple(min(max(Fraction(x), lo), hi) for x, (lo, hi) in zip(pt, self.bounds))

    def to_json(self) -> dict:
        return {v: [str(lo), str(hi)] for v, (lo, hi) in zip(self.names, self.bounds)}

    @classmethod
    def from_json(cls, d: dict) -> "Domain":
        try:
            names = domain_variables(d)
        except ValueError as exc:
            raise DomainError(str(exc)) from None
        return cls(tuple((Fraction(d[v][0]), Fraction(d[v][1])) for v in names), names)

    def describe(self) -> str:
        def f(q):
            return format(float(q), "g") if Fraction(float(q)) == q or q.denominator in (2, 5, 10, 20, 25, 50, 100, 1000, 10000) else str(q)
        return ", ".join(f"{v}∈[{f(lo)}, {f(hi)}]" if lo != hi else f"{v}={f(lo)}"
                         for v, (lo, hi) in zip(self.names, self.bounds))


def contains_box(outer_float_box, domain: Domain) -> bool:
    """True when the float box covers the exact domain."""
    return all(Fraction(lo) <= dlo and Fraction(hi) >= dhi
               for (lo, hi), (dlo, dhi) in zip(outer_float_box, domain.bounds))


def point_text(pt) -> str:
    """An exact point for reading: short decimals as they are, other rationals as ~float."""
    out = []
    for x in pt:
        d = text_of(Fraction(x))
        out.append(d if "/" not in d and len(d) <= 14 else f"~{float(Fraction(x)):.12g}")
    return "(" + ", ".join(out) + ")"
