"""``selu-verify paper-grid`` and ``selu-verify grid``: the paper's grid proofs, and the
same method on your own grid (see ``verification/paper_grid.py``).

A grid result is *proved* only when its certificate (kind "grid",
``verification/grid_certificate.py``) has been written and replayed; exit 0 means exactly
that.  Exit 1: disproved or undecided; exit 2: bad input (one line, before any work)."""
from __future__ import annotations

import hashlib
import json
import math
import pathlib
from fractions import Fraction

import numpy as np
from rich.table import Table

from selu_theory import ball
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.numbers import NumberError, text_of
from selu_theory.numbers import parse as parse_number
from selu_theory.grid_kernels import GridUnavailable, require_activation
from verification import grid_certificate
from verification import paper_grid as pg
from verification.certify import accept, check_grid
from verification.cli.bound import add_bound_arguments, bound_request
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    add_params_options,
    params_from_args,
    console_for,
    progress_bar,
    worker_count,
    workers_for,
    write_json,
)
from verification.grid_sweep import GridError, parse_axis_numbers

VARS = ("mu", "omega", "nu", "tau")
MAX_SCALE = 10 ** 4


def _number(text, what, **limits) -> Fraction:
    try:
        return parse_number(text, what, **limits)
    except NumberError as exc:
        raise BadInput(str(exc)) from None


def _grid_params(params):
    """The parameters, if their activation has grid kernels (exit 2 otherwise)."""
    try:
        require_activation(params.activation)
    except GridUnavailable as exc:
        raise BadInput(str(exc)) from None
    return params


def register(subparsers):
    s = subparsers.add_parser(
        "paper-grid", help="reproduce the paper's grid proofs (Lemma 12: S < 1; Lemma 43: mu~^2 < 0.005)",
        description="Evaluate the paper's grid with rigorous float error bounds, add the mean-value slack from "
                    "certified derivative bounds, and print the paper's numbers beside the reproduced ones.")
    s.add_argument("lemma", choices=("lemma12", "lemma43"),
                   help="lemma12 (S < 1 on Omega) or lemma43 (mu~^2 < 0.005 on Omega-)")
    s.add_argument("--reading", default=None,
                   help="grid construction: start, end, both, linspace, centred or all (the first four; "
                        "lemma12 default: centred; lemma43 default: all)")
    s.add_argument("--domain", dest="domains", default=None,
                   help="lemma12: omega (tau in [0.95, 1.1]), wide-tau (tau in [0.8, 1.25]) or all (default)")
    s.add_argument("--scale", default="1", help="multiply the paper's spacings by this factor (quick runs: 10)")
    _sweep_options(s)
    s.add_argument("--per-cell", action="store_true",
                   help="also compute the per-cell gradient enclosures when a global bound proves (default: only "
                        "for a grid no global bound proves)")
    s.add_argument("--no-certified", action="store_true",
                   help="skip the bound from the certified derivative enclosures (the paper's bounds are still used)")
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
                        help="grid construction: start, end, both (default), linspace or centred")
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
    if math.prod(c) > 10 ** 7:   # grid_sweep.MAX_CELLS: the replay refuses more
        raise BadInput("--cells: at most 10000000 cells in all")
    return c


def _check_size(domain, steps: dict, reading: str):
    """Refuse a grid too large to sweep, from the point counts alone (before any work)."""
    counts = [pg.axis_count(lo, hi, steps.get(v), reading) for v, (lo, hi) in zip(VARS, domain.bounds)]
    if max(counts) > pg.MAX_AXIS_POINTS:
        raise BadInput(f"an axis of the grid would have more than {pg.MAX_AXIS_POINTS:,} points: use larger steps")
    total = math.prod(counts)
    if total > pg.MAX_GRID_POINTS:
        raise BadInput(f"the grid would have {total:.3g} points (more than {pg.MAX_GRID_POINTS:.0e}): use larger steps")


