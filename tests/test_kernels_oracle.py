"""Accuracy harness for the generated moment-map kernels (``selu_theory/_generated``).

In the spirit of scipy.special's ``_mptestutils``: structured argument sets (corners and
centres of every domain of the claims catalogue, in the reduced variables m = mu*omega,
v = nu*tau) plus seeded random points, each compared with a high-precision oracle.

The oracle is independent of ``selu_theory.activations``: it never uses the erfc/erfcx
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
``test_oracle_matches_definition`` checks the values against the plain z-quadrature of
the definitions, and ``test_oracle_derivatives_consistent`` checks every derivative
against central differences of the one below it.

Oracle error: each oracle value carries an error radius
    10 * (mpmath.quad's error estimate) + 1e-40 * S,
where S >= 2^-j v^-k/2 E|selu^p He_k| (k = i + 2j) is a Cauchy-Schwarz bound on the L1
size of the integrand (``Oracle.__getitem__``), the scale on which 50-digit rounding
acts: 1e-40 leaves ten digits of margin.
A ball kernel is correct at a point iff its ball contains the true value; the true value
lies in the oracle interval, so a correct ball must *overlap* the oracle interval, and a
ball disjoint from it is proven wrong (given the oracle).  That is the rigorous direction
used below (``kernel_ball.overlaps(oracle_ball)``), i.e. "the ball contains the oracle
value up to the oracle's own error".  ``kernel_ball.contains(oracle_ball)`` would fail
spuriously at 200 bits, where the kernel balls (~1e-58) are narrower than the oracle's
error, and ``oracle_ball.contains(kernel_ball)`` at 80 bits.  Overlap alone is weak for
a wide ball, so radii are checked separately.

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
from selu_theory.codegen.common import BALL_ONLY
from selu_theory.constants import ALPHA01_FLOAT, LAMBDA01_FLOAT, alpha01, lambda01
from selu_theory.kernel_loader import load_kernels

BK = load_kernels("selu", "ball_kernels")
FK = load_kernels("selu", "float_kernels")
NK = load_kernels("selu", "numba_kernels")

# A private mpmath context: no change to the global mpmath precision other tests see.
MP = mpmath.MPContext()
MP.dps = 50
ORACLE_REL = MP.mpf("1e-40")  # allowance for 50-digit rounding, relative to the L1 scale
ORACLE_BITS = 256  # precision of the arb built from an oracle value (not the kernels')


def split_name(name: str):
    """'mu_mmv' -> ('mu', 2, 1)."""
    base, _, ds = name.partition("_")
    return base, ds.count("m"), ds.count("v")


def order_of(name: str) -> int:
    _, i, j = split_name(name)
    return i + j


# The moment kernels, found from NAMES: every generated function all of whose outputs are
# derivatives of mu~ and xi~ (``order0``..``order3`` or ``moments_order0``.. depending on
# the generator version; other families, e.g. the Lemma 44-47 subfunctions, are skipped).
FNAMES = tuple(f for f, names in BK.NAMES.items()
               if all(split_name(n)[0] in ("mu", "xi") for n in names))
ALL_NAMES = tuple(sorted({n for f in FNAMES for n in BK.NAMES[f]},
                         key=lambda n: (split_name(n)[0], order_of(n), split_name(n)[2])))
MAX_ORDER = max(order_of(n) for n in ALL_NAMES)
KMAX = max(i + 2 * j for _, i, j in map(split_name, ALL_NAMES))  # d^3/dv^3 -> He_6
VALUE_FNAME = next(f for f in FNAMES if BK.NAMES[f] == ("mu", "xi"))  # order0


# --------------------------------------------------------------------------------------
# Parameters (alpha, lambda)
# --------------------------------------------------------------------------------------


def _alpha01_mp():
    """alpha01 from its closed form (Klambauer et al. 2017), evaluated in mpmath."""
    r2 = MP.sqrt(2)
    return -MP.sqrt(2 / MP.pi) / (MP.erfc(1 / r2) * MP.exp(MP.mpf(1) / 2) - 1)


def _lambda01_mp():
    """lambda01 from its closed form (Klambauer et al. 2017), evaluated in mpmath."""
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


class Oracle:
    """The partial derivatives of mu~, xi~ at one point (m, v), by quadrature, on demand.

    ``oracle[name]`` is an OracleValue; the Hermite moments E[selu^p He_k] behind it are
    computed the first time some name needs them (order 4 needs He_7, He_8, which only a
    subset of the points pays for).
    """

    def __init__(self, m: float, v: float, pkey: str):
        self.alpha, self.lam = PARAMS[pkey].mp()
        self.m, self.v = MP.mpf(m), MP.mpf(v)
        self.s = MP.sqrt(self.v)
        self.u0 = -self.m / self.s  # z = m + s*u = 0
        self._c = 1 / MP.sqrt(2 * MP.pi)
        # Every quadrature uses the same tanh-sinh nodes in u, so the expensive part
        # (selu(z) times the Gaussian weight, the Hermite values) is computed once a node.
        self._nodes: dict = {}
        self._moments: dict = {}
        self._values: dict = {}

    def _at(self, u):
        r = self._nodes.get(u)
        if r is None:
            z = self.m + self.s * u
            g = self.lam * self.alpha * MP.expm1(z) if z <= 0 else self.lam * z  # selu(z)
            w = self._c * MP.exp(-u * u / 2)
            r = self._nodes[u] = (g * w, g * g * w, [MP.mpf(1), u])
        return r

    def _moment(self, k):
        """(E[selu He_k(u)], E[selu^2 He_k(u)], quad error estimate), z = m + s u.

        Both moments are one complex-valued quadrature (real part p = 1, imaginary part
        p = 2): the same nodes and half the calls; the error estimate covers both."""
        if k not in self._moments:
            def f(u):
                g1w, g2w, he = self._at(u)
                while len(he) <= k:  # He_{n+1} = u He_n - n He_{n-1}, extended on demand
                    n = len(he) - 1
                    he.append(u * he[n] - n * he[n - 1])
                return MP.mpc(g1w * he[k], g2w * he[k])

            a, ea = MP.quad(f, [-MP.inf, self.u0], error=True)  # z <= 0
            b, eb = MP.quad(f, [self.u0, MP.inf], error=True)  # z >= 0
            self._moments[k] = ((a + b).real, (a + b).imag, ea + eb)
        return self._moments[k]

    def __getitem__(self, name: str) -> OracleValue:
        if name not in self._values:
            base, i, j = split_name(name)
            p = 1 if base == "mu" else 2
            k = i + 2 * j
            e1, e2, qerr = self._moment(k)
            f = self.s ** (-k) / MP.mpf(2) ** j
            # L1 scale: |selu(z)| <= lam (a + s|u|) with a = alpha + |m|, so by
            # Cauchy-Schwarz E|selu^p He_k| <= lam^p sqrt(E[(a + s|u|)^2p]) sqrt(k!), and
            # E[(a + s|u|)^2p] <= 2^(2p-1) (a^2p + s^2p E[u^2p]), E[u^2] = 1, E[u^4] = 3.
            a_ = self.alpha + abs(self.m)
            l2 = self.lam**p * MP.sqrt(2 ** (2 * p - 1) * (a_ ** (2 * p) + self.s ** (2 * p) * (2 * p - 1)))
            scale = l2 * MP.sqrt(MP.factorial(k)) * f
            val = (e1 if p == 1 else e2) * f
            self._values[name] = OracleValue(val, 10 * qerr * f + ORACLE_REL * scale, float(scale))
        return self._values[name]


@functools.lru_cache(maxsize=None)
def oracle(m: float, v: float, pkey: str) -> Oracle:
    return Oracle(m, v, pkey)


# --------------------------------------------------------------------------------------
# Argument sets
# --------------------------------------------------------------------------------------

# Domains of the claims catalogue (verification/claims*.py) in the reduced variables
# m = mu*omega, v = nu*tau: (m_lo, m_hi, v_lo, v_hi).
DOMAINS = {
    # Theorem 1: mu, omega in [-0.1, 0.1], nu in [0.8, 1.5], tau in [0.95, 1.1]
    "Omega": (-0.01, 0.01, 0.76, 1.65),
    # Theorem 2: mu in [-1, 1], omega in [-0.1, 0.1], nu in [3, 16], tau in [0.8, 1.25]
    "OmegaPlus": (-0.1, 0.1, 2.4, 20.0),
    # Theorem 3: mu, omega in [-0.1, 0.1], nu in [0.05, 0.24], tau in [0.8, 1.25]
    "OmegaMinus": (-0.01, 0.01, 0.04, 0.3),
    # Theorem 3 corner: nu = 0.02, tau in [0.8, 1.25]
    "Thm3Corner": (-0.01, 0.01, 0.016, 0.025),
    # Lemmata 44 (x in [1.2, 20], |y| <= 0.1) and 45 (x in [0.007, 0.875], |y| <= 0.01),
    # with x = v, y = m, covered by one box
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
        # the centre in v is geometric when v spans more than a decade
        vc = math.sqrt(vlo * vhi) if vhi / vlo > 10 else 0.5 * (vlo + vhi)
        cand = [("corner", mlo, vlo), ("corner", mlo, vhi), ("corner", mhi, vlo),
                ("corner", mhi, vhi), ("centre", 0.5 * (mlo + mhi), vc)]
        for kind, m, v in cand:
            if (m, v) in seen:  # corners shared between domains are tested once
                continue
            seen.add((m, v))
            pts.append(Point(f"{dom}-{kind}-m{_fmt(m)}-v{_fmt(v)}", m, v))
    # inside the lemma range, which spans three decades of v
    for m, v in ((-0.1, 0.1), (0.1, 5.0)):
        pts.append(Point(f"Lemma44_45-inner-m{_fmt(m)}-v{_fmt(v)}", m, v))
    return pts


def _random():
    rng = np.random.default_rng(12345)
    pts = []
    for dom, (mlo, mhi, vlo, vhi) in DOMAINS.items():
        for n in range(1):  # one per domain: the oracle costs ~0.5 s a point
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
        for m, v in ((0.1, 0.007), (-0.1, 20.0)):
            pts.append(Point(f"{pkey}-m{_fmt(m)}-v{_fmt(v)}", m, v, pkey))
    return pts


POINTS = _structured() + _random() + _other_params()
POINT_PARAMS = [pytest.param(p, id=p.id) for p in POINTS]

# Orders <= 3 are checked at every point.  Higher orders (moments_order4, when the
# generator emits it) need He_7 and He_8 on top, and are checked on a subset: the domain
# centres, the random points and every point at the extreme v = 0.007 or v = 20.
ALL_POINTS_ORDER = 3


def checks_high_orders(p: Point) -> bool:
    return "-centre-" in p.id or "-rand" in p.id or p.v in (0.007, 20.0)


def fnames_for(p: Point):
    return tuple(f for f in FNAMES
                 if checks_high_orders(p) or max(map(order_of, BK.NAMES[f])) <= ALL_POINTS_ORDER)


def _oracle_at(p: Point):
    return oracle(p.m, p.v, p.pkey)


# --------------------------------------------------------------------------------------
# Oracle self-checks
# --------------------------------------------------------------------------------------


def test_oracle_constants_inside_constant_balls():
    """alpha01/lambda01 computed in mpmath lie in selu_theory.constants' balls, and the
    float constants agree with them to 1e-16 relative."""
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
    neg = MP.quad(lambda z: (lam * alpha * MP.expm1(z)) ** p * dens(z),
                  [-MP.inf, m, 0] if m < 0 else [-MP.inf, 0])
    pos = MP.quad(lambda z: (lam * z) ** p * dens(z), [0, m, MP.inf] if m > 0 else [0, MP.inf])
    return neg + pos


CHECK_POINT = next(p for p in POINTS if p.id.startswith("Omega-rand0"))


@pytest.mark.parametrize("name", ["mu", "xi"])
def test_oracle_matches_definition(name):
    """The oracle's values (u-substituted quadrature) equal the plain z-quadrature of the
    definition, split at z = 0 (and at the mode z = m)."""
    p = CHECK_POINT
    alpha, lam = PARAMS[p.pkey].mp()
    ref = _direct_moment(1 if name == "mu" else 2, MP.mpf(p.m), MP.mpf(p.v), alpha, lam)
    o = _oracle_at(p)[name]
    assert abs(ref - o.value) <= o.err, (name, ref, o.value)


FD_STEP = 1e-12  # central differences: O(h^2) ~ 1e-24 truncation, 1e-40/h ~ 1e-28 noise


@pytest.mark.parametrize("direction", ["m", "v"])
def test_oracle_derivatives_consistent(direction):
    """Each oracle derivative of order n+1 is the central difference of the order-n one.

    With the value check above this validates the Hermite/heat-equation formulas at every
    order from the definition alone.  (mpmath.diff of the quadrature would do the same,
    but it raises the working precision (n+1)-fold per order and nests for mixed
    partials: one mixed second derivative took over a minute.)"""
    p = CHECK_POINT
    dm, dv = (FD_STEP, 0.0) if direction == "m" else (0.0, FD_STEP)
    hi = oracle(p.m + dm, p.v + dv, p.pkey)
    lo = oracle(p.m - dm, p.v - dv, p.pkey)
    h = MP.mpf(p.m + dm) - MP.mpf(p.m - dm) if direction == "m" else MP.mpf(p.v + dv) - MP.mpf(p.v - dv)
    centre = _oracle_at(p)
    checked = 0
    for name in ALL_NAMES:
        base, i, j = split_name(name)
        if i + j == MAX_ORDER:
            continue
        up = f"{base}_{'m' * (i + (direction == 'm'))}{'v' * (j + (direction == 'v'))}"
        fd = (hi[name].value - lo[name].value) / h
        assert abs(fd - centre[up].value) <= MP.mpf("1e-18") * centre[up].scale, (name, up)
        checked += 1
    assert checked == len(ALL_NAMES) - 2 * (MAX_ORDER + 1)


# --------------------------------------------------------------------------------------
# (a) ball kernels contain the oracle, with tiny radii
# --------------------------------------------------------------------------------------

# At point arguments the only width is Arb's rounding, amplified by the cancellation in
# the closed forms: measured worst 1e-16 relative at 80 bits and 7e-53 at 200 bits
# (xi_vvvv at v = 0.007).  1e-12 relative is far above that and would catch any blow-up
# of the generated expressions; the tiny floor 1e-20 S only matters at a zero.
POINT_RAD_REL = 1e-12
POINT_RAD_FLOOR = 1e-20


def _ball_eval(fname: str, p: Point, bits: int):
    with precision(bits):
        a, lam = PARAMS[p.pkey].balls(bits)
        return getattr(BK, fname)(arb(p.m), arb(p.v), a, lam)


@pytest.mark.parametrize("p, fname, bits", [
    pytest.param(p, f, bits, id=f"{p.id}-{f}-prec{bits}")
    for p in POINTS for f in fnames_for(p) for bits in (80, 200)])
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
        elif float(b.rad()) > POINT_RAD_REL * abs(float(o)) + POINT_RAD_FLOOR * o.scale:
            bad.append(f"{name}: radius {float(b.rad()):.3g} > {POINT_RAD_REL} * |{float(o):.6g}|")
    assert not bad, f"{p.id} {fname} @ {bits} bits:\n  " + "\n  ".join(bad)


def _all_balls(m, v, pkey: str, bits: int) -> dict[str, list]:
    """{name: [ball from every moment kernel that returns it]}."""
    out: dict[str, list] = {}
    with precision(bits):
        a, lam = PARAMS[pkey].balls(bits)
        for fname in FNAMES:
            for name, b in zip(BK.NAMES[fname], getattr(BK, fname)(m, v, a, lam)):
                out.setdefault(name, []).append((fname, b))
    return out


def test_kernel_tables_agree():
    """The three generated modules expose the same moment kernels with the same outputs
    (but the groups only the ball kernels get, ``codegen.common.BALL_ONLY``), and
    together they cover every derivative of mu~, xi~ up to their highest order."""
    assert FNAMES, "no moment kernels found in ball_kernels.NAMES"
    for mod in (FK, NK):
        for fname in FNAMES:
            if fname.partition("_")[2] in BALL_ONLY:
                assert fname not in mod.NAMES, (mod.__name__, fname)
                continue
            assert mod.NAMES[fname] == BK.NAMES[fname], (mod.__name__, fname)
    expected = {f"{b}_{'m' * i}{'v' * j}" if i + j else b
                for b in ("mu", "xi") for o in range(MAX_ORDER + 1) for i, j in
                ((o - jj, jj) for jj in range(o + 1))}
    assert set(ALL_NAMES) == expected


@pytest.mark.parametrize("p", POINT_PARAMS)
def test_ball_kernel_functions_consistent(p):
    """Kernels that share an output (mu is returned by order0, order0_1 and order0_2)
    give overlapping balls for it."""
    for name, balls in _all_balls(arb(p.m), arb(p.v), p.pkey, 80).items():
        f0, b0 = balls[0]
        for f1, b1 in balls[1:]:
            assert b0.overlaps(b1), (name, f0, b0, f1, b1)


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
        mu_k, xi_k = getattr(BK, VALUE_FNAME)(arb(p.m), arb(p.v), alpha, lam)
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

# Error criterion: |f - o| <= RTOL[impl][order] * |o| + ATOL[order].
#
# The float kernels carry no error bound (search only); these tolerances are honest
# measurements with a margin, not a proof.  Worst relative errors |f - o| / |o| measured
# over POINTS (numpy/scipy and numba as installed in .venv):
#
#   order          0        1        2        3        4
#   numpy    1.0e-13  2.3e-13  1.4e-12  8.5e-12  2.1e-11
#   numba    1.0e-13  2.3e-13  2.7e-12  3.9e-11  4.5e-10
#
# Orders 0-1 worst at Omega-rand0 (mu close to its zero at the fixed point) and v = 0.007;
# orders 2-4 at v = 0.007 (numpy) and v = 20 (numba, xi_vv..xi_vvvv), where the closed
# forms cancel: measured against the size S of the integrand the errors are all within
# 4e-15 S up to order 3 and 7e-13 S at order 4.  The numba kernels lose up to 20x more
# than numpy at v = 20 (glibc erfc/exp and numba's integer powers instead of
# scipy/numpy); both are still far inside the tolerances below (margins 4x-12x).
RTOL = {
    "numpy": {0: 1e-12, 1: 1e-12, 2: 1e-11, 3: 1e-10, 4: 2e-10},
    "numba": {0: 1e-12, 1: 1e-12, 2: 2e-11, 3: 3e-10, 4: 5e-9},
}
# mu~ vanishes at the fixed point (m, v) = (0, 1) by the construction of alpha01 and
# lambda01 (mu = -0.0016 at Omega-rand0), so values get an absolute floor; derivatives
# have no designed zeros in these domains (|derivative| ranges over 1e-6 .. 1e7, the
# small ones at v = 20, the large ones at v = 0.007), so an absolute floor would be
# meaningless for them: they are judged relatively only.
ATOL = {0: 1e-14}


def float_errors(impl, p: Point):
    """{name: (abs error, |oracle|, scale)} for one float implementation at one point."""
    orc = _oracle_at(p)
    par = PARAMS[p.pkey]
    res = {}
    for fname in fnames_for(p):
        if fname not in impl.NAMES:  # a group only the ball kernels get (BALL_ONLY)
            continue
        out = getattr(impl, fname)(p.m, p.v, par.alpha_float, par.lam_float)
        for name, x in zip(impl.NAMES[fname], out):
            x = float(x)
            o = orc[name]
            res.setdefault(name, []).append((abs(MP.mpf(x) - o.value), abs(o.value), o.scale, x))
    return res


@pytest.mark.parametrize("impl", ["numpy", "numba"])
@pytest.mark.parametrize("p", POINT_PARAMS)
def test_float_kernels_vs_oracle(p, impl):
    bad = []
    for name, rows in float_errors({"numpy": FK, "numba": NK}[impl], p).items():
        k = order_of(name)
        assert k in RTOL[impl], f"no measured tolerance for order {k}: measure one and add it"
        for err, mag, scale, x in rows:
            if not math.isfinite(x) or err > RTOL[impl][k] * mag + ATOL.get(k, 0.0):
                bad.append(f"{name}: {x!r} err {float(err):.3g} (|o|={float(mag):.3g}, S={scale:.3g})")
    assert not bad, f"{p.id}:\n  " + "\n  ".join(bad)


# --------------------------------------------------------------------------------------
# (d) ball kernels on small boxes contain the oracle at sample points of the box
# --------------------------------------------------------------------------------------

BOX_HALF = 5e-4  # box width 1e-3 in both m and v
# Box centres: the centre of Omega and a small-v lemma point (points of
# POINTS, so their oracle values are shared with the point tests).
BOX_IDS = ("Omega-centre-m0-v1.205", "Lemma44_45-inner-m-0.1-v0.1")
BOX_CENTRES = [(p.m, p.v) for p in POINTS if p.id in BOX_IDS]
assert len(BOX_CENTRES) == len(BOX_IDS)


@pytest.mark.parametrize("centre", BOX_CENTRES, ids=lambda c: f"m{_fmt(c[0])}-v{_fmt(c[1])}")
def test_ball_kernel_on_box_contains_oracle(centre):
    m0, v0 = centre
    mlo, mhi, vlo, vhi = m0 - BOX_HALF, m0 + BOX_HALF, v0 - BOX_HALF, v0 + BOX_HALF
    # two opposite corners (where an enclosure is most likely to be too tight) and the
    # centre, a point of POINTS
    samples = [(mlo, vlo), (mhi, vhi), (m0, v0)]
    with precision(80):
        mb, vb = interval(mlo, mhi), interval(vlo, vhi)
    out = {name: balls[-1][1] for name, balls in _all_balls(mb, vb, "selu01", 80).items()}
    for ms, vs in samples:
        assert mlo <= ms <= mhi and vlo <= vs <= vhi
        orc = oracle(ms, vs, "selu01")
        for name in ALL_NAMES:
            b, o = out[name], orc[name]
            assert b.is_finite(), (name, b)
            assert b.overlaps(o.ball()), (centre, (ms, vs), name, b, MP.nstr(o.value, 20))
            # not vacuous: a box ball is wide (plain interval evaluation over a box
            # overestimates; measured up to 300x |value| for 4th derivatives at v = 0.1,
            # but at most 0.03 S), yet it must stay well below the integrand scale S
            assert float(b.rad()) < 0.1 * o.scale, (centre, name, b, o.scale)


# --------------------------------------------------------------------------------------
# (e) sanity twins: a wrong value must be rejected
# --------------------------------------------------------------------------------------

TWIN_POINTS = [POINTS[0], POINTS[len(POINTS) // 2], POINTS[-1]]


@pytest.mark.parametrize("bits", [80, 200], ids=lambda b: f"prec{b}")
@pytest.mark.parametrize("p", [pytest.param(p, id=p.id) for p in TWIN_POINTS])
def test_sanity_twin_wrong_value_rejected(p, bits):
    o = _oracle_at(p)["mu"]
    mu_ball = _ball_eval(VALUE_FNAME, p, bits)[0]
    assert mu_ball.overlaps(o.ball())  # the right value is accepted ...
    wrong = OracleValue(o.value + MP.mpf("1e-9"), o.err, o.scale)
    assert not mu_ball.overlaps(wrong.ball())  # ... and a value off by 1e-9 is not
    if bits == 80:
        par = PARAMS[p.pkey]
        with precision(QUAD_BITS):
            q = rigorous_moment(1, p.m, p.v, *par.balls(QUAD_BITS))
        assert not q.overlaps(wrong.ball())
