"""selu-verify: certify the SELU paper's claims, replay certificates, bound your own
expressions.  Exit codes: 0 proved/accepted, 1 disproved/undecided/rejected, 2 bad input."""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import math
import pathlib
import sys
import time
from fractions import Fraction

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from selu_theory.expr import ExprError, parse
from selu_theory.params import ParamError, Params
from verification import certificate as cert_io
from verification import claims as C
from verification.certificate import CertificateError
from verification.domain import Domain, DomainError

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2

# Modules with a ``register(subparsers, common)`` adding their own subcommands.
PLUGIN_MODULES = ("verification.cli.grid", "verification.cli.design")


class BadInput(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise BadInput(f"{self.prog}: {message}")


def _console(args) -> Console:
    c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False)
    if not c.is_terminal:  # pipes and CI logs: wide enough for the table
        c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False, width=170)
    return c


@contextlib.contextmanager
def _progress(args, description: str, total: int):
    err = Console(stderr=True)
    if getattr(args, "quiet", False) or total <= 0 or not err.is_terminal:
        yield (lambda: None)
        return
    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)
    with prog:
        task = prog.add_task(description, total=total)
        yield (lambda: prog.advance(task))


def _units(claim) -> int:
    from verification.engine import top_boxes
    n = 0
    for p in claim.parts:
        if isinstance(p, C.Extremum):
            n += len(top_boxes(p.domain)[1])
    return n


def _workers(args) -> int:
    from verification.engine import default_workers
    w = args.workers if args.workers is not None else default_workers()
    if w < 1:
        raise BadInput("--workers must be at least 1")
    return w


def _run_claims(args, claims) -> int:
    from verification import checker, prove, report
    from verification.engine import Runner

    out = pathlib.Path(args.out)
    cert_dir = out / "certificates"
    console = _console(args)
    results, checks = [], {}
    t0 = time.perf_counter()
    with Runner(_workers(args)) as runner:
        for claim in claims:
            with _progress(args, f"proving {claim.id}", _units(claim)) as tick:
                res = prove.run_claim(claim, runner, on_done=tick, max_boxes=args.max_boxes)
            body = cert_io.build(claim, claim.params, prove.DEFAULT_BITS,
                                 [p.certificate for p in res.parts])
            path = cert_io.write(body, cert_dir / f"{claim.id}.json")
            res.certificate_path = str(path)
            leaves = sum(1 for p in body["parts"] if p.get("kind") == "extremum" for n in p["tree"] if n[0] == "l")
            with _progress(args, f"checking {claim.id}", leaves) as tick:
                chk = checker.check(body, progress=tick, workers=runner.workers)
            checks[claim.id] = chk
            if not chk.ok or chk.status != res.status:
                res.status = "undecided"
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
    from verification.report import claim_rows
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
    from verification import scaled_claims
    code = scaled_claims.run_all(args, _run_claims)  # None: no --alpha/--lambda/--fixed-point given
    return _run_claims(args, C.CLAIMS) if code is None else code


def cmd_claim(args) -> int:
    try:
        claims = [C.get(i) for i in args.ids]
    except KeyError as exc:
        raise BadInput(exc.args[0]) from None
    return _run_claims(args, claims)


def cmd_list(args) -> int:
    console = _console(args)
    t = Table(title="registered claims")
    for col in ("claim", "statement", "reference"):
        t.add_column(col, overflow="fold")
    for c in C.CLAIMS:
        t.add_row(c.id, c.statement, c.reference)
    console.print(t)
    return EXIT_OK


def cmd_check(args) -> int:
    from verification import checker
    console = _console(args)
    worst = EXIT_OK
    for f in args.files:
        try:
            cert = cert_io.load(f)
        except CertificateError as exc:
            print(f"selu-verify: error: {exc}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        leaves = sum(1 for p in cert.get("parts", []) if isinstance(p, dict) and p.get("kind") == "extremum"
                     for n in p.get("tree", []) if isinstance(n, list) and n[:1] == ["l"])
        with _progress(args, f"checking {f}", leaves) as tick:
            res = checker.check(cert, progress=tick, workers=_workers(args))
        if res.ok:
            console.print(f"ACCEPTED {f}: claim {res.claim} {res.status} ({'; '.join(res.messages)})")
            if res.status != "proved":
                worst = max(worst, EXIT_FAIL)
        else:
            console.print(f"REJECTED {f}: {'; '.join(res.messages)}")
            worst = max(worst, EXIT_FAIL)
    return worst


def _threshold(text: str, what: str) -> Fraction:
    try:
        f = float(text)
        if not math.isfinite(f):
            raise ValueError
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"{what} must be a finite number; got {text!r}") from None


def add_bound_arguments(sp, expr_help: str, extra=None):
    """The arguments ``bound_request`` reads: EXPR, --domain, then ``extra(sp)`` for a
    command's own options, then --alpha/--lambda and --below/--above/--max/--min."""
    sp.add_argument("expr", help=expr_help)
    sp.add_argument("--domain", default="", help="'mu=-0.1:0.1,omega=-0.1:0.1,nu=0.8:1.5,tau=0.95:1.1' "
                    "(missing names: Omega's range)")
    if extra:
        extra(sp)
    sp.add_argument("--alpha", default="alpha01")
    sp.add_argument("--lambda", dest="lam", default="lambda01")
    sp.add_argument("--below", metavar="C")
    sp.add_argument("--above", metavar="C")
    sp.add_argument("--max", action="store_true")
    sp.add_argument("--min", action="store_true")


