"""An independent high-precision oracle for the SELU moment map (test support only).

Nothing here imports ``selu_theory`` or ``verification``: the oracle is the truth the
property tests hold the package to, so it shares no code, closed form or constant with it.

Definitions (the paper's, from the Gaussian integrals):

    selu(x) = lam*x (x > 0),  lam*alpha*(exp(x) - 1) (x <= 0)
    z ~ N(m, v) with m = mu*omega, v = nu*tau;  write z = m + s*u, s = sqrt(v), u ~ N(0, 1)
    mu~ = E[selu(z)],  xi~ = E[selu(z)^2],  nu~ = xi~ - mu~^2

Each expectation is an ``mpmath.quad`` (Gauss-Legendre) over u in [-CUT, CUT], split at
u0 = -m/s where selu has its kink, so each piece is analytic; the Gaussian tails beyond
|u| = CUT = 16 are bounded in closed form (``tail_bound``, below 1e-50 here) and counted
in the error check.  The tests compare this rule with tanh-sinh over the untruncated
half-lines.

Derivatives are taken under the integral sign, on the Gaussian density rather than on
selu (which is not differentiable at 0).  With phi(z; m, v) the N(m, v) density:

    d/dm phi = (z - m)/v * phi               = (u / s) * phi
    d/dv phi = ((z - m)^2/v - 1)/(2v) * phi  = ((u^2 - 1) / (2v)) * phi

so dE[f]/dm = E[f(z) u]/s and dE[f]/dv = E[f(z) (u^2 - 1)]/(2v).  This is legitimate:
|selu(z)|^p times a polynomial in u times the Gaussian is dominated by an integrable
function uniformly for v in a compact subset of (0, inf).  Every derivative is therefore
another quadrature of an analytic integrand, as accurate as the values themselves; this is
why it is preferred to ``mpmath.diff`` on the quadrature, whose finite differences divide
the quadrature's error by the step.  ``derivatives_by_mp_diff`` gives that second route,
used by the tests as a cross-check only.

Then J = d(mu~, nu~)/d(mu, nu): J11 = omega*dmu~/dm, J12 = tau*dmu~/dv,
J21 = omega*dnu~/dm, J22 = tau*dnu~/dv with dnu~ = dxi~ - 2 mu~ dmu~, and S is the largest
singular value of J: S^2 is the larger eigenvalue of J^T J,
S^2 = (F + sqrt(F^2 - 4 det(J)^2)) / 2 with F = J11^2 + J12^2 + J21^2 + J22^2.

alpha01 and lambda01 are computed here from the paper's closed forms (claims.md).

Accuracy: at DIGITS = 45 working digits, quadrature error estimate plus tail bound must
stay below QUAD_TOLERANCE = 1e-38 (relative) or the oracle raises ``OracleError``.
Measured (test_oracle_mpmath.py): values within 4e-46 of the paper's erfc closed forms and
(m, v) derivatives within 2e-46 of ``mpmath.diff`` of those closed forms, over
|m| <= 1, v in [0.04, 20]; so at least 35 correct digits, 40 in practice.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

DIGITS = 45
QUAD_TOLERANCE = mpmath.mpf("1e-38")  # relative; quadrature error + tail above this fails loudly
CUT = 16  # integrate over |u| <= CUT; the tails beyond are bounded by MomentOracle.tail_bound

# A private context: the global mpmath precision other tests see is left alone.
MP = mpmath.MPContext()
MP.dps = DIGITS

MOMENT_NAMES = ("mu_tilde", "xi_tilde", "nu_tilde", "J11", "J12", "J21", "J22", "S")
VARIABLE_NAMES = ("mu", "omega", "nu", "tau")
CONSTANT_NAMES = ("alpha", "lam", "pi")
NAMES = MOMENT_NAMES + VARIABLE_NAMES + CONSTANT_NAMES
JACOBIAN_NAMES = ("J11", "J12", "J21", "J22", "S")


class OracleError(ArithmeticError):
    """The quadrature did not reach the accuracy the oracle promises."""


def alpha01():
    """alpha01 = -sqrt(2/pi) / (erfc(1/sqrt 2) e^(1/2) - 1)."""
    with MP.extradps(20):
        r = -MP.sqrt(2 / MP.pi) / (MP.erfc(1 / MP.sqrt(2)) * MP.exp(MP.mpf(1) / 2) - 1)
    return +r


def lambda01():
    """lambda01 from the paper's closed form (claims.md)."""
    with MP.extradps(20):
        e, pi = MP.e, MP.pi
        c1, c2 = MP.erfc(1 / MP.sqrt(2)), MP.erfc(MP.sqrt(2))
        den = 2 + pi - 2 * MP.sqrt(e) * (2 + pi) * c1 + e * pi * c1 ** 2 + 2 * e ** 2 * c2
        r = (1 - c1 * MP.sqrt(e)) * MP.sqrt(2 * pi / den)
    return +r


