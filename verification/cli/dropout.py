"""selu-verify dropout: alpha dropout with the rate as a domain variable.
The paper's affine correction restores (0, 1) for every rate of a range, and
a Theorem 1 analogue for the composed layer map (activation -> alpha dropout
-> a, b) on the paper's Omega with the rate as a fifth variable; every
statement a certified claim."""
from __future__ import annotations

import argparse
import pathlib
import textwrap

from selu_theory.numbers import NumberError, parse, text_of
from verification import dropout_claims as DC
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_output_options,
    have,
    add_workers_option,
    positive_int,
    say,
    write_json,
)
from verification.engine import Runner

EXAMPLES = """examples:
  selu-verify dropout                # rate in [0, 0.2]: restoration, Theorem 1
  selu-verify dropout --rate 0:0.1 --no-restoration --scale 2
  selu-verify dropout --largest-rate --largest-omega 0.05 0.1 --workers 2"""


def _rate_range(text: str) -> tuple:
    lo, colon, hi = str(text).partition(":")
    try:
        a = parse(lo, "rate")
        b = parse(hi, "rate") if colon else a
    except NumberError as exc:
        raise BadInput(str(exc)) from None
    return a, b


def _number(text: str, what: str):
    try:
        return parse(text, what)
    except NumberError as exc:
        raise BadInput(str(exc)) from None


def _enc(pair) -> str:
    lo, hi = pair
    return f"[{lo:.10g}, {hi:.10g}]"


def _pair(lo, hi) -> str:
    mid, rad = (lo + hi) / 2, (hi - lo) / 2
    return f"{mid:.12f} +- {rad:.0e}"


def _outcome_lines(title: str, o: DC.Outcome, keys=None) -> list:
    lines = [f"{title}: {o.status}" + (f" ({o.boxes} boxes, {o.seconds:.1f} s)" if o.boxes else "")]
    for k, enc in o.enclosures.items():
        if keys is None or k in keys:
            lines.append(f"  {k:12} in {_enc(enc)}")
    if o.counterexample:
        c = o.counterexample
        pt = ", ".join(text_of(parse(x)) if len(x) < 14 else f"~{float(parse(x)):.8g}" for x in c["point"])
        lines.append(f"  counterexample to {c['key']} at ({pt})")
    if o.reason:
        lines += textwrap.wrap(f"reason: {o.reason}", 77, initial_indent="  ", subsequent_indent="    ")
    if o.certificate:
        lines.append(f"  certificate: {o.certificate}")
    return lines


def _search_lines(title: str, s: DC.Search, unit: str) -> list:
    lines = [title]
    for o in s.steps:
        x = o.claim_id.split("rate=")[-1] if s.what == "rate" else \
            o.claim_id.split("nu=")[1].split(",")[0]
        lines.append(f"  {unit} {x:>22}: {o.status} ({o.boxes} boxes, {o.seconds:.1f} s)")
    if s.good is None:
        lines.append("  nothing certified")
    else:
        lines.append(f"  largest certified: {text_of(s.good)}"
                     + ("" if s.bad is None else f"; {text_of(s.bad)} {s.bad_status}"
                        + (" (a certified counterexample)" if s.bad_status == "disproved"
                           else " (budget; the limit may lie beyond)"))
                     + ("" if s.bad is not None else " (the search's cap)"))
    return lines


def report_lines(rep: DC.DropoutReport, rate, scale) -> list:
    lines = [f"alpha dropout (SELU at alpha01, lambda01), rate in [{text_of(rate[0])}, {text_of(rate[1])}]",
             "  a = ((1 - rate)(1 + rate L^2))^(-1/2), b = a rate L, L = lambda alpha",
             "  composed map in the paper's convention: z ~ N(mu omega, nu tau)", ""]
    if rep.restoration is not None:
        lines += _outcome_lines(f"restoration, |E[d] + b/a|, |Var(d) - a^-2| < {float(rep.eps):g}",
                                rep.restoration)
        lines.append("  (E[y] = a (E[d] + b/a), Var(y) - 1 = a^2 (Var(d) - a^-2): mean 0, variance 1)")
    if rep.false_twin is not None:
        lines += _outcome_lines("false twin (a x 1.000001): must not be certified", rep.false_twin, ())
    if rep.table is not None:
        lines += ["", "the composed map at the fixed point (0, 1), certified (J11 = J21 = 0):",
                  f"  {'rate':>6}  " + "  ".join(f"{h:>22}" for h in ("J12", "J22", "S"))]
        for r, o in rep.table:
            e = o.enclosures
            cells = [_pair(e[f"{k}.min"][0], e[f"{k}.max"][1]) for k in ("J12", "J22", "S")]
            lines.append(f"  {float(r):>6.3f}  " + "  ".join(f"{c:>22}" for c in cells)
                         + ("" if o.proved else f"  ({o.status})"))
    if rep.contraction is not None:
        lines += ["", f"Theorem 1 analogue on Omega x {text_of(scale)}, rate in "
                      f"[{text_of(rate[0])}, {text_of(rate[1])}]:"]
        lines += _outcome_lines("  S < 1 and self-map", rep.contraction)
    if rep.rate_search is not None:
        lines += [""] + _search_lines("largest rate range [0, r] (Theorem 1 analogue on Omega):",
                                      rep.rate_search, "r =")
    for r, s in rep.scale_searches.items():
        lines += [""] + _search_lines(f"largest Omega x s at rate {r} (nu range shown):", s, "nu")
    lines += ["", "verdict: " + ("every claim certified (and the false twin not)" if rep.certified
                                 else "not everything certified (see above)")]
    return lines


