"""Accuracy harness for the generated moment-map kernels (``selu_theory/_generated``).

In the spirit of scipy.special's ``_mptestutils``: structured argument sets (corners and
centres of every domain of the claims catalogue, in the reduced variables m = mu*omega,
v = nu*tau) plus seeded random points, each compared with a high-precision oracle.

The oracle is independent of ``selu_theory.symbolic``: it never uses the erfc/erfcx
closed forms.  It evaluates the defining Gaussian integrals

    mu~(m, v) = int selu(z)   N(z; m, v) dz,     xi~(m, v) = int selu(z)^2 N(z; m, v) dz

with ``mpmath.quad`` at 50 digits, split at z = 0 (selu is not smooth there), and gets
the partial derivatives by differentiating the Gaussian density under the integral sign:
with u = (z - m)/sqrt(v), phi the standard normal density and He_k the probabilists'
Hermite polynomials,

    d^k/dm^k N(z; m, v) = v^(-k/2) He_k(u) N(z; m, v)         (Rodrigues' formula)
    d/dv N(z; m, v)     = 1/2 d^2/dm^2 N(z; m, v)              (heat equation)

so d^{i+j}/dm^i dv^j of either moment is 2^-j v^-(i+2j)/2 E[selu(z)^p He_{i+2j}(u)].
Differentiation under the integral is legitimate: the integrands are dominated by an
integrable Gaussian times a polynomial, uniformly for v in a compact subset of (0, inf).
``test_oracle_matches_mpmath_diff`` cross-checks those formulas once against
``mpmath.diff`` applied to the plain z-quadrature of the definitions.

Oracle error: each oracle value carries an error radius
    10 * (mpmath.quad's error estimate) + 1e-40 * S,
where S = 2^-j v^-k/2 sqrt(E[selu^2p]) sqrt(k!) bounds (Cauchy-Schwarz, E[He_k^2] = k!)
the L1 size of the integrand, i.e. the scale on which 50-digit rounding acts.
A ball kernel is correct at a point iff its ball contains the true value; the true value
lies in the oracle interval, so a correct ball must *overlap* the oracle interval, and a
ball disjoint from it is proven wrong (given the oracle).  That is the rigorous direction
used below (``kernel_ball.overlaps(oracle_ball)``); ``contains`` in either direction
would be either unsound (the 200-bit balls are narrower than the oracle's error) or
vacuous.  Overlap alone is weak for a wide ball, so radii are checked separately.

The value kernels are also checked against a *rigorous* Arb quadrature (acb.integral)
of the same integrands with an explicit Gaussian-tail bound, independent of mpmath.
"""
from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import mpmath
import numpy as np
import pytest
from flint import acb, arb

try:  # the package is not installed in the venv; make the repo root importable
    import selu_theory  # noqa: F401
except ImportError:  # pragma: no cover - depends on how pytest is launched
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selu_theory.ball import interval, precision
from selu_theory.constants import ALPHA01_FLOAT, LAMBDA01_FLOAT, alpha01, lambda01
from selu_theory._generated import ball_kernels as BK
from selu_theory._generated import float_kernels as FK
from selu_theory._generated import numba_kernels as NK

# A private mpmath context: no change to the global mpmath precision other tests see.
MP = mpmath.MPContext()
MP.dps = 50
KMAX = 6  # highest Hermite index: d^3/dv^3 -> He_6
ORACLE_REL = MP.mpf("1e-40")  # allowance for 50-digit rounding, relative to the L1 scale
ORACLE_BITS = 256  # precision of the arb built from an oracle value (not the kernels')

FNAMES = ("order0", "order0_1", "order0_2", "order3")
ALL_NAMES = BK.NAMES["order0_2"] + BK.NAMES["order3"]  # the 20 derivatives, orders 0..3


def split_name(name: str):
    """'mu_mmv' -> ('mu', 2, 1)."""
    base, _, ds = name.partition("_")
    return base, ds.count("m"), ds.count("v")


def order_of(name: str) -> int:
    _, i, j = split_name(name)
    return i + j


# --------------------------------------------------------------------------------------
# Parameters (alpha, lambda)
# --------------------------------------------------------------------------------------


