"""Dropout after the activation, as a map on the moments of one unit.

A layer is activation -> dropout -> (affine correction).  With x = f(z) the activation
output of one unit, its moments mu~ = E[x] and xi~ = E[x^2] (functions of the
pre-activation's (m, v) = (mu omega, nu tau), computed by the activation's kernels and
passed in here as numbers), the dropout acts on them alone: the mask is independent of
x, so the output's mean and second moment are affine in (mu~, xi~):

    mu_out = c_mu mu~ + k_mu
    xi_out = c_xi xi~ + c_mix mu~ + k_xi,        nu_out = xi_out - mu_out^2.

``rate`` is the drop probability (Keras ``rate``, PyTorch ``p``); q = 1 - rate keeps.

Standard (inverted) dropout, y = x B / q with B ~ Bernoulli(q) (Keras Dropout and PyTorch
nn.Dropout scale kept units by 1/(1 - rate) in training:
https://keras.io/api/layers/regularization_layers/dropout/ ,
https://docs.pytorch.org/docs/stable/generated/torch.nn.Dropout.html):
    E[y] = mu~,  E[y^2] = xi~ / q   (c_mu = 1, c_xi = 1/q, the rest 0).
The mean is kept but the second moment grows by 1/q, so (0, 1) is no longer a fixed point.

Alpha dropout (Klambauer et al. 2017, Section "New Dropout Technique"; Keras
AlphaDropout, PyTorch nn.AlphaDropout): a dropped unit is set to alpha' (for SELU
alpha' = -lambda alpha, the negative saturation value) instead of 0, d = B x +
(1 - B) alpha', then y = a d + b.  Moments of d:
    E[d] = q mu~ + (1 - q) alpha',   E[d^2] = q xi~ + (1 - q) alpha'^2,
    Var(d) = q xi~ - q^2 mu~^2 - 2 q (1 - q) alpha' mu~ + q (1 - q) alpha'^2.
At the fixed point (mu~, xi~) = (0, 1): E[d] = (1 - q) alpha', Var(d) = q + alpha'^2
q (1 - q), so the paper's
    a = (q + alpha'^2 q (1 - q))^(-1/2),   b = -a (1 - q) alpha'
give E[y] = a E[d] + b = 0 and Var(y) = a^2 Var(d) = 1 exactly, for every q in (0, 1]
and every alpha' (an identity in q and alpha'; tests/test_dropout.py checks it with
sympy and against an mpmath computation).  Keras writes the same a, b as
a = ((1 - rate)(1 + rate alpha'^2))^(-1/2), b = -a alpha' rate
(q + alpha'^2 q (1 - q) = (1 - rate)(1 + rate alpha'^2) and (1 - q) = rate).
With b chosen this way k_mu = 0, and
    mu_out = a q mu~,   nu_out = a^2 Var(d).

Every function is plain arithmetic on its arguments, so floats, Fractions (where no
square root is taken), mpmath numbers and Arb balls all work; a ball rate gives sound
(dependency-widened) enclosures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from selu_theory import ball
from selu_theory.numbers import NumberError, parse, text_of

__all__ = ["Dropout", "DropoutError", "MomentAffine", "parse_dropout", "alpha_affine",
           "alpha_prime_selu", "coefficients", "apply", "apply_jacobian",
           "alpha_dropout_moments", "alpha_dropout_moments_dq", "layer_map", "KINDS"]

KINDS = ("none", "alpha", "standard")


class DropoutError(ValueError):
    """A dropout specification that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Dropout:
    kind: str         # "none", "alpha" or "standard"
    rate: Fraction    # drop probability, 0 <= rate < 1

    @property
    def keep(self) -> Fraction:
        return 1 - self.rate

    @property
    def spec(self) -> str:
        return "none" if self.kind == "none" else f"{self.kind}:{text_of(self.rate)}"


def _brief(q) -> str:
    """A number for a one-line message: exact when short, else 4 significant digits."""
    t = text_of(q)
    return t if len(t) <= 24 else f"{float(q):.4g}"


def parse_dropout(text) -> Dropout:
    """``none``, ``alpha:RATE`` or ``standard:RATE`` with 0 <= RATE < 1 (the drop
    probability); DropoutError (one line) otherwise."""
    if isinstance(text, Dropout):
        return text
    if text is None:
        return Dropout("none", Fraction(0))
    if not isinstance(text, str):
        raise DropoutError(f"dropout must be text such as alpha:0.05; got {type(text).__name__}")
    t = text.strip().lower()
    if t in ("none", "no", "0", ""):
        return Dropout("none", Fraction(0))
    kind, sep, rate = t.partition(":")
    if kind not in ("alpha", "standard") or not sep:
        raise DropoutError(f"dropout {text.strip()[:40]!r}: write none, alpha:RATE or "
                           "standard:RATE (RATE the drop probability, 0 <= RATE < 1)")
    try:
        r = parse(rate, f"{kind} dropout rate")
    except NumberError as exc:
        raise DropoutError(str(exc)) from None
    if r < 0:
        raise DropoutError(f"{kind} dropout rate must be >= 0; got {_brief(r)}")
    if r >= 1:
        raise DropoutError(f"{kind} dropout rate must be below 1 (it is the drop "
                           f"probability); got {_brief(r)}")
    return Dropout(kind, r)


