"""``selu-verify all``, ``claim``, ``list``, ``check``: certify the registered claims and
replay certificates."""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

from rich import box
from rich.table import Table
from rich.text import Text

from selu_theory import quantities
from verification import replay_files, report, scaled_claims
from verification import claims as C
from verification.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    activation_from_text,
    add_target_options,
    add_workers_option,
    console_for,
    progress_bar,
    workers_for,
)
from verification.certify import certify_claim_later
from verification.engine import Runner, top_boxes
from verification.report import claim_rows


def _line(console, text) -> None:
    """One line of plain text (no rich markup: claim keys contain [brackets])."""
    console.print(text, markup=False, highlight=False)


def _units(claim) -> int:
    n = 0
    for p in claim.parts:
        if isinstance(p, C.Extremum):
            n += len(top_boxes(p.domain)[1])
    return n


def _run_claims(args, claims) -> int:
    out = pathlib.Path(args.out)
    if getattr(args, "command", None) == "all" and scaled_claims.wants_scaled(args):
        out = out / "theorems"  # where `selu-verify theorems` writes: the registry's report stays
    cert_dir = out / "certificates"
    console = console_for(args)
    results, checks, pending = [], {}, []
    t0 = time.perf_counter()
    with Runner(workers_for(args)) as runner:
        # Claim k's leaves are replayed in the checker's pool while claim k+1 is proved;
        # the results are collected (and reported) in order.  A claim's seconds are its
        # proof's and its replay's up to the start of the next proof.
        for claim in claims:
            t = time.perf_counter()
            with progress_bar(args, f"proving {claim.id}", _units(claim)) as tick:
                res, finish = certify_claim_later(claim, runner, cert_dir / f"{claim.id}.json", on_done=tick,
                                                  max_boxes=args.max_boxes)
            res.seconds = time.perf_counter() - t
            pending.append((claim, res, finish))
        for claim, res, finish in pending:
            t = time.perf_counter()
            done = finish(check_progress=lambda n, c=claim: progress_bar(args, f"checking {c.id}", n))
            res.seconds += time.perf_counter() - t
            checks[claim.id] = done.check
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
        _line(console, f"report: {out / 'report.md'}"
                      + (f" (with {more} earlier claim{'s' if more != 1 else ''})" if more > 0 else "")
                      + f"; certificates: {cert_dir}/; {time.perf_counter() - t0:.1f} s")
    return EXIT_OK if ok else EXIT_FAIL


def _short_id(cid: str) -> str:
    """A claim id for the table: a scaled claim's "<base>@<target>" shows its base (the
    target is printed above the table; report.json keeps the full id)."""
    return cid.split("@", 1)[0]


def _status(r, checks) -> str:
    chk = checks.get(r.claim.id)
    return r.status if chk is None or chk.ok else "REJECTED"


GAP = 2  # the tables' spaces between columns (padding 1, the blank divider 1, collapsed)
VALUE_MIN = 22  # below this the summary closes its gaps to one space


def _seconds(x: float) -> str:
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def summary_table(results, checks, width: int = 80) -> Table:
    """One row per claim, fitted to ``width`` columns: claim, status, the headline
    certified value as [lo, hi] (with its name when there is room), the paper's
    verdicts, boxes, seconds.  Only the certified value gives way: it is rounded (always
    outward) to as many digits as fit."""
    rows = []
    for r in results:
        h = report.headline(r)
        rows.append((_short_id(r.claim.id), _status(r, checks), h, report.fmt_counts(report.verdict_counts(r.verdicts)),
                     str(r.boxes), _seconds(r.seconds)))
    fixed = [max([len(head)] + [len(row[i]) for row in rows]) for i, head in
             ((0, "claim"), (1, "status"), (3, "paper"), (4, "boxes"), (5, "s"))]
    gap = GAP
    room = width - 1 - sum(fixed) - gap * 5
    if room < VALUE_MIN:
        gap = 1
        room = width - 1 - sum(fixed) - gap * 5
    keys = [h[0] for _, _, h, *_ in rows if h]
    key_w = max([len("quantity")] + [len(k) for k in keys])
    show_key = room - key_w - gap >= 24
    value_w = max(12, room - (key_w + gap if show_key else 0))
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
              padding=(0, 1) if gap == 2 else (0, 0))
    t.add_column("claim", no_wrap=True, min_width=fixed[0])
    t.add_column("status", no_wrap=True, min_width=fixed[1])
    if show_key:
        t.add_column("quantity", no_wrap=True)
    t.add_column("certified", no_wrap=True)
    t.add_column("paper", no_wrap=True, min_width=fixed[2])
    t.add_column("boxes", justify="right", no_wrap=True, min_width=fixed[3])
    t.add_column("s", justify="right", no_wrap=True, min_width=fixed[4])
    for cid, status, h, counts, boxes, secs in rows:
        value = report.fmt_short(h[1], h[2], value_w) if h else "—"
        cells = [cid, status] + ([h[0] if h else "—"] if show_key else []) + [value, counts, boxes, secs]
        t.add_row(*map(Text, cells))
    return t