def _alpha01_mp():
    """alpha01 from its closed form (Klambauer et al., Eq. 14), evaluated in mpmath."""
    r2 = MP.sqrt(2)
    return -MP.sqrt(2 / MP.pi) / (MP.erfc(1 / r2) * MP.exp(MP.mpf(1) / 2) - 1)


def _lambda01_mp():
    """lambda01 from its closed form (Klambauer et al., Eq. 14), evaluated in mpmath."""
    r2, e, pi = MP.sqrt(2), MP.e, MP.pi
    c = MP.erfc(1 / r2)
    den = 2 + pi - 2 * MP.sqrt(e) * (2 + pi) * c + e * pi * c**2 + 2 * e**2 * MP.erfc(r2)
    return (1 - c * MP.sqrt(e)) * MP.sqrt(2 * pi / den)


@dataclass(frozen=True)
class Params:
    key: str
    alpha_float: float
    lam_float: float
    selu01: bool = False  # use the alpha01/lambda01 balls (and mpmath closed forms)

    def mp(self):
        if self.selu01:
            return _alpha01_mp(), _lambda01_mp()
        return MP.mpf(self.alpha_float), MP.mpf(self.lam_float)

    def balls(self, bits: int):
        if self.selu01:
            return alpha01(bits), lambda01(bits)
        return arb(self.alpha_float), arb(self.lam_float)


PARAMS = {
    "selu01": Params("selu01", ALPHA01_FLOAT, LAMBDA01_FLOAT, selu01=True),
    "a1.977": Params("a1.977", 1.9769021954242014, 1.073851239616046),
    "a1l1": Params("a1l1", 1.0, 1.0),
}


# --------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OracleValue:
    value: object  # MP.mpf
    err: object  # MP.mpf, error radius (see module docstring)
    scale: float  # S, the L1 scale of the integrand (module docstring)

    def ball(self) -> arb:
        with precision(ORACLE_BITS):
            return arb(MP.nstr(self.value, 60), MP.nstr(self.err, 5))

    def __float__(self):
        return float(self.value)


@functools.lru_cache(maxsize=None)
def oracle(m: float, v: float, pkey: str) -> dict[str, OracleValue]:
    """All 20 partial derivatives (orders 0..3) of mu~, xi~ at (m, v) by quadrature."""
    alpha, lam = PARAMS[pkey].mp()
    m, v = MP.mpf(m), MP.mpf(v)
    s = MP.sqrt(v)
    u0 = -m / s  # z = m + s*u = 0
    c = 1 / MP.sqrt(2 * MP.pi)

    # Every quadrature below uses the same tanh-sinh nodes in u, so the expensive part
    # (selu(z), the Gaussian weight, the Hermite values) is computed once per node.
    nodes: dict = {}

    def at(u):
        r = nodes.get(u)
        if r is None:
            z = m + s * u
            g = lam * alpha * MP.expm1(z) if z <= 0 else lam * z  # selu(z)
            w = c * MP.exp(-u * u / 2)
            he = [MP.mpf(1), u]
            for n in range(1, KMAX):
                he.append(u * he[n] - n * he[n - 1])
            gp = {1: g, 2: g * g, 4: (g * g) ** 2}
            r = nodes[u] = (gp, w, he)
        return r

    def integral(p, k):
        f = lambda u: at(u)[0][p] * at(u)[2][k] * at(u)[1]  # noqa: E731
        a, ea = MP.quad(f, [-MP.inf, u0], error=True)  # z <= 0
        b, eb = MP.quad(f, [u0, MP.inf], error=True)  # z >= 0
        return a + b, ea + eb

    out = {}
    for base, p in (("mu", 1), ("xi", 2)):
        l2 = MP.sqrt(integral(2 * p, 0)[0])  # sqrt(E[selu^2p]) for the L1 scale
        for k_i, name in enumerate(ALL_NAMES):
            b, i, j = split_name(name)
            if b != base:
                continue
            k = i + 2 * j
            val, qerr = integral(p, k)
            f = s ** (-k) / MP.mpf(2) ** j
            scale = l2 * MP.sqrt(MP.factorial(k)) * f
            out[name] = OracleValue(val * f, 10 * qerr * f + ORACLE_REL * scale, float(scale))
    return out


