"""Float64 elementary functions for the generated numba kernels (glibc libm: no proven
error bound by itself; callers that need rigour must pad and certify)."""
from __future__ import annotations

import math

from numba import njit

from selu_theory import numba_cache  # noqa: F401  (first: where the jit cache lives)

PI = math.pi

exp_nb = math.exp
sqrt_nb = math.sqrt
erfc_nb = math.erfc


@njit(cache=True, fastmath=False)
def erfcx_nb(x):
    # exp(x^2) erfc(x) is accurate enough for search up to x ~ 25; beyond, the
    # asymptotic series avoids inf * 0.
    if x < 25.0:
        return math.exp(x * x) * math.erfc(x)
    # sum_n (-1)^n (2n-1)!! / (2x^2)^n; at x >= 25 the terms after n = 6 are < 1e-17
    h = 1.0 / (2.0 * x * x)
    total, term = 1.0, 1.0
    for n in range(1, 7):
        term *= -(2 * n - 1) * h
        total += term
    return total / (x * math.sqrt(math.pi))
