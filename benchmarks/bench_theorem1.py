"""Benchmarks for the engine issue: Theorem 1's claims, boxes and seconds per claim,
1 -> 2 worker speed-up, and the paper-spacing uniform float grid for comparison.

    .venv/bin/python benchmarks/bench_theorem1.py [--repeat 3]

Figures are wall-clock on this machine (shared, noisy): compare ratios, not seconds.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import prove
from verification.engine import Runner

THEOREM1 = ("thm1-contraction", "thm1-mean-image", "thm1-variance-image")
# Lemma 12's grid spacings (recalled; shared/paper/claims.md)
PAPER_STEPS = {"mu": 0.0068097371, "omega": 0.0008292885, "nu": 0.0009580840, "tau": 0.0007323095}


def run(workers: int):
    rows = []
    t0 = time.perf_counter()
    with Runner(workers) as r:
        for cid in THEOREM1:
            claim = C.get(cid)
            t = time.perf_counter()
            res = prove.run_claim(claim, r)
            t_prove = time.perf_counter() - t
            body = cert_io.build(claim, claim.params, prove.DEFAULT_BITS, [p.certificate for p in res.parts])
            t = time.perf_counter()
            chk = checker.check(body)
            t_check = time.perf_counter() - t
            width = max(p.enclosure[1] - p.enclosure[0] for p in res.parts)
            rows.append((cid, res.status, chk.ok, res.boxes, t_prove, t_check, width))
    return rows, time.perf_counter() - t0


def float_grid_rate(n_points: int = 2_000_000) -> float:
    """Points per second of the float S sweep (numpy kernels) on Omega-sized chunks."""
    from selu_theory.evaluate import Evaluator
    from selu_theory.expr import parse
    from selu_theory.params import Params
    ev = Evaluator(parse("S"), Params())
    rng = np.random.default_rng(0)
    pts = [rng.uniform(lo, hi, n_points) for lo, hi in ((-.1, .1), (-.1, .1), (.8, 1.5), (.95, 1.1))]
    t = time.perf_counter()
    ev.floats(*pts)
    return n_points / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    best = {}
    for w in (1, 2):
        for _ in range(args.repeat):
            rows, total = run(w)
            if w not in best or total < best[w][1]:
                best[w] = (rows, total)
    print("claim                 status  checked  boxes   prove_s  check_s  max_enclosure_width")
    for cid, st, ok, boxes, tp, tc, width in best[2][0]:
        print(f"{cid:21s} {st:7s} {str(ok):8s} {boxes:6d}  {tp:7.2f}  {tc:7.2f}  {width:.2e}")
    print(f"Theorem 1, proved + checked, 1 worker : {best[1][1]:.2f} s (best of {args.repeat})")
    print(f"Theorem 1, proved + checked, 2 workers: {best[2][1]:.2f} s (best of {args.repeat})")
    print(f"speed-up 1 -> 2 workers: {best[1][1] / best[2][1]:.2f}x")
    n = 1
    for v, (lo, hi) in zip(("mu", "omega", "nu", "tau"), ((-.1, .1), (-.1, .1), (.8, 1.5), (.95, 1.1))):
        n *= math.floor((hi - lo) / PAPER_STEPS[v]) + 1
    rate = float_grid_rate()
    grid_s = n / rate
    print(f"paper-spacing grid on Omega: {n:.3e} points; numpy float S at {rate:.3e} pts/s/core "
          f"-> {grid_s:.0f} s single core, without any error bound")
    print(f"ratio grid / adaptive (S < 1 claim, 2 workers): {grid_s / best[2][0][0][4]:.0f}x")


if __name__ == "__main__":
    main()
