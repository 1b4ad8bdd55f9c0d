"""Benchmark for the appendix issue: every registered claim proved and checked, per-claim
boxes and seconds, total wall time for 1 and 2 workers, and the widest extremum
enclosure per claim (tight parts only).

    .venv/bin/python benchmarks/bench_all.py [--workers 1 2]
"""
from __future__ import annotations

import argparse
import time

from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import prove
from verification.engine import Runner


def run(workers: int):
    rows = []
    t0 = time.perf_counter()
    with Runner(workers) as r:
        for claim in C.CLAIMS:
            t = time.perf_counter()
            res = prove.run_claim(claim, r)
            tp = time.perf_counter() - t
            body = cert_io.build(claim, claim.params, prove.DEFAULT_BITS, [p.certificate for p in res.parts])
            t = time.perf_counter()
            chk = checker.check(body, workers=workers)
            tc = time.perf_counter() - t
            tight = [p for p in claim.parts if isinstance(p, C.Extremum) and p.tol <= 1e-9 and C.required(p)]
            widths = [res.enclosures[p.key][1] - res.enclosures[p.key][0] for p in tight
                      if res.enclosures[p.key][1] != float("inf")]
            rows.append((claim.id, res.status, chk.ok, res.boxes, tp, tc, max(widths, default=float("nan"))))
    return rows, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    totals = {}
    for w in args.workers:
        rows, total = run(w)
        totals[w] = total
        print(f"\n{w} worker(s): {total:.1f} s wall for {len(rows)} claims")
        print(f"{'claim':34s} {'status':9s} {'checked':7s} {'boxes':>7s} {'prove_s':>8s} {'check_s':>8s}  widest_tight_enclosure")
        for cid, st, ok, boxes, tp, tc, w_ in rows:
            print(f"{cid:34s} {st:9s} {str(ok):7s} {boxes:7d} {tp:8.2f} {tc:8.2f}  {w_:.2e}")
    if 1 in totals and 2 in totals:
        print(f"\nspeed-up 1 -> 2 workers: {totals[1] / totals[2]:.2f}x")


if __name__ == "__main__":
    main()
