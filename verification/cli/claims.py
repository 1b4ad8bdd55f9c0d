"""``selu-verify all``, ``claim``, ``list``, ``check``: certify the registered claims and
replay certificates."""
from __future__ import annotations

import pathlib
import sys
import time

from rich import box
from rich.table import Table

from verification import certificate as cert_io
from verification import checker, grid_certificate, report, scaled_claims
from verification import claims as C
from verification.certificate import CertificateError
from verification.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    add_workers_option,
    console_for,
    progress_bar,
    workers_for,
)
from verification.certify import certify_claim, check_grid, leaf_count
from verification.engine import Runner, top_boxes
from verification.report import claim_rows
from verification.scaled_claims import add_target_arguments


def _units(claim) -> int:
    n = 0
    for p in claim.parts:
        if isinstance(p, C.Extremum):
            n += len(top_boxes(p.domain)[1])
    return n


def _run_claims(args, claims) -> int:
    out = pathlib.Path(args.out)
    cert_dir = out / "certificates"
    console = console_for(args)
    results, checks = [], {}
    t0 = time.perf_counter()
    with Runner(workers_for(args)) as runner:
        for claim in claims:
            with progress_bar(args, f"proving {claim.id}", _units(claim)) as tick:
                res, done = certify_claim(claim, runner, cert_dir / f"{claim.id}.json", on_done=tick,
                                          max_boxes=args.max_boxes,
                                          check_progress=lambda n, c=claim: progress_bar(args, f"checking {c.id}", n))
            checks[claim.id] = done.check
            res.seconds = time.perf_counter() - t0 - sum(r.seconds for r in results)
            results.append(res)
    print_results(console, results, checks, verbose=getattr(args, "verbose", False))
    # `claim ID` merges its claims into the report already there; `all` writes the whole run.
    merged = getattr(args, "command", None) == "claim"
    data = report.write_report(out, results, checks, merge_with_existing=merged, order=list(C.REGISTRY))
    if args.json:
        report.write_json(args.json, report.to_json(results, checks, base=pathlib.Path(args.json).parent))
    ok = all(r.status == "proved" for r in results)
    more = len(data["claims"]) - len(results)
    quiet_line = (f"{report.tally(results)} ({time.perf_counter() - t0:.1f} s)")
    if getattr(args, "quiet", False):
        print(quiet_line)
    else:
        console.print(f"report: {out / 'report.md'}"
                      + (f" (with {more} earlier claim{'s' if more != 1 else ''})" if more > 0 else "")
                      + f"; certificates: {cert_dir}/; {time.perf_counter() - t0:.1f} s")
    return EXIT_OK if ok else EXIT_FAIL


def _status(r, checks) -> str:
    chk = checks.get(r.claim.id)
    return r.status if chk is None or chk.ok else "REJECTED"


GAP = 2  # the summary table's spaces between columns (padding 1, the blank divider 1, collapsed)


def summary_table(results, checks, width: int = 80) -> Table:
    """One row per claim, fitted to ``width`` columns: claim, status, the headline
    certified value as [lo, hi] (with its name when there is room), the paper's
    verdicts, boxes, seconds."""
    rows = []
    for r in results:
        h = report.headline(r)
        rows.append((r.claim.id, _status(r, checks), h, report.fmt_counts(report.verdict_counts(r.verdicts)),
                     str(r.boxes), f"{r.seconds:.1f}"))
    fixed = [max([len(head)] + [len(row[i]) for row in rows]) for i, head in
             ((0, "claim"), (1, "status"), (3, "paper"), (4, "boxes"), (5, "s"))]
    room = width - 1 - sum(fixed) - GAP * 5
    keys = [h[0] for _, _, h, *_ in rows if h]
    key_w = max([len("quantity")] + [len(k) for k in keys])
    show_key = room - key_w - GAP >= 24
    value_w = max(12, room - (key_w + GAP if show_key else 0))
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True)
    t.add_column("claim", no_wrap=True)
    t.add_column("status", no_wrap=True)
    if show_key:
        t.add_column("quantity", no_wrap=True)
    t.add_column("certified", no_wrap=True)
    t.add_column("paper", no_wrap=True)
    t.add_column("boxes", justify="right", no_wrap=True)
    t.add_column("s", justify="right", no_wrap=True)
    for cid, status, h, counts, boxes, secs in rows:
        value = report.fmt_short(h[1], h[2], value_w) if h else "—"
        cells = [cid, status] + ([h[0] if h else "—"] if show_key else []) + [value, counts, boxes, secs]
        t.add_row(*cells)
    return t


