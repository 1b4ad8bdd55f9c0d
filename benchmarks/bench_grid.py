"""Benchmarks for the paper-grid issue: throughput of the rigorous S and mu~^2 sweeps
(M grid points/s), the 1 -> 2 thread speed-up, the cost of the error bound against the
bare float sweep, wall times of the full paper grids, and the paper's grid method against
the adaptive box engine for the same claim (S < 1 on Omega) in one run.

    .venv/bin/python benchmarks/bench_grid.py [--repeat 3] [--full]

Without --full the full-grid wall times are extrapolated from the measured throughput
(and say so); with --full the sweeps of Lemma 12 (both tau readings) and Lemma 43 run to
completion (minutes).  The machine is shared and noisy: compare ratios, take the best of
--repeat runs.
"""
from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np
from numba import njit, prange

from selu_theory import grid_kernels as gk
from selu_theory.params import Params
from verification import claims as C
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
        res[("rigorous", th)] = best_of(lambda: pg.sweep(axes, expr, P, threads=th), repeat)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", default="2", help="spacing factor of the throughput grids (default 2: 1/16 of the points)")
    ap.add_argument("--full", action="store_true", help="also run the full paper grids (sweeps only)")
    args = ap.parse_args()

    # compile / load every kernel once
    for g, dom in ((pg.LEMMA12, C.OMEGA), (pg.LEMMA43, C.OMEGA_MINUS)):
        tiny = axes_for(g, dom, 20)
        pg.sweep(tiny, g.expr, P)
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

    full = ((pg.LEMMA12, C.OMEGA, "Lemma 12, tau in [0.95, 1.1]"),
            (pg.LEMMA12, pg.OMEGA_WIDE_TAU, "Lemma 12, tau in [0.8, 1.25]"),
            (pg.LEMMA43, C.OMEGA_MINUS, "Lemma 43, Omega-"))
    grid12 = None
    for g, dom, label in full:
        axes = axes_for(g, dom, 1)
        n = npoints(axes)
        if args.full:
            sw = pg.sweep(axes, g.expr, P)
            s, how = sw.seconds, "measured"
            extra = f", max {sw.max_point()[1]:.12g}, worst error bound {sw.max_rad:.2e}"
        else:
            s, how, extra = n / rates[g.id], "extrapolated from the throughput above", ""
        if grid12 is None:
            grid12 = s
        print(f"full grid, {label} (reading both): {n:,} points, {s:.1f} s ({how}){extra}")

    t0 = time.perf_counter()
    status, detail, *_ = pg.certify_paper_M(pg.LEMMA12, C.OMEGA, P, workers=2)
    cert_s = time.perf_counter() - t0
    ad_s, ad_status, boxes = adaptive_seconds(2)
    print(f"paper's method for S < 1 on Omega: sweep {grid12:.1f} s + certifying the paper's derivative bounds "
          f"{cert_s:.1f} s ({status}) = {grid12 + cert_s:.1f} s")
    print(f"adaptive engine, thm1-contraction: {ad_s:.2f} s ({ad_status}, {boxes} boxes)")
    print(f"ratio paper's grid method / adaptive engine: {(grid12 + cert_s) / ad_s:.0f}x")


if __name__ == "__main__":
    main()
