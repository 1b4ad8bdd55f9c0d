"""Huge exponents in user numbers are refused by their spelling: exit 2, one line, at once."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from selu_theory.expr import ExprError, parse
from verification import scaled_claims as SC
from verification.cli import main

HOSTILE = [
    ["bound", "S + 1e-999999999", "--below", "2"],
    ["params", "--fixed-point", "0", "1e-999999999"],
    ["params", "--fixed-point", "1e-999999999", "1"],
]


@pytest.mark.parametrize("argv", HOSTILE)
def test_hostile_numbers_exit_2_with_one_line_within_a_second(argv, capsys):
    t = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - t
    out = capsys.readouterr()
    lines = [ln for ln in (out.out + out.err).splitlines() if ln.strip()]
    assert code == 2 and elapsed < 1.0
    assert len(lines) == 1 and "exponent" in lines[0], lines


def test_hostile_number_in_a_fresh_process():
    """The installed entry point (verification.cli:main) in a new interpreter: a hang of
    minutes (Fraction('1e-999999999')) would hit the timeout."""
    code = "import sys; from verification.cli import main; sys.exit(main(sys.argv[1:]))"
    p = subprocess.run([sys.executable, "-c", code, *HOSTILE[0]], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len([ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]) == 1


def test_expression_literals_and_design_numbers_use_the_one_parser():
    t = time.perf_counter()
    with pytest.raises(ExprError, match="exponent"):
        parse("S + 1e-999999999")
    with pytest.raises(SC.DesignInputError, match="exponent"):
        SC.parse_number("1e-999999999", "nu*")
    with pytest.raises(SC.DesignInputError, match="digits"):
        SC.parse_number("1" * 500 + "/3", "mu*")
    assert time.perf_counter() - t < 0.5
    assert SC.parse_number("-0.1", "mu*") == SC.F(-1, 10)
    with pytest.raises(SC.DesignInputError, match="at most 1000"):
        SC.parse_number("1e4", "mu*")
    assert parse("0.1 + 0b11 + 1_000").source == "0.1 + 0b11 + 1_000"


def test_exact_decimals_of_binary_fractions():
    """Domain ends from bisection are binary fractions: their decimal text must be exact
    (1/2^100 has 70 significant digits)."""
    for q in (SC.F(1, 2**100), SC.F(-3, 2**200), SC.F(7, 5**90), SC.F(10**40 + 1, 2**64)):
        assert SC.F(SC.dec(q)) == q
