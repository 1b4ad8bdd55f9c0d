"""Generate ``selu_theory/_generated/grid_tables.py``: ``python -m tools.generate_grid_tables [--check]``.

It computes, in Arb (python-flint, 256 bits), the tables of the grid kernels' own
elementary functions (``selu_theory/grid_kernels.py``) together with their proven error
bounds, and writes them as exact hexadecimal floats.  The output is a pure function of
this file (Arb's results are correctly bounded; the floats are the balls' midpoints
rounded to nearest), so ``--check`` can regenerate and diff, as ``generate_kernels --check``.
The tables are the elementary functions' (exp, erfcx), shared by every activation.
This is a tool, never imported by the package at run time.

* erfcx(x) = exp(x^2) erfc(x) on [0, ERFCX_MAX]: degree-8 Taylor coefficients around the
  nodes j/32.  Per node the bound E_j on |Horner_fl(t) - erfcx(j/32 + t)|, |t| <= 1/64, is
      (Horner rounding, ``horner_bound``) + sum_k |c~_k - c_k| T^k + |a_9(j/32 - 1/64)| T^9
  The last term is the Lagrange remainder: from
      (-1)^n erfcx^(n)(x) = 2/sqrt(pi) int_0^oo (2t)^n exp(-t^2 - 2xt) dt   (all real x),
  |erfcx^(n)| is positive and decreasing in x, so its maximum over the node interval is
  at the left end, where Arb evaluates it.
* exp: e^(j/32) for j in [-12, 12]; the coefficients 1/k! (k <= 7) of e^t on |t| <= 1/64;
  one relative error bound EPS_EXP for table rounding, Horner rounding, coefficient
  rounding, the Taylor remainder T^8/8! e^T and the final product's rounding; ln 2 split
  as LN2_HI (40 bits: k*LN2_HI is exact for |k| < 2^13) + LN2_LO, with |ln 2 - LN2_HI -
  LN2_LO| <= LN2_ERR.
* 2/sqrt(pi) as (float, radius).
"""
from __future__ import annotations

import argparse
import difflib
import math
import pathlib
import sys
from fractions import Fraction

from flint import arb, ctx

from selu_theory.float_bounds import arb_upper_float, float_and_error, up

OUT = pathlib.Path(__file__).resolve().parents[1] / "selu_theory" / "_generated" / "grid_tables.py"
REGENERATE = "python -m tools.generate_grid_tables"

ERFCX_STEP = 32          # nodes j / ERFCX_STEP
ERFCX_MAX = 16           # nodes 0 .. ERFCX_MAX
ERFCX_DEG = 8
EXP_DEG = 7
LN2_HI_BITS = 40
PREC = 256


def horner_bound(coeffs, T: float):
    """Upper bound on |Horner_fl(t) - sum c_k t^k| for floats |t| <= T, the float
    coefficients c_k taken as they are.  With p_n = c_n, p_k = fl(fl(p_{k+1} t) + c_k):
      |p~_k - p_k| <= T E_{k+1} + u T B_{k+1} + u (|c_k| + (1+u) T B_{k+1}),
    B_{k+1} = sum_{i>k} |c_i| T^(i-k-1) + E_{k+1} >= |p~_{k+1}|  (u = 2^-53; no term can
    underflow here: |t| >= 2^-1000 or t = 0 is handled by the caller's TINY).  Evaluated in
    floats: every term is >= 0, so each of the < 200 roundings loses at most a factor
    (1 - u), and the final factor 1 + 2^-40 restores an upper bound.
    Returns (error bound, bound on |p(t)|)."""
    u = 2.0 ** -53
    n = len(coeffs) - 1
    E = 0.0
    P = abs(coeffs[n])
    for k in range(n - 1, -1, -1):
        B = P + E
        ck = abs(coeffs[k])
        E = T * E + u * T * B + u * (ck + (1 + u) * T * B)
        P = ck + T * P
    return E * (1 + 2.0 ** -40), P * (1 + 2.0 ** -40)


def erfcx_taylor(x, deg):
    """Taylor coefficients a_0..a_deg of erfcx at the ball x:
    a_1 = 2x a_0 - 2/sqrt(pi), (k+1) a_{k+1} = 2x a_k + 2 a_{k-1}."""
    two_sqrtpi = 2 / arb.pi().sqrt()
    y0 = (x * x).exp() * x.erfc()
    a = [y0, 2 * x * y0 - two_sqrtpi]
    for k in range(1, deg):
        a.append((2 * x * a[k] + 2 * a[k - 1]) / (k + 1))
    return a


