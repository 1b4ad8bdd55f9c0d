"""Issue 12's table: every row with the number measured in this run next to the issue's
target, "before" and "after" where the switch exists in this code, with ratios.

    .venv/bin/python benchmarks/bench_speed.py [--workers 2] [--claims ID ...]
                                               [--quick] [--breakdown] [--no-grid]
                                               [--certificates DIR]

"before" is the first-order engine (value and gradient enclosures, mean-value form:
``engine.use_taylor(False)``); "after" (= now) adds the second-order evaluation where
``engine.taylor_usable``.  ``all`` is run in this process (prove, seal, write each
claim and replay it while the next is proved, as ``selu-verify all``; no interpreter
start-up); ``check`` is the command
itself, ``selu-verify check`` of the certificates "after" wrote, in a fresh process
(start-up and imports included).  Seconds are wall time; "cpu" is this process's and
its workers' CPU time (the pools are shut before it is read), which a shared machine
distorts less -- on the 2-core machine shared by several agents, read the cpu column.

--quick: the seven small claims (thm1-*, thm2, thm3a, thm3b; seconds), "after" only,
and the paper grids at bench_grid's quick spacing (--no-grid: none).  --breakdown: where
``check``'s time goes (phases, and the leaf replay by evaluation method), measured in
this process on one worker.  --certificates DIR: nothing proved, only ``check`` (and
--breakdown) of DIR/*.json -- the same files replayed by two versions of the code.  The
paper-grid and cold-start rows come from ``benchmarks/bench_grid.py: paper_grid_rows()`` when it
exists (else "not measured").
"""
from __future__ import annotations

import argparse
import collections
import glob
import math
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import engine
from verification.certify import certify_claim_later
from verification.engine import Runner

# Lemma 12's grid spacings (recalled; shared/paper/claims.md), as benchmarks/bench_theorem1.py
PAPER_STEPS = {"mu": 0.0068097371, "omega": 0.0008292885, "nu": 0.0009580840, "tau": 0.0007323095}
OMEGA = ((-.1, .1), (-.1, .1), (.8, 1.5), (.95, 1.1))
QUICK = ("thm1-contraction", "thm1-mean-image", "thm1-variance-image", "thm2-variance-decreases",
         "thm3a-variance-increases", "thm3b-variance-increases", "jacobian-at-fixed-point")
# issue 12's targets
TARGET_ALL, TARGET_CHECK, TARGET_BOXES, TARGET_WIDTH, TARGET_RATIO = 8.0, 3.0, 10_000, 1e-10, 200.0


def cpu() -> float:
    """CPU seconds of this process and its finished children (the pools' workers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def prove_all(claims, workers: int, taylor: bool, out):
    """``selu-verify all`` in-process: prove, seal, write each claim, its replay
    running while the next claim is proved, collected in order (as the command)."""
    engine.use_taylor(taylor)
    rows, pending, t0, c0 = [], [], time.perf_counter(), cpu()
    with Runner(workers) as r:  # forked after the switch: workers inherit it
        for claim in claims:
            t = time.perf_counter()
            res, finish = certify_claim_later(claim, r, out / f"{claim.id}.json")
            pending.append((claim, res, finish, time.perf_counter() - t))
        for claim, res, finish, s in pending:
            t = time.perf_counter()
            done = finish()
            rows.append((claim, res, done, s + time.perf_counter() - t))
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


def check_command(paths, workers: int):
    """``selu-verify check`` of ``paths`` in a fresh process: (wall, cpu, last line)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(pathlib.Path.cwd()),
                                                                    os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "verification.cli", "check", *map(str, paths), "--quiet",
           "--workers", str(workers)]
    t, c = time.perf_counter(), cpu()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t, cpu() - c, (out.stdout.strip().splitlines() or ["?"])[-1]


