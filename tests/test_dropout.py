"""selu_theory.dropout: alpha dropout's (a, b) and the dropout moment maps.

Oracles: the SELU moments come from ``oracle_mpmath`` (mpmath Gaussian quadrature, its own
alpha01/lambda01 from the closed forms), never from our kernels; the dropped-out unit's
mean and variance are computed here from them (and, at general points, by a direct
quadrature of the dropped-out output), and a, b are solved from the requirement "mean 0,
variance 1" rather than copied from the paper.  sympy checks the restoration identity
for all q and alpha'.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from flint import arb

from oracle_mpmath import MP, MomentOracle
from selu_theory import constants
from selu_theory import dropout as D
from selu_theory.ball import interval, precision

ORACLE = MomentOracle()
AP_MP = -ORACLE.alpha * ORACLE.lam          # alpha' = -lambda alpha, the oracle's constants
RATES = ["0.05", "0.1", "0.2", "0.5"]
BITS = 200


def ap_ball():
    return D.alpha_prime_selu(constants.alpha01(BITS), constants.lambda01(BITS))


def to_mp(x):
    """An Arb ball's midpoint as an mpmath number (all digits)."""
    return MP.mpf(x.mid().str(60, radius=False))


def rad(x):
    return MP.mpf(x.rad().str(5, radius=False)) if x.rad() != 0 else MP.mpf(0)


def selu_01():
    """SELU's (mu~, xi~) at the fixed point (m, v) = (0, 1), by quadrature."""
    r = ORACLE.moments(0, 1, derivatives=False)
    return r["mu"], r["xi"]


def oracle_ab(q):
    """(a, b) solved from E[a d + b] = 0, Var(a d + b) = 1 for the dropped-out unit
    d = x (prob q), alpha' (prob 1 - q), x = selu(z), z ~ N(0, 1)."""
    mu, xi = selu_01()
    mean_d = q * mu + (1 - q) * AP_MP
    var_d = q * xi + (1 - q) * AP_MP ** 2 - mean_d ** 2
    a = 1 / MP.sqrt(var_d)
    return a, -a * mean_d


@pytest.mark.parametrize("rate", RATES)
def test_ab_against_oracle_and_closed_forms(rate):
    q = 1 - MP.mpf(rate)
    a_o, b_o = oracle_ab(q)
    # the paper's closed form and Keras' spelling of it, written out here
    a_p = (q + AP_MP ** 2 * q * (1 - q)) ** MP.mpf(-0.5)
    b_p = -a_p * (1 - q) * AP_MP
    r = MP.mpf(rate)
    a_k = ((1 - r) * (1 + r * AP_MP ** 2)) ** MP.mpf(-0.5)
    b_k = -a_k * AP_MP * r
    for a, b in ((a_p, b_p), (a_k, b_k)):
        assert abs(a - a_o) < MP.mpf("1e-35") and abs(b - b_o) < MP.mpf("1e-35")
    with precision(BITS + 20):
        a, b = D.alpha_affine(1 - Fraction(rate), ap_ball())
    assert abs(to_mp(a) - a_o) < MP.mpf("1e-35") + rad(a)
    assert abs(to_mp(b) - b_o) < MP.mpf("1e-35") + rad(b)
    assert rad(a) < MP.mpf("1e-50") and rad(b) < MP.mpf("1e-50")
    af, bf = D.alpha_affine(1 - float(rate), -constants.ALPHA01_FLOAT * constants.LAMBDA01_FLOAT)
    assert abs(af - float(a_o)) < 1e-14 and abs(bf - float(b_o)) < 1e-14


def test_framework_spelling():
    """Keras/PyTorch spell it a = ((1 - rate)(1 + rate alpha'^2))^(-1/2),
    b = -a alpha' rate, with alpha' = -1.7580993408473766 hard-coded (floats)."""
    ap = -1.7580993408473766
    for rate in (0.05, 0.1, 0.2):
        a, b = D.alpha_affine(1 - rate, ap)
        a_k = ((1 - rate) * (1 + rate * ap * ap)) ** -0.5
        assert abs(a - a_k) < 1e-15 and abs(b - (-a_k * ap * rate)) < 1e-15


@pytest.mark.parametrize("rate", RATES + ["0"])
def test_restoration_at_fixed_point_in_balls(rate):
    """Our coefficients at (mu~, xi~) = (0, 1): mean 0 and variance 1 to 1e-50."""
    with precision(BITS + 20):
        c = D.coefficients(f"alpha:{rate}", ap_ball())
        mu, xi, nu = D.apply(c, arb(0), arb(1))
        assert mu.contains(0) and nu.contains(1) and xi.contains(1)
        assert mu.rad() < 1e-50 and nu.rad() < 1e-50
        m2, n2 = D.alpha_dropout_moments(arb(0), arb(1), 1 - Fraction(rate), ap_ball())
        assert m2.contains(0) and n2.contains(1) and n2.rad() < 1e-50


