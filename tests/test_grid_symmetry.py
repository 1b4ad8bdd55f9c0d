"""The grid sweeps one point of each orbit of the (mu, omega) symmetries (grid_sweep:
mirror (mu, omega) -> (-mu, -omega) for S and mu~^2, swap (mu, omega) -> (omega, mu) for
mu~^2): the reduced sweep finds the full sweep's extremes, the rows cover the grid, and a
certificate claiming a symmetry its axes (or expression) do not have is rejected."""
import copy
import json
from fractions import Fraction

import numpy as np
import pytest

from selu_theory.params import Params
from verification import certificate as cert_io
from verification import claims as C
from verification import grid_certificate as gc
from verification import grid_sweep as gs
from verification import paper_grid as pg

P = Params()
SYM = "mu=-0.1:0.1,omega=-0.1:0.1,nu=0.8:0.9,tau=1.05:1.1"
SYM_STEPS = "mu=0.05,omega=0.02,nu=0.05,tau=0.05"


def axes_of(domain, steps, reading):
    return tuple(pg.make_axis(v, lo, hi, Fraction(steps[v]), reading) for v, (lo, hi) in zip(pg.VARS, domain.bounds))


def orbit(pt, symmetry):
    mu, om, nu, tau = pt
    out = {(mu, om)}
    if symmetry in ("mirror", "mirror+swap"):
        out.add((-mu, -om))
    if symmetry in ("swap", "mirror+swap"):
        out |= {(om, mu), (-om, -mu)}
    return {(a, b, nu, tau) for a, b in out}


@pytest.mark.parametrize("expr,domain,steps,want", [
    ("S", C.OMEGA, {"mu": "0.05", "omega": "0.02", "nu": "0.1", "tau": "0.05"}, "mirror"),
    ("mu_tilde**2", C.OMEGA_MINUS, {"mu": "0.025", "omega": "0.025", "nu": "0.05", "tau": "0.1"}, "mirror+swap"),
])
def test_reduced_sweep_finds_the_full_sweeps_extremes(expr, domain, steps, want):
    axes = axes_of(domain, steps, "linspace")
    kind = pg.compile_expr(expr)[0]
    assert gs.best_symmetry(axes, kind) == want
    full = pg.sweep(axes, expr, P, cells=(3, 2, 2, 2), symmetry=None, reuse=False)
    for sym in gs.symmetries(axes, kind):
        red = pg.sweep(axes, expr, P, cells=(3, 2, 2, 2), symmetry=sym, reuse=False)
        assert red.symmetry == sym and red.points == full.points and red.evaluated < full.points
        assert red.max_upper == full.max_upper and red.min_lower == full.min_lower
        assert red.max_rad <= full.max_rad and red.n_bad == full.n_bad == 0
        (pf, mf, _), (pr, mr_, _) = full.max_point(), red.max_point()
        assert mr_ == mf and pr in orbit(pf, sym)   # the arg-max is the full one's or an image of it
    half = pg.sweep(axes, expr, P, cells=(3, 2, 2, 2), symmetry="mirror", reuse=False)
    assert 2 * half.evaluated <= full.points + full.points // axes[0].n


def test_parallel_and_serial_sweeps_agree(monkeypatch):
    # small grids run the serial twins of the sweeps; both give the same per-cell results
    axes = axes_of(C.OMEGA, {"mu": "0.05", "omega": "0.02", "nu": "0.1", "tau": "0.05"}, "linspace")
    for expr in ("S", "mu_tilde**2"):
        ser = pg.sweep(axes, expr, P, cells=(3, 2, 2, 2), threads=2, reuse=False)
        monkeypatch.setattr(gs, "SERIAL_POINTS", 0)
        par = pg.sweep(axes, expr, P, cells=(3, 2, 2, 2), threads=2, reuse=False)
        monkeypatch.undo()
        assert ser.threads == 1 and par.threads == 2 and ser.symmetry == par.symmetry is not None
        for a in ("hi", "lo", "amax", "imax", "amin", "imin", "rad", "bad"):
            assert np.array_equal(getattr(ser, a), getattr(par, a)), a


def test_rows_cover_the_grid_and_a_gap_is_caught():
    for n0, n1, sym in ((7, 5, "mirror"), (6, 4, "mirror"), (5, 5, "swap"), (5, 5, "mirror+swap"),
                        (6, 6, "mirror+swap"), (3, 3, None)):
        jlo, jhi = gs.symmetry_rows(n0, n1, sym)
        gs.check_cover(n0, n1, sym, jlo, jhi)
        if sym is not None:
            jhi = jhi.copy()
            jhi[np.argmax(jhi > jlo)] -= 1   # drop one kept point
            with pytest.raises(gs.GridError):
                gs.check_cover(n0, n1, sym, jlo, jhi)


def test_asymmetric_axes_admit_no_symmetry():
    # 'both' reads lo + k*step, plus hi: not mirrored unless the step divides the span
    axes = axes_of(C.OMEGA, {"mu": "0.03", "omega": "0.03", "nu": "0.1", "tau": "0.05"}, "both")
    assert gs.symmetries(axes, pg.compile_expr("S")[0]) == ()
    with pytest.raises(gs.GridError):
        pg.sweep(axes, "S", P, cells=(1, 1, 1, 1), symmetry="mirror")
    # an expression without a known invariance is swept in full
    sym = axes_of(C.OMEGA, {"mu": "0.05", "omega": "0.05", "nu": "0.35", "tau": "0.15"}, "linspace")
    assert gs.symmetries(sym, pg.compile_expr("mu_tilde")[0]) == ()
    assert gs.symmetries(sym, pg.compile_expr("S")[0]) == ("mirror",)   # S: no swap
    assert pg.sweep(sym, "mu_tilde", P, cells=(1, 1, 1, 1)).symmetry is None


def _resealed(cert, edit):
    c = copy.deepcopy(cert)
    edit(c)
    return cert_io.seal(c)


def test_symmetric_grid_certificate_replays_and_forged_symmetry_is_rejected(cli, tmp_path):
    js = tmp_path / "g.json"
    code, out, err = cli("grid", "S", "--domain", SYM, "--steps", SYM_STEPS, "--reading", "linspace",
                         "--below", "0.99", "--workers", "1", "--cells", "2,1,2,2", "--out", str(tmp_path),
                         "--json", str(js))
    assert code == 0 and "status: proved" in out, out + err
    cert = gc.load(json.loads(js.read_text())["certificate"])
    assert cert["grid"]["symmetry"] == "mirror"
    ok, status, msgs = gc.replay(cert)
    assert ok and status == "proved", msgs

    def claim(sym):
        return lambda c: c["grid"].__setitem__("symmetry", sym)

    # S is not invariant under swap (the axes would allow it: mu and omega differ here anyway)
    for sym, why in (("swap", "do not have"), ("mirror+swap", "do not have"), ("half", "unknown symmetry")):
        ok, _, msgs = gc.replay(_resealed(cert, claim(sym)))
        assert not ok and why in msgs[0], msgs
    # an asymmetric axis (reading 'both' with a step not dividing the span) claiming mirror
    forged = _resealed(cert, lambda c: (c["grid"].__setitem__("reading", "both"),
                                        c["grid"]["steps"].__setitem__("mu", "3/100")))
    ok, _, msgs = gc.replay(forged)
    assert not ok and "mirror symmetry" in msgs[0], msgs