def detail_table(r, checks, width: int = 80) -> Table:
    """The per-number table of one claim (``-v``): each certified quantity with the
    paper's numbers compared with it (one row per number) and their verdicts."""
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True,
              title=Text(f"{r.claim.id}: {_status(r, checks)}, {r.boxes} boxes, {r.seconds:.1f} s"),
              title_justify="left")
    rows = []
    by_key = {}
    for v in r.verdicts:
        by_key.setdefault(v.key, []).append(v)
    for row in claim_rows(r):
        lo, hi = r.enclosures[row["quantity"]]
        papers = by_key.get(row["quantity"]) or [None]
        cert = (lo, hi)
        for i, v in enumerate(papers):
            paper = "—" if v is None else f"{report.KIND_SIGN.get(v.kind, '')} {v.paper}".strip()
            rows.append((row["key"] if i == 0 else "", cert if i == 0 else "", paper,
                         "—" if v is None else v.verdict))
    # the certified column gets the room the others leave (report.md has every digit)
    quantity_w = max([len(w) for row in rows for w in row[0].split()] + [8])
    paper_w = max(len(row[2]) for row in rows)
    verdict_w = max(len(w) for row in rows for w in row[3].split())
    cert_w = min(26, max(16, width - 1 - quantity_w - paper_w - verdict_w - 3 * GAP))
    t.add_column("quantity", min_width=quantity_w, overflow="fold")
    t.add_column("certified", no_wrap=True)
    t.add_column("paper", overflow="fold")
    t.add_column("verdict")
    for q, cert, paper, verdict in rows:
        t.add_row(*map(Text, (q, report.fmt_short(*cert, cert_w, 10) if cert else "", paper, verdict)))
    return t


def print_results(console, results, checks, verbose: bool = False) -> None:
    if verbose:
        for r in results:
            console.print(detail_table(r, checks, console.width))
            console.print()
    console.print(summary_table(results, checks, console.width))
    for r in results:
        if r.counterexample:
            c = r.counterexample
            which = "" if c.get("required", True) else "; another reading, not the claim"
            _line(console, f"{_short_id(r.claim.id)}: counterexample for {c['key']}")
            _line(console, f"  at (µ, ω, ν, τ) ≈ {report.fmt_point(c['point'], 6)}{which}")
    _line(console, report.tally(results, console.width))
    _line(console, report.LEGEND + ".")
    _line(console, report.SIDE_BY_SIDE)


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
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title="registered claims",
              title_justify="left")
    t.add_column("claim", no_wrap=True)
    t.add_column("statement" if args.verbose else "title")
    if args.verbose:
        t.add_column("reference")
    for c in C.CLAIMS:
        t.add_row(*map(Text, (c.id, c.statement, c.reference) if args.verbose else (c.id, c.title)))
    console.print(t)
    if not args.verbose:
        _line(console, "-v: statements and references; selu-verify claim ID certifies one.")
    return EXIT_OK


def cmd_names(args) -> int:
    """The expression vocabulary with meanings, from the quantity table (the one list)."""
    console = console_for(args)
    activation = activation_from_text(args.activation)
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
              title=Text(f"names an expression may use ({activation})"), title_justify="left")
    t.add_column("name", no_wrap=True)
    t.add_column("kind", no_wrap=True)
    t.add_column("meaning")
    for name in quantities.names(activation):
        q = quantities.lookup(name, activation)
        t.add_row(*map(Text, (name, q.kind if q else "", q.meaning if q else "")))
    console.print(t)
    _line(console, "Functions: sqrt(x), exp(x). Operators: + - * /, unary -, x**n for a whole number "
                  "|n| <= 16. Numbers are exact decimals (0.1 means 1/10).")
    return EXIT_OK


