"""Enclosures of the base functions shared by every expression evaluated on one box.

The parts of a claim are often proved on the same leaf boxes (the maximum and the
minimum of dS/dmu, dS/dnu, ... over one domain), and every expression evaluated on a box
starts from the same enclosures of the family's base functions -- the generated
kernels, about 70% of a leaf's replay (measured on the 17 certificates: 7,018 leaves
on 3,977 distinct boxes; replaying them box by box inside one ``scope`` took 46% less
CPU).  Inside ``scope()`` a function decorated with ``memoized`` remembers its results,
keyed by the exact values of its arguments (every ball by its midpoint and radius as
integers: mantissa and exponent) and the working precision; outside a scope it is
called as it is, at no cost beyond one test.

The decorated functions are pure functions of that key (the kernels of an activation
do not change while a scope is open: the checker opens one per box), so memoizing
changes no bit of any enclosure; a result that is a dict is handed out as a copy,
since callers extend the dicts they receive.
"""
from __future__ import annotations

import contextlib
import functools

from flint import arb, ctx

_MEMO = None  # {key: result} while a scope is open


class _Unkeyed(Exception):
    """An argument without an exact key (a non-finite ball, an unknown type)."""


def _key(x):
    if isinstance(x, arb):
        if not x.is_finite():
            raise _Unkeyed
        mid, rad = x.mid().man_exp(), x.rad().man_exp()
        return (int(mid[0]), int(mid[1]), int(rad[0]), int(rad[1]))
    if isinstance(x, (str, int)) or x is None:
        return x
    if isinstance(x, tuple):
        return tuple(_key(y) for y in x)
    raise _Unkeyed


@contextlib.contextmanager
def scope():
    """Remember the decorated functions' results until the scope closes (scopes nest:
    an inner one shares the outer one's memo)."""
    global _MEMO
    if _MEMO is not None:
        yield
        return
    _MEMO = {}
    try:
        yield
    finally:
        _MEMO = None


def memoized(fn):
    """``fn(*args, **kwargs)``, remembered inside a ``scope`` (see the module docstring)."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _MEMO is None:
            return fn(*args, **kwargs)
        try:
            key = (name, ctx.prec, _key(args), _key(tuple(sorted(kwargs.items()))))
        except _Unkeyed:
            return fn(*args, **kwargs)
        if key not in _MEMO:
            _MEMO[key] = fn(*args, **kwargs)
        out = _MEMO[key]
        return dict(out) if isinstance(out, dict) else out
    return wrapper
