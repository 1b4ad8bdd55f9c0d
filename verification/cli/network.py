"""selu-verify network: is my network self-normalizing?  A framework initialiser and
dropout as a layer map on (mu, nu), its certified fixed point and contraction, one
verdict, the mean-field trajectory and (--simulate) a real numpy network against it."""
from __future__ import annotations

import argparse
import pathlib
import textwrap

from selu_theory.dropout import parse_dropout
from selu_theory.initialisers import initialiser
from selu_theory.numbers import parse, text_of
from verification import network as NW
from verification import network_rates as NR
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_activation_options,
    add_output_options,
    add_workers_option,
    have,
    params_from_args,
    say,
    write_json,
)
from verification.report import fmt_enclosure

def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text[:30]!r}") from None


def _enc(pair, digits=10) -> str:
    return fmt_enclosure(pair[0], pair[1], digits)


def _interval(pair) -> str:
    return f"[{text_of(pair[0])}, {text_of(pair[1])}]"


def _section_lines(s: NW.Section, what: str, var: str, factor: str) -> list:
    out = [what]
    if s.float_fixed is None:
        return out + [f"  {s.reason}"]
    out.append(f"  float estimate: {var}* = {s.float_fixed:.10g}, mu* = {s.float_mu:.6g}, "
               f"{factor} = {s.float_factor:.6g} there")
    if s.domain_status == "proved":
        cond = "S < 1" if factor == "S" else "|X'| < 1"
        out.append(f"  contraction ({cond}) and self-map on {var} in {_interval(s.domain)}: "
                   "certified")
        if s.largest:
            out.append("    (grown by --largest-domain: 8 doublings up, halvings down, 4 "
                       "bisections)")
        out.append(f"    max {'S' if factor == 'S' else '|X' + chr(39) + '|'} in "
                   f"{_enc(s.contraction_max, 8)}")
        out.append(f"  input {var} = {text_of(s.input_value)}: "
                   + ("inside, so the iteration converges (certified)" if s.input_inside
                      else "outside the certified domain"))
    else:
        out.append(f"  contraction and self-map: {s.domain_status} ({s.reason})")
    if s.fixed_status == "proved":
        out.append(f"  fixed point: {var}* in {_interval(s.fixed)} (certified)")
        out.append(f"    mu* in {_enc(s.mu_star)}")
        out.append(f"    nu* in {_enc(s.nu_star)}")
    elif s.domain_status == "proved":
        out.append(f"  fixed point interval: {s.fixed_status} ({s.reason})")
    return out


def report_lines(r: NW.NetworkResult) -> list:
    init = r.init
    lines = [f"network: {r.params.describe()}, fan-in {init.fan_in}"
             + ("" if init.fan_out is None else f", fan-out {init.fan_out}")
             + f", dropout {r.dropout.spec}",
             f"initialiser {init.spec}: {init.distribution}",
             f"  {init.formula}",
             f"  omega = 0 (zero-mean weights), tau = fan_in Var(w) = {init.tau_text(20)}"
             + ("" if init.exact else " (irrational; claims use tau in "
                f"{_interval(r.tau_range)})"),
             f"  source: {init.source}",
             f"input (mu, nu) = ({text_of(r.input[0])}, {text_of(r.input[1])})", ""]
    lines += _section_lines(r.paper, "paper's map (a unit whose weights sum to omega = 0): "
                            "nu -> N(nu)", "nu", "S")
    k = r.krawczyk
    if k is not None:
        st = {True: "S < 1: stable", False: "S > 1: NOT stable in the paper's sense",
              None: "S = 1 not decided"}[k.stable]
        lines += [f"  Krawczyk (Arb): mu* in {k.mu.str(10)}", f"    nu* in {k.nu.str(10)}",
                  f"    S at it in {k.spectral_norm.str(8)}: {st}"]
    elif r.krawczyk_error:
        lines.append(f"  Krawczyk: {r.krawczyk_error}")
    lines.append("")
    lines += _section_lines(r.ensemble, "ensemble map (pooled over a layer's units, as a network "
                            "follows it):\n  xi -> X(xi), xi = nu + mu^2", "xi", "X'")
    certs = [c for s in (r.paper, r.ensemble) for c in s.certificates if c]
    lines.append("")
    if certs:
        lines.append(f"certificates ({len(certs)}, replayed by the checker): "
                     f"{pathlib.Path(certs[0]).parent}/")
    lines += textwrap.wrap(f"verdict: {r.verdict}", 79, subsequent_indent="  ")
    for e in r.estimated:
        lines += textwrap.wrap(f"not certified: {e}", 79, initial_indent="  ", subsequent_indent="    ")
    lines += ["", f"mean-field trajectory over {r.depth} layers from the input (ensemble map;",
              "floats: an estimate, not certified):"]
    mu, nu = r.trajectory
    show = sorted({0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, r.depth} & set(range(r.depth + 1)))
    lines.append("  " + "  ".join(f"{k:>6}" for k in ("layer",)) + f"  {'mu':>12}  {'nu':>12}")
    for k in show:
        lines.append(f"  {k:>6}  {mu[k]:>12.6g}  {nu[k]:>12.6g}")
    rows = r.gap_rows()
    if rows:
        s = r.simulation
        lines += ["", f"simulation (numpy, width {s.width}, batch {s.batch}, seed {s.seed}; "
                      "floats) vs trajectory:",
                  f"  {'layer':>5} {'mf mu':>9} {'mf nu':>9} {'sim mean':>9} {'sim var':>9} "
                  f"{'|gap mu|':>9} {'|gap nu|':>9}"]
        for row in rows:
            lines.append(f"  {row[0]:>5} " + " ".join(f"{x:>9.4g}" for x in row[1:]))
    return lines


