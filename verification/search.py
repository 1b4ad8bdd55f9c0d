"""Float search for the extremum of an expression: grid, then a bounded local optimiser.

Nothing here proves anything.  Its only job is a good candidate point, whose value the
engine then evaluates in Arb as the certified lower end of the max enclosure.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from verification.domain import Domain


# Float evaluation can fail where Arb does not (a Python float constant raised to a power
# overflows with an exception, not inf): such points are just not candidates.
FLOAT_FAILURES = (OverflowError, ZeroDivisionError, FloatingPointError, ValueError)


def _values(floats, sign: int, *coords):
    """sign * f on float arrays, -inf where it is not a finite float."""
    try:
        with np.errstate(all="ignore"):
            vals = sign * np.asarray(floats(*coords), dtype=float)
    except FLOAT_FAILURES:
        return np.full(np.broadcast(*coords).shape, -np.inf)
    return np.where(np.isfinite(vals), vals, -np.inf)


def _grid_axes(box, n):
    return [np.array([lo]) if lo == hi else np.linspace(lo, hi, n) for lo, hi in box]


def best_point(floats, sign: int, domain: Domain, per_axis: int = 9):
    """The point of the domain where sign*f looks largest (Fractions, inside the domain)."""
    box = [(float(lo), float(hi)) for lo, hi in domain.bounds]
    axes = _grid_axes(box, per_axis)
    mesh = np.meshgrid(*axes, indexing="ij")
    vals = _values(floats, sign, *[g.ravel() for g in mesh])
    order = np.argsort(-vals, kind="stable")[:4]
    starts = [np.array([g.ravel()[i] for g in mesh]) for i in order]
    free = [i for i, (lo, hi) in enumerate(box) if lo < hi]

    def neg(x_free, base):
        x = base.copy()
        x[free] = x_free
        v = _values(floats, sign, *[np.array([c]) for c in x])[0]
        return -v if np.isfinite(v) else np.inf

    # scipy (optional heavy dependency) is imported where the local search runs, so that
    # commands that never search (check, params, bad input) start without it.
    from scipy import optimize
    best_x, best_v = starts[0], vals[order[0]]
    for x0, v0 in zip(starts, vals[order]):
        if not free:
            break
        if not np.isfinite(v0):
            continue  # no float value to descend from
        # Where f has no finite float value the objective is inf, and scipy's finite
        # differences (inf - inf) warn about it: expected here (such points are simply not
        # candidates), so silenced for this call only, never globally.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            res = optimize.minimize(neg, x0[free], args=(x0,), method="L-BFGS-B",
                                    bounds=[box[i] for i in free],
                                    options={"maxiter": 400, "ftol": 1e-15, "gtol": 1e-13})
        if np.isfinite(res.fun) and -res.fun > best_v:
            best_v = -res.fun
            best_x = x0.copy()
            best_x[free] = res.x
    # Vertices: extrema of these maps sit on corners more often than not.
    for corner in itertools.product(*[(lo, hi) if lo < hi else (lo,) for lo, hi in box]):
        v = _values(floats, sign, *[np.array([c]) for c in corner])[0]
        if np.isfinite(v) and v > best_v:
            best_v, best_x = v, np.array(corner)
    return domain.clamp(best_x)