def cmd_paper_grid(args) -> int:

    g = pg.PAPER_GRIDS[args.lemma]
    reading = args.reading or g.default_reading
    if reading != "all" and reading not in pg.READINGS:
        raise BadInput(f"--reading must be one of {', '.join(pg.READINGS)} or all")
    readings = pg.PAPER_READINGS if reading == "all" else (reading,)
    if args.domains in (None, "all"):
        domains = tuple(g.domains)
    elif args.domains in g.domains:
        domains = (args.domains,)
    else:
        raise BadInput(f"--domain for {g.id} must be one of {', '.join(g.domains)} or all")
    scale = _number(args.scale, "--scale", positive=True, limit=MAX_SCALE)
    steps = pg.scaled_steps(g, text_of(scale))
    for dk in domains:
        for rd in readings:
            _check_size(g.domains[dk], steps, rd)
    workers, threads, cells = workers_for(args), args.threads, _cells(args.cells)
    params = _grid_params(params_from_args(args))
    console = console_for(args)
    console.print(f"{g.title}; {params.describe()}; spacings x{text_of(scale)}; readings: {', '.join(readings)}")

    def log(msg):
        if not args.quiet:
            console.print(f"  {msg}")

    run = pg.run_paper_grid(g, params, readings, domains, text_of(scale), cells, threads, workers,
                            per_cell=False if args.no_per_cell else (True if args.per_cell else "auto"),
                            certified=not args.no_certified,
                            max_boxes=args.max_boxes, progress_factory=lambda d, n: progress_bar(args, d, n), log=log,
                            certificate_dir=pathlib.Path(args.out) / "certificates")
    head, rows = pg.table_rows(run)
    t = Table(title=f"{g.id}: paper vs reproduced (every grid value with a rigorous error bound)", show_lines=True)
    for h in head:
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(*r)
    console.print(t)
    status = pg.status_of(run)
    for r in run.results:
        if r.status != "proved":
            why = "; ".join(f"{b.mode}: {b.status} -- {b.reason}" for b in r.bounds)
            console.print(f"{g.domain_text[r.domain_key]}, reading {r.reading}: {r.status} "
                          f"({pg.certificate_text(r)}; {why})")
    console.print(f"the paper's own slack (its M_i, sum M_i*Delta_i) at this spacing: {pg.paper_method_status(run)}")
    if status == "proved":
        console.print(f"status: proved ({g.expr} < {g.threshold} on every grid run, each by a replayed grid "
                      f"certificate) in {run.seconds:.1f} s")
    else:
        console.print(f"status: {status} ({g.expr} < {g.threshold} is proved only when every grid's bound is below "
                      f"it and its certificate replays: try a finer --scale) in {run.seconds:.1f} s")
    if not args.quiet:
        for name, (wall, cpu) in run.phases.totals().items():
            console.print(f"  {name}: {wall:.1f} s ({cpu:.1f} s CPU)")
    data = pg.to_json(run)
    folder = pathlib.Path(args.out) / "paper-grid"
    write_json(folder / f"{g.id}.json", data)
    png = pg.figure(run, folder / f"{g.id}.png")
    console.print(f"results: {folder / (g.id + '.json')}; figure: {png}")
    if args.json:
        write_json(args.json, data)
    return EXIT_OK if status == "proved" else EXIT_FAIL


def _parse_deriv(text):
    try:
        return parse_axis_numbers(text, "--deriv", nonnegative=True, limit="1e300")
    except GridError as exc:
        raise BadInput(str(exc)) from None


def _user_method(deriv: dict, axes) -> dict:
    """The grid certificate's method for your global bounds (each checked against the
    per-cell enclosures, exactly, by the replay)."""
    names = [v for v, a in zip(VARS, axes) if v in deriv or a.cover > 0]
    return {"mode": "global", "widths": "covers",
            "derivatives": [{"axis": v, "M": text_of(deriv.get(v, Fraction(0))), "certified_by": "per-cell"}
                            for v in names]}


