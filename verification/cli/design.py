"""selu-verify subcommands for designing parameters (SELU's, or any activation's with
--activation NAME and --param NAME=VALUE):

    params    the parameters for a target fixed point (Krawczyk-certified), or the fixed
              point of given parameters; stability at it
    theorems  Theorems 1-3 with the domains centred on that fixed point
    domain    the largest certified domains (Theorem 1; Theorems 2-3 variance ends)
    atlas     params and domain sizes over a grid of fixed points, on Dask
"""
from __future__ import annotations

import math
import pathlib
import sys
import time

from selu_theory import ball, constants
from selu_theory.fixed_point import FixedPointError, Unreachable
from selu_theory.params import ParamError, Params, activation_parameters
from verification import atlas as A
from verification import report
from verification import domain_search as DS
from verification import scaled_claims as SC
from verification.certify import certify_claim, certify_fixed_point, certify_part
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    activation_of,
    add_activation_options,
    add_common_options,
    add_dask_options,
    dask_mode,
    have,
    add_target_options,
    param_values,
    fit,
    say,
    workers_for,
    write_json,
)
from verification.domain import point_text
from verification.engine import Runner
from verification.files import write_atomic
from verification.report import fmt_enclosure
from verification.scaled_claims import dec

# Values printed by the authors' getSELUparameters notebook (omega = 1, tau = 1).
REFERENCES = {
    ("-1/10", "2", "1", "1"): ("getSELUparameters notebook", 1.9769021954242014, 1.073851239616046),
}
DECISION_MAX_BOXES_HELP = f"box budget per extremum decision (default {DS.DECISION_MAX_BOXES})"
FRAMEWORKS = ("deep-learning frameworks", "1.6732632423543772848170429916717", "1.0507009873554804934193349852946")


# --------------------------------------------------------------------------- params

def _digits(args) -> int:
    d = args.digits
    if not 5 <= d <= 1000:
        raise BadInput("--digits must be between 5 and 1000")
    return d


def cmd_params(args) -> int:
    digits = _digits(args)
    activation = activation_of(args)
    given = param_values(args)
    if args.fixed_point is None and not given and activation == "selu":
        raise BadInput("give --fixed-point MU NU (or --alpha A --lambda L to locate their fixed point)")
    try:
        om = SC.parse_number(args.omega, "omega")
        ta = SC.parse_number(args.tau, "tau", positive=True)
        if args.fixed_point is not None:
            if given and len(Params(activation=activation).names) <= 2:
                raise BadInput("give either --fixed-point MU NU or parameter values (--param, --alpha/--lambda), "
                               "not both")
            mu = SC.parse_number(args.fixed_point[0], "mu*")
            nu = SC.parse_number(args.fixed_point[1], "nu*", positive=True)
    except SC.DesignInputError as exc:
        raise BadInput(str(exc)) from None
    if args.fixed_point is None:
        return _params_locate(args, om, ta)
    return _params_solve(args, activation, given, mu, nu, om, ta, digits)


def _ball_json(x, digits):
    lo, hi = ball.fraction_bounds(x)
    return {"float": float(x.mid()), "text": x.str(digits), "lower": str(lo), "upper": str(hi),
            "lower_float": float(lo), "upper_float": float(hi)}


def _labels(activation: str) -> dict:
    return {p.name: p.label for p in activation_parameters(activation).parameters}