def plot(rep: DC.DropoutReport, path) -> None:
    import matplotlib  # optional dependency, imported where needed
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    rates = [float(r) for r, _ in rep.table]
    for key, label in (("S", "S (spectral norm)"), ("J22", "J22 = d nu_out / d nu"), ("J12", "J12 = d mu_out / d nu")):
        lo = [o.enclosures[f"{key}.min"][0] for _, o in rep.table]
        hi = [o.enclosures[f"{key}.max"][1] for _, o in rep.table]
        ax.errorbar(rates, [(a + b) / 2 for a, b in zip(lo, hi)], yerr=[(b - a) / 2 for a, b in zip(lo, hi)],
                    marker="o", ms=4, label=label)
    ax.set_xlabel("alpha dropout rate")
    ax.set_ylabel("at the fixed point (0, 1)")
    ax.set_title("SELU -> alpha dropout -> a, b: certified Jacobian at (0, 1)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cmd_dropout(args) -> int:
    if args.plot and not args.table:
        raise BadInput("--plot draws the --table: give both")
    if args.plot and not have("matplotlib"):
        raise BadInput("--plot needs matplotlib (pip install matplotlib)")
    rate = _rate_range(args.rate)
    scale = _number(args.scale, "--scale")
    eps = _number(args.eps, "--eps")
    omega_rates = [_number(r, "--largest-omega rate") for r in args.largest_omega or ()]
    out = None if args.out is None else pathlib.Path(args.out)
    with Runner(args.workers or 1) as runner:
        rep = DC.analyse(runner, rate, scale, restoration=not args.no_restoration,
                         false_twin=not args.no_restoration, contraction=not args.no_contraction,
                         largest_rate_search=args.largest_rate, omega_rates=omega_rates, eps=eps,
                         out=out, max_boxes=args.max_boxes, steps=args.steps, table=args.table)
    say(args, *report_lines(rep, rate, scale))
    if args.plot and rep.table is not None:
        plot(rep, args.plot)
        say(args, f"plot: {args.plot}")
    if args.quiet:
        print("certified" if rep.certified else "not certified")
    if args.json:
        write_json(args.json, rep.to_dict())
    return EXIT_OK if rep.certified else EXIT_FAIL


def register(sub) -> None:
    s = sub.add_parser("dropout", help="alpha dropout with the rate as a domain variable",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--rate", default="0:0.2", metavar="LO:HI",
                   help="the range of the dropout rate (drop probability; default 0:0.2)")
    s.add_argument("--scale", default="1", help="Omega blown up by this factor (default 1)")
    s.add_argument("--eps", default=text_of(DC.RESTORATION_EPS),
                   help="the restoration's tolerance (default 1e-15)")
    s.add_argument("--no-restoration", action="store_true", help="skip the restoration claim and its twin")
    s.add_argument("--no-contraction", action="store_true", help="skip the Theorem 1 analogue")
    s.add_argument("--table", action="store_true",
                   help="J and S of the composed map at (0, 1) for rates 0, 0.025, ..., 0.2")
    s.add_argument("--plot", default=None, metavar="FILE", help="with --table: draw S against the rate")
    s.add_argument("--largest-rate", action="store_true",
                   help="bisect for the largest r with the analogue certified for rates in [0, r]")
    s.add_argument("--largest-omega", nargs="+", default=None, metavar="RATE",
                   help="bisect for the largest Omega x s at each rate")
    s.add_argument("--steps", type=positive_int, default=6, help="bisection steps (default 6)")
    s.add_argument("--max-boxes", type=positive_int, default=50_000,
                   help="box budget per extremum (default 50000)")
    s.add_argument("--out", default=None, metavar="DIR",
                   help="write the certificates to DIR/certificates (default: checked in memory)")
    add_workers_option(s, "worker processes for the proofs (default 1)")
    add_output_options(s)
    s.set_defaults(func=cmd_dropout)
