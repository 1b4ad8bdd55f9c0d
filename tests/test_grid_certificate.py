"""Grid results are proved only by a replayed certificate (verification/grid_certificate.py).

The two false statements the audit found ``grid`` proving (F1: a fixed axis whose value is
not a float, with no derivative bound; F2: a derivative bound compared after float()) must
not be proved; a proved grid's certificate must replay; a tampered certificate (resealed, so
only the replay can catch it) must be rejected."""
import copy
import json
import subprocess
import sys
import time
from fractions import Fraction

from selu_theory.params import Params
from verification import certificate as cert_io
from verification import grid_certificate as gc
from verification import paper_grid as pg
from verification.domain import Domain

P = Params()
SMALL = "mu=0.05:0.1,omega=0.05:0.1,nu=0.8:0.9,tau=1.05:1.1"
SMALL_STEPS = "mu=0.01,omega=0.01,nu=0.02,tau=0.01"



def test_f1_fixed_axis_off_the_floats_is_not_proved(cli, tmp_path):
    # omega = 1/10 is not a float: the grid point 0.1000000000000000055... is 5.55e-18 away,
    # the derivative in omega is -1e12, and the true value at omega = 1/10 is 1.94e-5 > 1.5e-5
    code, out, err = cli("grid", "1000000000000*(0.10000000000000001942890293094023945741355419158935546875 - omega)",
                         "--domain", "mu=0:1,omega=0.1,nu=1,tau=1", "--steps", "mu=0.5", "--deriv", "mu=0",
                         "--below", "0.000015", "--workers", "1", "--out", str(tmp_path))
    assert code == 1, out + err
    assert "status: proved" not in out and "omega" in out.split("status:")[-1]
    # with a certified bound on omega the slack is honest and the threshold is out of reach
    code, out, err = cli("grid", "1000000000000*(0.10000000000000001942890293094023945741355419158935546875 - omega)",
                         "--domain", "mu=0:1,omega=0.1,nu=1,tau=1", "--steps", "mu=0.5",
                         "--deriv", "mu=0,omega=1000000000000", "--below", "0.000015", "--workers", "1",
                         "--out", str(tmp_path))
    assert code == 1 and "status: proved" not in out, out + err


def test_f2_derivative_bound_compared_exactly(cli, tmp_path):
    # M = 1 - 2^-60 rounds to the float 1.0 but is below |d/dmu| = 1: the value at mu = 1
    # is exactly 0.375, so "< 0.375" is false
    code, out, err = cli("grid", "mu - 0.625", "--domain", "mu=0:1,omega=0.5,nu=1,tau=1", "--steps", "mu=0.625",
                         "--reading", "start", "--deriv", "mu=1152921504606846975/1152921504606846976",
                         "--below", "0.375", "--workers", "1", "--out", str(tmp_path))
    assert code == 1 and "status: proved" not in out, out + err
    # the same grid with M = 1 gives bound 0.375 + tiny: not below 0.375 either
    code, out, err = cli("grid", "mu - 0.625", "--domain", "mu=0:1,omega=0.5,nu=1,tau=1", "--steps", "mu=0.625",
                         "--reading", "start", "--deriv", "mu=1", "--below", "0.375", "--workers", "1",
                         "--out", str(tmp_path))
    assert code == 1 and "status: proved" not in out, out + err


def _proved_grid(cli, tmp_path, *extra):
    js = tmp_path / "g.json"
    code, out, err = cli("grid", "S", "--domain", SMALL, "--steps", SMALL_STEPS, "--below", "0.95",
                         "--workers", "1", "--cells", "2,1,2,2", "--out", str(tmp_path), "--json", str(js), *extra)
    assert code == 0 and "status: proved" in out, out + err
    data = json.loads(js.read_text())
    assert data["status"] == "proved" and data["replay"]["accepted"]
    return gc.load(data["certificate"])


def _resealed(cert, edit):
    c = copy.deepcopy(cert)
    edit(c)
    return cert_io.seal(c)


def test_proved_grid_replays_and_tampering_is_rejected(cli, tmp_path):
    cert = _proved_grid(cli, tmp_path)
    assert cert["kind"] == "grid" and cert["method"] == {"mode": "per-cell"}
    ok, status, msgs = gc.replay(cert)
    assert ok and status == "proved", msgs
    assert msgs[0].startswith("S < 0.95 on mu∈[0.05, 0.1]")
    max_upper = float.fromhex(cert["result"]["grid_extreme"])

    def lower_threshold(c):
        c["grid"]["threshold"] = str(Fraction(max_upper) * Fraction(999, 1000))

    def widen_axis(c):
        c["grid"]["domain"]["mu"][1] = "0.2"

    def lower_bound(c):
        c["result"]["bound"] = "0.9"

    def change_statement(c):
        c["statement"] = "S < 0.5 on Omega"

    def other_kernels(c):
        c["error_model"]["unit_roundoff"] = float(2.0 ** -60).hex()

    for edit, why in ((lower_threshold, "status"), (widen_axis, "points"), (lower_bound, "bound"),
                      (change_statement, "statement"), (other_kernels, "error model")):
        ok, status, msgs = gc.replay(_resealed(cert, edit))
        assert not ok and why in msgs[0], (edit.__name__, msgs)
    # and an edit that is not resealed fails the seal
    c = copy.deepcopy(cert)
    c["grid"]["threshold"] = "0.5"
    ok, _, msgs = gc.replay(c)
    assert not ok and "sha256" in msgs[0]