def build():
    old = ctx.prec
    ctx.prec = PREC
    try:
        T = 1.0 / (2 * ERFCX_STEP)
        Ta = arb(1) / (2 * ERFCX_STEP)
        grow = 1 + 2.0 ** -40   # float sums of a few >= 0 terms, made upper bounds
        coef, err = [], []
        for j in range(ERFCX_MAX * ERFCX_STEP + 1):
            x = arb(j) / ERFCX_STEP
            fl_err = [float_and_error(c) for c in erfcx_taylor(x, ERFCX_DEG)]
            cs = [f for f, _ in fl_err]
            e_round, _ = horner_bound(cs, T)
            e_coef = sum(e * T ** k for k, (_, e) in enumerate(fl_err)) * grow   # T^k exact
            a9 = abs(erfcx_taylor(x - Ta, ERFCX_DEG + 1)[ERFCX_DEG + 1])
            rem = arb_upper_float(a9) * T ** (ERFCX_DEG + 1)
            coef.append(cs)
            err.append((e_round + e_coef + rem + 2.0 ** -1000) * grow)
        exp_tab = []
        exp_rel = Fraction(0)
        for j in range(-12, 13):
            e = (arb(j) / 32).exp()
            f, ef = float_and_error(e)
            exp_tab.append(f)
            lower = Fraction(float(e.lower().mid())) * (1 - Fraction(1, 2 ** 50))
            exp_rel = max(exp_rel, Fraction(ef) / lower)
        cexp, coef_err, fact = [], Fraction(0), 1
        Tq = Fraction(1, 64)
        for k in range(EXP_DEG + 1):
            fact *= max(k, 1)
            q = Fraction(1, fact)
            cexp.append(float(q))
            coef_err += abs(Fraction(float(q)) - q) * Tq ** k
        e_round = Fraction(horner_bound(cexp, 1.0 / 64)[0])
        rem = Tq ** (EXP_DEG + 1) / math.factorial(EXP_DEG + 1) * 2   # e^T <= 2
        p_rel = (e_round + coef_err + rem) / Fraction(63, 64)         # e^t >= e^(-1/64) >= 63/64
        u = Fraction(1, 2 ** 53)
        eps_exp = (1 + exp_rel) * (1 + p_rel) * (1 + u) - 1
        ln2 = arb(2).log()
        man, ex = math.frexp(float(ln2.mid()))
        l1 = math.ldexp(math.floor(man * 2 ** LN2_HI_BITS), ex - LN2_HI_BITS)
        l2, dl = float_and_error(ln2 - arb(l1))
        inv_ln2 = float((1 / ln2).mid())
        two_sqrtpi = float_and_error(2 / arb.pi().sqrt())
        e700 = arb_upper_float(arb(-700).exp())
    finally:
        ctx.prec = old
    assert e700 <= 1e-304
    return {
        "ERFCX_COEF": coef, "ERFCX_ERR": err, "EXP_TAB": exp_tab, "EXP_COEF": cexp,
        "EPS_EXP": up(eps_exp), "LN2_HI": l1, "LN2_LO": l2, "LN2_ERR": dl, "INV_LN2": inv_ln2,
        "TWO_SQRTPI": two_sqrtpi[0], "TWO_SQRTPI_RAD": two_sqrtpi[1],
    }


def _hex_rows(rows):
    return "\n".join("    " + " ".join(float(x).hex() for x in row) for row in rows)


def render() -> str:
    t = build()
    out = ['"""GENERATED by tools/generate_grid_tables.py (Arb, python-flint). Do not edit.',
           f"Regenerate: {REGENERATE}",
           "",
           "Tables of the grid kernels' own exp and erfcx with proven error bounds; see the",
           "generator's docstring for what each bound covers.  Floats are exact hex literals.",
           '"""',
           "import numpy as np",
           "",
           f"ERFCX_STEP = {ERFCX_STEP}",
           f"ERFCX_MAX = {ERFCX_MAX}",
           f"ERFCX_DEG = {ERFCX_DEG}",
           f"EXP_DEG = {EXP_DEG}",
           ""]
    for name in ("EPS_EXP", "LN2_HI", "LN2_LO", "LN2_ERR", "INV_LN2", "TWO_SQRTPI", "TWO_SQRTPI_RAD"):
        out.append(f"{name} = float.fromhex({float(t[name]).hex()!r})")
    out.append("")

    def arr(name, rows, shape):
        out.append(f'{name} = np.array([float.fromhex(s) for s in """')
        out.append(_hex_rows(rows))
        out.append(f'""".split()]).reshape({shape})')
        out.append(f"{name}.setflags(write=False)")
        out.append("")

    arr("ERFCX_COEF", t["ERFCX_COEF"], f"({len(t['ERFCX_COEF'])}, {ERFCX_DEG + 1})")
    arr("ERFCX_ERR", [t["ERFCX_ERR"][i:i + 6] for i in range(0, len(t["ERFCX_ERR"]), 6)], f"({len(t['ERFCX_ERR'])},)")
    arr("EXP_TAB", [t["EXP_TAB"][i:i + 5] for i in range(0, 25, 5)], "(25,)")
    arr("EXP_COEF", [t["EXP_COEF"]], f"({EXP_DEG + 1},)")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="diff against the file on disk; exit 1 on any change")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        old = OUT.read_text() if OUT.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), str(OUT), "regenerated"))
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