def cmd_grid(args) -> int:

    expr, params, domain, mode = bound_request(args)
    if domain.extra:   # the grid's axes are (mu, omega, nu, tau); extra variables need bound
        raise BadInput(f"the grid method runs on mu, omega, nu, tau only; for {', '.join(domain.extra)} "
                       "use selu-verify bound")
    _grid_params(params)
    sense = "max" if mode in ("below", "max") else "min"
    threshold = None
    if mode in ("below", "above"):
        threshold = _number(getattr(args, mode), f"--{mode}", limit="1e300")
    if args.reading not in pg.READINGS:
        raise BadInput(f"--reading must be one of {', '.join(pg.READINGS)}")
    try:
        steps = pg.parse_steps(args.steps, domain)
        _check_size(domain, steps, args.reading)
        axes = tuple(pg.make_axis(v, lo, hi, steps.get(v), args.reading) for v, (lo, hi) in zip(VARS, domain.bounds))
        pg.compile_expr(expr.source, params.activation)
    except pg.GridError as exc:
        raise BadInput(str(exc)) from None
    deriv = _parse_deriv(args.deriv) if args.deriv else None
    if args.no_per_cell and deriv is None:
        raise BadInput("--no-per-cell needs --deriv (the slack needs derivative bounds from somewhere)")
    workers, threads, cells = workers_for(args), args.threads, _cells(args.cells)
    npts = int(np.prod([a.n for a in axes], dtype=object))
    console = console_for(args)
    console.print(f"{sense} of {expr.source} on {domain.describe()} ({params.describe()}): grid "
                  f"{' x '.join(str(a.n) for a in axes)} = {npts:,} points, reading {args.reading}")
    with progress_bar(args, "grid", npts) as tick:
        sw = pg.sweep(axes, expr.source, params, cells, threads, tick,
                      on_compile=None if args.quiet else lambda msg: console.print(f"  {msg}"))
    bounds, cell_M, methods = [], None, []
    if not args.no_per_cell:
        boxes = pg.cell_boxes(sw)
        with progress_bar(args, "per-cell gradients", len(boxes)) as tick:
            cell_M = pg.cell_gradients(expr.source, params, boxes, workers, progress=tick, skip=sw.empty_cells)
        bounds.append(pg.decide(sw, sense, threshold, "per-cell", cell_M=cell_M))
        methods.append({"mode": "per-cell"})
    if deriv is not None:
        M = tuple(deriv.get(v, Fraction(0)) for v in VARS)
        st, reason = _check_deriv(deriv, axes, cell_M, expr.source, params, sw)
        bounds.append(pg.decide(sw, sense, threshold, "your bounds", M, m_status=st, m_reason=reason))
        methods.append(_user_method(deriv, axes))
    cex = pg.counterexample(sw, sense, threshold, expr.source, params)
    if cex is not None:
        for b in bounds:
            b.status, b.reason = "disproved", f"grid point {pg.fmt_point(cex['point'])} has value {cex['value']}"
    # with --deriv the verdict is that of your bounds (the per-cell enclosures only check them)
    decisive, method = bounds[-1], methods[-1]
    cert_path, replay = None, None
    if decisive.status == "proved":
        cert = grid_certificate.build(expr.source, sense, threshold, domain, params, args.reading, steps, sw.cells,
                                      method, sw, decisive)
        name = f"grid-{cert['sha256'][:10]}.json"
        cert_path = grid_certificate.write(cert, pathlib.Path(args.out) / "certificates" / name)
        chk = check_grid(cert, workers)
        replay = (chk.ok, chk.status, chk.messages)
    if cex is not None:
        status = "disproved"
    elif replay is not None:
        status, _ = accept("proved", chk)  # the one acceptance rule
    else:
        status = "undecided"
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
    if replay is not None:
        t.add_row("certificate", f"{cert_path}: " + ("replayed, " + replay[1] if replay[0] else
                                                     "replay REJECTED: " + "; ".join(replay[2])))
    t.add_row("seconds", f"{sw.seconds:.2f} ({sw.speed_text()})")
    console.print(t)
    verb = {"below": f"< {args.below}", "above": f"> {args.above}"}.get(mode)
    if status == "proved":
        rel, rounding = ("<=", 1) if sense == "max" else (">=", -1)
        what = (f"{expr.source} {verb}" if verb
                else f"{sense} of {expr.source} {rel} {pg.fmt(decisive.bound, 12, rounding)}")
        console.print(f"status: proved ({what} on the whole domain; certificate {cert_path} replayed)")
    elif status == "disproved":
        console.print("status: disproved (a grid point violates the bound, re-checked in Arb)")
    else:
        console.print(f"status: undecided ({decisive.reason or 'the certificate replay did not agree'}; finer "
                      f"--steps or certified --deriv bounds for every axis with a nonzero covering radius would be "
                      f"needed)")
    data = {"expr": expr.source, "sense": sense, "threshold": None if threshold is None else text_of(threshold),
            "domain": domain.to_json(), "params": params.describe(), "reading": args.reading,
            "axes": [a.n for a in axes], "steps": [str(a.step) for a in axes], "points": npts,
            "extreme_point": list(pt), "extreme_mid": mid, "max_upper": sw.max_upper, "min_lower": sw.min_lower,
            "max_error_bound": sw.max_rad, "bad_points": sw.n_bad, "seconds": round(sw.seconds, 3),
            "symmetry": sw.symmetry, "evaluated": sw.evaluated, "status": status, "counterexample": cex, "certificate": None if cert_path is None else str(cert_path),
            "replay": None if replay is None else {"accepted": replay[0], "status": replay[1], "messages": replay[2]},
            "bounds": [{"mode": b.mode, "slack": float(b.slack), "bound": float(b.bound), "status": b.status,
                        "reason": b.reason, "M": [float(m) for m in b.M]} for b in bounds]}
    # --out holds every run's results, not only the certificate of a proved one
    name = f"grid-{hashlib.sha256(json.dumps(data['expr'] + repr(data['domain']) + repr(data['steps'])).encode()).hexdigest()[:10]}"
    write_json(pathlib.Path(args.out) / "grid" / f"{name}.json", data)
    console.print(f"results: {pathlib.Path(args.out) / 'grid' / (name + '.json')}")
    if args.json:
        write_json(args.json, data)
    return EXIT_OK if status == "proved" else EXIT_FAIL


