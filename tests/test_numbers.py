"""The one user-number parser: exact values, and hostile spellings refused fast."""
import time
from fractions import Fraction

import pytest

from selu_theory.numbers import NumberError, parse, text_of


@pytest.mark.parametrize("text, value", [
    ("-0.1", Fraction(-1, 10)), ("2.5e-3", Fraction(1, 400)), ("1/3", Fraction(1, 3)),
    ("0x1.8p+1", Fraction(3)), (".5", Fraction(1, 2)), ("+2", Fraction(2)), (" 7 ", Fraction(7)),
    (0.1, Fraction(1, 10)), (3, Fraction(3)), (Fraction(2, 3), Fraction(2, 3)),
])
def test_exact_values(text, value):
    assert parse(text, "x") == value


@pytest.mark.parametrize("text", [
    "1e-999999999", "1e999999999", "1" * 5000, "9" * 401, "nan", "-inf", "Infinity", "1/0",
    "", "abc", "1_000", "0x1p+99999", "1e401", float("nan"), float("inf"), True, None, [1],
])
def test_hostile_refused_fast(text):
    t0 = time.perf_counter()
    with pytest.raises(NumberError) as err:
        parse(text, "x")
    assert time.perf_counter() - t0 < 0.1
    assert "\n" not in str(err.value) and len(str(err.value)) < 200


def test_constraints():
    with pytest.raises(NumberError):
        parse("0", "x", positive=True)
    with pytest.raises(NumberError):
        parse("-1e-9", "x", nonnegative=True)
    with pytest.raises(NumberError):
        parse("1001", "x", limit=1000)
    assert parse("1000", "x", limit=1000) == 1000


def test_text_round_trips():
    for q in (Fraction(1, 10), Fraction(-5, 4), Fraction(1, 3), Fraction(0)):
        assert parse(text_of(q), "x") == q