def bound_request(args):
    """(expr, params, domain, mode) of a `bound`-style command: EXPR, --alpha/--lambda,
    --domain (missing variables: Omega's ranges) and exactly one of --below/--above/--max/--min."""
    expr = parse(args.expr)
    params = Params(args.alpha, args.lam)
    domain = Domain.parse(args.domain, defaults=C.OMEGA)
    modes = [m for m in ("below", "above") if getattr(args, m) is not None] + \
        [m for m in ("max", "min") if getattr(args, m)]
    if len(modes) != 1:
        raise BadInput("give exactly one of --below C, --above C, --max, --min")
    return expr, params, domain, modes[0]


def cmd_bound(args) -> int:
    from verification import checker, prove, report
    from verification.engine import Runner

    expr, params, domain, mode = bound_request(args)
    if args.tol is not None and mode in ("below", "above"):
        raise BadInput("--tol sets the width of a --max/--min enclosure; --below/--above prove a bound")
    tol = 1e-10 if args.tol is None else args.tol
    if not (tol > 0 and math.isfinite(tol)):
        raise BadInput("--tol must be a positive number")
    if mode in ("below", "above"):
        th = str(_threshold(getattr(args, mode), f"--{mode}"))
        part = C.Extremum("bound", expr.source, "max" if mode == "below" else "min", domain, threshold=th, tol=1e300)
    else:
        part = C.Extremum("bound", expr.source, mode, domain, tol=tol)
    console = _console(args)
    console.print(f"{part.sense} of {expr.source} on {domain.describe()} ({params.describe()})")
    from verification.engine import top_boxes
    t0 = time.perf_counter()
    with Runner(_workers(args)) as runner, _progress(args, "bounding", len(top_boxes(domain)[1])) as tick:
        pr = prove.run_extremum(part, params, runner, prove.DEFAULT_BITS, tick, args.max_boxes)
    stmt = {"below": f"{expr.source} < {part.threshold}", "above": f"{expr.source} > {part.threshold}",
            "max": f"max of {expr.source}", "min": f"min of {expr.source}"}[mode]
    claim = C.Claim("bound", stmt, f"{stmt} on {domain.describe()}", "user", (part,), params=params)
    body = cert_io.build(claim, params, prove.DEFAULT_BITS, [pr.certificate])
    digest = hashlib.sha256(cert_io.canonical(body)).hexdigest()[:10]
    path = cert_io.write(body, pathlib.Path(args.out) / "certificates" / f"bound-{digest}.json")
    chk = checker.check(body, workers=_workers(args))
    status = pr.status if chk.ok else "undecided"
    secs = time.perf_counter() - t0
    lo, hi = pr.enclosure
    verb = {"below": f"< {getattr(args, 'below', '')}", "above": f"> {getattr(args, 'above', '')}"}.get(mode, "")
    console.print(f"status: {status}{' (' + expr.source + ' ' + verb + ' on the whole domain)' if status == 'proved' and verb else ''}")
    if math.isfinite(lo) and math.isfinite(hi):
        console.print(f"{part.sense} enclosure: {report.fmt_enclosure(lo, hi, 17)}")
    if pr.counterexample:
        c = pr.counterexample
        console.print(f"counterexample: (mu, omega, nu, tau) = ({', '.join(c['point'])}), "
                      f"value {c['value_text']}")
    console.print(f"boxes: {pr.boxes}, seconds: {secs:.2f}, certificate: {path} "
                  f"({'checker accepted' if chk.ok else 'checker REJECTED: ' + '; '.join(chk.messages)})")
    if args.json:
        report.write_json(args.json, {"claims": [{
            "id": "bound", "status": status, "quantity": f"{part.sense} {expr.source}",
            "enclosure": [lo if math.isfinite(lo) else str(lo), hi if math.isfinite(hi) else str(hi)],
            "paper": None, "verdict": None, "counterexample": pr.counterexample, "boxes": pr.boxes,
            "seconds": round(secs, 3), "certificate": str(path)}]})
    return EXIT_OK if status == "proved" else EXIT_FAIL


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="selu-verify", description=__doc__)
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def common(sp, proving=True):
        sp.add_argument("--quiet", action="store_true", help="no progress bars or tables beyond the result")
        sp.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
        if proving:
            sp.add_argument("--out", default="results", help="folder for report and certificates (default: results/)")
            sp.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
            sp.add_argument("--max-boxes", type=int, default=400_000,
                            help="box budget per extremum, shared by its subtrees (default 400000)")

    s = sub.add_parser("all", help="certify every registered claim (or, with --alpha/--lambda or "
                       "--fixed-point, Theorems 1-3 around that fixed point)")
    common(s)
    from verification.scaled_claims import add_target_arguments
    add_target_arguments(s)
    s.set_defaults(func=cmd_all)
    s = sub.add_parser("claim", help="certify the named claims")
    s.add_argument("ids", nargs="+")
    common(s)
    s.set_defaults(func=cmd_claim)
    s = sub.add_parser("list", help="list registered claims")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("check", help="replay certificates with the independent checker")
    s.add_argument("files", nargs="+")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("bound", help="certify your own inequality over a box")
    add_bound_arguments(s, "e.g. 'S', 'nu_tilde - nu', 'J11**2 + J12**2'")
    s.add_argument("--tol", type=float, default=None,
                   help="width of the extremum enclosure for --max/--min (default 1e-10)")
    common(s)
    s.set_defaults(func=cmd_bound)
    # Commands that live in their own modules register themselves here.
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub, common)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        if getattr(args, "max_boxes", 1) < 1:
            raise BadInput("--max-boxes must be at least 1")
        return args.func(args)
    except (BadInput, ExprError, ParamError, DomainError, CertificateError) as exc:
        print(f"selu-verify: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("selu-verify: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