def _params_solve(args, activation, given, mu, nu, om, ta, digits) -> int:
    t0 = time.perf_counter()
    labels = _labels(activation)
    names_text = ", ".join(labels[n] for n in labels if n not in given)
    out = pathlib.Path(args.out) / "certificates"
    try:
        # proved -> sealed -> written -> replayed by the checker (verification.certify)
        sol, done = certify_fixed_point(activation, mu, nu, om, ta, digits=digits, fixed=given,
                                        path=lambda cert: out / f"params-{cert.sha256[:10]}.json")
    except FixedPointError as exc:
        kind = "unreachable" if isinstance(exc, Unreachable) else "no solution"
        say(args, f"{kind}: {exc}")
        if args.json:
            write_json(args.json, {"status": kind, "activation": activation, "mu_star": dec(mu),
                                    "nu_star": dec(nu), "omega": dec(om), "tau": dec(ta), "message": str(exc)})
        print(f"selu-verify params: no certified {names_text} for (mu*, nu*) = ({dec(mu)}, {dec(nu)}), "
              f"omega = {dec(om)}, tau = {dec(ta)}" + ("" if activation == "selu" else f" ({activation})"),
              file=sys.stderr)
        return EXIT_FAIL
    secs = time.perf_counter() - t0
    S, rho = sol.S, sol.spectral_radius
    attracting = True if (rho is not None and rho < 1) else (False if (rho is not None and rho > 1) else None)
    free = [n for n in sol.balls if n not in sol.fixed]
    box = sol.box_str(12)
    certified = done.proved
    verbose = getattr(args, "verbose", False)
    free_text = ", ".join(labels[n] for n in free)
    lines = []
    if activation != "selu":
        lines.append(f"activation {activation}: {activation_parameters(activation).formula}")
    lines.append(f"target fixed point (mu*, nu*) = ({dec(mu)}, {dec(nu)}) at omega = {dec(om)}, tau = {dec(ta)}")
    if verbose:
        lines += [f"  the net input is z ~ N(mu* omega, nu* tau); convention: {sol.convention}",
                  "  (the paper's normalised weights are omega = 0, tau = 1; the authors' "
                  "getSELUparameters notebook uses omega = 1, tau = 1)"]
    for n, b in sol.balls.items():
        held = " (held fixed)" if n in sol.fixed else ""
        lines += [f"{labels[n]:6} = {b.str(digits)}{held}", f"         float {float(b.mid())!r}"]
    lines.append("unique:  " + (f"globally: no other root with {' > 0, '.join(labels[n] for n in free)} > 0"
                                if sol.globally_unique
                                else "in its Krawczyk box only" + ("" if verbose else " (-v shows the box)")))
    if verbose:
        what = "certified" if certified else "NOT certified: the checker did not accept it"
        lines.append(f"  Krawczyk (Arb, {what}): exactly one root ({free_text}) in")
        lines += [f"    {labels[n]} in [{box[n][0]}, {box[n][1]}]" for n in free]
        lines.append("  and it lies in the enclosures above")
        lines.append("Jacobian of (mu, nu) -> (mu~, nu~) at the fixed point:")
        lines += ["  [" + ", ".join(e.str(6) for e in row) + "]" for row in sol.jacobian]
    lines.append(f"S = {S.str(12)}: " + {True: "< 1, stable (Theorem 1's criterion)",
                                         False: "> 1, NOT stable in the paper's sense",
                                         None: "S = 1 not decided"}[sol.stable])
    if rho is not None:
        lines.append(f"spectral radius = {rho.str(12)}: " + {True: "< 1, locally attracting",
                                                             False: "> 1, the fixed point repels",
                                                             None: "= 1 not decided"}[attracting])
    compare = None
    fp = sol.selu if activation == "selu" else None
    ref = REFERENCES.get((str(mu), str(nu), str(om), str(ta))) if fp is not None else None
    if ref is not None:
        who, ra, rl = ref
        da, dl = ra - fp.alpha_float, rl - fp.lam_float
        ina, inl = fp.alpha.contains(ra), fp.lam.contains(rl)
        lines += [f"{who}: alpha = {ra!r}", f"  {' ' * len(who)}lambda = {rl!r}",
                  f"  differences from the certified floats: {da:.2g}, {dl:.2g}",
                  f"  ({'inside' if ina else 'outside'} / {'inside' if inl else 'outside'} "
                  "the enclosures: float rounding in its solver)"]
        compare = {"source": who, "alpha": ra, "lambda": rl, "alpha_minus_certified": da, "lambda_minus_certified": dl}
    if fp is not None and mu == 0 and nu == 1 and ta == 1:
        a01, l01 = constants.alpha01(sol.bits + 20), constants.lambda01(sol.bits + 20)
        same = fp.alpha.overlaps(a01) and fp.lam.overlaps(l01)
        lines.append("these are alpha01, lambda01: " + (
            "they overlap the closed forms (alpha-lambda-01)" if same
            else "MISMATCH with the closed forms"))
        if verbose:
            who, fa, fl = FRAMEWORKS
            lines += [f"  {who}: alpha = {fa}", f"  {' ' * len(who)}  lambda = {fl}"]
    lines.append(f"{done.status}: certificate {done.path}")
    lines.append(f"  {'replayed and accepted by the checker' if certified else done.reason}; "
                 f"{secs * 1000:.1f} ms")
    say(args, *fit(lines))
    if args.json:
        data = {"status": "solved" if certified else "undecided", "certified": certified,
                "certificate": str(done.path), "activation": activation, "mu_star": dec(mu), "nu_star": dec(nu),
                "omega": dec(om), "tau": dec(ta), "convention": sol.convention}
        data.update({labels[n]: _ball_json(b, digits) for n, b in sol.balls.items()})
        data.update({
            "params": sol.params.labelled_specs(), "fixed": {labels[n]: v for n, v in sol.fixed.items()},
            "krawczyk_box": {labels[n]: [str(x) for x in _box_fracs(sol.box[n])] for n in free},
            "unique_in_box": sol.unique, "globally_unique": sol.globally_unique, "uniqueness": sol.uniqueness,
            "spectral_norm": _ball_json(S, 15), "stable": sol.stable,
            "spectral_radius": None if rho is None else _ball_json(rho, 15), "attracting": attracting,
            "jacobian": [[e.str(15) for e in row] for row in sol.jacobian],
            "reference": compare, "seconds": round(secs, 4)})
        write_json(args.json, data)
    return EXIT_OK if certified else EXIT_FAIL