def test_restoration_with_the_oracle_moments():
    """With the quadrature's SELU moments (not exactly 0, 1 in the last digits) the
    composed output is (0, 1) to the oracle's accuracy."""
    mu_t, xi_t = selu_01()
    for rate in RATES:
        q = 1 - MP.mpf(rate)
        a_p = (q + AP_MP ** 2 * q * (1 - q)) ** MP.mpf(-0.5)
        b_p = -a_p * (1 - q) * AP_MP
        c = D.coefficients(f"alpha:{rate}", AP_MP, a=a_p, b=b_p, q=q)
        mu, _, nu = D.apply(c, mu_t, xi_t)
        assert abs(mu) < MP.mpf("1e-35") and abs(nu - 1) < MP.mpf("1e-35")


def test_restoration_identity_sympy():
    """E[y] = 0 and Var(y) = 1 at (0, 1) identically in q and alpha' (our coefficient
    algebra, fed sympy symbols)."""
    q, ap = sympy.symbols("q alpha_p", positive=True)
    a = 1 / sympy.sqrt(q + ap ** 2 * q * (1 - q))
    b = -a * (1 - q) * ap
    c = D.coefficients("alpha:0.5", ap, a=a, b=b, q=q)
    mu, _, nu = D.apply(c, sympy.Integer(0), sympy.Integer(1))
    assert sympy.simplify(mu) == 0
    assert sympy.simplify(nu - 1) == 0
    m2, n2 = D.alpha_dropout_moments(sympy.Integer(0), sympy.Integer(1), q, ap)
    assert sympy.simplify(m2) == 0 and sympy.simplify(n2 - 1) == 0


@pytest.mark.parametrize("which", ["a_up", "b_up", "b_sign", "a_paper_without_q"])
def test_false_twin_is_caught(which):
    """A wrong a or b does not restore (0, 1): the output balls exclude 0 or 1."""
    with precision(BITS + 20):
        q = 1 - interval(Fraction(1, 10), Fraction(1, 10))
        a, b = D.alpha_affine(q, ap_ball())
        if which == "a_up":
            a = a * (1 + arb("1e-9"))
        elif which == "b_up":
            b = b + arb("1e-9")
        elif which == "b_sign":
            b = -b
        else:   # a forgotten factor: (1 + alpha'^2 q (1-q))^(-1/2)
            a = 1 / (1 + ap_ball() ** 2 * q * (1 - q)).sqrt()
        c = D.coefficients("alpha:0.1", ap_ball(), a=a, b=b)
        mu, _, nu = D.apply(c, arb(0), arb(1))
        assert not (mu.contains(0) and nu.contains(1))


def direct_quadrature(m, v, rate, a, b):
    """E[y], Var(y) of y = a d + b, d = selu(z) w.p. q else alpha', z ~ N(m, v), by one
    quadrature of the dropped-out output (no use of mu~, xi~ algebra)."""
    q = 1 - MP.mpf(rate)
    s = MP.sqrt(v)
    dens = lambda u: MP.exp(-u * u / 2) / MP.sqrt(2 * MP.pi)
    u0 = -MP.mpf(m) / s
    kept1 = MP.quad(lambda u: (a * ORACLE.selu(m + s * u) + b) * dens(u), [-MP.inf, u0, MP.inf])
    kept2 = MP.quad(lambda u: (a * ORACLE.selu(m + s * u) + b) ** 2 * dens(u), [-MP.inf, u0, MP.inf])
    dropped = a * AP_MP + b
    e1 = q * kept1 + (1 - q) * dropped
    e2 = q * kept2 + (1 - q) * dropped ** 2
    return e1, e2 - e1 ** 2


@pytest.mark.parametrize("m,v,rate", [("0.3", "1.4", "0.1"), ("-0.5", "0.6", "0.2")])
def test_alpha_map_at_general_points(m, v, rate):
    """Away from the fixed point: our map from the oracle's (mu~, xi~) equals a direct
    quadrature of the dropped-out, corrected output."""
    m_, v_ = MP.mpf(m), MP.mpf(v)
    r = ORACLE.moments(Fraction(m), Fraction(v), derivatives=False)
    q = 1 - MP.mpf(rate)
    a = (q + AP_MP ** 2 * q * (1 - q)) ** MP.mpf(-0.5)
    b = -a * (1 - q) * AP_MP
    e1, var = direct_quadrature(m_, v_, rate, a, b)
    c = D.coefficients(f"alpha:{rate}", AP_MP, q=q)
    mu, _, nu = D.apply(c, r["mu"], r["xi"])
    assert abs(mu - e1) < MP.mpf("1e-30") and abs(nu - var) < MP.mpf("1e-30")
    m2, n2 = D.alpha_dropout_moments(r["mu"], r["xi"], q, AP_MP)
    assert abs(m2 - e1) < MP.mpf("1e-30") and abs(n2 - var) < MP.mpf("1e-30")