# --------------------------------------------------------------------------------------
# Argument sets
# --------------------------------------------------------------------------------------

# Domains of the claims catalogue in reduced variables: (m_lo, m_hi, v_lo, v_hi).
DOMAINS = {
    # Theorem 1: mu, omega in [-0.1, 0.1], nu in [0.8, 1.5], tau in [0.95, 1.1]
    "Omega": (-0.01, 0.01, 0.76, 1.65),
    # Theorem 2 (upper bound on the variance): m in [-0.1, 0.1], v = nu*tau in [2.4, 20]
    "OmegaPlus": (-0.1, 0.1, 2.4, 20.0),
    # Theorem 3 (lower bound on the variance): small v
    "OmegaMinus": (-0.01, 0.01, 0.04, 0.3),
    # Theorem 3 corner: v = 0.016 .. 0.02*1.25, m = +-0.01
    "Thm3Corner": (-0.01, 0.01, 0.016, 0.025),
    # Lemmata 44/45 (derivative bounds): the whole range
    "Lemma44_45": (-0.1, 0.1, 0.007, 20.0),
}


@dataclass(frozen=True)
class Point:
    id: str
    m: float
    v: float
    pkey: str = "selu01"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _structured():
    pts, seen = [], set()
    for dom, (mlo, mhi, vlo, vhi) in DOMAINS.items():
        cand = [("corner", mlo, vlo), ("corner", mlo, vhi), ("corner", mhi, vlo),
                ("corner", mhi, vhi), ("centre", 0.5 * (mlo + mhi), 0.5 * (vlo + vhi))]
        for kind, m, v in cand:
            if (m, v) in seen:  # corners shared between domains are tested once
                continue
            seen.add((m, v))
            pts.append(Point(f"{dom}-{kind}-m{_fmt(m)}-v{_fmt(v)}", m, v))
    # interior lines of the lemma range, where v spans three decades
    for v in (0.1, 1.0, 5.0):
        for m in (-0.1, 0.1):
            pts.append(Point(f"Lemma44_45-line-m{_fmt(m)}-v{_fmt(v)}", m, v))
    return pts


def _random():
    rng = np.random.default_rng(12345)
    pts = []
    for dom, (mlo, mhi, vlo, vhi) in DOMAINS.items():
        for n in range(2):
            m = float(rng.uniform(mlo, mhi))
            if vhi / vlo > 10:  # log-uniform over wide ranges, to reach small v
                v = float(math.exp(rng.uniform(math.log(vlo), math.log(vhi))))
            else:
                v = float(rng.uniform(vlo, vhi))
            pts.append(Point(f"{dom}-rand{n}-m{_fmt(m)}-v{_fmt(v)}", m, v))
    return pts


def _other_params():
    pts = []
    for pkey in ("a1.977", "a1l1"):
        for m, v in ((0.0, 1.2), (0.1, 0.007), (-0.1, 20.0)):
            pts.append(Point(f"{pkey}-m{_fmt(m)}-v{_fmt(v)}", m, v, pkey))
    return pts


POINTS = _structured() + _random() + _other_params()
POINT_PARAMS = [pytest.param(p, id=p.id) for p in POINTS]


def _oracle_at(p: Point):
    return oracle(p.m, p.v, p.pkey)


# --------------------------------------------------------------------------------------
# Oracle self-checks
# --------------------------------------------------------------------------------------


def test_oracle_constants_inside_constant_balls():
    """alpha01/lambda01 by mpmath lie in selu_theory.constants' balls (both ways tight)."""
    a_mp, l_mp = _alpha01_mp(), _lambda01_mp()
    for bits in (80, 200):
        a_ball, l_ball = alpha01(bits), lambda01(bits)
        assert a_ball.overlaps(OracleValue(a_mp, MP.mpf("1e-45"), 1.0).ball())
        assert l_ball.overlaps(OracleValue(l_mp, MP.mpf("1e-45"), 1.0).ball())
    assert abs(float(a_mp) - ALPHA01_FLOAT) <= 1e-16 * ALPHA01_FLOAT
    assert abs(float(l_mp) - LAMBDA01_FLOAT) <= 1e-16 * LAMBDA01_FLOAT


