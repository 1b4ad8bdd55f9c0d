"""alpha01 and lambda01 from their closed forms, as Arb balls at any precision."""
from __future__ import annotations

import functools

from flint import arb

from selu_theory.ball import precision

# The values that deep-learning frameworks hard-code (31 significant digits).
ALPHA01_FRAMEWORKS = "1.6732632423543772848170429916717"
LAMBDA01_FRAMEWORKS = "1.0507009873554804934193349852946"


# Pure functions of ``bits`` (the precision is set inside), asked for on every box.
@functools.lru_cache(maxsize=64)
def alpha01(bits: int = 256) -> arb:
    """alpha01 = -sqrt(2/pi) / (erfc(1/sqrt 2) e^{1/2} - 1)."""
    with precision(bits + 20):
        r2 = arb(2).sqrt()
        e = arb(1).exp()
        val = -(2 / arb.pi()).sqrt() / ((1 / r2).erfc() * e.sqrt() - 1)
    return val


@functools.lru_cache(maxsize=64)
def lambda01(bits: int = 256) -> arb:
    """lambda01 = (1 - erfc(1/sqrt2) sqrt e) sqrt(2 pi / (2 + pi - 2 sqrt e (2 + pi) erfc(1/sqrt2)
    + e pi erfc(1/sqrt2)^2 + 2 e^2 erfc(sqrt2)))."""
    with precision(bits + 20):
        r2 = arb(2).sqrt()
        e = arb(1).exp()
        pi = arb.pi()
        c = (1 / r2).erfc()
        den = 2 + pi - 2 * e.sqrt() * (2 + pi) * c + e * pi * c * c + 2 * e * e * r2.erfc()
        val = (1 - c * e.sqrt()) * (2 * pi / den).sqrt()
    return val


ALPHA01_FLOAT = float(alpha01().mid())
LAMBDA01_FLOAT = float(lambda01().mid())

# Named constants a parameter may be given as (``--alpha alpha01``), each computed from its
# closed form at the precision asked.  An activation's generated kernels list which of
# these its parameters default to (``NAMED_CONSTANTS`` there).
NAMED = {"alpha01": alpha01, "lambda01": lambda01}
