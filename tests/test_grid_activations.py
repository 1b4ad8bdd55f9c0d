"""The grid method for an activation other than SELU (SERLU here), against an
independent oracle.

The oracle is written out below: SERLU as a plain function and its Gaussian moments as
mpmath quadratures of the defining integrals, split at the kink (never our kernels or
closed forms); (m, v) derivatives under the integral sign on the Gaussian density,
dE[f]/dm = E[f(z) u]/s, dE[f]/dv = E[f(z) (u^2 - 1)]/(2v), z = m + s u; then
J = d(mu~, nu~)/d(mu, nu) and S its largest singular value.

Grids are small: the first run in a fresh checkout compiles SERLU's S sweep (numba,
tens of seconds), later runs read it from numba's cache.
"""
from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest

from selu_theory import grid_kernels as gk
from selu_theory import user_cache
from selu_theory.params import Params
from verification import api
from verification import certificate as cert_io
from verification import grid_certificate
from verification import grid_sweep as gs
from verification.domain import Domain

MP = mpmath.MPContext()
MP.dps = 30
CUT = 12   # |u| <= CUT: the Gaussian tail beyond is below 1e-32 relative to these moments

SERLU = Params(activation="serlu")          # the paper's alpha = 2.90427, lambda = 1.07862
# A small box around (0, 1): 5 x 5 x 5 x 3 points.  (The per-cell slack rests on Arb
# jets of S over each cell; for SERLU they overestimate fast with the cell's width:
# on a box ten times wider the certified bound is ~25 for a maximum of ~0.69.)
DOMAIN = Domain(((Fraction(-1, 100), Fraction(1, 100)), (Fraction(-1, 100), Fraction(1, 100)),
                 (Fraction(99, 100), Fraction(101, 100)), (Fraction(995, 1000), Fraction(1005, 1000))))
STEPS = {v: Fraction(1, 200) for v in ("mu", "omega", "nu", "tau")}


# --------------------------------------------------------------------------- the oracle

def _mp(x):
    q = Fraction(x)
    return MP.mpf(q.numerator) / q.denominator


def _serlu(x, alpha, lam):
    return lam * x if x >= 0 else lam * alpha * x * MP.exp(x)


def oracle_S(point, params: Params = SERLU):
    """S at (mu, omega, nu, tau) from quadratures of the defining integrals."""
    mu, omega, nu, tau = (_mp(p) for p in point)
    alpha, lam = (_mp(params.spec(n)) for n in ("alpha", "lam"))
    m, v = mu * omega, nu * tau
    s = MP.sqrt(v)
    u0 = -m / s
    pts = [-CUT, u0, CUT] if -CUT < u0 < CUT else [-CUT, CUT]

    def E(g):
        return MP.quad(lambda u: g(_serlu(m + s * u, alpha, lam), u) * MP.exp(-u * u / 2), pts) / MP.sqrt(2 * MP.pi)

    mt = E(lambda f, u: f)
    mu_m, xi_m = E(lambda f, u: f * u) / s, E(lambda f, u: f * f * u) / s
    mu_v, xi_v = E(lambda f, u: f * (u * u - 1)) / (2 * v), E(lambda f, u: f * f * (u * u - 1)) / (2 * v)
    a, b = omega * mu_m, tau * mu_v
    c, d = omega * (xi_m - 2 * mt * mu_m), tau * (xi_v - 2 * mt * mu_v)
    F = a * a + b * b + c * c + d * d
    det = a * d - b * c
    return MP.sqrt((F + MP.sqrt(F * F - 4 * det * det)) / 2)


def _axes(domain=DOMAIN, steps=STEPS):
    return tuple(gs.make_axis(v, lo, hi, steps.get(v), "both") for v, (lo, hi) in zip(gs.VARS, domain.bounds))


# --------------------------------------------------------------------------- the tests

