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
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_activation_options,
    add_output_options,
    add_workers_option,
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


def cmd_network(args) -> int:
    params = params_from_args(args)
    init = initialiser(args.init, args.fan_in, args.fan_out)
    d = parse_dropout(args.dropout)
    mu, nu = parse(args.input[0], "input mean"), parse(args.input[1], "input variance")
    if args.plot and args.plot != "none":
        import importlib.util  # matplotlib is optional
        if importlib.util.find_spec("matplotlib") is None:
            raise BadInput("--plot needs matplotlib (pip install matplotlib)")
    if not args.simulate and (args.width is not None or args.seed is not None or args.batch is not None):
        raise BadInput("--width, --batch and --seed go with --simulate")
    out = None if args.out is None else pathlib.Path(args.out) / "certificates"
    r = NW.analyse(params, init, d, mu, nu, args.depth, simulate=args.simulate, width=args.width,
                   batch=args.batch or 256, seed=args.seed or 0, out=out,
                   workers=args.workers or 1, largest=args.largest_domain)
    say(args, *report_lines(r))
    if args.quiet:
        print("\n".join(textwrap.wrap(f"verdict: {r.verdict}", 79, subsequent_indent="  ")))
    if args.plot and args.plot != "none":
        plot(r, args.plot)
        say(args, f"plot: {args.plot}")
    if args.json:
        write_json(args.json, r.to_dict())
    return EXIT_OK if r.certified else EXIT_FAIL


def register(sub) -> None:
    s = sub.add_parser("network", help="is my network self-normalizing? (initialiser, dropout)",
                       description=__doc__)
    add_activation_options(s)
    s.add_argument("--init", required=True, metavar="NAME",
                   help="initialiser, e.g. pytorch:kaiming_normal:linear, keras:lecun_normal, normal:0.05")
    s.add_argument("--fan-in", required=True, metavar="N", help="inputs per unit")
    s.add_argument("--fan-out", default=None, metavar="N", help="outputs (glorot/xavier, fan_out modes)")
    s.add_argument("--dropout", default="none", help="none, alpha:RATE or standard:RATE (drop probability)")
    s.add_argument("--input", nargs=2, metavar=("MU", "NU"), default=("0", "1"),
                   help="mean and variance of the network's input (default 0 1)")
    s.add_argument("--depth", type=_int, default=64, help="layers of the trajectory (default 64)")
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
