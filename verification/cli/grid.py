"""``selu-verify paper-grid`` and ``selu-verify grid``: the paper's grid proofs, and the
same method on your own grid (see ``verification/paper_grid.py``)."""
from __future__ import annotations

import math
import pathlib
from fractions import Fraction

import numpy as np
from rich.table import Table

from selu_theory import ball
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.params import Params
from verification import paper_grid as pg
from verification.cli.bound import add_bound_arguments, bound_request
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    add_params_options,
    console_for,
    progress_bar,
    worker_count,
    workers_for,
    write_json,
)

VARS = ("mu", "omega", "nu", "tau")
MAX_POINTS = 10 ** 11   # ~1 hour at the S kernel's speed on 2 cores


def _number(text, what) -> Fraction:
    try:
        q = Fraction(str(text).strip())
        if not math.isfinite(float(q)):
            raise ValueError
    except (ValueError, ZeroDivisionError, OverflowError):
        raise BadInput(f"{what} must be a finite number; got {text!r}") from None
    return q


def register(subparsers):
    s = subparsers.add_parser(
        "paper-grid", help="reproduce the paper's grid proofs (Lemma 12: S < 1; Lemma 43: mu~^2 < 0.005)",
        description="Evaluate the paper's grid with rigorous float error bounds, add the mean-value slack from "
                    "certified derivative bounds, and print the paper's numbers beside the reproduced ones.")
    s.add_argument("lemma", choices=("lemma12", "lemma43"))
    s.add_argument("--reading", default=None,
                   help="grid construction: start, end, both, linspace or all (lemma12 default: both; "
                        "lemma43 default: all)")
    s.add_argument("--domain", dest="domains", default=None,
                   help="lemma12: omega (tau in [0.95, 1.1]), wide-tau (tau in [0.8, 1.25]) or all (default)")
    s.add_argument("--scale", default="1", help="multiply the paper's spacings by this factor (quick runs: 10)")
    _sweep_options(s)
    s.add_argument("--no-certified", action="store_true",
                   help="skip the tight certified global derivative bounds (the paper's bounds are still certified)")
    add_params_options(s)
    add_common_options(s)
    s.set_defaults(func=cmd_paper_grid)

    s = subparsers.add_parser(
        "grid", help="bound an expression by a uniform grid with rigorous error bounds and a mean-value slack",
        description="Evaluate EXPR at every point of a uniform grid (rigorous float error bounds), and bound its "
                    "max/min on the whole box by the grid extreme plus a mean-value slack from certified "
                    "per-cell gradient enclosures (or your own global derivative bounds, which are then checked).")
    def grid_options(sp):
        sp.add_argument("--steps", required=True, help="'mu=0.01,omega=0.001,nu=0.001,tau=0.001' (grid spacing)")
        sp.add_argument("--reading", default="both",
                        help="grid construction: start, end, both (default) or linspace")
    add_bound_arguments(s, "e.g. 'S', 'mu_tilde**2', 'nu_tilde - nu' (names of derivative order <= 1)",
                        grid_options)
    s.add_argument("--deriv", default=None, metavar="mu=M,omega=M,...",
                   help="global bounds on |d EXPR/d x| to use for the slack (checked against certified "
                        "per-cell enclosures: an unproven bound does not prove anything)")
    _sweep_options(s)
    add_common_options(s)
    s.set_defaults(func=cmd_grid)


def _sweep_options(s):
    s.add_argument("--threads", type=worker_count, default=None,
                   help="numba threads for the sweep (default: all cores)")
    s.add_argument("--cells", default=None, metavar="A,B,C,D",
                   help="cells per axis (mu, omega, nu, tau): units of parallel work and of the per-cell bounds")
    s.add_argument("--no-per-cell", action="store_true", help="skip the per-cell mean-value bound")


def _cells(text):
    if text is None:
        return None
    try:
        c = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise BadInput("--cells needs four integers, e.g. 8,4,16,16") from None
    if len(c) != 4 or min(c) < 1:
        raise BadInput("--cells needs four positive integers")
    return c