def _box_fracs(pair):
    return (ball.fraction_bounds(pair[0])[0], ball.fraction_bounds(pair[1])[1])


def _params_locate(args, om, ta) -> int:
    t0 = time.perf_counter()
    activation = activation_of(args)
    try:
        t = SC.resolve_target(None, None, None, SC.dec(om), SC.dec(ta), activation=activation,
                              values=param_values(args))
    except SC.DesignInputError as exc:
        raise BadInput(str(exc)) from None
    except SC.NoFixedPoint as exc:
        say(args, f"no fixed point: {exc}")
        shrink = _variance_shrinks(args, activation, om, ta)
        if args.json:
            write_json(args.json, {"status": "no fixed point", "activation": activation, "message": str(exc),
                                    "variance_shrinks": shrink})
        return EXIT_FAIL
    lf = t.located
    say(args, *t.lines(), f"  spectral radius = {lf.spectral_radius.str(12)}",
           f"{(time.perf_counter() - t0) * 1000:.1f} ms")
    if args.json:
        write_json(args.json, {"status": "located", "activation": activation, "params": t.params.labelled_specs(),
                                "omega": SC.dec(om), "tau": SC.dec(ta),
                                "mu_star": _ball_json(lf.mu, 17), "nu_star": _ball_json(lf.nu, 17),
                                "spectral_norm": _ball_json(lf.spectral_norm, 15), "stable": lf.stable,
                                "spectral_radius": _ball_json(lf.spectral_radius, 15)})
    return EXIT_OK


def _variance_shrinks(args, activation, om, ta):
    """When no fixed point is found: try to certify nu~ < nu on a range of nu (then no
    fixed point has its variance there: the variance shrinks towards the degenerate
    nu = 0).  The one-line result, or None when the bound is not proved."""
    try:
        params = Params(activation=activation, **param_values(args))
    except ParamError:
        return None
    part, text = SC.variance_shrinks_part(om, ta)
    with Runner(1) as runner:
        pr, done = certify_part(part, params, runner, None, max_boxes=DS.DECISION_MAX_BOXES)
    if pr.status != "proved":
        say(args, f"  (nu~ < nu on {text}: {pr.status}, not certified)")
        return None
    hi = report.fmt_enclosure(*pr.enclosure, 6)
    line = (f"certified: nu~ < nu on {text} (max of nu~ - nu in {hi}, checker accepted): no fixed point has "
            f"its variance there; the variance shrinks towards the degenerate fixed point nu = 0")
    say(args, f"  {line}")
    return line


# --------------------------------------------------------------------------- theorems