def detail_table(r, checks) -> Table:
    """The per-number table of one claim (``-v``): quantity, paper, certified, verdict."""
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True,
              title=f"{r.claim.id}: {_status(r, checks)}, {r.boxes} boxes, {r.seconds:.1f} s",
              title_justify="left")
    t.add_column("quantity", overflow="fold")
    t.add_column("paper")
    t.add_column("certified")
    t.add_column("verdict")
    for row in claim_rows(r):
        t.add_row(row["key"], row["paper_short"] or "—", row["short"], row["verdict"] or "—")
    return t


def print_results(console, results, checks, verbose: bool = False) -> None:
    if verbose:
        for r in results:
            console.print(detail_table(r, checks))
            console.print()
    console.print(summary_table(results, checks, console.width))
    for r in results:
        if r.counterexample:
            c = r.counterexample
            which = "" if c.get("required", True) else " (an alternative reading, not the claim)"
            console.print(f"{r.claim.id}: counterexample for {c['key']}{which} at (mu, omega, nu, tau) ≈ "
                          f"{report.fmt_point(c['point'])}")
    console.print(report.tally(results))
    console.print(report.LEGEND + ".")
    console.print(report.SIDE_BY_SIDE)


def cmd_all(args) -> int:
    code = scaled_claims.run_all(args, _run_claims)  # None: no --alpha/--lambda/--fixed-point given
    return _run_claims(args, C.CLAIMS) if code is None else code


def cmd_claim(args) -> int:
    try:
        claims = [C.get(i) for i in args.ids]
    except KeyError as exc:
        raise BadInput(exc.args[0]) from None
    return _run_claims(args, claims)


def cmd_list(args) -> int:
    console = console_for(args)
    t = Table(title="registered claims")
    for col in ("claim", "statement", "reference"):
        t.add_column(col, overflow="fold")
    for c in C.CLAIMS:
        t.add_row(c.id, c.statement, c.reference)
    console.print(t)
    return EXIT_OK


def cmd_check(args) -> int:
    console = console_for(args)
    worst = EXIT_OK
    for f in args.files:
        try:
            obj = cert_io.read_json(cert_io.read_bytes(f), str(f))
            cert = None if obj.get("kind") == grid_certificate.KIND else cert_io.from_object(obj, str(f))
        except CertificateError as exc:
            print(f"selu-verify: error: {exc}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        if cert is None:  # a grid certificate: its own replay (sweep, error model, derivative bounds)
            with progress_bar(args, f"replaying grid {f}", 0):
                res = check_grid(obj, workers_for(args))
        else:
            with progress_bar(args, f"checking {f}", leaf_count(cert)) as tick:
                res = checker.check(cert, progress=tick, workers=workers_for(args))
        if res.ok:
            console.print(f"ACCEPTED {f}: {res.label} {res.status} ({'; '.join(res.messages)})")
            # what was verified, rebuilt from the replayed parts (never the file's own text)
            console.print(f"  {'proves' if res.status == 'proved' else 'statement'}: {res.proves}", soft_wrap=True)
            if res.status != "proved":
                worst = max(worst, EXIT_FAIL)
        else:
            console.print(f"REJECTED {f}: {'; '.join(res.messages)}")
            worst = max(worst, EXIT_FAIL)
    return worst


def register(sub) -> None:
    s = sub.add_parser("all", help="certify every registered claim (or, with --alpha/--lambda or "
                       "--fixed-point, Theorems 1-3 around that fixed point)")
    add_common_options(s)
    add_target_arguments(s)
    s.set_defaults(func=cmd_all)
    s = sub.add_parser("claim", help="certify the named claims")
    s.add_argument("ids", nargs="+")
    add_common_options(s)
    s.set_defaults(func=cmd_claim)
    s = sub.add_parser("list", help="list registered claims")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("check", help="replay certificates with the independent checker")
    s.add_argument("files", nargs="+")
    s.add_argument("--quiet", action="store_true")
    add_workers_option(s)
    s.set_defaults(func=cmd_check)