def cmd_paper_grid(args) -> int:
    g = pg.PAPER_GRIDS[args.lemma]
    reading = args.reading or g.default_reading
    if reading != "all" and reading not in pg.READINGS:
        raise BadInput(f"--reading must be one of {', '.join(pg.READINGS)} or all")
    readings = pg.READINGS if reading == "all" else (reading,)
    if args.domains in (None, "all"):
        domains = tuple(g.domains)
    elif args.domains in g.domains:
        domains = (args.domains,)
    else:
        raise BadInput(f"--domain for {g.id} must be one of {', '.join(g.domains)} or all")
    try:
        scale = Fraction(args.scale)
        if not (0 < scale <= 10 ** 4):
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise BadInput("--scale must be a number in (0, 10000]") from None
    params = Params(args.alpha, args.lam)
    console = console_for(args)
    console.print(f"{g.title}; {params.describe()}; spacings x{args.scale}; readings: {', '.join(readings)}")

    def log(msg):
        if not args.quiet:
            console.print(f"  {msg}")

    run = pg.run_paper_grid(g, params, readings, domains, str(scale), _cells(args.cells), args.threads,
                            workers_for(args), per_cell=not args.no_per_cell, certified=not args.no_certified,
                            max_boxes=args.max_boxes, progress_factory=lambda d, n: progress_bar(args, d, n), log=log)
    head, rows = pg.table_rows(run)
    t = Table(title=f"{g.id}: paper vs reproduced (every grid value with a rigorous error bound)", show_lines=True)
    for h in head:
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(*r)
    console.print(t)
    status = pg.status_of(run)
    for r in run.results:
        for b in r.bounds:
            if b.status != "proved":
                console.print(f"{g.domain_text[r.domain_key]}, reading {r.reading}, {b.mode}: {b.status} -- {b.reason}")
    console.print(f"status: {status} ({g.expr} < {g.threshold} by the paper's method with certified bounds) "
                  f"in {run.seconds:.1f} s")
    data = pg.to_json(run)
    write_json(pathlib.Path(args.out) / "paper-grid" / f"{g.id}.json", data)
    if args.json:
        write_json(args.json, data)
    return EXIT_OK if status == "proved" else EXIT_FAIL


def _parse_deriv(text):
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, eq, val = item.partition("=")
        name = name.strip()
        if not eq or name not in VARS:
            raise BadInput(f"--deriv item {item!r} is not name=bound with name in {', '.join(VARS)}")
        try:
            q = Fraction(val.strip())
            if not math.isfinite(float(q)) or q < 0:
                raise ValueError
        except (ValueError, ZeroDivisionError, OverflowError):
            raise BadInput(f"--deriv {name}: {val.strip()!r} is not a non-negative number") from None
        out[name] = q
    return out


