"""Float64 elementary functions for the generated numpy kernels (search only: no error
bounds here; the rigorous paths use ``selu_theory.ball``)."""
from __future__ import annotations

import math

import numpy as np
from scipy import special

PI = math.pi

exp = np.exp
sqrt = np.sqrt
erfc = special.erfc
erfcx = special.erfcx