def _check_deriv(deriv: dict, axes, cell_M, expr, params, sw):
    """Your global bounds are certified if, on every axis with a nonzero covering radius
    (a fixed axis whose value is not a float included), they dominate the per-cell
    enclosures on every cell, compared exactly; refuted if a point's gradient enclosure
    exceeds one; else not certified."""
    needed = [i for i, a in enumerate(axes) if a.cover > 0]
    missing = [VARS[i] for i in needed if VARS[i] not in deriv]
    if missing:
        return "undecided", (f"no bound on |d/d{', d/d'.join(missing)}|, but the covering radius of "
                             f"{', '.join(missing)} is > 0 (a fixed value that is not a float counts)")
    M = [deriv.get(v, Fraction(0)) for v in VARS]
    if cell_M is not None and all(np.all(np.isfinite(cell_M[:, i])) and M[i] >= Fraction(float(np.max(cell_M[:, i])))
                                  for i in needed):
        return "proved", ""
    # look for a violation at the cells' centres, largest enclosures first
    ev = Evaluator(parse(expr, params.activation), params)
    boxes = pg.cell_boxes(sw)
    order = range(len(boxes))
    if cell_M is not None:
        scale = np.maximum(np.array([float(m) for m in M]), 1e-300)
        order = np.argsort(-np.max(cell_M / scale, axis=1), kind="stable")
    for c in list(order)[:32]:
        centre = tuple((lo + hi) / 2 for lo, hi in boxes[int(c)])
        with ball.precision(80):
            j = ev.box(tuple((x, x) for x in centre))
            for i in needed:
                if bool(abs(j.grad[i]) > ball.exact(M[i])):
                    return "disproved", (f"|d/d{VARS[i]}| > {float(M[i]):g} at {pg.fmt_point(centre)} "
                                         f"(enclosure {j.grad[i].str(6)})")
    return "undecided", "your derivative bounds are below the certified per-cell enclosures and no violation was found"
