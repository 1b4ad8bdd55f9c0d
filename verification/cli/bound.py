"""``selu-verify bound``: certify your own inequality over a box."""
from __future__ import annotations

import math
import pathlib
import time
from fractions import Fraction

from selu_theory import numbers
from selu_theory.expr import parse
from verification import report
from verification import claims as C
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    add_params_options,
    params_from_args,
    console_for,
    progress_bar,
    workers_for,
)
from verification.certify import certify_part
from verification.domain import Domain
from verification.engine import Runner, top_boxes


def _threshold(text: str, what: str) -> Fraction:
    try:
        return numbers.parse(text, what)
    except numbers.NumberError as exc:
        raise BadInput(str(exc)) from None


def add_bound_arguments(sp, expr_help: str, extra=None):
    """The arguments ``bound_request`` reads: EXPR, --domain, then ``extra(sp)`` for a
    command's own options, then --alpha/--lambda and --below/--above/--max/--min."""
    sp.add_argument("expr", help=expr_help)
    sp.add_argument("--domain", default="", help="'mu=-0.1:0.1,omega=-0.1:0.1,nu=0.8:1.5,tau=0.95:1.1' "
                    "(missing names: Omega's range)")
    if extra:
        extra(sp)
    add_params_options(sp)
    sp.add_argument("--below", metavar="C", help="prove EXPR < C on the whole domain (or find a counterexample)")
    sp.add_argument("--above", metavar="C", help="prove EXPR > C on the whole domain (or find a counterexample)")
    sp.add_argument("--max", action="store_true", help="enclose the maximum of EXPR on the domain")
    sp.add_argument("--min", action="store_true", help="enclose the minimum of EXPR on the domain")


def bound_request(args):
    """(expr, params, domain, mode) of a `bound`-style command: EXPR, --activation with
    --param/--alpha/--lambda, --domain (missing variables: Omega's ranges) and exactly one
    of --below/--above/--max/--min."""
    params = params_from_args(args)
    expr = parse(args.expr, params.activation)
    domain = Domain.parse(args.domain, defaults=C.OMEGA)
    modes = [m for m in ("below", "above") if getattr(args, m) is not None] + \
        [m for m in ("max", "min") if getattr(args, m)]
    if len(modes) != 1:
        raise BadInput("give exactly one of --below C, --above C, --max, --min")
    return expr, params, domain, modes[0]


def cmd_bound(args) -> int:
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
    console = console_for(args)
    console.print(f"{part.sense} of {expr.source} on {domain.describe()} ({params.describe()})")
    t0 = time.perf_counter()
    with Runner(workers_for(args)) as runner, progress_bar(args, "bounding", len(top_boxes(domain)[1])) as tick:
        pr, done = certify_part(part, params, runner, lambda cert: pathlib.Path(args.out) / "certificates" /
                                f"bound-{cert.sha256[:10]}.json", args.max_boxes, tick)
    status, path, chk = pr.status, done.path, done.check
    secs = time.perf_counter() - t0
    lo, hi = pr.enclosure
    verb = {"below": f"< {getattr(args, 'below', '')}", "above": f"> {getattr(args, 'above', '')}"}.get(mode, "")
    console.print(f"status: {status}{' (' + expr.source + ' ' + verb + ' on the whole domain)' if status == 'proved' and verb else ''}")
    if status == "undecided" and pr.detail:
        console.print(f"undecided because {pr.detail}", soft_wrap=True)
    if math.isfinite(lo) and math.isfinite(hi):
        console.print(f"{part.sense} enclosure: {report.fmt_enclosure(lo, hi, 17)}")
    if pr.counterexample:
        c = pr.counterexample
        console.print(f"counterexample: (mu, omega, nu, tau) ≈ {report.fmt_point(c['point'])}, "
                      f"value {c['value_text']} (exact point: --json, certificate)")
    console.print(f"boxes: {pr.boxes}, seconds: {secs:.2f}, certificate: {path} "
                  f"({'checker accepted' if chk.ok else 'checker REJECTED: ' + '; '.join(chk.messages)})"
                  f"{'; ' + done.reason if done.reason and chk.ok else ''}")
    if args.json:
        report.write_json(args.json, {"claims": [{
            "id": "bound", "status": status, "quantity": f"{part.sense} {expr.source}",
            "enclosure": [lo if math.isfinite(lo) else str(lo), hi if math.isfinite(hi) else str(hi)],
            "paper": None, "verdict": None, "counterexample": pr.counterexample, "boxes": pr.boxes,
            "seconds": round(secs, 3), "certificate": str(path)}]})
    return EXIT_OK if status == "proved" else EXIT_FAIL


def register(sub) -> None:
    s = sub.add_parser("bound", help="certify your own inequality over a box")
    add_bound_arguments(s, "e.g. 'S', 'nu_tilde - nu', 'J11**2 + J12**2' (selu-verify names lists the names)")
    s.add_argument("--tol", type=float, default=None,
                   help="width of the extremum enclosure for --max/--min (default 1e-10)")
    add_common_options(s)
    s.set_defaults(func=cmd_bound)
