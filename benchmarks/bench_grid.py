"""Benchmarks for the paper-grid issue: throughput of the rigorous S and mu~^2 sweeps
(M grid points/s), the 1 -> 2 thread speed-up, the cost of the error bound against the
bare float sweep, wall times of the full paper grids, and the paper's grid method against
the adaptive box engine for the same claim (S < 1 on Omega) in one run.

    .venv/bin/python benchmarks/bench_grid.py [--repeat 3] [--full]
    .venv/bin/python benchmarks/bench_grid.py --rows [--quick]   # issue 12's grid rows only

Without --full the full-grid wall times are extrapolated from the measured throughput
(and say so); with --full the sweeps of Lemma 12 (both tau readings) and Lemma 43 run to
completion (minutes).  The machine is shared and noisy: compare ratios, take the best of
--repeat runs.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
from numba import njit, prange

from selu_theory import grid_kernels as gk
from selu_theory.params import Params
from verification import claims as C
from verification import grid_sweep as gs
from verification import paper_grid as pg

P = Params()


@njit(parallel=True, cache=True, fastmath=False, error_model="numpy")
def sweep_S_midpoint(x0, x1, x2, x3, b0, b1, b2, b3, c_start, c_end, K, out):
    """The rigorous kernel with the radii thrown away (LLVM removes their arithmetic
    except where a radius decides a NaN select): the cost of the same code without the
    error bound."""
    n1, n2, n3 = b1.shape[0] - 1, b2.shape[0] - 1, b3.shape[0] - 1
    for cc in prange(c_end - c_start):
        c0, c1, c2, c3 = gk._cell_axes(c_start + cc, n1, n2, n3)
        j0, j1 = b1[c1], b1[c1 + 1]
        f = np.empty(j1 - j0)
        best = -np.inf
        for i3 in range(b3[c3], b3[c3 + 1]):
            tau = x3[i3]
            for i2 in range(b2[c2], b2[c2 + 1]):
                vq = gk.v_part(x2[i2], tau, K)
                for i0 in range(b0[c0], b0[c0 + 1]):
                    mu = x0[i0]
                    for j in range(j0, j1):
                        f[j - j0] = gk.point_S(mu, x1[j], tau, vq, K)[0]
                    for q in range(j1 - j0):
                        if f[q] > best:
                            best = f[q]
        out[cc] = best


def axes_for(g, domain, scale, reading="both"):
    reading = reading or "both"
    steps = pg.scaled_steps(g, scale)
    return tuple(pg.make_axis(v, lo, hi, steps[v], reading) for v, (lo, hi) in zip(pg.VARS, domain.bounds))


def best_of(fn, repeat):
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def npoints(axes):
    return int(np.prod([a.n for a in axes], dtype=object))


def measure(expr, axes, repeat):
    """Best wall time of the rigorous sweep, the bare float sweep and (for S) the
    midpoint-only sweep, at 1 and 2 threads."""
    cells = pg.default_cells(axes)
    bnds = tuple(pg.cell_index_bounds(a.n, c) for a, c in zip(axes, cells))
    ncell = int(np.prod([len(b) - 1 for b in bnds]))
    K = gk.constants(P)
    xs = tuple(a.points for a in axes)
    out = np.zeros(ncell)
    res = {}
    for th in (1, 2):
        # every point (no symmetry) and never the in-process memo of an identical sweep
        res[("rigorous", th)] = best_of(lambda: pg.sweep(axes, expr, P, threads=th, reuse=False, symmetry=None),
                                        repeat)
        res[("float", th)] = best_of(lambda: pg.sweep_float_max(axes, expr, P, threads=th), repeat)
        if expr == "S":
            numba.set_num_threads(th)
            res[("midpoint", th)] = best_of(lambda: sweep_S_midpoint(*xs, *bnds, 0, ncell, K, out), repeat)
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return res


def adaptive_seconds(workers=2):
    from verification import prove
    from verification.engine import Runner
    t = time.perf_counter()
    with Runner(workers) as r:
        res = prove.run_claim(C.get("thm1-contraction"), r)
    return time.perf_counter() - t, res.status, res.boxes


ROOT = pathlib.Path(__file__).resolve().parents[1]
GRID_EXAMPLE = ("grid", "S", "--below", "1", "--steps", "mu=0.02,omega=0.02,nu=0.05,tau=0.05")


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def run_cli(args, env=None) -> tuple:
    """``selu-verify ARGS`` in a fresh process (this checkout's code): (exit code, wall s,
    CPU s of the process and the workers it waited for)."""
    env = dict(os.environ, **(env or {}))
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    c0, t0 = _children_cpu(), time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "verification.cli", *args], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return p.returncode, time.perf_counter() - t0, _children_cpu() - c0


def _phase_text(data: dict) -> str:
    by = {}
    for ph in data.get("phases", []):
        w, c = by.get(ph["phase"], (0.0, 0.0))
        by[ph["phase"]] = (w + ph["seconds"], c + ph["cpu_seconds"])
    short = {"derivative bounds (prove + replay)": "derivs", "sweep (compile/load + run)": "sweeps",
             "per-cell gradient enclosures": "per-cell", "grid certificate (write + replay)": "replay"}
    return ", ".join(f"{short.get(k, k)} {w:.0f}" for k, (w, c) in by.items())


def paper_grid_row(lemma: str, scale="1", workers=2) -> str:
    """One ``paper-grid`` run end to end in a fresh process (numba's cache as it is):
    wall and CPU seconds, status, and the wall seconds per phase."""
    with tempfile.TemporaryDirectory() as tmp:
        js = pathlib.Path(tmp) / "run.json"
        code, wall, cpu = run_cli(["paper-grid", lemma, "--scale", str(scale), "--workers", str(workers),
                                   "--quiet", "--out", tmp, "--json", str(js)])
        data = json.loads(js.read_text()) if js.exists() else {}
    status = data.get("status", f"exit {code}")
    where = "" if str(scale) == "1" else f" at {scale}x spacing"
    return f"{wall:.0f} s ({cpu:.0f} s CPU), {status}{where}; {_phase_text(data)}"


def cold_warm_row() -> str:
    """The example ``grid`` command twice in fresh processes sharing an empty numba cache
    directory: the first compiles its kernel (cold), the second loads it (warm)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SELU_THEORY_NUMBA_CACHE": str(pathlib.Path(tmp) / "numba")}
        out = ["--quiet", "--out", str(pathlib.Path(tmp) / "out")]
        c1, cold, cold_cpu = run_cli([*GRID_EXAMPLE, *out], env)
        c2, warm, warm_cpu = run_cli([*GRID_EXAMPLE, *out], env)
    ok = "" if c1 == c2 == 0 else f" (exit codes {c1}, {c2})"
    return (f"cold {cold:.1f} s ({cold_cpu:.1f} s CPU) vs warm {warm:.1f} s ({warm_cpu:.1f} s CPU): "
            f"{cold / warm:.1f}x{ok}")


def paper_grid_rows(quick: bool = False, workers: int = 2) -> list:
    """Issue 12's grid rows, each measured in this call: [(label, measured, target)].
    ``quick`` runs the paper grids at 4x the paper's spacing (1/256 of the points) and
    says so; the cold/warm row is always the real one (an empty temporary numba cache)."""
    scale = "4" if quick else "1"
    return [("paper-grid lemma12 end to end", paper_grid_row("lemma12", scale, workers), "<= 90 s"),
            ("paper-grid lemma43 end to end", paper_grid_row("lemma43", scale, workers), "<= 45 s"),
            ("first grid run cold vs warm", cold_warm_row(), "cold <= 2x warm")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", default="2", help="spacing factor of the throughput grids (default 2: 1/16 of the points)")
    ap.add_argument("--full", action="store_true", help="also run the full paper grids (sweeps only)")
    ap.add_argument("--rows", action="store_true", help="only issue 12's grid rows (paper_grid_rows)")
    ap.add_argument("--quick", action="store_true", help="with --rows: the paper grids at 4x spacing")
    args = ap.parse_args()
    if args.rows:
        for label, now, target in paper_grid_rows(args.quick):
            print(f"{label}: {now}  [target {target}]")
        return

    # compile / load every kernel once
    for g, dom in ((pg.LEMMA12, C.OMEGA), (pg.LEMMA43, C.OMEGA_MINUS)):
        tiny = axes_for(g, dom, 20)
        pg.sweep(tiny, g.expr, P, reuse=False)
        pg.sweep_float_max(tiny, g.expr, P)
    measure("S", axes_for(pg.LEMMA12, C.OMEGA, 40), 1)

    rates = {}
    for g, dom in ((pg.LEMMA12, C.OMEGA), (pg.LEMMA43, C.OMEGA_MINUS)):
        axes = axes_for(g, dom, args.scale)
        n = npoints(axes)
        res = measure(g.expr, axes, args.repeat)
        print(f"{g.id} ({g.expr}), {n:,} points (spacing x{args.scale}), best of {args.repeat}:")
        for (kind, th), s in sorted(res.items()):
            print(f"  {kind:9s} {th} thread{'s' if th > 1 else ' '}: {s:7.2f} s  {n / s / 1e6:7.1f} M points/s")
        print(f"  speed-up 1 -> 2 threads (rigorous): {res[('rigorous', 1)] / res[('rigorous', 2)]:.2f}x")
        print(f"  error-bound cost, rigorous / bare float (glibc), 2 threads: "
              f"{res[('rigorous', 2)] / res[('float', 2)]:.2f}")
        if ("midpoint", 2) in res:
            print(f"  error-bound cost, rigorous / same code without radii, 2 threads: "
                  f"{res[('rigorous', 2)] / res[('midpoint', 2)]:.2f}")
        rates[g.id] = n / res[("rigorous", 2)]

    full = ((pg.LEMMA12, C.OMEGA, "Lemma 12, tau in [0.95, 1.1]", pg.LEMMA12.default_reading),
            (pg.LEMMA12, pg.OMEGA_WIDE_TAU, "Lemma 12, tau in [0.8, 1.25]", pg.LEMMA12.default_reading),
            (pg.LEMMA43, C.OMEGA_MINUS, "Lemma 43, Omega-", "both"))
    grid12 = None
    for g, dom, label, reading in full:
        axes = axes_for(g, dom, 1, reading)
        n = npoints(axes)
        sym = gs.best_symmetry(axes, pg.compile_expr(g.expr)[0])
        jlo, jhi = gs.symmetry_rows(axes[0].n, axes[1].n, sym)
        ev = int(np.clip(jhi - jlo, 0, None).sum()) * axes[2].n * axes[3].n   # points one per orbit
        if args.full:
            sw = pg.sweep(axes, g.expr, P, reuse=False)
            s, how = sw.seconds, "measured"
            extra = f", max {sw.max_point()[1]:.12g}, worst error bound {sw.max_rad:.2e}"
        else:
            s, how, extra = ev / rates[g.id], "extrapolated from the throughput above", ""
        if grid12 is None:
            grid12 = s
        print(f"full grid, {label} (reading {reading}): {n:,} points, {ev:,} swept (symmetry {sym}), "
              f"{s:.1f} s ({how}){extra}")

    t0 = time.perf_counter()
    db = pg.certify_derivatives(pg.LEMMA12, ["omega"], P, workers=2)
    status = "proved" if pg.derivative_entries(pg.LEMMA12, C.OMEGA, db, "paper")[1] is not None else db.status
    cert_s = time.perf_counter() - t0
    ad_s, ad_status, boxes = adaptive_seconds(2)
    print(f"paper's method for S < 1 on Omega: sweep {grid12:.1f} s + certifying the paper's derivative bounds "
          f"{cert_s:.1f} s ({status}) = {grid12 + cert_s:.1f} s")
    print(f"adaptive engine, thm1-contraction: {ad_s:.2f} s ({ad_status}, {boxes} boxes)")
    print(f"ratio paper's grid method / adaptive engine: {(grid12 + cert_s) / ad_s:.0f}x")


if __name__ == "__main__":
    main()