def test_your_derivative_bounds_are_recorded_and_rechecked(cli, tmp_path):
    cert = _proved_grid(cli, tmp_path, "--deriv", "mu=0.1,omega=0.25,nu=0.75,tau=1.1")
    assert cert["method"]["mode"] == "global"
    assert gc.replay(cert)[0]

    def lower_M(c):   # below the per-cell enclosures of |dS/dtau| (~1): must be caught
        for d in c["method"]["derivatives"]:
            if d["axis"] == "tau":
                d["M"] = "0.01"
        c["result"]["slack"] = c["result"]["bound"] = "0"

    def drop_axis(c):
        c["method"]["derivatives"] = [d for d in c["method"]["derivatives"] if d["axis"] != "nu"]

    for edit, why in ((lower_M, "below the per-cell enclosures"), (drop_axis, "no derivative bound for nu")):
        ok, _, msgs = gc.replay(_resealed(cert, edit))
        assert not ok and why in msgs[0], (edit.__name__, msgs)


def test_extremum_certified_derivative_bounds_replay(tmp_path):
    # the paper-grid path: |d mu~^2/dx| <= 2 |mu~| |d mu~/dx| with each factor proved by
    # box-engine extremum parts, which the replay re-checks with the checker
    dom = Domain.parse("mu=0.05:0.1,omega=0.05:0.1,nu=0.1:0.12,tau=0.9:1")
    factors = {"mu_tilde": "0.06", "dmu_dmu": "0.15", "dmu_domega": "0.15", "dmu_dnu": "0.15", "dmu_dtau": "0.02"}
    ab = pg.certify_abs_bounds(list(factors), dom, list(factors.values()), P)
    assert ab.status == "proved", ab.detail
    derivs = [pg.extremum_derivative(v, 2 * Fraction(factors["mu_tilde"]) * Fraction(factors[f"dmu_d{v}"]), 2,
                                     [("mu_tilde", factors["mu_tilde"]), (f"dmu_d{v}", factors[f"dmu_d{v}"])], ab)
              for v in pg.VARS]
    method = {"mode": "global", "widths": "covers", "derivatives": derivs}
    steps = {"mu": Fraction("0.01"), "omega": Fraction("0.01"), "nu": Fraction("0.005"), "tau": Fraction("0.02")}
    axes = tuple(pg.make_axis(v, lo, hi, steps[v], "both") for v, (lo, hi) in zip(pg.VARS, dom.bounds))
    sw = pg.sweep(axes, "mu_tilde**2", P, threads=1)
    M = [Fraction(d["M"]) for d in derivs]
    b = pg.decide(sw, "max", Fraction("0.005"), "global", M)
    assert b.status == "proved"
    cert = gc.build("mu_tilde**2", "max", Fraction("0.005"), dom, P, "both", steps, sw.cells, method, sw, b)
    ok, status, msgs = gc.replay(cert)
    assert ok and status == "proved", msgs

    def smaller_factor(c):   # the factor's recorded bound is below its parts' certified max
        c["method"]["derivatives"][0]["factors"][1]["bound"] = "0.0001"

    def unknown_form(c):     # |d mu~^2/dmu| is not 2 |mu~| |d mu~/dnu|
        c["method"]["derivatives"][0]["factors"][1] = c["method"]["derivatives"][2]["factors"][1]

    def M_below_product(c):
        c["method"]["derivatives"][3]["M"] = "0.001"

    def part_tree_cut(c):
        part = c["method"]["derivatives"][0]["factors"][0]["parts"][0]
        part["tree"] = part["tree"][:-1]  # its last leaf gone (the tree may be one leaf)

    for edit, why in ((smaller_factor, "below the certified max"), (unknown_form, "not a known form"),
                      (M_below_product, "certified factors give"), (part_tree_cut, "rejected by the checker")):
        ok, _, msgs = gc.replay(_resealed(cert, edit))
        assert not ok and why in msgs[0], (edit.__name__, msgs)


def test_bad_scale_is_refused_before_any_work(cli):
    cli("paper-grid", "lemma12", "--scale", "0")   # warm the imports
    t0 = time.perf_counter()
    code, out, err = cli("paper-grid", "lemma12", "--scale", "1e-9")
    assert time.perf_counter() - t0 < 1.0
    assert code == 2 and err.startswith("selu-verify: error:") and len(err.strip().splitlines()) == 1, (out, err)
    for bad in ("1e-999999999", "nan", "1/0", "20000"):
        code, out, err = cli("paper-grid", "lemma12", "--scale", bad)
        assert code == 2 and len(err.strip().splitlines()) == 1, (bad, out, err)


def test_certificate_is_the_same_for_1_and_2_workers(cli, tmp_path):
    one = _proved_grid(cli, tmp_path / "w1")
    two = _proved_grid(cli, tmp_path / "w2", "--workers", "2", "--threads", "1")
    assert cert_io.canonical(one) == cert_io.canonical(two)


def test_replay_does_not_load_the_search():
    # the replay re-derives everything from the kernels, the checker and the grid mechanics
    code = ("import sys, verification.grid_certificate; "
            "print(sorted(m for m in sys.modules if m in ('verification.engine', 'verification.search', "
            "'verification.prove')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