def _direct_moment(p: int, m, v, alpha, lam):
    """The definition, literally: int_{-inf}^0 + int_0^inf of selu(z)^p N(z; m, v) dz."""
    dens = lambda z: MP.exp(-((z - m) ** 2) / (2 * v)) / MP.sqrt(2 * MP.pi * v)  # noqa: E731
    neg = MP.quad(lambda z: (lam * alpha * MP.expm1(z)) ** p * dens(z), [-MP.inf, 0])
    pos = MP.quad(lambda z: (lam * z) ** p * dens(z), [0, MP.inf])
    return neg + pos


@pytest.mark.parametrize("name", ["mu", "xi", "mu_v", "xi_m", "mu_mv", "xi_vv", "mu_mvv"])
def test_oracle_matches_mpmath_diff(name):
    """The Hermite/heat-equation oracle equals mpmath.diff of the plain quadrature."""
    m0, v0 = 0.03, 0.9
    alpha, lam = PARAMS["selu01"].mp()
    base, i, j = split_name(name)
    p = 1 if base == "mu" else 2
    f = lambda m, v: _direct_moment(p, m, v, alpha, lam)  # noqa: E731
    ref = MP.diff(f, (MP.mpf(m0), MP.mpf(v0)), (i, j)) if i + j else f(MP.mpf(m0), MP.mpf(v0))
    o = oracle(m0, v0, "selu01")[name]
    # mpmath.diff works at raised precision and loses a few digits; 1e-25 is ample.
    assert abs(ref - o.value) <= MP.mpf("1e-25") * (1 + abs(o.value))


# --------------------------------------------------------------------------------------
# (a) ball kernels contain the oracle, with tiny radii
# --------------------------------------------------------------------------------------

# At point arguments the only width is Arb's rounding, amplified by the cancellation in
# the closed forms (worst at small v and third order); 1e-12 relative is far above that
# at 80 bits and would catch any blow-up of the generated expression.
POINT_RAD_REL = 1e-12


def _ball_eval(fname: str, p: Point, bits: int):
    with precision(bits):
        a, lam = PARAMS[p.pkey].balls(bits)
        return getattr(BK, fname)(arb(p.m), arb(p.v), a, lam)


@pytest.mark.parametrize("bits", [80, 200], ids=lambda b: f"prec{b}")
@pytest.mark.parametrize("fname", FNAMES)
@pytest.mark.parametrize("p", POINT_PARAMS)
def test_ball_kernel_contains_oracle(p, fname, bits):
    orc = _oracle_at(p)
    out = _ball_eval(fname, p, bits)
    names = BK.NAMES[fname]
    assert len(out) == len(names)
    bad = []
    for name, b in zip(names, out):
        o = orc[name]
        if not b.is_finite():
            bad.append(f"{name}: non-finite ball {b}")
        elif not b.overlaps(o.ball()):
            bad.append(f"{name}: ball {b} misses oracle {MP.nstr(o.value, 30)} +- {MP.nstr(o.err, 3)}")
        elif float(b.rad()) > POINT_RAD_REL * abs(float(o)):
            bad.append(f"{name}: radius {float(b.rad()):.3g} > {POINT_RAD_REL} * |{float(o):.6g}|")
    assert not bad, f"{p.id} {fname} @ {bits} bits:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("p", POINT_PARAMS)
def test_ball_kernel_functions_consistent(p):
    """order0 and order0_1 agree with order0_2 on every name they share."""
    full = dict(zip(BK.NAMES["order0_2"], _ball_eval("order0_2", p, 80)))
    for fname in ("order0", "order0_1"):
        for name, b in zip(BK.NAMES[fname], _ball_eval(fname, p, 80)):
            assert b.overlaps(full[name]), (fname, name, b, full[name])


# --------------------------------------------------------------------------------------
# (b) value kernels vs rigorous Arb quadrature of the defining integrals
# --------------------------------------------------------------------------------------