def _target(args):
    return SC.target_from_args(args)  # DesignInputError on invalid input; NoFixedPoint propagates


def cmd_theorems(args) -> int:
    if args.fixed_point is None and not param_values(args) and activation_of(args) == "selu":
        raise BadInput("give --fixed-point MU NU or --alpha A --lambda L")
    try:
        target = _target(args)
    except SC.NoFixedPoint as exc:
        say(args, f"no solution: {exc}")
        return EXIT_FAIL
    claims = SC.theorem_claims(target.params, target.centre)
    return run_theorem_claims(args, target, claims)


def run_theorem_claims(args, target, claims) -> int:
    """Prove the claims, write certificates and a report under OUT/theorems/, replay them."""
    out = pathlib.Path(args.out) / "theorems"
    say(args, *target.lines(), "")
    results, checks = [], {}
    t0 = time.perf_counter()
    with Runner(workers_for(args)) as runner:
        for claim in claims:
            t1 = time.perf_counter()
            name = claim.id.replace("@", "_at_").replace("*", "").replace("=", "").replace(",", "_")
            res, done = certify_claim(claim, runner, out / "certificates" / f"{name}.json", max_boxes=args.max_boxes)
            chk = checks[claim.id] = done.check
            res.seconds = time.perf_counter() - t1
            results.append(res)
            say(args, _claim_line(res, chk))
    data = report.to_json(results, checks)
    data["target"] = {"lines": target.lines(), "activation": target.params.activation,
                      "params": target.params.labelled_specs(),
                      "centre": {k: str(getattr(target.centre, k)) for k in ("mu", "nu", "omega", "tau")}}
    report.write_json(out / "report.json", data)
    write_atomic(out / "report.md", "\n".join(["# Theorems 1-3 for new parameters", ""] + [
        f"    {line}" for line in target.lines()] + [""]) + report.markdown(results, checks))
    if args.json:
        report.write_json(args.json, data)
    n_ok = sum(r.status == "proved" for r in results)
    say(args, "", f"{n_ok}/{len(results)} claims proved and checked in {time.perf_counter() - t0:.1f} s; "
                 f"report: {out / 'report.md'}")
    return EXIT_OK if n_ok == len(results) else EXIT_FAIL


def _claim_line(res, chk) -> str:
    encs = "; ".join(f"{p.key} {fmt_enclosure(*p.enclosure, 10)}" for p in res.parts
                     if all(isinstance(x, float) for x in p.enclosure))
    statement = res.claim.statement.split(" (domains centred on")[0]
    line = f"  {res.status.upper():9} {res.claim.id}: {statement}\n            {encs}"
    if not chk.ok:
        line += f"\n            checker REJECTED: {'; '.join(chk.messages)}"
    c = res.counterexample
    if c:
        val = c.get("value_text") or ""
        line += (f"\n            counterexample for {c['key']} at (mu, omega, nu, tau) = {point_text(c['point'])}"
                 + (f": value {val}" if val else ""))
    return line


# --------------------------------------------------------------------------- domain

