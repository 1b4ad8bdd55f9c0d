"""Issue 12's table: every row, "before" and "after" from one run where the switch
exists in this code, with ratios.

    .venv/bin/python benchmarks/bench_speed.py [--workers 2] [--claims ID ...]

"before" is the first-order engine (value and gradient enclosures, mean-value form:
``engine.use_taylor(False)``); "after" adds the second-order evaluation (Hessian
jets, centred forms, Taylor form) where ``engine.taylor_usable``.  Seconds are wall
time per claim (proof and replay); "cpu" rows are this process's and its workers'
CPU time, which a shared machine distorts less.  Both use the same breadth-first top of the tree,
so the gain of that change (measured separately: the forced 32-box top cost >= 63
boxes per part) is not in these ratios.  For ``check``, "before" replays the
certificates one by one on one worker, "after" in one batch over the workers
(``checker.check_many``).  The machine is shared: compare ratios and box counts.
"""
from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time

import numpy as np

from verification import checker
from verification import claims as C
from verification import engine
from verification.certify import certify_claim
from verification.engine import Runner

# Lemma 12's grid spacings (recalled; shared/paper/claims.md), as benchmarks/bench_theorem1.py
PAPER_STEPS = {"mu": 0.0068097371, "omega": 0.0008292885, "nu": 0.0009580840, "tau": 0.0007323095}
OMEGA = ((-.1, .1), (-.1, .1), (.8, 1.5), (.95, 1.1))


def cpu() -> float:
    """CPU seconds of this process and its finished children (the pools' workers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def prove_all(claims, workers: int, taylor: bool, out):
    """``selu-verify all`` in-process: prove, seal, write, check each claim."""
    engine.use_taylor(taylor)
    rows, t0, c0 = [], time.perf_counter(), cpu()
    with Runner(workers) as r:  # forked after the switch: workers inherit it
        for claim in claims:
            t = time.perf_counter()
            res, done = certify_claim(claim, r, out / f"{claim.id}.json")
            rows.append((claim, res, done, time.perf_counter() - t))
    checker.close_pools()
    return rows, time.perf_counter() - t0, cpu() - c0


def widest(rows):
    """(widest enclosure of a required extremum part, parts decided by threshold only)."""
    w, threshold_only = 0.0, 0
    for claim, res, _, _ in rows:
        for p in claim.parts:
            if isinstance(p, C.Extremum) and C.required(p):
                if p.tol > 1e-9:
                    threshold_only += 1
                    continue
                lo, hi = res.enclosures[p.key]
                if res.status == "proved":
                    w = max(w, hi - lo)
    return w, threshold_only


def check_times(paths, workers: int):
    t = time.perf_counter()
    one = [checker.check(p, workers=1) for p in paths]
    t_one = time.perf_counter() - t
    t = time.perf_counter()
    many = checker.check_many(paths, workers=workers)
    t_many = time.perf_counter() - t
    checker.close_pools()
    assert [r.ok for r in one] == [r.ok for r in many]
    return t_one, t_many, sum(r.leaves for r in many), all(r.ok for r in many)


def grid_seconds() -> tuple:
    """Points of the paper-spacing grid on Omega and the float S sweep's time for them
    on one core (numpy kernels, no error bounds: a lower bound on the grid method)."""
    from selu_theory.evaluate import Evaluator
    from selu_theory.expr import parse
    from selu_theory.params import Params
    n = 1
    for v, (lo, hi) in zip(PAPER_STEPS, OMEGA):
        n *= math.floor((hi - lo) / PAPER_STEPS[v]) + 1
    ev = Evaluator(parse("S"), Params())
    rng = np.random.default_rng(0)
    k = 1_000_000
    pts = [rng.uniform(lo, hi, k) for lo, hi in OMEGA]
    t = time.perf_counter()
    ev.floats(*pts)
    return n, n * (time.perf_counter() - t) / k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--claims", nargs="*", help="registered claim ids (default: all)")
    args = ap.parse_args()
    claims = [C.get(c) for c in args.claims] if args.claims else list(C.CLAIMS)
    runs = {}
    with tempfile.TemporaryDirectory() as d:
        for taylor in (False, True):
            out = __import__("pathlib").Path(d) / ("taylor" if taylor else "first")
            runs[taylor] = prove_all(claims, args.workers, taylor, out)
        paths = [str(done.path) for _, _, done, _ in runs[True][0]]
        t_one, t_many, leaves, ok = check_times(paths, args.workers)
    engine.use_taylor(True)
    print(f"{'claim':32s} {'boxes':>7s} {'boxes':>7s} {'ratio':>6s} {'s':>7s} {'s':>7s}  status")
    print(f"{'':32s} {'before':>7s} {'after':>7s} {'':6s} {'before':>7s} {'after':>7s}")
    for (claim, r0, d0, s0), (_, r1, d1, s1) in zip(runs[False][0], runs[True][0]):
        ratio = r0.boxes / r1.boxes if r1.boxes else float("nan")
        print(f"{claim.id:32s} {r0.boxes:7d} {r1.boxes:7d} {ratio:6.2f} {s0:7.2f} {s1:7.2f}  "
              f"{r0.status}/{r1.status}")
    b0 = sum(r.boxes for _, r, _, _ in runs[False][0])
    b1 = sum(r.boxes for _, r, _, _ in runs[True][0])
    (t0, c0), (t1, c1) = runs[False][1:], runs[True][1:]
    w0, n0 = widest(runs[False][0])
    w1, n1 = widest(runs[True][0])
    proved = sum(r.status == "proved" for _, r, _, _ in runs[True][0])
    n_pts, grid_s = grid_seconds()
    s_claim = next((s for c, _, _, s in runs[True][0] if c.id == "thm1-contraction"), None)
    print()
    print(f"issue 12 ({len(claims)} claims, {args.workers} workers; before -> after, ratio)")
    print(f"  all, proved and replayed   {t0:8.1f} s -> {t1:8.1f} s   {t0 / t1:5.2f}x   ({proved} proved)")
    print(f"  all, cpu                   {c0:8.1f} s -> {c1:8.1f} s   {c0 / c1:5.2f}x")
    print(f"  check of the certificates  {t_one:8.1f} s -> {t_many:8.1f} s   {t_one / t_many:5.2f}x   "
          f"({leaves} leaves, 1 by 1 on 1 worker -> one batch on {args.workers}; all accepted: {ok})")
    print(f"  total boxes                {b0:8d}   -> {b1:8d}     {b0 / max(b1, 1):5.2f}x")
    print(f"  widest certified extremum  {w0:8.1e}   -> {w1:8.1e}     "
          f"(threshold-only parts: {n0} -> {n1})")
    if s_claim:
        print(f"  S < 1 on Omega: grid / adaptive  {grid_s / s_claim:6.0f}x   ({n_pts:.2e} grid points, float S "
              f"{grid_s:.0f} s on one core, no error bounds; adaptive proof + replay {s_claim:.2f} s)")
    for row in ("paper-grid lemma12 end to end", "paper-grid lemma43 end to end", "first grid run cold vs warm"):
        print(f"  {row:27s}  not measured: this branch did not change the grid path")


if __name__ == "__main__":
    main()