def cmd_grid(args) -> int:
    expr, params, domain, mode = bound_request(args)
    sense = "max" if mode in ("below", "max") else "min"
    threshold = None
    if mode in ("below", "above"):
        threshold = _number(getattr(args, mode), f"--{mode}")
    if args.reading not in pg.READINGS:
        raise BadInput(f"--reading must be one of {', '.join(pg.READINGS)}")
    try:
        steps = pg.parse_steps(args.steps, domain)
        axes = tuple(pg.make_axis(v, lo, hi, steps.get(v), args.reading) for v, (lo, hi) in zip(VARS, domain.bounds))
        pg.compile_expr(expr.source)
    except pg.GridError as exc:
        raise BadInput(str(exc)) from None
    deriv = _parse_deriv(args.deriv) if args.deriv else None
    if args.no_per_cell and deriv is None:
        raise BadInput("--no-per-cell needs --deriv (the slack needs derivative bounds from somewhere)")
    npts = int(np.prod([a.n for a in axes], dtype=object))
    if npts > MAX_POINTS:
        raise BadInput(f"the grid has {npts:.3g} points (more than {MAX_POINTS:.0e}): use larger steps")
    console = console_for(args)
    console.print(f"{sense} of {expr.source} on {domain.describe()} ({params.describe()}): grid "
                  f"{' x '.join(str(a.n) for a in axes)} = {npts:,} points, reading {args.reading}")
    with progress_bar(args, "grid", npts) as tick:
        sw = pg.sweep(axes, expr.source, params, _cells(args.cells), args.threads, tick)
    bounds, cell_M = [], None
    if not args.no_per_cell:
        boxes = pg.cell_boxes(sw)
        with progress_bar(args, "per-cell gradients", len(boxes)) as tick:
            cell_M = pg.cell_gradients(expr.source, params, boxes, workers_for(args), progress=tick)
        bounds.append(pg.decide(sw, sense, threshold, "per-cell", cell_M=cell_M))
    if deriv is not None:
        M = tuple(deriv.get(v, Fraction(0)) for v in VARS)
        st, reason = _check_deriv(M, axes, cell_M, expr.source, params, sw)
        bounds.append(pg.decide(sw, sense, threshold, "your bounds", M, m_status=st, m_reason=reason))
    cex = pg.counterexample(sw, sense, threshold, expr.source, params)
    if cex is not None:
        for b in bounds:
            b.status, b.reason = "disproved", f"grid point {pg.fmt_point(cex['point'])} has value {cex['value']}"
    t = Table(title=f"grid bound of {sense} {expr.source}")
    t.add_column("quantity")
    t.add_column("value", overflow="fold")
    pt, mid, rad = sw.max_point() if sense == "max" else sw.min_point()
    if not (math.isfinite(mid) and math.isfinite(rad)):
        ext = "no grid value could be enclosed"
    elif sense == "max":
        ext = f"{pg.fmt(Fraction(mid) - Fraction(rad), 14, -1)} .. {pg.fmt(sw.max_upper, 14, 1)}"
    else:
        ext = f"{pg.fmt(sw.min_lower, 14, -1)} .. {pg.fmt(Fraction(mid) + Fraction(rad), 14, 1)}"
    t.add_row("grid size", f"{' x '.join(str(a.n) for a in axes)} = {npts:,}")
    t.add_row(f"{sense} on the grid", ext)
    t.add_row("where", pg.fmt_point(pt))
    t.add_row("float error", f"<= {sw.max_rad:.2e} (worst bound over the grid)")
    t.add_row("covering radius h_i", ", ".join(pg.fmt(a.cover, 10, 1) for a in axes))
    for b in bounds:
        t.add_row(f"derivative bounds ({b.mode})", ", ".join(f"{float(m):.5g}" for m in b.M))
        t.add_row(f"slack ({b.mode})", pg.fmt(b.slack, 8, 1))
        t.add_row(f"bound ({b.mode})", f"{pg.fmt(b.bound, 12, 1 if sense == 'max' else -1)}  {b.status}"
                  + (f": {b.reason}" if b.reason else ""))
    t.add_row("seconds", f"{sw.seconds:.2f} ({npts / max(sw.seconds, 1e-9) / 1e6:.1f} M points/s, {sw.threads} threads)")
    console.print(t)
    # with --deriv the verdict is that of your bounds (the per-cell enclosures only check them)
    decisive = bounds[-1]
    status = decisive.status
    verb = {"below": f"< {args.below}", "above": f"> {args.above}"}.get(mode, "bounded")
    console.print(f"status: {status}" + (f" ({expr.source} {verb} on the whole domain)" if status == "proved" else ""))
    data = {"expr": expr.source, "sense": sense, "threshold": str(threshold) if threshold is not None else None,
            "domain": domain.to_json(), "params": params.describe(), "reading": args.reading,
            "axes": [a.n for a in axes], "steps": [str(a.step) for a in axes], "points": npts,
            "extreme_point": list(pt), "extreme_mid": mid, "max_upper": sw.max_upper, "min_lower": sw.min_lower,
            "max_error_bound": sw.max_rad, "bad_points": sw.n_bad, "seconds": round(sw.seconds, 3),
            "status": status, "counterexample": cex,
            "bounds": [{"mode": b.mode, "slack": float(b.slack), "bound": float(b.bound), "status": b.status,
                        "reason": b.reason, "M": [float(m) for m in b.M]} for b in bounds]}
    if args.json:
        write_json(args.json, data)
    return EXIT_OK if status == "proved" else EXIT_FAIL


def _check_deriv(M, axes, cell_M, expr, params, sw):
    """Your global bounds M_i are certified if they dominate the per-cell enclosures on
    every cell; refuted if a point's gradient enclosure exceeds one; else not certified."""
    free = [i for i, a in enumerate(axes) if a.lo != a.hi]
    if cell_M is not None and all(float(M[i]) >= float(np.max(cell_M[:, i])) for i in free):
        return "proved", ""
    # look for a violation at the cells' centres, largest enclosures first
    ev = Evaluator(parse(expr), params)
    boxes = pg.cell_boxes(sw)
    order = range(len(boxes))
    if cell_M is not None:
        scale = np.maximum(np.array([float(m) for m in M]), 1e-300)
        order = np.argsort(-np.max(cell_M / scale, axis=1), kind="stable")
    for c in list(order)[:32]:
        centre = tuple((lo + hi) / 2 for lo, hi in boxes[int(c)])
        with ball.precision(80):
            j = ev.box(tuple((x, x) for x in centre))
            for i in free:
                if bool(abs(j.grad[i]) > ball.exact(M[i])):
                    return "disproved", (f"|d/d{VARS[i]}| > {float(M[i]):g} at {pg.fmt_point(centre)} "
                                         f"(enclosure {j.grad[i].str(6)})")
    return "undecided", "your derivative bounds are below the certified per-cell enclosures and no violation was found"