def cmd_domain(args) -> int:
    theorems = _list(args.theorems, ("1", "2", "3"), "--theorems")
    variables = _list(args.variables, DS.THM1_VARS, "--variables")
    if not (args.resolution > 0 and math.isfinite(args.resolution) and args.resolution <= 100):
        raise BadInput("--resolution must be a positive number (at most 100)")
    if args.tol is not None and not (args.tol > 0 and math.isfinite(args.tol)):
        raise BadInput("--tol must be a positive number")
    try:
        if args.fixed_point is None and not param_values(args) and activation_of(args) == "selu" and \
                str(args.omega) == "0" and str(args.tau) == "1":
            target = None
            params, centre = Params(), SC.PAPER_CENTRE
        else:
            target = _target(args)
            params, centre = target.params, target.centre
    except SC.NoFixedPoint as exc:
        say(args, f"no solution: {exc}")
        return EXIT_FAIL
    out = pathlib.Path(args.out) / "domain"
    if target is not None:
        say(args, *target.lines(), "")
        if target.stable is False:
            say(args, "S > 1 at the fixed point: no domain containing it can be a contraction; "
                         "Theorem 1's searches will find none.", "")
    t0 = time.perf_counter()
    with Runner(workers_for(args)) as runner:
        res = DS.search(params, centre, runner, variables=variables if "1" in theorems else (),
                        scale="1" in theorems and args.scale, thm2="2" in theorems, thm3="3" in theorems,
                        resolution=args.resolution, max_boxes=args.max_boxes, certify=True, tol=args.tol, out=out,
                        log=(None if args.quiet else lambda s: print(f"  [{time.perf_counter() - t0:6.1f} s] {s}",
                                                                     flush=True)))
    say(args, "", DS.format_result(res))
    data = res.to_json()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "domain.json", data)
    if args.plot != "none" and have("matplotlib"):
        path = DS.plot(res, args.plot or out / "domain.png")
        say(args, f"plot: {path}; results: {out / 'domain.json'}")
    elif args.plot != "none":
        say(args, f"(no plot: matplotlib is not installed); results: {out / 'domain.json'}")
    if args.json:
        write_json(args.json, data)
    ok = bool(res.certified) and all(c.status == "proved" and c.checker_ok for c in res.certified) and \
        all(not d.proved for c in res.certified for _, _, d in c.enlarged)
    return EXIT_OK if ok else EXIT_FAIL


def _list(text, allowed, what):
    items = [s.strip() for s in str(text).split(",") if s.strip()]
    bad = [s for s in items if s not in allowed]
    if bad or not items:
        raise BadInput(f"{what}: use a comma-separated list of {', '.join(allowed)}; got {text!r}")
    return tuple(s for s in allowed if s in items)


# --------------------------------------------------------------------------- atlas

def cmd_atlas(args) -> int:
    try:
        points = A.grid(_range_arg(args.mu, "--mu"), _range_arg(args.nu, "--nu"), args.omega, args.tau)
        if args.param:
            raise BadInput("atlas solves for every parameter of the activation: --param is not used here")
        cfg = A.config_with(domain=not args.no_domain, variance=args.variance, scale_step=args.scale_step,
                            max_boxes=args.max_boxes, activation=activation_of(args))
    except A.AtlasInputError as exc:
        raise BadInput(str(exc)) from None
    mode = dask_mode(args, "the atlas")
    n_workers = workers_for(args)
    out = pathlib.Path(args.out) / "atlas"
    where = ("in this process" if mode == "inprocess" else
             f"on the Dask scheduler {args.scheduler}" if args.scheduler else
             f"on a local Dask cluster ({n_workers} worker processes, 127.0.0.1)")
    ps = A.labels(cfg)
    of = "" if activation_of(args) == "selu" else f" of {activation_of(args)}"
    say(args, f"atlas of {len(points)} fixed points{of} (mu*, nu*) with omega = {points[0][2]}, tau = {points[0][3]}, "
                 f"{where}; results saved to {out / A.RESULTS_FILE} as they arrive")

    def progress(p, r):
        if r.get("status") != "solved":
            say(args, f"  ({p[0]}, {p[1]}): no solution")
        else:
            say(args, f"  ({p[0]}, {p[1]}): " + ", ".join(f"{k} {r[k]:.10g}" for k in ps) + f", S {r['S']:.4f}"
                         + (f", domain Omega x {r.get('scale_text')} (x {r.get('scale_fixed_weights_text')} at "
                            f"omega*, tau*)" if "scale_text" in r else "") + f"  [{r.get('seconds', 0):.1f} s]")
    try:
        run = A.run(points, out, cfg, mode=mode, scheduler=args.scheduler, n_workers=n_workers, on_result=progress,
                    connect_timeout=args.timeout)
    except A.AtlasInputError as exc:
        raise BadInput(str(exc)) from None
    if not any(r.get("status") == "solved" for r in run.ordered()):  # nothing to tabulate or plot
        raise BadInput(f"no point of the grid has certified alpha, lambda (all {len(points)} without a "
                       f"solution): choose other --mu/--nu")
    write_atomic(out / "atlas.md", A.table_markdown(run))
    A.write_csv(run, out / "atlas.csv")
    png = A.heatmaps(run, out / "atlas.png") if have("matplotlib") else "(matplotlib not installed)"
    say(args, "", A.table_markdown(run),
           f"{len(run.computed)} points computed ({len(run.reused)} reused from an earlier run) in {run.seconds:.1f} s"
           + (f": {run.points_per_minute:.1f} points/min" if run.computed else ""),
           f"table: {out / 'atlas.md'}, {out / 'atlas.csv'}; heat maps: {png}")
    if args.json:
        write_json(args.json, {"points": [r for r in run.ordered()], "computed": len(run.computed),
                                "reused": len(run.reused), "seconds": round(run.seconds, 3), "mode": mode,
                                "workers": run.workers, "config": cfg})
    return EXIT_OK