# --- generic arithmetic --------------------------------------------------------------

def _num(x, field="ball"):
    """Exact inputs (Fraction, int) as the field's numbers: Arb balls ("ball") or
    floats ("float"); floats, balls and mpmath numbers pass through unchanged."""
    if isinstance(x, (Fraction, int)) and not isinstance(x, bool):
        return float(x) if field == "float" else ball.exact(x)
    return x


def _field_of(*xs) -> str:
    """Floats among the inputs make a float computation; otherwise balls."""
    return "float" if any(isinstance(x, float) for x in xs) else "ball"


def _rsqrt(s):
    """s^(-1/2) for a float, an Arb ball (outward rounded) or an mpmath number."""
    if isinstance(s, arb):
        return 1 / ball.sqrt(s)
    if isinstance(s, float):
        return 1 / math.sqrt(s)
    return 1 / s.sqrt() if hasattr(s, "sqrt") else s ** -0.5


def alpha_prime_selu(alpha, lam):
    """SELU's negative saturation value, lim_{x -> -inf} selu(x) = -lambda alpha."""
    return -lam * alpha


def alpha_affine(q, alpha_prime):
    """The paper's (a, b) for keep probability q: a = (q + alpha'^2 q (1-q))^(-1/2),
    b = -a (1 - q) alpha'."""
    f = _field_of(q, alpha_prime)
    q, ap = _num(q, f), _num(alpha_prime, f)
    a = _rsqrt(q + ap * ap * q * (1 - q))
    return a, -a * (1 - q) * ap


@dataclass(frozen=True)
class MomentAffine:
    """mu_out = c_mu mu~ + k_mu;  xi_out = c_xi xi~ + c_mix mu~ + k_xi."""
    c_mu: object
    k_mu: object
    c_xi: object
    c_mix: object
    k_xi: object


def _infer_field(*xs) -> str:
    """"float" if any input is a float, "ball" if any is an Arb ball or none is a
    number at all, else "generic" (mpmath, sympy: exact constants stay Python ints)."""
    given = [x for x in xs if x is not None and not isinstance(x, (Fraction, int))]
    if any(isinstance(x, float) for x in given):
        return "float"
    if not given or any(isinstance(x, arb) for x in given):
        return "ball"
    return "generic"


def coefficients(dropout, alpha_prime=None, *, a=None, b=None, q=None,
                 field=None) -> MomentAffine:
    """The affine moment map of a dropout.  ``field``: "ball" (Arb balls at the
    current precision), "float", or None to follow the numbers given (mpmath or sympy
    numbers work too).  ``q`` overrides the keep probability (e.g. an Arb ball for a
    rate interval, or a symbol); ``a``, ``b`` override alpha dropout's correction
    (default: the paper's, from ``alpha_affine``)."""
    if field is None:
        field = _infer_field(q, alpha_prime, a, b)
    if field not in ("ball", "float", "generic"):
        raise ValueError(f"field must be 'ball', 'float' or 'generic'; got {field!r}")
    d = parse_dropout(dropout)
    if q is None:
        q = d.keep
        if field == "generic":       # the keep probability in the caller's number type
            ref = alpha_prime if alpha_prime is not None else (a if a is not None else b)
            if ref is None:
                raise DropoutError("give q as a number of the type wanted")
            q = (ref * 0 + q.numerator) / q.denominator
    q = _num(q, field)
    one, zero = (1, 0) if field == "generic" else (_num(1, field), _num(0, field))
    if d.kind == "none":
        return MomentAffine(one, zero, one, zero, zero)
    if d.kind == "standard":
        return MomentAffine(one, zero, one / q, zero, zero)
    if alpha_prime is None:
        raise DropoutError("alpha dropout needs the activation's negative saturation value")
    ap = _num(alpha_prime, field)
    a0, b0 = alpha_affine(q, ap)
    a = a0 if a is None else _num(a, field)
    b = b0 if b is None else _num(b, field)
    # y = a d + b, E[d] = q mu~ + (1-q) alpha', E[d^2] = q xi~ + (1-q) alpha'^2
    return MomentAffine(
        c_mu=a * q,
        k_mu=a * (1 - q) * ap + b,
        c_xi=a * a * q,
        c_mix=2 * a * b * q,
        k_xi=a * a * (1 - q) * ap * ap + 2 * a * b * (1 - q) * ap + b * b,
    )