TAIL_SIGMAS = 40
QUAD_BITS = 80


def rigorous_moment(p: int, m: float, v: float, alpha: arb, lam: arb) -> arb:
    """E[selu(z)^p], z ~ N(m, v), p in {1, 2}, as a proven Arb ball.

    acb.integral over [a, 0] (selu = lam*alpha*(e^z - 1)) and [0, b] (selu = lam*z) with
    a = m - 40 sqrt(v), b = m + 40 sqrt(v) rounded to floats; both integrands are entire,
    so the ``analytic`` flag needs no check.  The two tails are bounded explicitly, with
    t >= 1 the distance of a, b from m in standard deviations and phi the normal density:
      z < a:  |selu|^p <= (lam*alpha)^p,               mass P(Z > t) <= phi(t)/t;
      z > b:  |selu|^p <= lam^p (|m| + s)^p u^p  (z = m + s u, u >= t >= 1), and
              int_t^inf u^q phi(u) du <= (t + 1/t) phi(t) for q = 1, 2.
    The sum is added as an explicit error radius (it is < 1e-300 here).
    """
    mb, vb = arb(m), arb(v)
    s = vb.sqrt()
    a = float(m - TAIL_SIGMAS * math.sqrt(v))
    b = float(m + TAIL_SIGMAS * math.sqrt(v))
    assert a < 0 < b
    norm = 1 / (2 * arb.pi() * vb).sqrt()

    def dens(x):
        return (-((x - mb) ** 2) / (2 * vb)).exp() * norm

    neg = acb.integral(lambda x, _analytic: (lam * alpha * (x.exp() - 1)) ** p * dens(x), a, 0)
    pos = acb.integral(lambda x, _analytic: (lam * x) ** p * dens(x), 0, b)
    t = ((mb - arb(a)) / s).min((arb(b) - mb) / s).lower()
    assert t >= 1
    phi = (-(t * t) / 2).exp() / (2 * arb.pi()).sqrt()
    tail = lam**p * (alpha**p * phi / t + (abs(mb) + s) ** p * (t + 1 / t) * phi)
    tail = tail.upper()
    assert tail < arb("1e-300")
    return (neg + pos).real + arb(0).union(-tail).union(tail)


@pytest.mark.parametrize("p", POINT_PARAMS)
def test_value_kernel_vs_rigorous_quadrature(p):
    with precision(QUAD_BITS):
        alpha, lam = PARAMS[p.pkey].balls(QUAD_BITS)
        mu_k, xi_k = BK.order0(arb(p.m), arb(p.v), alpha, lam)
        for name, k, power in (("mu", mu_k, 1), ("xi", xi_k, 2)):
            q = rigorous_moment(power, p.m, p.v, alpha, lam)
            assert q.is_finite() and k.is_finite()
            # the quadrature must be sharp for the overlap to mean anything
            assert float(q.rad()) < 1e-15 * abs(float(q.mid())), (name, q)
            assert k.overlaps(q), (p.id, name, k, q)
            # and it agrees with the mpmath oracle too (three independent routes)
            assert q.overlaps(_oracle_at(p)[name].ball()), (p.id, name, q)


# --------------------------------------------------------------------------------------
# (c) float64 kernels (numpy/scipy and numba) vs the oracle
# --------------------------------------------------------------------------------------

# Error criterion: |f - o| <= RTOL[order] * |o| + ATOL[order] * S, with S the oracle's L1
# scale of the integrand (module docstring) divided by ORACLE_REL... i.e. the size of the
# terms that cancel: a value close to zero is judged on the scale of its ingredients.
# Tolerances were set from measured worst cases over POINTS (see the comment block
# below) with a margin of >= 10x; they are not a statement about untested arguments.
RTOL = {0: 1e-12, 1: 1e-12, 2: 1e-12, 3: 1e-12}
ATOL = {0: 1e-14, 1: 1e-14, 2: 1e-14, 3: 1e-14}