def _range_arg(items, what) -> str:
    if len(items) == 1:
        return items[0]
    if len(items) == 3:
        return ":".join(items)
    raise BadInput(f"{what} takes LO HI N (or LO:HI:N, or one value); got {' '.join(items)!r}")


# --------------------------------------------------------------------------- registration

def register(sub):
    s = sub.add_parser("params", help="alpha, lambda for a target fixed point (certified), and its stability")
    add_target_options(s)
    s.add_argument("--digits", type=int, default=30, help="significant digits of the enclosures (default 30)")
    s.add_argument("--out", default="results", help="folder for the certificate (default: results/)")
    s.add_argument("-v", "--verbose", action="store_true",
                   help="also the convention, the Krawczyk box and the Jacobian")
    add_common_options(s, proving=False)
    s.set_defaults(func=cmd_params)

    s = sub.add_parser("theorems", help="Theorems 1-3 with the domains centred on a new fixed point")
    add_target_options(s)
    add_common_options(s)
    s.set_defaults(func=cmd_theorems)

    # domain and atlas decide many small extrema: a smaller box budget per decision
    s = sub.add_parser("domain", help="the largest certified domains (default: alpha01, lambda01)")
    add_target_options(s)
    s.add_argument("--theorems", default="1,2,3", help="which searches: any of 1,2,3 (default all)")
    s.add_argument("--variables", default="nu,tau,mu,omega", help="Theorem 1 variables to widen")
    s.add_argument("--no-scale", dest="scale", action="store_false", help="skip blowing up the whole of Omega")
    s.add_argument("--resolution", type=float, default=1.0, help="multiplies every search grid step (default 1)")
    s.add_argument("--tol", type=float, default=None,
                   help="prove the results again with enclosures this wide (default: certify the search's proof)")
    s.add_argument("--plot", default=None, help="plot file (default OUT/domain/domain.png; 'none' to skip)")
    add_common_options(s, max_boxes=DS.DECISION_MAX_BOXES, max_boxes_help=DECISION_MAX_BOXES_HELP)
    s.set_defaults(func=cmd_domain)

    s = sub.add_parser("atlas", help="params and certified domain sizes over a grid of fixed points, on Dask")
    s.add_argument("--mu", nargs="+", default=["-0.2:0.2:5"], metavar="LO HI N",
                   help="mu* grid: LO HI N, or --mu=LO:HI:N, or one value (default -0.2 0.2 5)")
    s.add_argument("--nu", nargs="+", default=["0.5:2:4"], metavar="LO HI N",
                   help="nu* grid: LO HI N, or --nu=LO:HI:N, or one value (default 0.5 2 4)")
    s.add_argument("--omega", default="0", help="omega (default 0, the paper's; 1: getSELUparameters)")
    s.add_argument("--tau", default="1", help="tau (default 1)")
    add_activation_options(s, selu_spellings=False)
    add_dask_options(s)
    s.add_argument("--no-domain", action="store_true", help="only alpha, lambda and S (fast)")
    s.add_argument("--variance", action="store_true", help="also the Theorem 2/3 variance ends")
    s.add_argument("--scale-step", default="0.25", help="grid step of the domain size s (default 0.25)")
    add_common_options(s, max_boxes=DS.DECISION_MAX_BOXES, max_boxes_help=DECISION_MAX_BOXES_HELP,
                       workers_help="local Dask worker processes (default: all cores)")
    s.set_defaults(func=cmd_atlas)