def plot(r: NW.NetworkResult, path) -> None:
    import matplotlib  # optional dependency, imported where needed
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    mu, nu = r.trajectory
    layers = range(len(mu))
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for a, ys, name, k in ((ax[0], mu, "mean mu", "mean"), (ax[1], nu, "variance nu", "var")):
        a.plot(layers, ys, "-", label="mean-field (ensemble, floats)")
        if r.simulation is not None:
            a.plot(layers, getattr(r.simulation, k), ".", ms=4,
                   label=f"numpy network, width {r.simulation.width}")
        s = r.ensemble
        if s.certified:
            a.axhline((s.mu_star if k == "mean" else s.nu_star)[0], color="k", lw=0.6, ls="--",
                      label="certified fixed point")
        a.set_xlabel("layer")
        a.set_ylabel(name)
        a.legend(fontsize=7)
    fig.suptitle(f"{r.init.spec} (tau = {r.init.tau_text(6)}), dropout {r.dropout.spec}: verdict "
                 + ("certified" if r.certified else "not certified"), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rate_lines(t: NR.RateTable) -> list:
    init = t.init
    conv = ("ensemble map (pooled over a layer's units; J = [[2 mu* J12, J12], [2 mu* J22, "
            "J22]], rho = X')" if t.convention == "ensemble" else
            "paper's map (a unit whose weights sum to omega = 0; J = [[0, J12], [0, J22]], "
            "rho = J22)")
    lines = [f"network rate table: {t.params.describe()}, fan-in {init.fan_in}, "
             f"{t.kind} dropout",
             f"initialiser {init.spec}: tau = {init.tau_text(12)}"]
    lines += textwrap.wrap(f"{conv}; J12 = d mu_out/d nu, J22 = d nu_out/d nu, S = ||J||_2 at the "
                           "fixed point (mu*, nu*); stable: |rho| < 1.", 79)
    lines += textwrap.wrap("Each row is one claim proved and replayed by the checker (rate an exact "
                           "constant); a value v means the certified enclosure lies in v +- 1 unit "
                           "of its last digit (--json: the bounds).", 79)
    lines += [""] + NR.table_lines(t)
    bad = [r for r in t.rows if not r.certified]
    for r in t.rows:
        if r.mu_star is None:
            lines += textwrap.wrap(f"rate {text_of(r.rate)}: {r.reason}", 79, subsequent_indent="  ")
    lines.append(f"{len(t.rows) - len(bad)} of {len(t.rows)} rates certified in {t.seconds:.1f} s")
    return lines


def plot_rates(t: NR.RateTable, path) -> None:
    import matplotlib  # optional dependency, imported where needed
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [r for r in t.rows if r.has_fixed_point]
    x = [float(r.rate) for r in rows]
    mid = lambda p: (p[0] + p[1]) / 2
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(x, [mid(r.s) for r in rows], "o-", ms=3, label="S = ||J||_2")
    ax[0].plot(x, [abs(mid(r.rho)) for r in rows], "s--", ms=3, label="|rho| (stability factor)")
    ax[0].axhline(1, color="k", lw=0.6)
    ax[0].set_xlabel(f"{t.kind} dropout rate")
    ax[0].set_ylabel("at the fixed point")
    ax[0].legend(fontsize=8)
    ax[1].plot(x, [mid(r.mu_star) for r in rows], "o-", ms=3, label="mu*")
    ax[1].plot(x, [mid(r.nu_star) for r in rows], "s-", ms=3, label="nu*")
    ax[1].axhline(0, color="k", lw=0.4)
    ax[1].axhline(1, color="k", lw=0.4, ls=":")
    ax[1].set_xlabel(f"{t.kind} dropout rate")
    ax[1].set_ylabel("fixed point")
    ax[1].legend(fontsize=8)
    fig.suptitle(f"{t.params.activation}, {t.init.spec} (tau = {t.init.tau_text(6)}), "
                 f"{t.convention} map: certified enclosures (narrower than the markers)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cmd_rates(args, params, init) -> int:
    extra = [o for o, v in (("--simulate", args.simulate), ("--largest-domain", args.largest_domain),
                            ("--width", args.width is not None), ("--batch", args.batch is not None),
                            ("--seed", args.seed is not None), ("--input", args.input is not None),
                            ("--depth", args.depth is not None)) if v]
    if extra:
        raise BadInput(f"{extra[0]} does not go with --rates (a rate table is per-rate fixed points)")
    out = None if args.out is None else pathlib.Path(args.out) / "certificates"
    t = NR.rate_table(params, init, args.dropout, args.rates, convention=args.convention, out=out,
                      workers=args.workers or 1)
    say(args, *rate_lines(t))
    return _finish(args, t, plot_rates)


def _finish(args, result, draw) -> int:
    """--plot (with ``draw(result, path)``) and --json, then the exit code: 0 when the
    result is certified."""
    if args.plot and args.plot != "none":
        draw(result, args.plot)
        say(args, f"plot: {args.plot}")
    if args.json:
        write_json(args.json, result.to_dict())
    return EXIT_OK if result.certified else EXIT_FAIL


def cmd_network(args) -> int:
    params = params_from_args(args)
    init = initialiser(args.init, args.fan_in, args.fan_out)
    if args.plot and args.plot != "none" and not have("matplotlib"):  # optional
        raise BadInput("--plot needs matplotlib (pip install matplotlib)")
    if args.rates is not None:
        return _cmd_rates(args, params, init)
    if args.convention != "ensemble":
        raise BadInput("--convention goes with --rates (the verdict reports both maps)")
    d = parse_dropout(args.dropout)
    given = args.input or ("0", "1")
    mu, nu = parse(given[0], "input mean"), parse(given[1], "input variance")
    if not args.simulate and (args.width is not None or args.seed is not None or args.batch is not None):
        raise BadInput("--width, --batch and --seed go with --simulate")
    out = None if args.out is None else pathlib.Path(args.out) / "certificates"
    depth = 64 if args.depth is None else args.depth
    r = NW.analyse(params, init, d, mu, nu, depth, simulate=args.simulate, width=args.width,
                   batch=args.batch or 256, seed=args.seed or 0, out=out,
                   workers=args.workers or 1, largest=args.largest_domain)
    say(args, *report_lines(r))
    if args.quiet:
        print("\n".join(textwrap.wrap(f"verdict: {r.verdict}", 79, subsequent_indent="  ")))
    return _finish(args, r, plot)


def register(sub) -> None:
    s = sub.add_parser("network", help="is my network self-normalizing? (initialiser, dropout)",
                       description=__doc__)
    add_activation_options(s)
    s.add_argument("--init", required=True, metavar="NAME",
                   help="initialiser, e.g. pytorch:kaiming_normal:linear, keras:lecun_normal, normal:0.05")
    s.add_argument("--fan-in", required=True, metavar="N", help="inputs per unit")
    s.add_argument("--fan-out", default=None, metavar="N", help="outputs (glorot/xavier, fan_out modes)")
    s.add_argument("--dropout", default="none", help="none, alpha:RATE or standard:RATE (drop probability)")
    s.add_argument("--rates", default=None, metavar="LO:HI:STEP",
                   help="a rate table instead of one verdict: with --dropout alpha or standard, "
                        "per rate the certified fixed point, Jacobian, S, stability (or 0.05,0.1)")
    s.add_argument("--convention", default="ensemble", choices=NW.CONVENTIONS,
                   help="the map of the rate table (default ensemble, what a network follows)")
    s.add_argument("--input", nargs=2, metavar=("MU", "NU"), default=None,
                   help="mean and variance of the network's input (default 0 1)")
    s.add_argument("--depth", type=_int, default=None, help="layers of the trajectory (default 64)")
    s.add_argument("--largest-domain", action="store_true",
                   help="grow the certified interval as far as the proofs go (about 30 claims)")
    s.add_argument("--simulate", action="store_true", help="run a numpy network against the trajectory")
    s.add_argument("--width", type=_int, default=None, help="simulated width (default: the fan-in)")
    s.add_argument("--batch", type=_int, default=None, help="simulated batch (default 256)")
    s.add_argument("--seed", type=_int, default=None, help="simulation seed (default 0)")
    s.add_argument("--plot", default=None, metavar="FILE", help="draw trajectory and simulation to FILE")
    s.add_argument("--out", default=None, metavar="DIR",
                   help="write the certificates to DIR/certificates (default: checked in memory)")
    add_workers_option(s, "worker processes for the proofs (default 1)")
    add_output_options(s)
    s.set_defaults(func=cmd_network)