def test_grid_values_hold_the_quadrature_values():
    """Every grid value's enclosure (SERLU's kernels) holds the oracle's S, and is not
    SELU's: the sweep is compiled from the activation's own kernels."""
    dom = Domain(((Fraction(-1, 10), Fraction(1, 10)), (Fraction(-1, 10), Fraction(1, 10)),
                  (Fraction(9, 10), Fraction(11, 10)), (Fraction(1), Fraction(1))))
    axes = _axes(dom, {"mu": Fraction(1, 5), "omega": Fraction(1, 5), "nu": Fraction(1, 5)})
    mid, rad = gs.grid_values(axes, "S", SERLU)
    selu_mid, _ = gs.grid_values(axes, "S", Params())
    checked = 0
    for i0, mu in enumerate(axes[0].points):
        for i1, om in enumerate(axes[1].points):
            for i2, nu in enumerate(axes[2].points):
                idx = (i0, i1, i2, 0)
                x = oracle_S((mu, om, nu, 1.0))
                assert 0 < rad[idx] < 1e-10
                assert _mp(Fraction(mid[idx]) - Fraction(rad[idx])) <= x <= _mp(Fraction(mid[idx]) + Fraction(rad[idx])), \
                    (idx, mid[idx], rad[idx], MP.nstr(x, 20))
                assert abs(selu_mid[idx] - mid[idx]) > 1e-3   # SELU's S is elsewhere
                checked += 1
    assert checked == 8


def _elu(x, alpha):
    return x if x >= 0 else alpha * (MP.exp(x) - 1)


def test_one_parameter_activation_through_the_expression_program():
    """ELU (one parameter: K and P of another length) through the generic kernel (an
    expression program, not S): nu~ - nu holds the quadrature value at every point."""
    params = Params(activation="elu", alpha="1.2")
    # (m + v > 0 at every point: the kernels' erfcx enclosure is proven for positive
    # arguments only, and a point with m + v = 0 is a 'bad' point, as for SELU)
    dom = Domain(((Fraction(-1, 4), Fraction(1, 2)), (Fraction(1), Fraction(1)),
                  (Fraction(1, 2), Fraction(3, 2)), (Fraction(1), Fraction(1))))
    axes = _axes(dom, {"mu": Fraction(3, 4), "nu": Fraction(1)})
    mid, rad = gs.grid_values(axes, "nu_tilde - nu", params)
    alpha = _mp("1.2")
    for i0, mu in enumerate(axes[0].points):
        for i2, nu in enumerate(axes[2].points):
            m, v = _mp(mu), _mp(nu)
            s = MP.sqrt(v)
            pts = [-CUT, -m / s, CUT]

            def E(g):
                return MP.quad(lambda u: g(_elu(m + s * u, alpha)) * MP.exp(-u * u / 2), pts) / MP.sqrt(2 * MP.pi)

            x = E(lambda f: f * f) - E(lambda f: f) ** 2 - v
            idx = (i0, 0, i2, 0)
            assert 0 < rad[idx] < 1e-10
            assert _mp(Fraction(mid[idx]) - Fraction(rad[idx])) <= x <= _mp(Fraction(mid[idx]) + Fraction(rad[idx])), \
                (idx, mid[idx], MP.nstr(x, 20))


def test_kernels_for_is_per_activation_and_refuses_unknown_ones():
    assert gk.kernels_for("selu").sweep_S is gk.sweep_S   # SELU keeps its module-level sweeps
    ks = gk.kernels_for("serlu")
    assert ks.sweep_S is not gk.sweep_S and ks is gk.kernels_for("serlu")
    with pytest.raises(gk.GridUnavailable) as exc:
        gk.kernels_for("nosuchactivation")
    assert "\n" not in str(exc.value) and "nosuchactivation" in str(exc.value)
    assert len(gk.constants(Params(activation="elu"))) == 2   # one parameter: (mid, rad)


@pytest.fixture(scope="module")
def serlu_grid(tmp_path_factory):
    """The certified max of S for SERLU on DOMAIN (per-cell slack), with its certificate."""
    out = tmp_path_factory.mktemp("grid-serlu")
    return api.grid("S", DOMAIN, STEPS, "max", params=SERLU, out=out)


