"""Parameters for a prescribed fixed point of the moment map, proven in Arb.

``solve_parameters(activation, mu*, nu*, omega, tau)`` does it for any activation (see the
section "any activation" below: float search, one n-D Krawczyk test in parameter space,
S and stability; ``Unreachable`` when a target cannot be met).  What follows is SELU's
fast path, ``solve_alpha_lambda``, used for every activation declaring SELU's structure.

(alpha, lambda) for a prescribed fixed point of the SELU moment map:

Given targets (mu*, nu*) and weight moments (omega, tau), find alpha > 0, lambda > 0 with

    mu~(m*, v*; alpha, lambda) = mu*,    nu~(m*, v*; alpha, lambda) = nu*,
    m* = mu* omega,  v* = nu* tau,

so that (mu*, nu*) is a fixed point of (mu, nu) -> (mu~, nu~).  The paper's normalised
weights are omega = 0, tau = 1, for which (0, 1) gives alpha01, lambda01; the authors'
``getSELUparameters`` notebook uses omega = 1, tau = 1.

Structure used.  For fixed (m, v), mu~ = lam (a0 + a1 alpha) and
nu~ = lam^2 Q(alpha) with Q(alpha) = q0 + q1 alpha + q2 alpha^2, where, for z ~ N(m, v),
X = max(z, 0) and H = min(e^z - 1, 0):  a0 = E X, a1 = E H, q0 = Var X, q1 = 2 Cov(X, H),
q2 = Var H.  The coefficients are read off ``ball_kernels.moments_order0`` at alpha = 0, 1, 2 and
lam = 1 (exact in ball arithmetic), so F(alpha, lam) and its Jacobian are polynomials with
ball coefficients.

* Search (not rigorous): eliminating lam gives the quadratic
  nu* (a0 + a1 alpha)^2 = mu*^2 Q(alpha), whose real roots (with lam = +-sqrt(nu*/Q), the
  sign fixed by the mu-equation) are all real roots of the system.  They are computed in
  Arb midpoint arithmetic (double precision is too coarse when P(z < 0) is tiny), joined
  by float Newton runs from a few fixed starting points, and every candidate is polished
  by Newton in Arb midpoint arithmetic.
* Proof: the Krawczyk test K(X) inside the interior of X on a box X around the root proves
  that X holds exactly one root, and that it lies in K(X); iterating X <- K(X) n X shrinks
  the enclosure to about ``bits`` bits.
* Global uniqueness (``globally_unique``): with g(alpha) = (a0 + a1 alpha) / sqrt(Q(alpha)),
  the system with lam > 0 is g(alpha) = mu*/sqrt(nu*), lam = sqrt(nu*/Q(alpha)), and
  Q^(3/2) g'(alpha) = (a1 q0 - a0 q1/2) + alpha (a1 q1/2 - a0 q2).  Since a0 > 0 > a1 and
  q1 = 2 Cov(X, H) = -2 E X E H > 0, both brackets are negative; the balls certify it per
  target.  Then g is strictly decreasing on [0, oo) from g(0) = a0/sqrt(q0) to
  g(oo) = a1/sqrt(q2), so the root is the only one with alpha > 0, lam > 0, and targets with
  mu*/sqrt(nu*) outside (g(oo), g(0)) have none: that is what the error message reports.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb

from selu_theory import constants, krawczyk
from selu_theory.ball import exact, fraction_bounds, precision, sqr, sqrt_nonneg
from selu_theory.kernel_loader import load_kernels
from selu_theory.numbers import NumberError, parse, text_of
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params, activation_parameters

__all__ = ["FixedPointError", "FixedPointParams", "solve_alpha_lambda", "spectral_norm", "spectral_radius",
           "Unreachable", "FixedPointSolution", "solve_parameters"]

_GUARD_BITS = 64
_BOX_REL_EXPONENTS = (20, 40, 64, 96)  # uniqueness boxes tried: half-width 2^-k relative


class FixedPointError(ValueError):
    """The targets are invalid, or no verified positive (alpha, lambda) was found."""


@dataclass(frozen=True)
class FixedPointParams:
    """A proven (alpha, lambda) for the fixed point (mu_star, nu_star).

    ``alpha``, ``lam``: Arb balls holding the root, relative accuracy >= ``bits`` bits.
    ``box``: the box on which the Krawczyk test proved that exactly one root exists
    (relative half-width 2^-20 when the root is well conditioned); ``unique`` records that
    proof.  ``globally_unique``: certified that no other root has alpha > 0, lambda > 0.
    ``spectral_norm`` S and ``stable``: the paper's contraction criterion S < 1, where S
    is the largest singular value of the Jacobian J of (mu, nu) -> (mu~, nu~);
    ``spectral_radius``: max |eigenvalue| of J (local attraction iff < 1).
    """

    alpha: arb
    lam: arb
    alpha_float: float
    lam_float: float
    box: tuple  # ((alpha_lo, alpha_hi), (lam_lo, lam_hi)), exact arb endpoints
    unique: bool  # Krawczyk: exactly one root in ``box`` (and it lies in alpha, lam)
    mu_star: Fraction
    nu_star: Fraction
    omega: Fraction
    tau: Fraction
    convention: str
    spectral_norm: arb  # largest singular value of d(mu~, nu~)/d(mu, nu) at the fixed point
    stable: bool | None  # S < 1 certainly / S > 1 certainly / undecided
    globally_unique: bool = False  # the only root with alpha > 0, lam > 0 (see module doc)
    # max |eigenvalue| of the Jacobian: < 1 means locally attracting, > 1 repelling, even
    # where S > 1 (S < 1 is the paper's sufficient, norm-based contraction condition).
    spectral_radius: arb | None = None
    jacobian: tuple = field(default=(), repr=False)  # ((J11, J12), (J21, J22)) as balls
    bits: int = 256

    def box_str(self, digits: int = 20) -> tuple:
        return tuple(tuple(e.str(digits, radius=False) for e in pair) for pair in self.box)


# --------------------------------------------------------------------------- inputs

def _rational(x, what: str) -> Fraction:
    """The exact rational meant by a target (``numbers.parse``: huge exponents and digit
    counts are refused before any conversion)."""
    if isinstance(x, float) and not math.isfinite(x):
        raise FixedPointError(f"{what} must be finite; got {x!r}")
    try:
        return parse(x, what)
    except NumberError as exc:
        raise FixedPointError(str(exc)) from None


def _convention(omega: Fraction, tau: Fraction) -> str:
    base = f"m* = mu* * omega, v* = nu* * tau with omega = {omega}, tau = {tau}"
    if omega == 0 and tau == 1:
        return base + " (the paper's normalised weights; (0, 1) gives alpha01, lambda01)"
    if omega == 1 and tau == 1:
        return base + " (the getSELUparameters notebook convention)"
    return base


# --------------------------------------------------------------------------- polynomial form

def _accuracy(*balls) -> int:
    """The smallest relative accuracy in bits (very negative if a ball contains 0)."""
    return min(b.rel_accuracy_bits() for b in balls)


@dataclass(frozen=True)
class _Coeffs:
    a0: arb
    a1: arb
    q0: arb
    q1: arb
    q2: arb
    mu: arb
    nu: arb

    def F(self, alpha, lam):
        s = self.a0 + self.a1 * alpha
        Q = self.q0 + alpha * (self.q1 + self.q2 * alpha)
        return lam * s - self.mu, lam * lam * Q - self.nu

    def dF(self, alpha, lam):
        s = self.a0 + self.a1 * alpha
        Q = self.q0 + alpha * (self.q1 + self.q2 * alpha)
        return ((lam * self.a1, s),
                (sqr(lam) * (self.q1 + 2 * self.q2 * alpha), 2 * lam * Q))

    def floats(self):
        return tuple(float(getattr(self, k).mid()) for k in ("a0", "a1", "q0", "q1", "q2", "mu", "nu"))


def _coefficients(m: arb, v: arb, mu: arb, nu: arb, activation: str = DEFAULT_ACTIVATION) -> _Coeffs:
    ball_kernels = load_kernels(activation, "ball_kernels")  # the activation's own (SELU's by default)
    one = arb(1)
    mu0, xi0 = ball_kernels.moments_order0(m, v, arb(0), one)
    mu1, xi1 = ball_kernels.moments_order0(m, v, one, one)
    mu2, xi2 = ball_kernels.moments_order0(m, v, arb(2), one)
    a0, a1 = mu0, mu1 - mu0
    b2 = (xi2 - 2 * xi1 + xi0) / 2
    b1 = xi1 - xi0 - b2
    b0 = xi0
    # The declared structure, checked: the polynomials through alpha = 0, 1, 2 must agree
    # with the moments at alpha = 3 (a violated structure would make the roots wrong).
    mu3, xi3 = ball_kernels.moments_order0(m, v, arb(3), one)
    if not (mu3.overlaps(a0 + 3 * a1) and xi3.overlaps(b0 + 3 * b1 + 9 * b2)):
        raise FixedPointError("internal: the moments are not affine / quadratic in alpha as declared")
    return _Coeffs(a0, a1, b0 - a0 * a0, b1 - 2 * a0 * a1, b2 - a1 * a1, mu, nu)


# --------------------------------------------------------------------------- search (not rigorous)

def _float_F(c, x):
    a0, a1, q0, q1, q2, mu, nu = c
    al, la = x
    s = a0 + a1 * al
    Q = q0 + al * (q1 + q2 * al)
    return (la * s - mu, la * la * Q - nu), ((la * a1, s), (la * la * (q1 + 2 * q2 * al), 2 * la * Q))


def _float_newton(c, x, iters=60):
    scale = abs(c[5]) + abs(c[6])
    for _ in range(iters):
        (f1, f2), ((j11, j12), (j21, j22)) = _float_F(c, x)
        det = j11 * j22 - j12 * j21
        if not math.isfinite(det) or det == 0:
            return None
        d0 = (j22 * f1 - j12 * f2) / det
        d1 = (-j21 * f1 + j11 * f2) / det
        res = math.hypot(f1, f2)
        t = 1.0
        while t > 1e-4:  # backtracking on the residual
            y = (x[0] - t * d0, x[1] - t * d1)
            (g1, g2), _ = _float_F(c, y)
            if math.isfinite(g1) and math.isfinite(g2) and math.hypot(g1, g2) <= res * (1 - t / 4) + 1e-300:
                break
            t /= 2
        else:
            y = (x[0] - d0, x[1] - d1)
        if not all(map(math.isfinite, y)):
            return None
        step = max(abs(y[0] - x[0]) / (1 + abs(y[0])), abs(y[1] - x[1]) / (1 + abs(y[1])))
        x = y
        if step < 1e-14:
            (f1, f2), _ = _float_F(c, x)
            return x if math.hypot(f1, f2) <= 1e-9 * (1 + scale) else None
    return None


def _float_starts(c):
    """Float Newton from a few fixed starting points (a fallback to the closed form)."""
    found = []
    for x in [(constants.ALPHA01_FLOAT, constants.LAMBDA01_FLOAT), (1.0, 1.0), (2.0, 1.0), (0.5, 2.0), (4.0, 0.5)]:
        r = _float_newton(c, x)
        if r is not None:
            found.append(r)
    return found


def _quadratic_roots(c: "_Coeffs", wp: int):
    """All real roots of the system from the eliminated quadratic, in Arb midpoint
    arithmetic (the double-precision coefficients can be too coarse: for z mostly
    positive, a1 ~ P(z < 0) is far below the rounding error of a0)."""
    a0, a1, q0, q1, q2, mu, nu = (getattr(c, k).mid() for k in ("a0", "a1", "q0", "q1", "q2", "mu", "nu"))
    A = (nu * a1 * a1 - mu * mu * q2).mid()
    B = (2 * nu * a0 * a1 - mu * mu * q1).mid()
    C = (nu * a0 * a0 - mu * mu * q0).mid()
    roots = []
    if A != 0:
        disc = (B * B - 4 * A * C).mid()
        if disc < 0 and -disc <= (B * B) * arb(2) ** (32 - wp):  # a double root blurred by rounding
            disc = arb(0)
        if disc >= 0:
            sq = disc.sqrt().mid()
            qq = -(B + sq if B >= 0 else B - sq) / 2
            roots += [qq / A, C / qq] if qq != 0 else [-B / (2 * A)]
    elif B != 0:
        roots.append(-C / B)
    out = []
    for al in roots:
        al = al.mid()
        Q = (q0 + al * (q1 + q2 * al)).mid()
        if not (al.is_finite() and Q > 0):
            continue
        la = (nu / Q).sqrt().mid()
        s = a0 + a1 * al
        out.append((al, la if (s * mu >= 0) else -la))
    return out


def _search(c: "_Coeffs", wp: int):
    """Distinct approximate real roots (alpha, lam), as exact Arb midpoints to ~wp bits."""
    starts = _quadratic_roots(c, wp) + [(arb(a), arb(l)) for a, l in _float_starts(c.floats())]
    found = []
    tol = arb(2) ** (-(wp // 2))
    for x in starts:
        r = _polish(c, x, wp)
        if r is None:
            continue
        if not any(all(abs(r[i] - f[i]) <= tol * (1 + abs(f[i])) for i in (0, 1)) for f in found):
            found.append(r)
    return found


# --------------------------------------------------------------------------- proof (Arb)

def _polish(c: _Coeffs, x, wp: int):
    """Newton in Arb midpoint arithmetic (not rigorous): a root to about wp bits, or None."""
    al, la = x
    prev = math.inf
    for _ in range(80):
        f1, f2 = (f.mid() for f in c.F(al, la))
        (j11, j12), (j21, j22) = ((e.mid() for e in row) for row in c.dF(al, la))
        det = (j11 * j22 - j12 * j21).mid()
        if det == 0 or not det.is_finite():
            return None
        d0 = ((j22 * f1 - j12 * f2) / det).mid()
        d1 = ((-j21 * f1 + j11 * f2) / det).mid()
        al, la = (al - d0).mid(), (la - d1).mid()
        if not (al.is_finite() and la.is_finite()):
            return None
        step = max(0.0 if d0 == 0 else float(abs(d0) / (abs(al) + abs(d0))),
                   0.0 if d1 == 0 else float(abs(d1) / (abs(la) + abs(d1))))
        # converged to wp bits, or stalled at the rounding-noise floor of an ill-conditioned root
        if step <= 2.0 ** (16 - wp) or (step <= 2.0 ** (-wp / 3) and step >= prev / 2):
            return al, la
        prev = step
    return None


def _system(c: _Coeffs) -> krawczyk.System:
    """F(alpha, lam) = (mu~ - mu*, nu~ - nu*) and its Jacobian, as a Krawczyk system."""
    return krawczyk.System(lambda X: (c.F(*X), c.dF(*X)), 2)


def _box(center: arb, k: int, wp: int):
    """A ball about [center -+ 2^(e-k)], e the binary exponent of |center|, and its exact
    endpoints (Arb may round the radius up; the endpoints are those of the ball itself)."""
    man, ex = center.mid().man_exp()
    e = int(ex) + int(abs(man)).bit_length()  # 2^(e-1) <= |center| < 2^e; no float overflow
    X = arb(center, arb(2) ** (e - k))
    with precision(wp + 128):
        lo, hi = X.mid() - X.rad(), X.mid() + X.rad()
    if not (lo.is_exact() and hi.is_exact()):  # pragma: no cover
        raise FixedPointError("internal: could not build an exact Krawczyk box")
    return X, (lo, hi)


def _prove(c: _Coeffs, x, bits: int, wp: int):
    """Krawczyk-verify a box around x; return (enclosure, box endpoints) or None."""
    # Wide boxes first (a stronger uniqueness statement); ill-conditioned roots need
    # boxes of relative width ~ 1/condition number.
    for k in sorted(set(_BOX_REL_EXPONENTS + (wp // 4, wp // 2, 3 * wp // 4, wp - 48))):
        try:
            Xa, ba = _box(x[0], k, wp)
            Xl, bl = _box(x[1], k, wp)
        except (ValueError, OverflowError):  # pragma: no cover
            continue
        root = krawczyk.verify(_system(c), (Xa, Xl), bits=bits + 8)
        if root.unique:
            return root.enclosure, (ba, bl)
    return None


# --------------------------------------------------------------------------- stability

def _jacobian(m: arb, v: arb, alpha: arb, lam: arb, omega: arb, tau: arb, activation: str = DEFAULT_ACTIVATION):
    ball_kernels = load_kernels(activation, "ball_kernels")
    mu, mu_m, mu_v, xi, xi_m, xi_v = ball_kernels.moments_order0_1(m, v, alpha, lam)
    return ((omega * mu_m, tau * mu_v),
            (omega * (xi_m - 2 * mu * mu_m), tau * (xi_v - 2 * mu * mu_v)))


def spectral_norm(J) -> arb:
    """The largest singular value of the 2x2 ball matrix J, in closed form."""
    (j11, j12), (j21, j22) = J
    return (sqrt_nonneg(sqr(j11 + j22) + sqr(j21 - j12))
            + sqrt_nonneg(sqr(j11 - j22) + sqr(j21 + j12))) / 2


def spectral_radius(J) -> arb:
    """max |eigenvalue| of the 2x2 ball matrix J (the linear stability of the fixed point)."""
    (j11, j12), (j21, j22) = J
    tr, det = j11 + j22, j11 * j22 - j12 * j21
    disc = sqr(tr) - 4 * det
    real = (tr.abs_upper().union(tr.abs_lower()) + sqrt_nonneg(disc)) / 2  # disc >= 0
    cplx = sqrt_nonneg(det)  # disc <= 0: a complex pair of modulus sqrt(det)
    if disc > 0:
        return real
    if disc < 0:
        return cplx
    return real.union(cplx)


# --------------------------------------------------------------------------- public

class _NeedPrecision(Exception):
    def __init__(self, reason: str, wp: int):
        super().__init__(reason)
        self.reason, self.wp = reason, wp


SCALE_AFFINE_QUADRATIC = "mean lam*(affine in alpha), second moment lam^2*(quadratic in alpha)"


def _require_structure(activation: str):
    """The fast path below (all real roots from a quadratic; global uniqueness) holds only
    for moments lam*(affine in alpha) and lam^2*(quadratic in alpha): the activation must
    declare that structure (its spec's ``Structure``, carried by the generated kernels'
    metadata) with the parameters in the order (shape, scale).  ``_coefficients`` also
    checks it numerically."""
    try:
        ap = activation_parameters(activation)
    except ValueError as exc:
        raise FixedPointError(str(exc)) from None
    declared = ap.structure or {}
    if (declared.get("shape_affine"), declared.get("scale")) != ap.names or len(ap.names) != 2:
        raise FixedPointError(f"activation {activation!r} does not declare the structure this solver needs "
                              f"({SCALE_AFFINE_QUADRATIC})")


def solve_alpha_lambda(mu_star, nu_star, omega=0, tau=1, bits: int = 256,
                       max_bits: int | None = None, activation: str = DEFAULT_ACTIVATION) -> FixedPointParams:
    """The (alpha, lambda) making (mu_star, nu_star) a fixed point, with an Arb proof.

    Targets and weight moments are exact rationals: Fraction, int, decimal string ("-0.1"),
    or a finite float (read as its shortest decimal repr, so -0.1 means -1/10).  The
    returned enclosures have relative accuracy >= ``bits`` bits.  The working precision
    starts at bits + 64 and grows, up to ``max_bits`` (default 4 bits + 2048), when the
    target is ill-conditioned (z = N(m*, v*) almost never negative, so alpha hardly
    matters).  Raises FixedPointError for invalid input, when no root with alpha > 0,
    lambda > 0 exists or is found, or when the Krawczyk test cannot verify the root.
    """
    _require_structure(activation)
    mu_q, nu_q, om_q, tau_q = _targets(mu_star, nu_star, omega, tau, bits)
    cap = 4 * bits + 2048 if max_bits is None else max(int(max_bits), bits + _GUARD_BITS)
    where = f"(mu*, nu*) = ({mu_q}, {nu_q}), omega = {om_q}, tau = {tau_q}"

    wp = bits + _GUARD_BITS
    while True:
        try:
            return _solve_at(mu_q, nu_q, om_q, tau_q, bits, wp, where, activation)
        except _NeedPrecision as need:
            if wp >= cap:
                raise FixedPointError(f"{need.reason} for {where}, even at {wp} bits working precision "
                                      f"(max_bits = {cap}): the target is too ill-conditioned") from None
            wp = min(cap, max(need.wp, wp + 64))


def _solve_at(mu_q, nu_q, om_q, tau_q, bits: int, wp: int, where: str,
              activation: str = DEFAULT_ACTIVATION) -> FixedPointParams:
    m_q, v_q = mu_q * om_q, nu_q * tau_q
    with precision(wp):
        c = _coefficients(exact(m_q), exact(v_q), exact(mu_q), exact(nu_q), activation)
        acc = _accuracy(c.a0, c.a1, c.q0, c.q1, c.q2)
        if acc < bits + 16:
            # a1 ~ E min(e^z - 1, 0) is tiny when z is rarely negative: the differences of
            # order0 values that give it lose that many bits.
            raise _NeedPrecision("the alpha-dependence of the moments is not resolved",
                                 wp + bits + 48 - acc if acc > -wp else 2 * wp)

        # Certified shape of g(alpha) = (a0 + a1 alpha)/sqrt(Q) on [0, oo) (module doc).
        decreasing = bool((c.a1 * c.q0 - c.a0 * c.q1 / 2 < 0) and (c.a1 * c.q1 / 2 - c.a0 * c.q2 < 0)
                          and c.q0 > 0 and c.q2 > 0)
        r = exact(mu_q) / exact(nu_q).sqrt()
        g0, ginf = c.a0 / c.q0.sqrt(), c.a1 / c.q2.sqrt()

        roots = _search(c, wp)
        positive = [x for x in roots if x[0] > 0 and x[1] > 0]
        if not positive:
            rng = f"mu*/sqrt(nu*) = {float(r.mid()):.6g} vs attainable (g(oo), g(0)) = " \
                  f"({float(ginf.mid()):.6g}, {float(g0.mid()):.6g})"
            certified = decreasing and bool(r >= g0 or r <= ginf)
            note = " (certified: outside the attainable range)" if certified else ""
            if roots:
                shown = ", ".join(f"({float(a):.6g}, {float(l):.6g})" for a, l in roots)
                raise FixedPointError(f"no root with alpha > 0 and lambda > 0 for {where}: the search found "
                                      f"only (alpha, lambda) = {shown}; {rng}{note}")
            raise FixedPointError(f"no root found for {where}: Newton did not converge from any "
                                  f"starting point; {rng}{note}")
        # At most one positive root exists when ``decreasing``; otherwise take the smallest alpha.
        positive.sort(key=lambda x: float(x[0]))
        x = positive[0]
        proved = _prove(c, x, bits, wp)
        if proved is None:
            raise _NeedPrecision(f"Krawczyk test did not verify the root near (alpha, lambda) = "
                                 f"({x[0].str(17, radius=False)}, {x[1].str(17, radius=False)})", 2 * wp)
        (alpha, lam), box = proved
        acc = _accuracy(alpha, lam)
        if acc < bits:
            raise _NeedPrecision(f"the enclosure reached only {acc} of {bits} bits", wp + bits + 32 - acc)
        if not (alpha > 0):
            raise FixedPointError(f"alpha > 0 not certified for the verified root (alpha in {alpha.str(10)}) "
                                  f"for {where}")
        if not (lam > 0):
            raise FixedPointError(f"lambda > 0 not certified for the verified root (lambda in {lam.str(10)}) "
                                  f"for {where}")

        J = _jacobian(exact(m_q), exact(v_q), alpha, lam, exact(om_q), exact(tau_q), activation)
        S = spectral_norm(J)
        stable = True if S < 1 else (False if S > 1 else None)
        rho = spectral_radius(J)

    return FixedPointParams(
        alpha=alpha, lam=lam,
        alpha_float=float(alpha.mid()), lam_float=float(lam.mid()),
        box=box, unique=True,
        mu_star=mu_q, nu_star=nu_q, omega=om_q, tau=tau_q,
        convention=_convention(om_q, tau_q),
        spectral_norm=S, stable=stable,
        globally_unique=decreasing,
        spectral_radius=rho, jacobian=J, bits=bits,
    )


# =========================================================================== any activation
#
# ``solve_parameters`` works for any activation from its generated kernels:
#
# * two free parameters (after ``fixed``): a float search (scipy least squares on the
#   logarithms of the parameters, so they stay positive, from the activation's defaults
#   and a few multiples of them), Newton polishing in Arb midpoint arithmetic, then ONE
#   n-dimensional Krawczyk test (``krawczyk.verify``) on a small box of parameter space,
#   with the Jacobian d(mu~, nu~)/d(parameters) enclosed over the box by the generated
#   ``moments_params`` ball kernel.  "unique" means: exactly one solution in that box
#   (local uniqueness); ``globally_unique`` is certified only on SELU's fast path.
# * SELU (and any activation declaring SELU's structure: affine shape, then scale, e.g.
#   serlu) keeps its fast path ``solve_alpha_lambda``: identical numbers, plus global
#   uniqueness among alpha > 0, lambda > 0 where the balls certify its monotonicity
#   argument.  For SELU its answer is final; another activation falls back to the
#   generic path when the fast path fails (relu: b drops out of the variance).
# * no float solution, and a declared scale parameter s (mu~ = s h(p), nu~ = s^2 q(p)):
#   h / sqrt(q) is enclosed over the shape ranges EXCLUSION_RANGES; if it misses the target
#   ratio everywhere, ``Unreachable`` says so, certified (celu at (0, 1)).
# * one free parameter: two equations in one unknown are generally inconsistent; the mean
#   equation is solved (Krawczyk in 1-D; the only root when the mean is declared affine
#   in the parameter and checked so) and the variance there shown different from the
#   target: ``Unreachable``, with a reason that says what is certified.

class Unreachable(FixedPointError):
    """The activation cannot reach the target fixed point (the message, one line, says
    what is certified and what only searched)."""


@dataclass(frozen=True)
class FixedPointSolution:
    """Certified parameters making (mu_star, nu_star) a fixed point, for any activation.

    ``balls``: {parameter: arb} holding the solution.  ``params``: a ``Params`` of exact
    decimals inside those balls (SELU at (0, 1): alpha01, lambda01 themselves).  ``box``:
    {parameter: (lo, hi)} exact arb endpoints of the Krawczyk box in which the solution is
    the only one (``unique``); ``uniqueness`` says in words what is unique.  ``S``: the
    certified spectral norm of d(mu~, nu~)/d(mu, nu) at the fixed point, ``stable``:
    S < 1 (True), S > 1 (False), undecided (None); ``spectral_radius``: max |eigenvalue|."""

    activation: str
    params: object          # Params
    balls: dict
    box: dict
    unique: bool
    globally_unique: bool
    uniqueness: str
    S: arb
    stable: bool | None
    spectral_radius: arb
    jacobian: tuple
    mu_star: Fraction
    nu_star: Fraction
    omega: Fraction
    tau: Fraction
    convention: str
    fixed: dict = field(default_factory=dict)   # {parameter: spec} held fixed
    bits: int = 256
    selu: object = field(default=None, repr=False)  # the FixedPointParams of SELU's fast path

    @property
    def spectral_norm(self) -> arb:
        return self.S

    @property
    def names(self) -> tuple:
        return tuple(self.balls)

    @property
    def floats(self) -> dict:
        return {k: float(b.mid()) for k, b in self.balls.items()}

    def box_str(self, digits: int = 20) -> dict:
        return {k: tuple(e.str(digits, radius=False) for e in pair) for k, pair in self.box.items()}


def _kernel(activation: str, kind: str, name: str):
    module = load_kernels(activation, kind)
    f = getattr(module, name, None)
    if f is None:
        raise FixedPointError(f"the {kind} of {activation!r} have no {name} (regenerate them: "
                              f"python -m tools.generate_kernels)")
    return f, module.NAMES.get(name)


def _decimal_inside(x: arb) -> str:
    """The shortest decimal in the ball x (an exact value inside the certified enclosure)."""
    lo, hi = fraction_bounds(x)
    for digits in range(1, 400):
        q = Fraction(round(((lo + hi) / 2) * 10 ** digits), 10 ** digits)
        if lo <= q <= hi:
            return text_of(q)
    return text_of((lo + hi) / 2)  # pragma: no cover (a ball narrower than 10^-400)


def _convention_any(omega: Fraction, tau: Fraction) -> str:
    base = f"m* = mu* * omega, v* = nu* * tau with omega = {omega}, tau = {tau}"
    if omega == 0 and tau == 1:
        return base + " (the paper's normalised weights)"
    return base


def _targets(mu_star, nu_star, omega, tau, bits):
    mu_q, nu_q = _rational(mu_star, "mu_star"), _rational(nu_star, "nu_star")
    om_q, tau_q = _rational(omega, "omega"), _rational(tau, "tau")
    if nu_q <= 0:
        raise FixedPointError(f"nu_star must be > 0 (a variance); got {nu_q}")
    if tau_q <= 0:
        raise FixedPointError(f"tau must be > 0 (the summed squared weights); got {tau_q}")
    if not isinstance(bits, int) or bits < 53:
        raise FixedPointError(f"bits must be an int >= 53; got {bits!r}")
    return mu_q, nu_q, om_q, tau_q


class _Problem:
    """F(p) = (mu~ - mu*, nu~ - nu*) at (m*, v*) as a function of the free parameters,
    the others fixed; floats for the search, balls (values and Jacobian) for the proof."""

    def __init__(self, activation, free, fixed_balls, fixed_floats, m, v, mu, nu):
        ap = activation_parameters(activation)
        self.activation, self.names, self.free = activation, ap.names, tuple(free)
        self.fixed_balls, self.fixed_floats = fixed_balls, fixed_floats
        self.m, self.v, self.mu, self.nu = m, v, mu, nu
        self.ball_f, names = _kernel(activation, "ball_kernels", "moments_params")
        self.float_values, _ = _kernel(activation, "float_kernels", "moments_order0")
        self.float_params, _ = _kernel(activation, "float_kernels", "moments_params")
        # (mu, xi, mu:p1, xi:p1, ...): the parameters' positions in the output
        self.index = {n: names.index(f"mu:{n}") for n in self.free}

    def _full(self, p, fixed):
        it = iter(p)
        return [next(it) if n in self.free else fixed[n] for n in self.names]

    def float_F(self, p):
        mt, xt = self.float_values(float(self.m), float(self.v), *self._full(p, self.fixed_floats))
        return (mt - float(self.mu), xt - mt * mt - float(self.nu))

    def float_J(self, p):
        """d F / d(free parameters) in floats (rows: mean, variance)."""
        out = self.float_params(float(self.m), float(self.v), *self._full(p, self.fixed_floats))
        mt = out[0]
        rows = [[], []]
        for n in self.free:
            i = self.index[n]
            rows[0].append(out[i])
            rows[1].append(out[i + 1] - 2 * mt * out[i])
        return rows

    def evaluate(self, X):
        out = self.ball_f(self.m, self.v, *self._full(X, self.fixed_balls))
        mt, xt = out[0], out[1]
        rows_mu, rows_nu = [], []
        for n in self.free:
            i = self.index[n]
            dmu, dxi = out[i], out[i + 1]
            rows_mu.append(dmu)
            rows_nu.append(dxi - 2 * mt * dmu)
        F = (mt - self.mu, xt - mt * mt - self.nu)
        return F[:len(self.free)], (tuple(rows_mu), tuple(rows_nu))[:len(self.free)]

    def system(self):
        return krawczyk.System(self.evaluate, len(self.free))


# The float search keeps the parameters in this range (log-bounded least squares); the
# certified exclusion below covers [0.01, 100], then [0.01, 10000] if it can.
SEARCH_RANGE = (1e-3, 1e4)
EXCLUSION_RANGES = ((Fraction(1, 100), Fraction(100)), (Fraction(1, 100), Fraction(10000)))


def _scale_exclusion(prob: _Problem, scale: str, shape: str, max_boxes: int = 3000):
    """For an activation whose moments scale with ``scale`` (mu~ = s h(p), nu~ = s^2 q(p)),
    the target needs g(p) = h / sqrt(q) = mu* / sqrt(nu*) (and then s = sqrt(nu*/q)); for
    mu* = 0 that is h(p) = 0.  A certified statement that it fails for every shape p in
    the largest of EXCLUSION_RANGES done within ``max_boxes`` ball evaluations each, or
    None when not even the first is."""
    # the declared scale structure, checked (as the fast path checks its own) at one point:
    # mu~ linear, xi~ quadratic in the scale
    f, _ = _kernel(prob.activation, "ball_kernels", "moments_order0")
    base = [arb(1) if n == shape else prob.fixed_balls.get(n, arb(1)) for n in prob.names]
    (m1, x1), (m2, x2) = (f(prob.m, prob.v, *[arb(s) if n == scale else b for n, b in zip(prob.names, base)])
                          for s in (1, 2))
    if not (m2.overlaps(2 * m1) and x2.overlaps(4 * x1)):
        return None
    best = None
    for lo, hi in EXCLUSION_RANGES:
        got = _exclude_on(prob, scale, shape, lo, hi, max_boxes)
        if got is None:
            break
        best = (lo, hi) + got
    if best is None:
        return None
    lo, hi, side, boxes = best
    r = prob.mu / prob.nu.sqrt()
    what = "mu~" if prob.mu == 0 else "mu~/sqrt(nu~)"
    target = "0" if prob.mu == 0 else f"mu*/sqrt(nu*) = {r.str(8)}"
    rel = " or ".join("above" if s == ">" else "below" for s in sorted(side))
    # Rigorous (Arb balls) but not a certificate the checker replays: said so, not "certified".
    return (f"by Arb ball arithmetic (no replayed certificate): {what} stays {rel} {target} (for every {scale}) for every {shape} in "
            f"[{text_of(lo)}, {text_of(hi)}] ({boxes} ball evaluations)")


def _exclude_on(prob: _Problem, scale: str, shape: str, lo: Fraction, hi: Fraction, max_boxes: int):
    """({">"} or {"<"} or both, boxes): g(p) (h(p) when mu* = 0) is certified above / below
    the target on every piece of [lo, hi] (log-spaced, then bisected); enclosures of h and
    q over a piece P are mean-value forms about its centre with the ``moments_params``
    kernel (q' = xi' - 2 h h'), intersected with the plain ones.  None past max_boxes."""
    f, names = _kernel(prob.activation, "ball_kernels", "moments_params")
    k = names.index(f"mu:{shape}")
    r = prob.mu / prob.nu.sqrt()
    one = arb(1)
    n0 = 32
    cuts = [exact(lo)] + [exact(Fraction(round(float(lo) * (float(hi / lo)) ** (i / n0) * 10 ** 6), 10 ** 6))
                          for i in range(1, n0)] + [exact(hi)]

    def at(P):
        return f(prob.m, prob.v, *[P if n == shape else (one if n == scale else prob.fixed_balls[n])
                                   for n in prob.names])

    def meet(a, b):
        return a.intersection(b) if a.overlaps(b) else a

    stack = list(zip(cuts, cuts[1:]))
    side, boxes = set(), 0
    while stack:
        a, b = stack.pop()
        boxes += 1
        if boxes > max_boxes:
            return None
        P = a.union(b)
        c = P.mid()
        oc, oP = at(c), at(P)
        h = meet(oc[0] + oP[k] * (P - c), oP[0])
        sign = None
        if prob.mu == 0:
            sign = ">" if h > 0 else ("<" if h < 0 else None)
        else:
            xi = meet(oc[1] + oP[k + 1] * (P - c), oP[1])
            q = meet(oc[1] - oc[0] * oc[0] + (oP[k + 1] - 2 * h * oP[k]) * (P - c), xi - h * h)
            if q > 0:
                g = h / q.sqrt()
                sign = ">" if g > r else ("<" if g < r else None)
        if sign is not None:
            side.add(sign)
            continue
        m = ((a + b) / 2).mid()
        stack += [(a, m), (m, b)]
    return side, boxes


def _float_candidates(prob: _Problem, starts):
    """Float least-squares solutions with positive parameters (search only)."""
    import numpy as np
    from scipy.optimize import least_squares

    n = len(prob.free)

    def fun(q):
        with np.errstate(all="ignore"):
            r = prob.float_F(np.exp(q))
        r = np.asarray(r[:n], dtype=float)
        return np.where(np.isfinite(r), r, 1e6)

    def jac(q):  # d F / d log p = (d F / d p) p
        p = np.exp(q)
        with np.errstate(all="ignore"):
            J = np.asarray(prob.float_J(p)[:n], dtype=float) * p[None, :]
        return np.where(np.isfinite(J), J, 0.0)

    found = []
    lo, hi = math.log(SEARCH_RANGE[0]), math.log(SEARCH_RANGE[1])
    for s in starts:
        x0 = np.clip(np.log(np.asarray(s, dtype=float)), lo + 1e-9, hi - 1e-9)
        try:
            sol = least_squares(fun, x0, jac=jac, bounds=(lo, hi), xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                max_nfev=100)
        except (ValueError, FloatingPointError):  # pragma: no cover
            continue
        p = np.exp(sol.x)
        if np.all(np.isfinite(p)) and np.max(np.abs(sol.fun)) < 1e-9 * (1 + abs(float(prob.nu))):
            if not any(np.allclose(p, f, rtol=1e-7) for f in found):
                found.append(p)
                if len(found) >= 2:
                    break
    return found


def _polish_any(prob: _Problem, x, wp: int):
    """Newton in Arb midpoint arithmetic (not rigorous): a root to about wp bits, or None."""
    x = [arb(float(e)) if not isinstance(e, arb) else e for e in x]
    n = len(x)
    for _ in range(80):
        F, J = prob.evaluate(tuple(x))
        F = [f.mid() for f in F]
        Y = krawczyk.inverse_mid(J)
        if Y is None:
            return None
        d = [sum((Y[i][k] * F[k] for k in range(1, n)), Y[i][0] * F[0]).mid() for i in range(n)]
        x = [(xi - di).mid() for xi, di in zip(x, d)]
        if not all(e.is_finite() for e in x):
            return None
        step = max(0.0 if di == 0 else float(abs(di) / (abs(xi) + abs(di))) for xi, di in zip(x, d))
        if step <= 2.0 ** (16 - wp):
            return tuple(x)
    return tuple(x)


def _prove_any(prob: _Problem, x, bits: int, wp: int):
    for k in sorted(set(_BOX_REL_EXPONENTS + (wp // 4, wp // 2, 3 * wp // 4, wp - 48))):
        try:
            boxes = [_box(c, k, wp) for c in x]
        except (ValueError, OverflowError):  # pragma: no cover
            continue
        root = krawczyk.verify(prob.system(), tuple(b[0] for b in boxes), bits=bits + 8)
        if root.unique:
            return root.enclosure, tuple(b[1] for b in boxes)
    return None


def _stability(activation, m, v, full_balls, omega, tau):
    f, names = _kernel(activation, "ball_kernels", "moments_order0_1")
    d = dict(zip(names, f(m, v, *full_balls)))
    mt = d["mu"]
    J = ((omega * d["mu_m"], tau * d["mu_v"]),
         (omega * (d["xi_m"] - 2 * mt * d["mu_m"]), tau * (d["xi_v"] - 2 * mt * d["mu_v"])))
    S = spectral_norm(J)
    return J, S, (True if S < 1 else (False if S > 1 else None)), spectral_radius(J)


def _free_and_fixed(activation: str, fixed):
    try:
        ap = activation_parameters(activation)
    except ValueError as exc:
        raise FixedPointError(str(exc)) from None
    fixed = dict(fixed or {})
    for k in fixed:
        if k not in ap.names:
            raise FixedPointError(f"{activation} has no parameter {k!r}; its parameters: {', '.join(ap.names)}")
    free = tuple(n for n in ap.names if n not in fixed)
    return ap, free, fixed


def _selu_path(activation, free, fixed):
    """SELU's structure (scale lam, affine shape alpha, in that order, both free)."""
    try:
        _require_structure(activation)
    except FixedPointError:
        return False
    return not fixed and len(free) == 2


def solve_parameters(activation: str, mu_star, nu_star, omega=0, tau=1, bits: int = 256, *,
                     fixed=None, max_bits: int | None = None, method: str = "auto") -> FixedPointSolution:
    """Parameters of ``activation`` making (mu_star, nu_star) a fixed point of the moment
    map under weights (omega, tau), with a Krawczyk proof in Arb (see the section comment).

    ``fixed``: {parameter: spec} held fixed (the rest are solved for; two must remain).
    ``method``: "auto" (SELU's fast path where its structure is declared), or "krawczyk"
    (the generic path for every activation; tests compare the two on SELU).
    Raises Unreachable when one free parameter cannot meet both equations, FixedPointError
    for invalid input or when no certified solution is found."""
    ap, free, fixed = _free_and_fixed(activation, fixed)
    mu_q, nu_q, om_q, tau_q = _targets(mu_star, nu_star, omega, tau, bits)
    if method not in ("auto", "krawczyk"):
        raise FixedPointError(f"method must be 'auto' or 'krawczyk'; got {method!r}")
    if method == "auto" and _selu_path(activation, free, fixed):
        # SELU's fast path, for any activation declaring its structure; SELU's answers
        # (including its certified "no solution") are final, another activation falls
        # back to the generic path (e.g. relu: the shape b drops out of the variance).
        try:
            cap = max_bits if activation == DEFAULT_ACTIVATION else (max_bits or bits + 2 * _GUARD_BITS)
            fp = solve_alpha_lambda(mu_q, nu_q, om_q, tau_q, bits=bits, max_bits=cap, activation=activation)
            return _from_selu(activation, fp)
        except FixedPointError:
            if activation == DEFAULT_ACTIVATION:
                raise
    where = f"(mu*, nu*) = ({text_of(mu_q)}, {text_of(nu_q)}), omega = {text_of(om_q)}, tau = {text_of(tau_q)}"
    if len(free) == 0:
        raise FixedPointError(f"{activation}: no free parameter to solve for")
    if len(free) > 2:
        raise FixedPointError(f"{activation} has {len(free)} free parameters ({', '.join(free)}) for two "
                              f"equations: fix all but two (fixed=...)")
    cap = 4 * bits + 2048 if max_bits is None else max(int(max_bits), bits + _GUARD_BITS)
    wp = bits + _GUARD_BITS
    while True:
        try:
            if len(free) == 1:
                _one_parameter(activation, ap, free[0], fixed, mu_q, nu_q, om_q, tau_q, bits, wp, where)
            return _solve_any_at(activation, ap, free, fixed, mu_q, nu_q, om_q, tau_q, bits, wp, where)
        except _NeedPrecision as need:
            if wp >= cap:
                raise FixedPointError(f"{need.reason} for {where}, even at {wp} bits working precision") from None
            wp = min(cap, max(need.wp, 2 * wp))


def _problem(activation, ap, free, fixed, m_q, v_q, mu_q, nu_q, wp):
    from_params = _params_of(activation, fixed)
    balls = from_params.ball_env(wp)
    floats = dict(zip(from_params.names, from_params.floats()))
    return _Problem(activation, free, balls, floats, exact(m_q), exact(v_q), exact(mu_q), exact(nu_q)), from_params


def _starts(defaults: dict, free):
    """The defaults, then a few multiples of them (each start costs a least-squares run)."""
    base = [max(defaults[n], 1e-3) for n in free]
    out = [base]
    for f in (0.5, 2.0, 4.0, 0.25):
        out.append([b * f for b in base])
    out += [[base[0] * 3] + base[1:], base[:1] + [b * 3 for b in base[1:]]]
    return out


def _solve_any_at(activation, ap, free, fixed, mu_q, nu_q, om_q, tau_q, bits, wp, where):
    m_q, v_q = mu_q * om_q, nu_q * tau_q
    with precision(wp):
        prob, defaults_params = _problem(activation, ap, free, fixed, m_q, v_q, mu_q, nu_q, wp)
        defaults = dict(zip(defaults_params.names, defaults_params.floats()))
        cands = _float_candidates(prob, _starts(defaults, free))
        scale = (ap.structure or {}).get("scale")
        if not cands and scale in free and len(free) == 2:
            shape = next(n for n in free if n != scale)
            why = _scale_exclusion(prob, scale, shape)
            if why is not None:
                raise Unreachable(f"{activation} cannot reach {where}: {why}; outside that range only the float "
                                  f"search looked")
        if not cands:
            raise FixedPointError(f"no parameters found for {where}: the float search (least squares from "
                                  f"{len(_starts(defaults, free))} starts, positive {', '.join(free)}) did not "
                                  f"converge (not a proof that none exist)")
        cands.sort(key=lambda p: float(sum(abs(math.log(p[i] / defaults[n])) for i, n in enumerate(free))))
        x = _polish_any(prob, [arb(float(e)) for e in cands[0]], wp)
        if x is None:
            raise _NeedPrecision("Newton polishing failed", 2 * wp)
        proved = _prove_any(prob, x, bits, wp)
        if proved is None:
            raise _NeedPrecision(f"Krawczyk test did not verify the solution near "
                                 f"({', '.join(f'{n} = {float(e.mid()):.17g}' for n, e in zip(free, x))})", 2 * wp)
        enclosure, box = proved
        acc = _accuracy(*enclosure)
        if acc < bits:
            raise _NeedPrecision(f"the enclosure reached only {acc} of {bits} bits", wp + bits + 32 - acc)
        for n, e in zip(free, enclosure):
            if not e > 0:
                raise FixedPointError(f"{n} > 0 not certified for the verified solution ({n} in {e.str(10)}) "
                                      f"for {where}")
        sol = dict(zip(free, enclosure))
        full = [sol[n] if n in sol else prob.fixed_balls[n] for n in ap.names]
        J, S, stable, rho = _stability(activation, exact(m_q), exact(v_q), full, exact(om_q), exact(tau_q))
        balls = {n: (sol[n] if n in sol else prob.fixed_balls[n]) for n in ap.names}
        values = {n: (_decimal_inside(sol[n]) if n in sol else fixed[n]) for n in ap.names}
    params = _params_of(activation, values)
    boxes = dict(zip(free, box))
    uniq = (f"exactly one solution ({', '.join(free)}) in the Krawczyk box "
            + " x ".join(f"[{lo.str(12, radius=False)}, {hi.str(12, radius=False)}]" for lo, hi in box)
            + " (local uniqueness; other solutions elsewhere are not excluded)")
    return FixedPointSolution(activation, params, balls, boxes, True, False, uniq, S, stable, rho, J,
                              mu_q, nu_q, om_q, tau_q, _convention_any(om_q, tau_q),
                              {k: fixed[k] for k in fixed}, bits)


def _one_parameter(activation, ap, name, fixed, mu_q, nu_q, om_q, tau_q, bits, wp, where):
    """Raise Unreachable for a one-free-parameter activation: the mean equation alone fixes
    the parameter (certified by Krawczyk in 1-D when found), and the variance there is
    compared with the target."""
    m_q, v_q = mu_q * om_q, nu_q * tau_q
    with precision(wp):
        prob, defaults_params = _problem(activation, ap, (name,), fixed, m_q, v_q, mu_q, nu_q, wp)
        d0 = dict(zip(defaults_params.names, defaults_params.floats()))[name]
        cands = _float_candidates(prob, [[d0 * f] for f in (1.0, 0.5, 2.0, 4.0, 0.25, 8.0)])
        if not cands:
            raise Unreachable(f"{activation} has one parameter ({name}) for two equations: no {name} > 0 "
                              f"with mu~ = mu* was found for {where} (search only, not certified)")
        x = _polish_any(prob, [arb(float(cands[0][0]))], wp)
        proved = None if x is None else _prove_any(prob, x, min(bits, 64), wp)
        if proved is None:
            raise Unreachable(f"{activation} has one parameter ({name}) for two equations: mu~ = mu* near "
                              f"{name} = {float(cands[0][0]):.10g} (search), where nu~ - nu* = "
                              f"{prob.float_F([cands[0][0]])[1]:.3g} (float; not certified)")
        (p,), ((lo, hi),) = proved
        full = [p if n == name else prob.fixed_balls[n] for n in ap.names]
        f, _ = _kernel(activation, "ball_kernels", "moments_order0")
        mt, xt = f(prob.m, prob.v, *full)
        nut = xt - mt * mt
        affine = (ap.structure or {}).get("shape_affine") == name and len(ap.names) == 1 and \
            _affine_checked(f, prob.m, prob.v)
        scope = ("the only root (mu~ is affine in it)" if affine else
                 f"the only root in [{lo.str(8, radius=False)}, {hi.str(8, radius=False)}]")
        if nut.overlaps(prob.nu):
            # the target lies (to the enclosure's accuracy) on the curve the one parameter
            # traces: equality cannot be decided in balls, so neither answer is certified
            raise FixedPointError(f"{activation} has one parameter ({name}) for two equations: mu~ = mu* forces "
                                  f"{name} = {p.str(12)} ({scope}), where nu~ = {nut.str(12)} is not certified "
                                  f"different from nu* = {text_of(nu_q)} (undecided)")
        raise Unreachable(f"by Arb ball arithmetic (no replayed certificate): mu~ = {text_of(mu_q)} at {where} forces {name} = {p.str(12)} ({scope}); "
                          f"there nu~ = {nut.str(12)} != {text_of(nu_q)}")


def _affine_checked(f, m, v) -> bool:
    """The declared structure, checked as the fast path checks it: mu~ at p = 0, 1, 2, 3
    on one line (a single-parameter activation's mean affine in its parameter)."""
    mus = [f(m, v, arb(k))[0] for k in range(4)]
    a0, a1 = mus[0], mus[1] - mus[0]
    return all(mus[k].overlaps(a0 + k * a1) for k in (2, 3))


def _params_of(activation: str, values: dict) -> Params:
    try:
        return Params(activation=activation, **values)
    except ParamError as exc:
        raise FixedPointError(str(exc)) from None


def _from_selu(activation: str, fp: FixedPointParams) -> FixedPointSolution:
    ap = activation_parameters(activation)
    a_name, l_name = ap.names
    balls = {a_name: fp.alpha, l_name: fp.lam}
    if activation == DEFAULT_ACTIVATION and fp.mu_star == 0 and fp.nu_star == 1 and fp.tau == 1 \
            and fp.alpha.overlaps(constants.alpha01(fp.bits + 20)) and fp.lam.overlaps(constants.lambda01(fp.bits + 20)):
        params = _params_of(activation, {})  # exactly alpha01, lambda01 (m* = 0, v* = 1)
    else:
        params = _params_of(activation, {a_name: _decimal_inside(fp.alpha), l_name: _decimal_inside(fp.lam)})
    box = {a_name: fp.box[0], l_name: fp.box[1]}
    uniq = ("exactly one solution in the Krawczyk box; " + (
        "globally unique: certified that no other solution has alpha > 0, lambda > 0" if fp.globally_unique
        else "global uniqueness not certified"))
    convention = fp.convention if activation == DEFAULT_ACTIVATION else _convention_any(fp.omega, fp.tau)
    return FixedPointSolution(activation, params, balls, box, fp.unique, fp.globally_unique, uniq,
                              fp.spectral_norm, fp.stable, fp.spectral_radius, fp.jacobian,
                              fp.mu_star, fp.nu_star, fp.omega, fp.tau, convention, {}, fp.bits, fp)
