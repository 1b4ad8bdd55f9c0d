"""The paper's grid method with rigorous error bounds (verification/paper_grid.py,
selu_theory/grid_kernels.py): every grid value against Arb, the error model's pieces,
determinism, and grids that must not prove (too-small derivative bounds, thresholds
below the grid max, arguments outside the kernels' range)."""
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from selu_theory import ball
from selu_theory import grid_kernels as gk
from tools import generate_grid_tables as grid_tables_gen
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params
from verification import claims as C
from verification import grid_certificate
from verification import paper_grid as pg

P = Params()
OMEGA_MINUS = C.OMEGA_MINUS
OMEGA_PLUS = C.OMEGA_PLUS



def small_axes(domain, n=(3, 4, 3, 3), reading="linspace"):
    axes = []
    for v, (lo, hi), k in zip(pg.VARS, domain.bounds, n):
        step = (hi - lo) / (k - 1) if hi > lo else None
        axes.append(pg.make_axis(v, lo, hi, step, reading))
    return tuple(axes)


def test_tables_are_what_the_generator_writes():
    assert grid_tables_gen.main(["--check"]) == 0


def test_own_exp_contains_arb():
    rng = np.random.default_rng(1)
    xs = list(rng.uniform(-60, 60, 400)) + list(rng.uniform(-0.02, 0.02, 200)) + [0.0, 0.34657, -0.34657, 699.0, -699.0]
    with ball.precision(200):
        for x in xs:
            x = float(x)
            rx = abs(x) * 2.0 ** -50
            y, r = gk.exp_value(x, rx)
            for X in (arb(x) - arb(rx), arb(x), arb(x) + arb(rx)):   # exp is monotone: the ends suffice
                assert (abs(X.exp() - arb(y))).upper() <= arb(r), (x, y, r)
            assert r <= y * 8 * 2.0 ** -53 + rx * y * 1.01 + 1e-300
    assert gk.exp_value(-800.0, 0.0) == (0.0, 1e-304)
    assert all(math.isnan(t) for t in gk.exp_value(800.0, 0.0))
    assert all(math.isnan(t) for t in gk.exp_value(float("nan"), 0.0))


def test_own_erfcx_contains_arb():
    rng = np.random.default_rng(2)
    with ball.precision(200):
        for x in list(rng.uniform(0, 16, 600)) + [0.0, 1 / 64, 1 / 32, 0.5 - 1e-17, 15.999, 16.0]:
            x = float(x)
            y, r = gk.erfcx_value(x, 0.0)
            e = (arb(x) * arb(x)).exp() * arb(x).erfc()
            assert (abs(e - arb(y))).upper() <= arb(r), (x, y, r)
            assert r <= 4 * 2.0 ** -53 * y + 1e-300   # a few ulp, not a loose bound
    for bad in (-1e-3, 16.5, float("nan")):
        assert all(math.isnan(t) for t in gk.erfcx_value(bad, 0.0))


# every grid value against Arb: the error bound must contain |Arb - float| at every point
@pytest.mark.parametrize("expr", ["S", "mu_tilde**2", "nu_tilde - nu",
                                  "J11*J22 - J12*J21 + exp(-xi_tilde)/sqrt(tau) + 2.5*dnu_domega - dmu_dtau**3"])
@pytest.mark.parametrize("domain", [C.OMEGA, OMEGA_MINUS, OMEGA_PLUS], ids=["Omega", "Omega-", "Omega+"])
def test_every_grid_value_is_enclosed(expr, domain):
    axes = small_axes(domain)
    mid, rad = pg.grid_values(axes, expr, P)
    ev = Evaluator(parse(expr), P, bits=120)
    worst = 0.0
    for idx in np.ndindex(mid.shape):
        pt = tuple(float(a.points[i]) for a, i in zip(axes, idx))
        exact = ev.point(pt)
        diff = abs(exact - arb(float(mid[idx])))
        assert diff.upper() <= arb(float(rad[idx])), (expr, pt, mid[idx], rad[idx], exact)
        worst = max(worst, float(rad[idx]))
    assert 0 < worst < 1e-12


