"""Benchmarks for the design issue (new alpha/lambda, largest certified domains, atlas).

    .venv/bin/python benchmarks/bench_design.py [--quick] [--skip-domain] [--skip-atlas]

* params: wall time of ``selu-verify params --fixed-point ...`` (a fresh process, as a user
  runs it) and of the command itself inside one process (median of 20);
* domain: ``selu-verify domain`` for alpha01/lambda01 (all searches, certification) with
  1 and 2 engine workers;
* atlas: points per minute in-process and on a local Dask cluster with 1 and 2 worker
  processes, and the 1 -> 2 worker speed-up.

Figures are wall-clock on this machine (2 cores, shared, noisy): compare ratios, not seconds.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def bench_params():
    from verification.cli import main
    rows = []
    for target in (["0", "1"], ["-0.1", "2.0", "--omega", "1", "--tau", "1"], ["0.2", "0.5"]):
        args = ["params", "--fixed-point", *target, "--quiet"]
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "verification.cli", *args], check=True, capture_output=True)
        wall = time.perf_counter() - t
        times = []
        for _ in range(20):
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                main(args)
            times.append(time.perf_counter() - t)
        rows.append((" ".join(target), wall, statistics.median(times)))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import verification.cli"], check=True)
    imp = time.perf_counter() - t
    print("params (selu-verify params --fixed-point ...):")
    for target, wall, inproc in rows:
        print(f"  {target:28} process wall {wall:6.3f} s   command in-process {inproc * 1000:7.2f} ms")
    print(f"  (python -c 'import verification.cli' alone: {imp:.3f} s)")


def bench_domain(workers_list):
    from selu_theory.params import Params
    from verification import domain_search as DS
    from verification.engine import Runner
    print("domain for alpha01/lambda01 (all searches + certification):")
    for w in workers_list:
        out = tempfile.mkdtemp()
        t = time.perf_counter()
        with Runner(w) as r:
            res = DS.search(Params(), runner=r, out=out)
        secs = time.perf_counter() - t
        ok = all(c.status == "proved" and c.checker_ok for c in res.certified)
        print(f"  {w} worker(s): {secs:6.1f} s, {res.decisions} decisions, {res.boxes} boxes, all certified: {ok}")
        shutil.rmtree(out, ignore_errors=True)


def bench_atlas(mu, nu):
    from verification import atlas as A
    points = A.grid(mu, nu)
    cfg = A.config_with()
    print(f"atlas over {len(points)} fixed points (mu* {mu}, nu* {nu}), default configuration:")
    runs = {}
    for label, mode, n in (("in-process", "inprocess", 1), ("dask, 1 worker", "dask", 1),
                           ("dask, 2 workers", "dask", 2)):
        out = tempfile.mkdtemp()
        t = time.perf_counter()
        run = A.run(points, out, cfg, mode=mode, n_workers=n)
        wall = time.perf_counter() - t
        runs[label] = (run, wall)
        print(f"  {label:16} {wall:7.1f} s wall ({run.seconds:.1f} s computing): "
              f"{60 * len(points) / wall:6.1f} points/min")
        shutil.rmtree(out, ignore_errors=True)
    base = runs["in-process"][0]
    same = all(A.comparable(r.results[p]) == A.comparable(base.results[p]) for r, _ in runs.values() for p in points)
    print(f"  speed-up 1 -> 2 Dask workers: {runs['dask, 1 worker'][1] / runs['dask, 2 workers'][1]:.2f}x; "
          f"results identical across executors: {same}")
    task = sorted(r["seconds"] for r in base.results.values())
    print(f"  per-point seconds (in-process): median {statistics.median(task):.2f}, max {task[-1]:.2f} "
          f"(the slowest point bounds the speed-up)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller atlas grid, domain with 2 workers only")
    ap.add_argument("--skip-domain", action="store_true")
    ap.add_argument("--skip-atlas", action="store_true")
    a = ap.parse_args()
    bench_params()
    if not a.skip_domain:
        bench_domain([2] if a.quick else [1, 2])
    if not a.skip_atlas:
        bench_atlas("-0.2:0.2:3" if a.quick else "-0.2:0.2:5", "0.5:2:2" if a.quick else "0.5:2:4")


if __name__ == "__main__":
    main()