def to_mpf(x):
    """An exact number (Fraction, int, decimal text) as an mpf at the oracle's precision;
    an mpf is returned as it is."""
    if isinstance(x, MP.mpf):
        return x
    q = Fraction(x) if not isinstance(x, Fraction) else x
    return MP.mpf(q.numerator) / q.denominator


def gaussian_tail_moment(k: int, cut):
    """int_cut^inf u^k phi(u) du for the standard normal density phi, cut >= 0."""
    phi = MP.exp(-cut * cut / 2) / MP.sqrt(2 * MP.pi)
    if k == 0:
        return MP.erfc(cut / MP.sqrt(2)) / 2
    if k == 1:
        return phi
    return cut ** (k - 1) * phi + (k - 1) * gaussian_tail_moment(k - 2, cut)


def to_fraction(x) -> Fraction:
    """An mpf as the exact rational it is (``man_exp`` drops the sign: put it back)."""
    x = MP.mpf(x)
    man, exp = x.man_exp
    q = Fraction(man) * Fraction(2) ** exp
    return -q if x < 0 else q


class MomentOracle:
    """mu~, xi~ and their (m, v) partials at a point, by Gaussian quadrature."""

    def __init__(self, alpha=None, lam=None):
        self.alpha = alpha01() if alpha is None else to_mpf(alpha)
        self.lam = lambda01() if lam is None else to_mpf(lam)
        self._cache = {}

    def selu(self, x):
        if x > 0:
            return self.lam * x
        return self.lam * self.alpha * MP.expm1(x)

    def tail_bound(self, m, s):
        """A bound on the part of every integrand below that lies outside |u| <= CUT.

        |selu(m + s u)| <= lam (alpha + |m| + s|u|) (alpha > 1 bounds the negative side),
        each weight w in {1, u, u^2 - 1} has |w(u)| <= u^2 + 1, and the packed integrand's
        modulus is at most |selu| + selu^2; the polynomial bound is integrated exactly
        against the Gaussian tail on both sides."""
        c0 = self.alpha + abs(m)
        total = MP.mpf(0)
        for p in (1, 2):
            # lam^p (c0 + s u)^p (u^2 + 1) = lam^p sum_k coef_k u^k
            poly = [MP.binomial(p, k) * c0 ** (p - k) * s ** k for k in range(p + 1)]
            coef = {}
            for k, c in enumerate(poly):
                coef[k] = coef.get(k, 0) + c
                coef[k + 2] = coef.get(k + 2, 0) + c
            total += self.lam ** p * sum(c * gaussian_tail_moment(k, CUT) for k, c in coef.items())
        return 2 * total

    def _integrate(self, f, u0, tail):
        """int f over [-CUT, CUT] by Gauss-Legendre, split at the kink u0; the part
        outside is at most ``tail``.  Gauss-Legendre on a finite interval converges fast
        for these entire integrands (about 400 nodes at 45 digits, against 2000 for
        tanh-sinh on the half-lines)."""
        cuts = sorted({-CUT, min(max(u0, -CUT), CUT), CUT})
        total, err = MP.mpf(0), MP.mpf(0)
        for a, b in zip(cuts, cuts[1:]):
            val, e = MP.quad(f, [a, b], method="gauss-legendre", error=True)
            total += val
            err += e
        if not err + tail <= QUAD_TOLERANCE * max(1, abs(total)):
            raise OracleError(f"quadrature error {MP.nstr(err, 3)} + tail {MP.nstr(tail, 3)} too large")
        return total

    def _expectations(self, m, v, weights):
        """{name: E[selu(z) w(u)] + i E[selu(z)^2 w(u)]} for the weights given, z = m + s u."""
        s = MP.sqrt(v)
        norm = 1 / MP.sqrt(2 * MP.pi)
        tail = self.tail_bound(m, s)
        # The integrands share selu(m + s u) and the density at each node: evaluate those
        # once per node (the quadratures for different weights visit the same nodes).
        nodes = {}

        def at(u):
            hit = nodes.get(u)
            if hit is None:
                f = self.selu(m + s * u)
                hit = nodes[u] = MP.mpc(f, f * f) * (norm * MP.exp(-u * u / 2))
            return hit

        # One complex quadrature per weight: real part E[selu * w], imaginary part
        # E[selu^2 * w] (mpmath.quad integrates complex functions; its error estimate and
        # the tail bound cover both parts).
        return {name: self._integrate(lambda u, w=w: at(u) * w(u), -m / s, tail)
                for name, w in weights.items()}

    def moments(self, m, v, derivatives=True) -> dict:
        """{'mu', 'xi'} and, with ``derivatives``, {'dmu_dm', 'dmu_dv', 'dxi_dm', 'dxi_dv'}
        at exact (m, v), v > 0."""
        key = (Fraction(m), Fraction(v))
        got = self._cache.get(key)
        if got is not None and (not derivatives or "dmu_dm" in got):
            return got
        m, v = to_mpf(key[0]), to_mpf(key[1])
        if not v > 0:
            raise ValueError("v must be positive")
        weights = {"1": lambda u: 1}
        if derivatives:
            weights.update(u=lambda u: u, He2=lambda u: u * u - 1)
        ex = self._expectations(m, v, weights)
        out = {"mu": ex["1"].real, "xi": ex["1"].imag}
        if derivatives:
            s = MP.sqrt(v)
            out.update(dmu_dm=ex["u"].real / s, dxi_dm=ex["u"].imag / s,
                       dmu_dv=ex["He2"].real / (2 * v), dxi_dv=ex["He2"].imag / (2 * v))
        self._cache[key] = out
        return out

    def derivatives_by_mp_diff(self, m, v) -> dict:
        """The four (m, v) partials by mpmath.diff of the value quadratures: a second,
        independent route to the derivatives, used as a cross-check."""
        m, v = to_mpf(m), to_mpf(v)
        one = {"1": lambda u: 1}

        def moment(mm, vv, part):
            val = self._expectations(mm, vv, one)["1"]
            return val.real if part == "mu" else val.imag
        out = {}
        for name in ("mu", "xi"):
            out[f"d{name}_dm"] = MP.diff(lambda x: moment(x, v, name), m)
            out[f"d{name}_dv"] = MP.diff(lambda y: moment(m, y, name), v)
        return out

    def quantities(self, point, names=NAMES) -> dict:
        """The quantities of ``names`` (default all of NAMES) at an exact point
        (mu, omega, nu, tau); the derivative quadratures run only when a name needs them."""
        unknown = set(names) - set(NAMES)
        if unknown:
            raise KeyError(f"the oracle does not know {sorted(unknown)}")
        mu, omega, nu, tau = (Fraction(x) for x in point)
        om, ta = to_mpf(omega), to_mpf(tau)
        out = {"mu": to_mpf(mu), "omega": om, "nu": to_mpf(nu), "tau": ta,
               "alpha": self.alpha, "lam": self.lam, "pi": +MP.pi}
        if not set(names) & set(MOMENT_NAMES):
            return out
        mom = self.moments(mu * omega, nu * tau, derivatives=bool(set(names) & set(JACOBIAN_NAMES)))
        mu_t, xi_t = mom["mu"], mom["xi"]
        out.update(mu_tilde=mu_t, xi_tilde=xi_t, nu_tilde=xi_t - mu_t ** 2)
        if "dmu_dm" in mom:
            dnu_dm = mom["dxi_dm"] - 2 * mu_t * mom["dmu_dm"]
            dnu_dv = mom["dxi_dv"] - 2 * mu_t * mom["dmu_dv"]
            j11, j12 = om * mom["dmu_dm"], ta * mom["dmu_dv"]
            j21, j22 = om * dnu_dm, ta * dnu_dv
            out.update(J11=j11, J12=j12, J21=j21, J22=j22, S=largest_singular_value(j11, j12, j21, j22))
        return out


def largest_singular_value(a, b, c, d):
    """Spectral norm of [[a, b], [c, d]]: sqrt of the larger eigenvalue of J^T J."""
    frob = a * a + b * b + c * c + d * d
    det = a * d - b * c
    disc = frob * frob - 4 * det * det
    return MP.sqrt((frob + MP.sqrt(max(disc, 0))) / 2)