def test_paper_grid_axes():
    steps = {v: Fraction(LEMMA) for v, LEMMA in pg.LEMMA12.steps.items()}
    n = {rd: [pg.make_axis(v, lo, hi, steps[v], rd).n for v, (lo, hi) in zip(pg.VARS, C.OMEGA.bounds)]
         for rd in pg.PAPER_READINGS}
    assert n["start"] == [30, 242, 731, 205] and n["both"] == [31, 243, 732, 206]
    wide = [pg.make_axis(v, lo, hi, steps[v], "start").n for v, (lo, hi) in zip(pg.VARS, pg.OMEGA_WIDE_TAU.bounds)]
    assert math.prod(wide) == 30 * 242 * 731 * 615
    s43 = {v: Fraction(x) for v, x in pg.LEMMA43.steps.items()}
    both = [pg.make_axis(v, lo, hi, s43[v], "both") for v, (lo, hi) in zip(pg.VARS, OMEGA_MINUS.bounds)]
    assert [a.n for a in both] == [135, 135, 473, 238]
    # every point of the domain is within the covering radius of an axis point
    for rd in pg.PAPER_READINGS:
        for (lo, hi), v in zip(OMEGA_MINUS.bounds, pg.VARS):
            a = pg.make_axis(v, lo, hi, s43[v], rd)
            assert a.cover <= s43[v] and Fraction(a.points[0]) >= lo and Fraction(a.points[-1]) <= hi
            xs = [lo + (hi - lo) * Fraction(k, 997) for k in range(998)]
            pts = [Fraction(p) for p in a.points]
            for x in xs:
                j = np.searchsorted(a.points, float(x))
                near = min(abs(x - pts[k]) for k in (j - 1, j) if 0 <= k < len(pts))
                assert near <= a.cover


def test_sweep_is_deterministic_across_threads_and_cells():
    g = pg.LEMMA12
    steps = pg.scaled_steps(g, 12)
    axes = tuple(pg.make_axis(v, lo, hi, steps[v], "both") for v, (lo, hi) in zip(pg.VARS, C.OMEGA.bounds))
    a = pg.sweep(axes, "S", P, threads=1)
    b = pg.sweep(axes, "S", P, threads=2)
    c = pg.sweep(axes, "S", P, cells=(1, 1, 3, 2), threads=2)
    for x, y in ((a.hi, b.hi), (a.amax, b.amax), (a.rad, b.rad), (a.imax, b.imax)):
        assert np.array_equal(x, y)
    assert a.max_point()[:2] == c.max_point()[:2] and a.max_upper == c.max_upper and a.max_rad == c.max_rad
    # the tape kernel (generic expressions) gives the same values as the S kernel
    d = pg.sweep(axes, "+S", P, threads=2)
    assert d.max_point()[:2] == a.max_point()[:2]
    # and the grid max is the certified max of S on Omega (thm1-contraction: at a corner)
    pt, mid, rad = a.max_point()
    assert abs(mid - 0.8976083584089) < 1e-12 and rad < 1e-13


def test_grid_bound_is_an_upper_bound_of_the_continuous_max(cli, tmp_path):
    # a coarse grid on a small box, against the box engine's certified maximum
    from verification import prove
    from verification.domain import Domain
    from verification.engine import Runner
    dom = "mu=0.05:0.1,omega=0.05:0.1,nu=0.8:0.9,tau=1.05:1.1"
    js = tmp_path / "g.json"
    code, out, err = cli("grid", "S", "--domain", dom, "--steps", "mu=0.01,omega=0.01,nu=0.02,tau=0.01",
                             "--max", "--workers", "1", "--out", str(tmp_path), "--json", str(js))
    assert code == 0, out + err
    data = json.loads(js.read_text())
    with Runner(1) as r:
        pr = prove.run_extremum(C.Extremum("S", "S", "max", Domain.parse(dom), tol=1e-12), P, r, 80)
    lo, hi = pr.enclosure
    # grid values are true values up to their radius; the continuous max is below the bound
    assert data["extreme_mid"] - data["max_error_bound"] <= hi and lo <= data["bounds"][0]["bound"]
    assert data["bounds"][0]["bound"] - hi < 0.01


def test_too_small_derivative_bound_does_not_prove(cli):
    code, out, err = cli("grid", "S", "--steps", "mu=0.05,omega=0.01,nu=0.05,tau=0.025", "--below", "1",
                             "--deriv", "mu=0.001,omega=0.001,nu=0.001,tau=0.001", "--no-per-cell",
                             "--workers", "1")
    assert code == 1, out + err
    assert "your bounds" in out and "violated" in out and "status: proved" not in out


def test_threshold_below_the_grid_max_is_disproved(cli):
    code, out, err = cli("grid", "S", "--steps", "mu=0.05,omega=0.01,nu=0.05,tau=0.025", "--below", "0.85",
                             "--workers", "1")
    assert code == 1 and "status: disproved" in out and "grid point" in out, out + err
    # ... and a true bound whose slack is too big is merely undecided
    code, out, err = cli("grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.35,tau=0.075", "--below", "0.9",
                             "--workers", "1")
    assert code == 1 and "status: undecided" in out, out + err


