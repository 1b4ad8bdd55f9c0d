"""selu-verify: certify the SELU paper's claims, replay certificates, bound your own
expressions.  Exit codes: 0 proved/accepted, 1 disproved/undecided/rejected, 2 bad input."""
from __future__ import annotations

import importlib
import sys

from selu_theory.expr import ExprError
from selu_theory.params import ParamError
from verification.certificate import CertificateError
from verification.cli.bound import add_bound_arguments, bound_request, cmd_bound
from verification.cli.claims import cmd_all, cmd_check, cmd_claim, cmd_list
from verification.cli.common import EXIT_BAD_INPUT, BadInput, _Parser
from verification.domain import DomainError

# Modules with a ``register(subparsers, common)`` adding their own subcommands.
PLUGIN_MODULES = ("verification.cli.grid", "verification.cli.design")


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