def cmd_check(args) -> int:
    console = console_for(args)
    worst = EXIT_OK
    tally = {"accepted": 0, "rejected": 0, "unreadable": 0}

    def batch(total):
        return progress_bar(args, "checking certificates", total)

    def grid_line(f):
        return progress_bar(args, f"replaying grid {f}", 0)

    replayed = replay_files.replay(args.files, workers_for(args), progress=batch, on_grid=grid_line)
    for item in replayed:
        f, res = item.path, item.result
        if res is None:
            print(f"selu-verify: error: {item.error}", file=sys.stderr)
            worst = max(worst, EXIT_BAD_INPUT)
            tally["unreadable"] += 1
            continue
        if res.ok:
            tally["accepted"] += 1
            _line(console, f"ACCEPTED {f}: {res.label} {res.status}"
                          + (f" ({'; '.join(res.messages)})" if args.verbose and res.messages else ""))
            # what was verified, rebuilt from the replayed parts (never the file's own text)
            _line(console, f"  {'proves' if res.status == 'proved' else 'statement'}: {res.proves}")
            if res.status != "proved":
                worst = max(worst, EXIT_FAIL)
        else:
            tally["rejected"] += 1
            _line(console, f"REJECTED {f}: {'; '.join(res.messages)}")
            worst = max(worst, EXIT_FAIL)
    n = len(replayed)
    total = (f"{tally['accepted']}/{n} certificate{'s' if n != 1 else ''} accepted"
             + (f", {tally['rejected']} rejected" if tally["rejected"] else "")
             + (f", {tally['unreadable']} unreadable" if tally["unreadable"] else ""))
    print(total)  # also with --quiet: the result line
    return worst


EXAMPLES = {
    "all": ["selu-verify all --workers 2", "selu-verify all -v --out results/",
            "selu-verify all --alpha 1.7 --lambda 1.05   # Theorems 1-3, other parameters"],
    "claim": ["selu-verify claim thm1-contraction", "selu-verify claim lemma43-mean-squared-bound -v",
              "selu-verify list    # the claim ids"],
    "list": ["selu-verify list", "selu-verify list -v"],
    "names": ["selu-verify names", "selu-verify bound 'nu_tilde - nu' --max --domain nu=0.8:1.5"],
    "check": ["selu-verify check results/certificates/thm1-contraction.json",
              "selu-verify check results/certificates --quiet   # every certificate in it"],
}


def examples(name: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])


def _verbose_option(sp, help: str) -> None:
    sp.add_argument("-v", "--verbose", action="store_true", help=help)


def register(sub) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    s = sub.add_parser("all", help="certify every registered claim (or, with --alpha/--lambda or "
                       "--fixed-point, Theorems 1-3 around that fixed point)", epilog=examples("all"),
                       formatter_class=raw)
    add_common_options(s)
    _verbose_option(s, "also print the per-number table of every claim (paper vs certified)")
    add_target_options(s)
    s.set_defaults(func=cmd_all)
    s = sub.add_parser("claim", help="certify the named claims (merged into the report in --out)",
                       epilog=examples("claim"), formatter_class=raw)
    s.add_argument("ids", nargs="+", metavar="ID", help="claim ids (selu-verify list shows them)")
    add_common_options(s)
    _verbose_option(s, "also print the per-number table of each claim (paper vs certified)")
    s.set_defaults(func=cmd_claim)
    s = sub.add_parser("list", help="list registered claims", epilog=examples("list"), formatter_class=raw)
    s.add_argument("--quiet", action="store_true", help="print nothing (the exit code says it ran)")
    _verbose_option(s, "show each claim's statement and reference")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("names", help="list the names an expression may use, with their meanings",
                       epilog=examples("names"), formatter_class=raw)
    s.add_argument("--activation", default="selu", metavar="NAME", help="the activation (default selu)")
    s.add_argument("--quiet", action="store_true", help="print nothing (the exit code says it ran)")
    s.set_defaults(func=cmd_names)
    s = sub.add_parser("check", help="replay certificates with the independent checker",
                       epilog=examples("check"), formatter_class=raw)
    s.add_argument("files", nargs="+", metavar="FILE", help="certificate JSON files, or folders of them")
    s.add_argument("--quiet", action="store_true", help="print only the total line")
    _verbose_option(s, "also print the checker's messages for accepted certificates")
    add_workers_option(s)
    s.set_defaults(func=cmd_check)