def apply(c: MomentAffine, mu_t, xi_t):
    """(mu_out, xi_out, nu_out) from the activation's (mu~, xi~)."""
    mu = c.c_mu * mu_t + c.k_mu
    xi = c.c_xi * xi_t + c.c_mix * mu_t + c.k_xi
    return mu, xi, xi - mu * mu


def apply_jacobian(c: MomentAffine, mu_t, xi_t, dmu_t, dxi_t):
    """Partials of (mu_out, nu_out) from those of (mu~, xi~) along any number of
    variables (sequences of equal length): d mu_out = c_mu d mu~,
    d xi_out = c_xi d xi~ + c_mix d mu~, d nu_out = d xi_out - 2 mu_out d mu_out."""
    mu = c.c_mu * mu_t + c.k_mu
    dmu = [c.c_mu * g for g in dmu_t]
    dxi = [c.c_xi * h + c.c_mix * g for g, h in zip(dmu_t, dxi_t)]
    return dmu, [h - 2 * mu * g for g, h in zip(dmu, dxi)]


def alpha_dropout_moments(mu_t, xi_t, q, alpha_prime):
    """Alpha dropout with the paper's (a, b), in the closed form of the module
    docstring: (mu_out, nu_out) = (a q mu~, a^2 Var(d)).  Narrower than ``apply`` for a
    ball q (no cancellation between k_xi and mu_out^2)."""
    f = _field_of(q, alpha_prime)
    q, ap = _num(q, f), _num(alpha_prime, f)
    s = q + ap * ap * q * (1 - q)
    a = _rsqrt(s)
    var_d = q * xi_t - q * q * mu_t * mu_t - 2 * q * (1 - q) * ap * mu_t + q * (1 - q) * ap * ap
    return a * q * mu_t, var_d / s


def alpha_dropout_moments_dq(mu_t, xi_t, q, alpha_prime):
    """d/dq of ``alpha_dropout_moments`` at fixed (mu~, xi~), the rate's partial when the
    rate is a variable of a claim (d/d rate = -d/dq):
    s = q + alpha'^2 q (1-q), ds/dq = 1 + alpha'^2 (1 - 2q), a = s^(-1/2);
    d(a q mu~)/dq = mu~ (a - q a ds/dq / (2 s));
    W = Var(d), dW/dq = xi~ - 2q mu~^2 - 2(1 - 2q) alpha' mu~ + (1 - 2q) alpha'^2;
    d(W/s)/dq = (dW/dq s - W ds/dq) / s^2."""
    f = _field_of(q, alpha_prime)
    q, ap = _num(q, f), _num(alpha_prime, f)
    s = q + ap * ap * q * (1 - q)
    ds = 1 + ap * ap * (1 - 2 * q)
    a = _rsqrt(s)
    w = q * xi_t - q * q * mu_t * mu_t - 2 * q * (1 - q) * ap * mu_t + q * (1 - q) * ap * ap
    dw = xi_t - 2 * q * mu_t * mu_t - 2 * (1 - 2 * q) * ap * mu_t + (1 - 2 * q) * ap * ap
    return mu_t * (a - q * a * ds / (2 * s)), (dw * s - w * ds) / (s * s)


def layer_map(moments, dropout=None, alpha_prime=None, *, a=None, b=None, field="float",
              convention="paper"):
    """The layer map (mu, nu; omega, tau) -> (mu_out, nu_out) of activation -> dropout
    -> affine, given the activation's ``moments(m, v) -> (mu~, xi~)`` (any number type
    it accepts).  ``convention`` "paper": z ~ N(mu omega, nu tau), one unit whose
    weights sum to omega; "ensemble": statistics pooled over the units of a layer with
    i.i.d. zero-mean weights, whose sums omega_j ~ (0, tau) per unit, so z ~ N(0, (nu +
    mu^2) tau) and omega is not used (see network_sim; the two agree where mu = 0 and
    have the same Jacobian at mu = 0)."""
    if convention not in ("paper", "ensemble"):
        raise ValueError(f"convention must be 'paper' or 'ensemble'; got {convention!r}")
    c = coefficients(dropout, alpha_prime, a=a, b=b, field=field)

    def step(mu, nu, omega, tau):
        if convention == "paper":
            m, v = mu * omega, nu * tau
        else:
            m, v = mu * 0, (nu + mu * mu) * tau
        mu_t, xi_t = moments(m, v)
        out_mu, _, out_nu = apply(c, mu_t, xi_t)
        return out_mu, out_nu
    return step