def test_arguments_outside_the_kernels_fail_closed(cli):
    # m + v < 0: erfcx of a negative argument is outside the proven tables
    code, out, err = cli("grid", "S", "--domain", "mu=-1:-0.9,omega=0.9:1,nu=0.4:0.5,tau=1", "--steps",
                             "mu=0.05,omega=0.05,nu=0.05", "--below", "100", "--workers", "1")
    assert code == 1 and "could not be enclosed" in out, out + err


@pytest.mark.parametrize("args", [
    ["grid", "dS_dmu", "--steps", "mu=0.1,omega=0.1,nu=0.1,tau=0.1", "--max"],
    ["grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.1", "--max"],
    ["grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.1,tau=-1", "--max"],
    ["grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.1,tau=0.1", "--max", "--cells", "1,2"],
    ["grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.1,tau=0.1", "--max", "--reading", "middle"],
    ["grid", "S", "--steps", "mu=0.1,omega=0.1,nu=0.1,tau=0.1"],
    ["paper-grid", "lemma43", "--domain", "omega"],
    ["paper-grid", "lemma12", "--scale", "0"],
])
def test_bad_input_exits_2(cli, args):
    code, out, err = cli(*args)
    assert code == 2 and err.startswith("selu-verify: error:") and len(err.strip().splitlines()) == 1, (out, err)


def test_bad_input_exits_2_from_the_command_line():
    # one run through ``python -m``: the plugin's errors must be the BadInput main() catches
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "verification.cli", "paper-grid", "lemma12", "--scale", "-1"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.startswith("selu-verify: error: --scale"), p.stderr


def test_paper_grid_cli_scaled_down(cli, tmp_path):
    # CI: Lemma 43's grid at 8x the paper's spacing, every reading; the paper's derivative
    # bounds are certified, the paper's slack at 8x spacing is too big (undecided), the
    # per-cell bounds prove every grid, each by a certificate that replays: status proved,
    # exit 0, and the table's status row says proved in every column.  The endpoint
    # readings reproduce the paper's grid max.
    js = tmp_path / "l43.json"
    code, out, err = cli("paper-grid", "lemma43", "--scale", "8", "--reading", "all", "--workers", "1",
                             "--no-certified", "--out", str(tmp_path), "--json", str(js))
    assert code == 0, out + err
    assert "0.00451457" in out and "paper vs reproduced" in out
    assert "status: proved" in out and "paper's own slack (its M_i, sum M_i*Delta_i) at this spacing: undecided" in out
    status_rows = [line for line in out.splitlines() if line.startswith("│ status ")]
    assert len(status_rows) == 1 and status_rows[0].count("proved") == len(pg.PAPER_READINGS), status_rows
    data = json.loads(js.read_text())
    assert data["status"] == "proved" and data["paper_method"] == "undecided"
    res = {r["reading"]: r for r in data["results"]}
    assert set(res) == set(pg.PAPER_READINGS)
    for r in res.values():
        assert r["paper_M"] == "proved" and r["bad_points"] == 0 and r["max_error_bound"] < 1e-15
        modes = {b["mode"]: b for b in r["bounds"]}
        assert modes["paper"]["status"] == "undecided" and modes["per-cell"]["status"] == "proved"
        assert r["status"] == "proved" and r["certified_mode"] == "per-cell" and r["replay"]["accepted"]
        cert = json.loads(open(r["certificate"]).read())
        assert grid_certificate.replay(cert)[:2] == (True, "proved")
    # mu = 0.1, omega = -0.1 is on the grid only when the construction includes both ends
    for rd in ("both", "linspace"):
        assert abs(res[rd]["max_mid"] - 0.00451457) < 5e-9
    for rd in ("start", "end"):
        assert abs(res[rd]["max_mid"] - 0.00451457) > 5e-8


def test_paper_grid_is_undecided_when_no_bound_proves(cli, tmp_path):
    # at 40x the spacing no bound gets below 0.005: undecided, exit 1, no certificate
    js = tmp_path / "l43.json"
    code, out, err = cli("paper-grid", "lemma43", "--scale", "40", "--reading", "both", "--workers", "1",
                         "--no-certified", "--out", str(tmp_path), "--json", str(js))
    data = json.loads(js.read_text())
    assert code == 1 and "status: undecided" in out and data["status"] == "undecided", out + err
    assert all(r["certificate"] is None and r["status"] == "undecided" for r in data["results"])