def check_breakdown(paths) -> list:
    """Where ``check``'s time goes, in this process on one worker: (what, cpu seconds,
    detail) per phase, and the leaf replay by evaluation method."""
    rows = []
    c = time.process_time()
    certs = [cert_io.from_object(cert_io.read_json(cert_io.read_bytes(p), str(p)), str(p)) for p in paths]
    rows.append(("read, parse, type the certificates", time.process_time() - c, f"{len(certs)} files"))
    c, work = time.process_time(), []
    for i, cert in enumerate(certs):
        checker._DEFERRED = []  # what check_many does: everything but the leaves now
        try:
            res = checker._check_deferred(cert)
        finally:
            batch, checker._DEFERRED = checker._DEFERRED, None
        work.extend((i, job, leaves) for job, leaves in batch if res.ok)
    rows.append(("trees, registry, witnesses, fixed points", time.process_time() - c, ""))
    c = time.process_time()
    plan = checker._plan(work)
    rows.append(("plan: leaves grouped by box and (m, v)", time.process_time() - c, f"{len(plan)} jobs"))
    spent, count = collections.Counter(), collections.Counter()
    real = checker._evaluation

    def timed(ev, bx, method, *rest):
        t = time.process_time()
        try:
            return real(ev, bx, method, *rest)
        finally:
            spent[method] += time.process_time() - t
            count[method] += 1
    real_face = checker._signed_forms

    def timed_face(*args):
        t = time.process_time()
        try:
            return real_face(*args)
        finally:
            spent["face"] += time.process_time() - t
            count["face"] += 1
    checker._evaluation, checker._signed_forms = timed, timed_face
    try:
        c = time.process_time()
        for job in plan:
            checker._check_leaves(job)
        total = time.process_time() - c
    finally:
        checker._evaluation, checker._signed_forms = real, real_face
    leaves = sum(len(lv) for _, _, lv in work)
    rows.append((f"leaf replay ({leaves} leaves)", total, ""))
    for method, what in (("value", "value enclosures ('enclosure', 'enclosure2')"),
                         ("jet", "first-order jets ('mvf')"),
                         ("second", "second-order forms ('enclosure2', 'mvf2', 'taylor', 'face')"),
                         ("face", "second-order forms of monotone faces ('face')")):
        if count[method]:
            rows.append((f"  {what}", spent[method],
                         f"{count[method]} boxes, {1000 * spent[method] / count[method]:.2f} ms each"))
    rows.append(("  bounds from them, comparisons", total - sum(spent.values()), ""))
    return rows


def print_breakdown(rows) -> None:
    print()
    print("where check's time goes (this process, one worker, cpu seconds):")
    for what, secs, detail in rows:
        print(f"  {what:60s} {secs:7.2f} s  {detail}")


def check_only(paths, workers: int, breakdown: bool) -> None:
    """``--certificates``: the check rows on certificates already written."""
    if not paths:
        sys.exit("no certificates (*.json) in that folder")
    t, c, line = check_command(paths, workers)
    print(f"check of {len(paths)} certificates, {workers} workers: {t:.1f} s wall, {c:.1f} s cpu "
          f"(target <= {TARGET_CHECK:.0f} s wall): {line}")
    if breakdown:
        print_breakdown(check_breakdown(paths))


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


def grid_rows(skip: str = "", quick: bool = False, workers: int = 2) -> list:
    """The paper-grid and cold-start rows from ``benchmarks/bench_grid.py:
    paper_grid_rows`` ([(label, measured, target)]; its ``quick`` runs the grids at a
    coarser spacing and says so), or "not measured"."""
    labels = ["paper-grid lemma12 end to end", "paper-grid lemma43 end to end", "first grid run cold vs warm"]
    if skip:
        return [(label, f"not measured ({skip})", "") for label in labels]
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    try:
        from bench_grid import paper_grid_rows
    except ImportError:
        return [(label, "not measured (no bench_grid.paper_grid_rows)", "") for label in labels]
    try:
        return list(paper_grid_rows(quick=quick, workers=workers))
    except TypeError:  # an older signature
        return list(paper_grid_rows())