def float_errors(impl, p: Point):
    """{name: (abs error, |oracle|, scale)} for one float implementation at one point."""
    orc = _oracle_at(p)
    par = PARAMS[p.pkey]
    res = {}
    for fname in FNAMES:
        out = getattr(impl, fname)(p.m, p.v, par.alpha_float, par.lam_float)
        for name, x in zip(impl.NAMES[fname], out):
            x = float(x)
            o = orc[name]
            res.setdefault(name, []).append((abs(MP.mpf(x) - o.value), abs(o.value), o.scale, x))
    return res


@pytest.mark.parametrize("impl", [FK, NK], ids=["numpy", "numba"])
@pytest.mark.parametrize("p", POINT_PARAMS)
def test_float_kernels_vs_oracle(p, impl):
    bad = []
    for name, rows in float_errors(impl, p).items():
        k = order_of(name)
        for err, mag, scale, x in rows:
            if not math.isfinite(x) or err > RTOL[k] * mag + ATOL[k] * scale:
                bad.append(f"{name}: {x!r} err {float(err):.3g} (|o|={float(mag):.3g}, S={scale:.3g})")
    assert not bad, f"{p.id}:\n  " + "\n  ".join(bad)


# --------------------------------------------------------------------------------------
# (d) ball kernels on small boxes contain the oracle at sample points of the box
# --------------------------------------------------------------------------------------

BOX_HALF = 5e-4  # box width 1e-3 in both m and v
BOX_CENTRES = [  # (m, v): inside Omega, Omega-, near the smallest lemma v, Omega+
    (0.0, 1.2), (0.005, 0.1), (-0.05, 0.01), (0.05, 10.0)]


@pytest.mark.parametrize("centre", BOX_CENTRES, ids=lambda c: f"m{_fmt(c[0])}-v{_fmt(c[1])}")
def test_ball_kernel_on_box_contains_oracle(centre):
    m0, v0 = centre
    mlo, mhi, vlo, vhi = m0 - BOX_HALF, m0 + BOX_HALF, v0 - BOX_HALF, v0 + BOX_HALF
    rng = np.random.default_rng(12345)
    samples = [(mlo, vlo), (mhi, vhi), (mlo, vhi), (m0, v0),
               (float(rng.uniform(mlo, mhi)), float(rng.uniform(vlo, vhi)))]
    with precision(80):
        a, lam = PARAMS["selu01"].balls(80)
        mb, vb = interval(mlo, mhi), interval(vlo, vhi)
        out = dict(zip(ALL_NAMES, BK.order0_2(mb, vb, a, lam) + BK.order3(mb, vb, a, lam)))
    for ms, vs in samples:
        assert mlo <= ms <= mhi and vlo <= vs <= vhi
        orc = oracle(ms, vs, "selu01")
        for name in ALL_NAMES:
            b, o = out[name], orc[name]
            assert b.is_finite(), (name, b)
            assert b.overlaps(o.ball()), (centre, (ms, vs), name, b, MP.nstr(o.value, 20))
            # not vacuous: the enclosure stays within a modest multiple of the value
            assert float(b.rad()) < 1.0 * abs(float(o)) + 1e-6 * o.scale, (centre, name, b)


# --------------------------------------------------------------------------------------
# (e) sanity twins: a wrong value must be rejected
# --------------------------------------------------------------------------------------

TWIN_POINTS = [POINTS[0], POINTS[len(POINTS) // 2], POINTS[-1]]


@pytest.mark.parametrize("bits", [80, 200], ids=lambda b: f"prec{b}")
@pytest.mark.parametrize("p", [pytest.param(p, id=p.id) for p in TWIN_POINTS])
def test_sanity_twin_wrong_value_rejected(p, bits):
    o = _oracle_at(p)["mu"]
    mu_ball = _ball_eval("order0", p, bits)[0]
    assert mu_ball.overlaps(o.ball())  # the right value is accepted ...
    wrong = OracleValue(o.value + MP.mpf("1e-9"), o.err, o.scale)
    assert not mu_ball.overlaps(wrong.ball())  # ... and a value off by 1e-9 is not
    if bits == 80:
        par = PARAMS[p.pkey]
        with precision(QUAD_BITS):
            q = rigorous_moment(1, p.m, p.v, *par.balls(QUAD_BITS))
        assert not q.overlaps(wrong.ball())
