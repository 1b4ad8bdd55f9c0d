"""The appendix's sub-functions of SELU (Lemmas 44-47), in the shared (m, v) vocabulary.

Lemmas 44-46 bound derivatives of the main subfunction
    F(x, y) = erfcx((x+y)/sqrt(2x)) - 2 erfcx((2x+y)/sqrt(2x))
(x = v = nu*tau, y = m = mu*omega) by replacing each erfcx(z) = e^{z^2} erfc(z) with the
approximation of Ren and MacKenzie (appendix Eq. 246, 262, 273):
    erfcx(z) ~ R(z) = 2.911 / (sqrt(pi) (2.911 - 1) z + sqrt(pi z^2 + 2.911^2)),
and bound the approximation error of the whole expression numerically.  Every such error
is a combination, with polynomial coefficients in x and y, of the two errors
    D1(x, y) = erfcx(u1) - R(u1),   u1 = (x+y)/sqrt(2x),
    D2(x, y) = erfcx(u2) - R(u2),   u2 = (2x+y)/sqrt(2x),
so only these two are base functions; verification/claims_subfunctions.py writes each
error term of the appendix from them in the expression language:
    Eq. (247)/(274)  E(x, y)   = ((x^2-y^2) D1 - 2 (4x^2-y^2) D2) / sqrt(2x)
    Eq. (263)        E_y(y)    = sqrt(15 pi) ((5y+6) D1 - 2 (5y+12) D2)           at x = 1.2
    Eq. (301)-(315)  E_tau     = 10000 sqrt(pi) ((2x+x^2-y^2) D1 - 2 (2x+4x^2-y^2) D2)
Lemma 47's f is E1 = exp((2y+x)/2) erfc((x+y)/sqrt(2x)) = exp(-y^2/(2x)) erfcx(...).

The constant 2.911 is kept as the exact rational 2911/1000.  In the kernels R(u) is
written in (m, v) directly, R(a/sqrt(2v)) = 2.911 sqrt(2v) / (sqrt(pi) 1.911 a +
sqrt(pi a^2 + 2 2.911^2 v)): the same function, but its generated derivatives are about
20% shorter than through u, which is what every box evaluation of the family pays for.
"""
from __future__ import annotations

import sympy as sp

from selu_theory.symbolic import erfcx, m, v

REN_MACKENZIE = sp.Rational("2.911")


def ren_mackenzie(x):
    """Ren and MacKenzie's approximation of e^{x^2} erfc(x) (appendix Eq. 246)."""
    c = REN_MACKENZIE
    return c / (sp.sqrt(sp.pi) * (c - 1) * x + sp.sqrt(sp.pi * x**2 + c**2))


def ren_mackenzie_mv(a):
    """ren_mackenzie(a / sqrt(2v)), multiplied out: sqrt(pi u^2 + c^2) = sqrt(pi a^2 + 2 c^2 v) / sqrt(2v)."""
    c = REN_MACKENZIE
    return c * sp.sqrt(2 * v) / (sp.sqrt(sp.pi) * (c - 1) * a + sp.sqrt(sp.pi * a**2 + 2 * c**2 * v))


A1 = m + v        # u1 = A1 / sqrt(2v) = (x+y)/sqrt(2x)
A2 = m + 2 * v    # u2 = A2 / sqrt(2v) = (2x+y)/sqrt(2x)

# The 'main subfunction' of Lemmas 44-46 with x = v, y = m.
F_SUB = erfcx(A1 / sp.sqrt(2 * v)) - 2 * erfcx(A2 / sp.sqrt(2 * v))
# Lemma 47's f(x, y) = exp((2y+x)/2) erfc((x+y)/sqrt(2x)) = exp(-y^2/(2x)) erfcx(...).
E1_SUB = sp.exp(-(m**2) / (2 * v)) * erfcx(A1 / sp.sqrt(2 * v))
# D1 = erfcx(u1) - R(u1): the error of the Ren-MacKenzie approximation (Eq. 246) at the
# first erfc argument of F (Eq. 242, 245, 272, 297).
D1 = erfcx(A1 / sp.sqrt(2 * v)) - ren_mackenzie_mv(A1)
# D2 = erfcx(u2) - R(u2): the same at the second argument.
D2 = erfcx(A2 / sp.sqrt(2 * v)) - ren_mackenzie_mv(A2)