def test_standard_dropout():
    """Inverted dropout: mean kept, second moment xi~/q; at (0, 1) the variance is 1/q."""
    with precision(BITS + 20):
        c = D.coefficients("standard:0.1")
        mu, xi, nu = D.apply(c, arb(0), arb(1))
        assert mu.contains(0) and nu.overlaps(arb(10) / 9) and nu.rad() < 1e-50
    r = ORACLE.moments(Fraction("0.2"), Fraction("1.3"), derivatives=False)
    c = D.coefficients("standard:0.25", q=MP.mpf("0.75"))
    mu, xi, nu = D.apply(c, r["mu"], r["xi"])
    # direct: E[x B / q] = mu~, E[(x B / q)^2] = xi~ / q
    assert abs(mu - r["mu"]) < MP.mpf("1e-40")
    assert abs(nu - (r["xi"] / MP.mpf("0.75") - r["mu"] ** 2)) < MP.mpf("1e-40")
    assert D.apply(D.coefficients("none", field="float"), 0.3, 2.0) == (0.3, 2.0, 2.0 - 0.09)


def test_jacobian_and_rate_partials():
    """apply_jacobian and alpha_dropout_moments_dq against mpmath.diff."""
    ctx = mpmath.MPContext()
    ctx.dps = 40
    mu_t, xi_t = ctx.mpf("0.21"), ctx.mpf("1.3")
    dmu, dxi = [ctx.mpf("0.7"), ctx.mpf("-0.2")], [ctx.mpf("0.4"), ctx.mpf("1.1")]
    ap = ctx.mpf(str(-constants.ALPHA01_FLOAT * constants.LAMBDA01_FLOAT))
    for spec, q in (("alpha:0.1", ctx.mpf("0.9")), ("standard:0.2", ctx.mpf("0.8"))):
        c = D.coefficients(spec, ap, q=q)
        gm, gn = D.apply_jacobian(c, mu_t, xi_t, dmu, dxi)
        for k in range(2):
            f = lambda t, i: D.apply(c, mu_t + t * dmu[k], xi_t + t * dxi[k])[i]
            assert abs(ctx.diff(lambda t: f(t, 0), 0) - gm[k]) < ctx.mpf("1e-30")
            assert abs(ctx.diff(lambda t: f(t, 2), 0) - gn[k]) < ctx.mpf("1e-30")
    q0 = ctx.mpf("0.87")
    dm, dn = D.alpha_dropout_moments_dq(mu_t, xi_t, q0, ap)
    assert abs(ctx.diff(lambda q: D.alpha_dropout_moments(mu_t, xi_t, q, ap)[0], q0) - dm) < ctx.mpf("1e-30")
    assert abs(ctx.diff(lambda q: D.alpha_dropout_moments(mu_t, xi_t, q, ap)[1], q0) - dn) < ctx.mpf("1e-30")


def test_layer_map_float():
    """The float layer map composes moments -> dropout: at (0, 1) with the oracle's
    SELU moments (given as a float function) alpha dropout keeps (0, 1)."""
    def moments(m, v):
        r = ORACLE.moments(Fraction(m), Fraction(v), derivatives=False)
        return float(r["mu"]), float(r["xi"])
    ap = -constants.ALPHA01_FLOAT * constants.LAMBDA01_FLOAT
    step = D.layer_map(moments, "alpha:0.1", ap)
    mu, nu = step(0.0, 1.0, 0.0, 1.0)
    assert abs(mu) < 1e-14 and abs(nu - 1) < 1e-14
    mu, nu = D.layer_map(moments, "standard:0.1")(0.0, 1.0, 0.0, 1.0)
    assert abs(mu) < 1e-14 and abs(nu - 1 / 0.9) < 1e-14


@pytest.mark.parametrize("text,fragment", [
    ("alpha:-0.1", "must be >= 0"),
    ("standard:1", "must be below 1"),
    ("alpha:1.5", "must be below 1"),
    ("gaussian:0.1", "write none, alpha:RATE or standard:RATE"),
    ("alpha", "write none"),
    ("alpha:abc", "must be a number"),
    ("standard:1e999", "exponent"),
])
def test_bad_dropout_one_line(text, fragment):
    with pytest.raises(D.DropoutError) as info:
        D.parse_dropout(text)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_parse_dropout():
    assert D.parse_dropout("none").kind == "none"
    d = D.parse_dropout(" Alpha:0.05 ")
    assert (d.kind, d.rate, d.keep, d.spec) == ("alpha", Fraction(1, 20), Fraction(19, 20), "alpha:0.05")
    assert D.parse_dropout("standard:1/10").rate == Fraction(1, 10)
    with pytest.raises(D.DropoutError):
        D.coefficients("alpha:0.1")          # alpha' missing
