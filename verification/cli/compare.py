"""selu-verify compare: which activations self-normalize?  One certified row per
activation at the fixed point (0, 1): parameters, S there, the largest Theorem 1
domains, Theorems 2 and 3 (``verification.compare`` computes; this module parses,
prints and plots).  Exit code 0 when every certificate was accepted (a failing theorem
with its certified counterexample included), 1 when a part is undecided, failed with an
error or was rejected, 2 for bad input."""
from __future__ import annotations

import pathlib
import sys

from verification import compare as K
from verification.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    BadInput,
    add_common_options,
    add_dask_options,
    dask_mode,
    have,
    say,
    workers_for,
    write_json,
)


def _progress_line(n: int, total: int, activation: str, part: str, r: dict, reused: bool) -> str:
    head = f"  [{n}/{total}] {activation} {part}: "
    st = r.get("status")
    if st == "error":
        body = f"error: {r.get('message')}"
    elif part == "params" and st == "solved":
        p = " ".join(f"{k}={v['float']:.6g}" for k, v in r["parameters"].items())
        body = f"{p} S={r['S'][1]:.6f} " + {True: "stable", False: "unstable"}.get(r["stable"], "undecided")
    elif part.startswith("thm1") and st == "proved":
        body = (f"Omega x {r['scale']}" if part == "thm1-scale" else f"nu in [{r['nu'][0]}, {r['nu'][1]}]") + \
            " proved"
    elif part in ("thm2", "thm3a", "thm3b") and st in ("proved", "disproved"):
        lo, hi = r["enclosure"]
        body = f"{r['sense']}(nu~ - nu) in [{_f(lo)}, {_f(hi)}]: " + ("holds" if r["holds"] else "fails")
    else:
        body = f"{st}" + (f": {r['message']}" if r.get("message") else "")
    tail = "  (reused)" if reused else f"  [{r.get('seconds', 0):.1f} s]"
    line = head + body
    return (line[:77 - len(tail)] + "..." if len(line) + len(tail) > 80 else line) + tail


def _f(x) -> str:
    return x if isinstance(x, str) else f"{x:.6g}"


def cmd_compare(args) -> int:
    try:
        activations = K.parse_activations(args.activations)
        cfg = K.config_with(resolution=args.resolution, max_boxes=args.max_boxes, tol=args.tol)
        parts = K.parse_parts(args.parts)
    except K.CompareInputError as exc:
        raise BadInput(str(exc)) from None
    mode = dask_mode(args, "compare")
    n_workers = workers_for(args)
    out = pathlib.Path(args.out) / "compare"
    where = ("in this process" if mode == "inprocess" else
             f"on the Dask scheduler {args.scheduler}" if args.scheduler else
             f"on a local Dask cluster ({n_workers} worker processes)")
    total = len(activations) * len(parts)
    say(args, f"comparing {', '.join(activations)} at the fixed point (0, 1):",
        f"{total} tasks {where};", f"results saved as they arrive to {out / K.RESULTS_FILE}")
    seen = []

    def progress(activation, part, r, reused):
        seen.append(part)
        say(args, _progress_line(len(seen), total, activation, part, r, reused))
        sys.stdout.flush()  # progress also through a pipe or into a log file

    try:
        cmp_ = K.run(activations, out, cfg, mode=mode, scheduler=args.scheduler, n_workers=n_workers,
                     on_result=progress, connect_timeout=args.timeout, parts=parts)
    except K.CompareInputError as exc:
        raise BadInput(str(exc)) from None
    (out / "compare.md").write_text(cmp_.markdown() + "\n")
    write_json(out / "compare.json", cmp_.to_dict())
    say(args, "", cmp_.table())
    if args.plot is not None:
        if have("matplotlib"):
            say(args, f"figure: {cmp_.plot(args.plot)}")
        else:
            say(args, "(no figure: matplotlib is not installed)")
    say(args, f"table: {out / 'compare.md'}", f"       {out / 'compare.json'}")
    if cmp_.reused:
        say(args, "(reused: finished by an earlier run; its certificates replayed now)")
    if args.json:
        write_json(args.json, cmp_.to_dict())
    certs = cmp_.certificates()
    errors = [r for r in cmp_.results.values() if r.get("status") == "error"]
    ok = cmp_.complete and not errors and all(c.get("checker") and c.get("status") != "undecided" for c in certs)
    return EXIT_OK if ok else EXIT_FAIL


def register(sub):
    s = sub.add_parser("compare", help="which activations self-normalize: a certified table at the fixed point (0, 1)")
    s.add_argument("--activations", default=None,
                   help=f"comma-separated activation ids (default: every built-in, {', '.join(K.BUILTINS)}), "
                        "or your own in the grammar of --activation, e.g. 'x>=0: lam*x; x<0: lam*alpha*x*exp(x)'")
    s.add_argument("--resolution", default=None,
                   help=f"multiplies the domain searches' grid steps (default {K.DEFAULT_CONFIG['resolution']}: "
                        "coarse and quick)")
    s.add_argument("--tol", default=None,
                   help=f"width of the Theorem 2/3 extremum enclosures (default {K.DEFAULT_CONFIG['tol']})")
    s.add_argument("--parts", default=None,
                   help=f"compute only these parts (default all: {','.join(K.PARTS)})")
    s.add_argument("--plot", default=None, metavar="FILE.png",
                   help="write the figure: Theorem 1 domains overlaid in (mu, nu), and S per activation")
    add_dask_options(s, "an existing Dask scheduler (tcp://host:port; workers must share --out); "
                        "default: a local cluster")
    add_common_options(s, max_boxes=K.DEFAULT_CONFIG["max_boxes"],
                       max_boxes_help=f"box budget per Theorem 1 decision (default {K.DEFAULT_CONFIG['max_boxes']})",
                       workers_help="local Dask worker processes (default: all cores)")
    s.set_defaults(func=cmd_compare)