def test_certified_max_is_above_the_quadrature_values(serlu_grid):
    r = serlu_grid
    assert r.status == "proved", r.reason
    bound = _mp(r.bound)
    # the bound holds on the whole box: at grid points and at random points inside
    axes = _axes()
    grid_pts = [(axes[0].points[i], axes[1].points[j], axes[2].points[k], axes[3].points[q])
                for i, j, k, q in ((0, 0, 0, 0), (4, 4, 4, 2), (0, 4, 4, 2), (2, 2, 2, 1), (4, 0, 0, 0))]
    rng = random.Random(9)
    inner = [tuple(Fraction(rng.randint(0, 1000), 1000) * (hi - lo) + lo for lo, hi in DOMAIN.bounds)
             for _ in range(6)]
    values = [oracle_S(p) for p in grid_pts + inner]
    assert max(values) <= bound
    # and it is a tight bound: within the mean-value slack of the oracle's largest value
    assert bound - max(values) < MP.mpf("0.01"), (MP.nstr(bound, 12), MP.nstr(max(values), 12))


def test_false_twin_is_not_proved(tmp_path):
    """A threshold just below S at a grid point (the continuous max is at least that)
    must not be proved: it is disproved by that grid point."""
    axes = _axes()
    vals = [(oracle_S((mu, om, axes[2].points[-1], axes[3].points[-1])), (mu, om))
            for mu in (axes[0].points[0], axes[0].points[-1]) for om in (axes[1].points[0], axes[1].points[-1])]
    top = max(v for v, _ in vals)
    threshold = Fraction(MP.nstr(top - MP.mpf("1e-9"), 20))
    assert _mp(threshold) < top
    r = api.grid("S", DOMAIN, STEPS, "max", threshold, params=SERLU, out=tmp_path)
    assert r.status != "proved"
    assert r.status == "disproved" and r.counterexample is not None


def test_certificate_records_the_activation_and_replays(serlu_grid):
    cert = grid_certificate.load(serlu_grid.certificate)
    assert cert["activation"]["id"] == "serlu"
    assert cert["params"] == {"alpha": "2.90427", "lambda": "1.07862"}
    assert "serlu" in cert["statement"]
    ok, status, msgs = grid_certificate.replay(cert)
    assert ok and status == "proved", msgs


def _forged(cert, edit):
    c = {k: v for k, v in cert.items() if k != "sha256"}
    edit(c)
    return cert_io.seal(c)


def test_serlu_certificate_replayed_as_selu_is_rejected(serlu_grid):
    cert = grid_certificate.load(serlu_grid.certificate)

    def as_selu(c):           # the record dropped: it reads as a SELU certificate
        del c["activation"]

    def as_selu_kernels(c):   # ... with SELU's kernels hash too: the sweep must then disagree
        del c["activation"]
        c["error_model"] = grid_certificate.error_model("selu")

    def record_selu(c):
        c["activation"] = dict(c["activation"], id="selu")

    def other_builtin(c):     # same labels (alpha, lambda), another activation's kernels
        c["activation"] = cert_io.activation_record("celu", c["activation"]["kernels_input_sha256"])

    for edit in (as_selu, as_selu_kernels, record_selu, other_builtin):
        ok, status, msgs = grid_certificate.replay(_forged(cert, edit))
        assert not ok and status == "undecided", (edit.__name__, msgs)
        assert len(msgs) == 1 and "\n" not in msgs[0]
        if edit is as_selu_kernels:   # SELU's kernels do not give SERLU's grid extreme
            assert "grid_extreme" in msgs[0], msgs


def test_user_activation_without_grid_kernels_is_one_clear_line(tmp_path, monkeypatch):
    """A user activation whose grid kernels could not be generated: GridUnavailable, one
    line naming it (the CLI turns it into exit 2), never SELU's sweeps."""
    monkeypatch.setenv(user_cache.ENV, str(tmp_path))
    spec = "x>=0: x; x<0: nogrid*x"
    uid = user_cache.user_id(spec)
    user_cache.install(uid, spec, {"__init__.py": "", "ball_kernels.py": "VALUE = 1\n"}, "fp")
    with pytest.raises(gk.GridUnavailable) as exc:
        gk.kernels_for(uid)
    assert uid in str(exc.value) and "\n" not in str(exc.value) and "selu-verify bound" in str(exc.value)
