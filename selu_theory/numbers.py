"""User numbers: the one parser for every number that enters from outside.

The CLI, the Python API, the expression language and the certificate loader all read
numbers through ``parse``.  It accepts decimals (``-0.1``, ``2.5e-3``), fractions
(``1/3``) and hex floats (``0x1.8p+1``), plus ints, Fractions and finite floats from
Python callers, and returns an exact ``Fraction``.

The text is checked *before* any exact conversion: ``Fraction("1e-999999999")`` would
build 10^999999999 and run for minutes, so a hostile number must be refused by its
spelling (digit count, exponent), not after the work.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction

MAX_DIGITS = 400     # significant digits of a decimal, or of a fraction's numerator/denominator
MAX_EXPONENT = 400   # |decimal exponent| of a decimal literal
MAX_LENGTH = 1000    # characters

_DECIMAL = re.compile(r"[+-]?(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?")
_FRACTION = re.compile(r"[+-]?(?P<num>\d+)/(?P<den>\d+)")
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d{1,6})?")


class NumberError(ValueError):
    """A user number that is malformed, non-finite, too long or out of range."""


def _show(t: str) -> str:
    """The user's text for an error line, clipped so one line stays one line."""
    return repr(t if len(t) <= 40 else t[:20] + "..." + t[-10:])


def _digits(s: str) -> int:
    return len(s.lstrip("0"))


def _from_text(t: str, what: str) -> Fraction:
    if len(t) > MAX_LENGTH:
        raise NumberError(f"{what}: number has more than {MAX_LENGTH} characters")
    low = t.lower().lstrip("+-")
    if low in ("nan", "inf", "infinity"):
        raise NumberError(f"{what} must be a finite number; got {_show(t)}")
    if _HEX.fullmatch(t):
        try:
            f = float.fromhex(t)
        except (ValueError, OverflowError):
            raise NumberError(f"{what}: {_show(t)} is not a finite hex float") from None
        if not math.isfinite(f):
            raise NumberError(f"{what}: {_show(t)} is not a finite hex float")
        return Fraction(f)
    m = _FRACTION.fullmatch(t)
    if m:
        if _digits(m["num"]) > MAX_DIGITS or _digits(m["den"]) > MAX_DIGITS:
            raise NumberError(f"{what}: {_show(t)} has more than {MAX_DIGITS} digits")
        if int(m["den"]) == 0:
            raise NumberError(f"{what}: {_show(t)} divides by zero")
        return Fraction(t)
    m = _DECIMAL.fullmatch(t)
    if not m or not (m["int"] or m["frac"]):
        raise NumberError(f"{what} must be a number (decimal, p/q or hex float); got {_show(t)}")
    if _digits((m["int"] or "") + (m["frac"] or "")) > MAX_DIGITS:
        raise NumberError(f"{what}: {_show(t)} has more than {MAX_DIGITS} significant digits")
    exp = m["exp"]
    if exp is not None and (len(exp.lstrip("+-").lstrip("0")) > 4 or abs(int(exp)) > MAX_EXPONENT):
        raise NumberError(f"{what}: exponent of {_show(t)} is beyond +-{MAX_EXPONENT}")
    return Fraction(t)


def parse(x, what: str = "number", *, positive: bool = False, nonnegative: bool = False,
          limit=None) -> Fraction:
    """The exact rational a user means by ``x``; ``NumberError`` (one clear line) if not.

    Floats from Python callers mean their shortest decimal (``0.1`` is 1/10), as a user
    typing them would.  ``limit`` bounds the absolute value."""
    if isinstance(x, bool):
        raise NumberError(f"{what} must be a number; got {x!r}")
    if isinstance(x, Fraction):
        q = x
        if _digits(str(abs(q.numerator))) > 4 * MAX_DIGITS or _digits(str(q.denominator)) > 4 * MAX_DIGITS:
            raise NumberError(f"{what}: the rational has too many digits")
    elif isinstance(x, int):
        if x.bit_length() > 4 * MAX_DIGITS:
            raise NumberError(f"{what}: the integer has too many digits")
        q = Fraction(x)
    elif isinstance(x, float):
        if not math.isfinite(x):
            raise NumberError(f"{what} must be a finite number; got {x!r}")
        q = Fraction(repr(x))
    elif isinstance(x, str):
        q = _from_text(x.strip(), what)
    else:
        raise NumberError(f"{what} must be a number; got {type(x).__name__}")
    if positive and q <= 0:
        raise NumberError(f"{what} must be > 0; got {text_of(q)}")
    if nonnegative and q < 0:
        raise NumberError(f"{what} must be >= 0; got {text_of(q)}")
    if limit is not None and abs(q) > Fraction(limit):
        raise NumberError(f"{what} must be at most {limit} in absolute value; got {text_of(q)}")
    return q


def text_of(q) -> str:
    """An exact decimal string for a rational with a terminating expansion, else 'p/q'."""
    q = Fraction(q)
    d = q.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    with localcontext() as ctx:
        # n / (2^a 5^b) has at most digits(n) + 0.7 max(a, b) significant digits, and
        # 0.7 a <= 2.33 digits(2^a): 3 digits per denominator digit keep it exact.
        ctx.prec = max(50, len(str(q.numerator)) + 3 * len(str(q.denominator)) + 5)
        s = format(Decimal(q.numerator) / Decimal(q.denominator), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
