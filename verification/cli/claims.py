"""``selu-verify all``, ``claim``, ``list``, ``check``: certify the registered claims and
replay certificates."""
from __future__ import annotations

import pathlib
import sys
import time

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
    _print_table(console, results, checks)
    out.mkdir(parents=True, exist_ok=True)
    data = report.to_json(results, checks)
    report.write_json(out / "report.json", data)
    (out / "report.md").write_text(report.markdown(results, checks))
    if args.json:
        report.write_json(args.json, data)
    ok = all(r.status == "proved" for r in results)
    console.print(f"{sum(r.status == 'proved' for r in results)}/{len(results)} claims proved and checked "
                  f"in {time.perf_counter() - t0:.1f} s; report: {out / 'report.md'}, certificates: {cert_dir}/")
    return EXIT_OK if ok else EXIT_FAIL


def _print_table(console, results, checks):
    t = Table(show_lines=False, title="SELU appendix claims: paper vs certified")
    for col in ("claim", "quantity", "paper", "certified", "verdict", "status", "boxes", "s"):
        t.add_column(col, overflow="fold")
    for r in results:
        st = r.status if checks.get(r.claim.id) is None or checks[r.claim.id].ok else "REJECTED"
        for i, row in enumerate(claim_rows(r)):
            t.add_row(r.claim.id if i == 0 else "", row["key"], row["paper"] or "—", row["compact"],
                      row["verdict"] or "—", st if i == 0 else "",
                      str(r.boxes) if i == 0 else "", f"{r.seconds:.2f}" if i == 0 else "")
        t.add_section()
    console.print(t)
    for r in results:
        if r.counterexample:
            c = r.counterexample
            which = "" if c.get("required", True) else " (an alternative reading, not the claim)"
            console.print(f"{r.claim.id}: counterexample for {c['key']}{which} at (mu, omega, nu, tau) = "
                          f"({', '.join(c['point'])})")


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
    loaded = []  # (file, typed certificate or None for a grid, its JSON object)
    for f in args.files:
        try:
            obj = cert_io.read_json(cert_io.read_bytes(f), str(f))
            cert = None if obj.get("kind") == grid_certificate.KIND else cert_io.from_object(obj, str(f))
        except CertificateError as exc:
            print(f"selu-verify: error: {exc}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        loaded.append((f, cert, obj))
    # every certificate's leaves replayed in one batch over the workers
    certs = [cert for _, cert, _ in loaded if cert is not None]
    with progress_bar(args, f"checking {len(certs)} certificates", sum(map(leaf_count, certs))) as tick:
        checked = iter(checker.check_many(certs, progress=lambda i: tick, workers=workers_for(args)))
    for f, cert, obj in loaded:
        if cert is None:  # a grid certificate: its own replay (sweep, error model, derivative bounds)
            with progress_bar(args, f"replaying grid {f}", 0):
                res = check_grid(obj, workers_for(args))
        else:
            res = next(checked)
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