def _met(ok) -> str:
    return "" if ok is None else ("met" if ok else "NOT met")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--claims", nargs="*", help="registered claim ids (default: all)")
    ap.add_argument("--quick", action="store_true", help="small claims, 'after' only, coarse grids")
    ap.add_argument("--breakdown", action="store_true", help="where check's time goes (one worker)")
    ap.add_argument("--no-grid", action="store_true", help="skip the paper-grid rows (minutes)")
    ap.add_argument("--certificates", metavar="DIR",
                    help="only the check rows (and --breakdown), on the certificates DIR/*.json already written "
                         "(e.g. by selu-verify all --out X: X/certificates): before/after on the same files")
    args = ap.parse_args()
    if args.certificates:
        check_only(sorted(glob.glob(str(pathlib.Path(args.certificates) / "*.json"))), args.workers, args.breakdown)
        return
    ids = args.claims or (QUICK if args.quick else None)
    claims = [C.get(c) for c in ids] if ids else list(C.CLAIMS)
    runs = {}
    with tempfile.TemporaryDirectory() as d:
        for taylor in ((True,) if args.quick else (False, True)):
            out = pathlib.Path(d) / ("taylor" if taylor else "first")
            runs[taylor] = prove_all(claims, args.workers, taylor, out)
        engine.use_taylor(True)
        paths = sorted(glob.glob(str(pathlib.Path(d) / "taylor" / "*.json")))
        t_check, c_check, check_line = check_command(paths, args.workers)
        breakdown = check_breakdown(paths) if args.breakdown else []
    after = runs[True]
    before = runs.get(False)
    print(f"{'claim':32s} {'boxes':>7s} {'boxes':>7s} {'s':>7s} {'s':>7s}  status")
    print(f"{'':32s} {'before':>7s} {'after':>7s} {'before':>7s} {'after':>7s}")
    for i, (claim, r1, _, s1) in enumerate(after[0]):
        r0, s0 = (before[0][i][1], f"{before[0][i][3]:7.2f}") if before else (None, "-")
        print(f"{claim.id:32s} {r0.boxes if r0 else '-':>7} {r1.boxes:7d} {s0:>7s} {s1:7.2f}  "
              f"{(r0.status + '/') if r0 else ''}{r1.status}")
    b1 = sum(r.boxes for _, r, _, _ in after[0])
    b0 = sum(r.boxes for _, r, _, _ in before[0]) if before else None
    (t1, c1) = after[1:]
    w1, n1 = widest(after[0])
    proved = sum(r.status == "proved" for _, r, _, _ in after[0])
    leaves = sum(done.check.leaves for _, _, done, _ in after[0])
    n_pts, grid_s = grid_seconds()
    s_claim = next((s for c, _, _, s in after[0] if c.id == "thm1-contraction"), None)
    full = len(claims) == len(C.CLAIMS)
    scope = "" if full else f" (only {len(claims)} of {len(C.CLAIMS)} claims: targets are for all)"

    print()
    print(f"issue 12 ({len(claims)} claims, {args.workers} workers{', --quick' if args.quick else ''}); "
          f"target, then before -> now")
    print(f"  {'figure':34s} {'target':>10s} {'before':>10s} {'now':>10s}")

    def row(label, target, now, before_text="", note=""):
        print(f"  {label:34s} {target:>10s} {before_text:>10s} {now:>10s}  {note}")
    row("all: proved + replayed, wall", f"<= {TARGET_ALL:.0f} s", f"{t1:.1f} s",
        f"{before[1]:.1f} s" if before else "", f"{_met(t1 <= TARGET_ALL) if full else ''}{scope} "
        f"({proved}/{len(claims)} proved)")
    row("all: cpu (this process + workers)", "", f"{c1:.1f} s", f"{before[2]:.1f} s" if before else "",
        "the wall time of an idle machine is about cpu / workers")
    row("check of the certificates, wall", f"<= {TARGET_CHECK:.0f} s", f"{t_check:.1f} s", "",
        f"{_met(t_check <= TARGET_CHECK) if full else ''}{scope} (selu-verify check, fresh process, "
        f"{leaves} leaves: {check_line})")
    row("check: cpu (process + workers)", "", f"{c_check:.1f} s", "")
    row("total boxes", f"<= {TARGET_BOXES:,}", f"{b1:,}", f"{b0:,}" if b0 is not None else "",
        _met(b1 <= TARGET_BOXES) if full else scope)
    row("widest certified extremum", f"<= {TARGET_WIDTH:.0e}", f"{w1:.1e}", "",
        f"{_met(w1 <= TARGET_WIDTH and n1 == 0)} (threshold-only parts now: {n1})")
    if s_claim:
        ratio = grid_s / s_claim
        row("S < 1 on Omega: grid / adaptive", f">= {TARGET_RATIO:.0f}x", f"{ratio:.0f}x", "",
            f"{_met(ratio >= TARGET_RATIO)} ({n_pts:.2e} points, float S sweep {grid_s:.0f} s on one core, "
            f"no error bounds; adaptive proof + replay {s_claim:.2f} s)")
    for label, now, target in grid_rows("--no-grid" if args.no_grid else "", args.quick, args.workers):
        print(f"  {label:34s} {target:>10s}   now: {now}")
    if breakdown:
        print_breakdown(breakdown)


if __name__ == "__main__":
    main()
