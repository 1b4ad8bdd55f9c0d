"""Float64 elementary functions for the generated numba kernels (glibc libm: no proven
error bound by itself; callers that need rigour must pad and certify)."""
from __future__ import annotations

import math

from numba import njit

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
    y = 1.0 / (x * x)
    return (1.0 - 0.5 * y + 0.75 * y * y - 1.875 * y * y * y) / (x * math.sqrt(math.pi))
