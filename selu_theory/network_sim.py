"""A real deep network in numpy, against the mean-field iteration of the layer map.

Floats only: this module describes, it never decides a statement (certificates do).

``simulate`` builds a fully connected network of ``depth`` layers of ``width`` units
(square weight matrices, fan_in = fan_out = width, no bias), draws each weight matrix
from an initialiser of ``selu_theory.initialisers`` (as the framework draws it: normal,
uniform, or normal re-drawn beyond two standard deviations), feeds a batch of i.i.d.
Gaussian inputs with the given mean and variance, applies activation -> dropout
(training mode: a fresh mask per sample and unit) per layer, and measures the empirical
mean and variance of all batch x width activations after each layer.  One seed fixes
everything (numpy's PCG64), so a run is reproducible.

``mean_field`` iterates the layer map on (mu, nu) from the same input statistics.  Two
conventions for the pre-activation z = sum_i w_i x_i of a unit:

* ``"paper"``: z ~ N(mu omega, nu tau), the theorems' map for one unit whose weights
  sum to omega; with the layer-mean omega = 0 of an initialiser, (m, v) = (0, nu tau).
* ``"ensemble"``: the statistics pooled over all units of a layer with i.i.d. zero-mean
  weights.  Each unit's weight sum omega_j = sum_i w_ij is itself random with variance
  tau, so z pooled over units has mean 0 and variance nu tau + mu^2 tau = xi tau:
  (m, v) = (0, xi tau), xi = nu + mu^2.  This is what ``simulate`` measures as the width
  grows (the classical wide-network limit); it equals the paper's map wherever mu = 0,
  in particular at the fixed point (0, 1) with tau = 1.

Both maps are ``dropout.layer_map``-style: the activation's moments(m, v) -> (mu~, xi~)
are given as a float function, so nothing here depends on one activation's kernels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selu_theory import dropout as dropout_mod
from selu_theory.initialisers import TRUNCATION, Initialiser

__all__ = ["SimResult", "simulate", "mean_field", "sample_weights", "gaps", "CONVENTIONS"]

CONVENTIONS = ("paper", "ensemble")
MAX_ENTRIES = 1 << 26        # width * max(width, batch): keeps one run below ~1 GB


@dataclass(frozen=True)
class SimResult:
    mean: np.ndarray      # (depth + 1,): index 0 the measured input, l after layer l
    var: np.ndarray       # (depth + 1,)
    width: int
    depth: int
    batch: int
    seed: int


def sample_weights(init: Initialiser, rng: np.random.Generator, shape, dtype=np.float64):
    """A weight matrix drawn as the framework draws it (truncated normal: re-draw every
    sample beyond TRUNCATION standard deviations, as Keras does)."""
    s = init.scale_float
    if init.distribution == "uniform":
        return rng.uniform(-s, s, size=shape).astype(dtype, copy=False)
    z = rng.standard_normal(size=shape)
    if init.distribution == "truncated_normal":
        bad = np.abs(z) > TRUNCATION
        while bad.any():
            z[bad] = rng.standard_normal(size=int(bad.sum()))
            bad = np.abs(z) > TRUNCATION
    return (z * s).astype(dtype, copy=False)


def _dropout_layer(d, alpha_prime, rng, x):
    """Training-mode dropout on the activations ``x`` in place of a fresh array."""
    if d.kind == "none" or d.rate == 0:
        return x
    q = float(d.keep)
    keep = rng.random(size=x.shape) < q
    if d.kind == "standard":
        return np.where(keep, x / q, 0.0).astype(x.dtype, copy=False)
    a, b = dropout_mod.alpha_affine(q, float(alpha_prime))
    return (a * np.where(keep, x, alpha_prime) + b).astype(x.dtype, copy=False)


def simulate(activation, init: Initialiser, depth: int, *, width: int | None = None,
             batch: int = 512, input_mean: float = 0.0, input_var: float = 1.0,
             dropout=None, alpha_prime=None, seed: int = 0,
             dtype=np.float64) -> SimResult:
    """Run the network (see the module docstring).  ``activation`` is a vectorised
    float function; ``width`` defaults to the initialiser's fan-in (the weights'
    scale is the initialiser's, computed for its own fan-in)."""
    width = init.fan_in if width is None else int(width)
    depth, batch = int(depth), int(batch)
    if width < 1 or depth < 0 or batch < 2:
        raise ValueError("width >= 1, depth >= 0 and batch >= 2 are needed")
    if width * max(width, batch) > MAX_ENTRIES:
        raise ValueError(f"width x max(width, batch) above {MAX_ENTRIES}: too large to simulate")
    if input_var < 0:
        raise ValueError("the input variance must be >= 0")
    d = dropout_mod.parse_dropout(dropout)
    if d.kind == "alpha" and alpha_prime is None:
        raise ValueError("alpha dropout needs the activation's negative saturation value")
    if alpha_prime is not None:
        alpha_prime = float(alpha_prime.mid()) if hasattr(alpha_prime, "mid") else float(alpha_prime)
    rng = np.random.Generator(np.random.PCG64(seed))
    x = rng.normal(input_mean, np.sqrt(input_var), size=(batch, width)).astype(dtype)
    mean, var = np.empty(depth + 1), np.empty(depth + 1)
    mean[0], var[0] = x.mean(), x.var()
    for layer in range(1, depth + 1):
        w = sample_weights(init, rng, (width, width), dtype)
        x = activation(x @ w)
        x = _dropout_layer(d, alpha_prime, rng, x)
        mean[layer], var[layer] = x.mean(), x.var()
    return SimResult(mean, var, width, depth, batch, seed)


def mean_field(moments, depth: int, mu0: float, nu0: float, *, omega: float = 0.0,
               tau: float = 1.0, dropout=None, alpha_prime=None,
               convention: str = "ensemble"):
    """(mu, nu) after 0..depth layers of the float layer map, as two arrays; see the
    module docstring for the two conventions (``omega`` is used by "paper" only)."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}; got {convention!r}")
    step = dropout_mod.layer_map(moments, dropout,
                                 None if alpha_prime is None else float(alpha_prime),
                                 field="float", convention=convention)
    mu, nu = np.empty(depth + 1), np.empty(depth + 1)
    mu[0], nu[0] = float(mu0), float(nu0)
    for layer in range(1, depth + 1):
        out = step(float(mu[layer - 1]), float(nu[layer - 1]), float(omega), float(tau))
        mu[layer], nu[layer] = float(out[0]), float(out[1])
    return mu, nu


def gaps(sim: SimResult, mu, nu):
    """Per-layer |mean - mu| and |var - nu| of a simulation against a trajectory."""
    return np.abs(sim.mean - np.asarray(mu)), np.abs(sim.var - np.asarray(nu))
