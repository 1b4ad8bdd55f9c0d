"""selu-verify: certify the SELU paper's claims, replay certificates, bound your own
expressions.  Exit codes: 0 proved/accepted, 1 disproved/undecided/rejected, 2 bad input.

One module per command group, each with a ``register(subparsers)``:

    claims   all, claim, list, check
    bound    bound
    grid     paper-grid, grid
    design   params, theorems, domain, atlas
    compare  compare
    network  network
    dropout  dropout

``common`` holds what they share (exit codes, BadInput, option groups, validators,
console, progress bars, JSON output)."""
from __future__ import annotations

import argparse
import sys

from selu_theory.expr import ExprError
from selu_theory.numbers import NumberError
from selu_theory.params import ParamError
from selu_theory.dropout import DropoutError
from selu_theory.initialisers import InitialiserError
from verification.certificate import CertificateError
from selu_theory import __version__
from verification.cli import bound, claims, compare, design, dropout, network
from verification.cli.examples import add_examples
from verification.cli.common import EXIT_BAD_INPUT, BadInput, Parser, validate_args
from verification.domain import DomainError
from verification.dropout_claims import DropoutClaimError
from verification.network import NetworkError
from verification.scaled_claims import DesignInputError
from verification.worker_pool import StartMethodError

# In the order of `selu-verify --help`; None marks the place of the grid commands.
COMMAND_MODULES = (claims, bound, None, design, compare, network, dropout)
# The grid commands' module imports numba and the grid kernels (about 0.9 s of CPU at
# start-up, more than half of every command's), which no other command uses: it is
# imported only when a grid command runs, for help, or for a command no other module
# knows (so the error lists every command).  Declared in tests/test_layers.py
# (LAZY_IMPORTS).
GRID_COMMANDS = ("paper-grid", "grid")

# Errors that mean "the input is invalid": one line on stderr, exit 2.
INPUT_ERRORS = (BadInput, ExprError, NumberError, ParamError, DomainError, CertificateError, DesignInputError,
                StartMethodError, InitialiserError, DropoutError, NetworkError, DropoutClaimError)


TOP_EXAMPLES = """examples:
  selu-verify all --workers 2            # every claim: a row each, a tally
  selu-verify claim thm1-contraction -v  # one claim, paper vs certified
  selu-verify bound 'nu_tilde - nu' --max --domain nu=0.8:1.5
  selu-verify COMMAND --help             # options and examples"""


def _grid_module():
    from verification.cli import grid  # lazily: numba and the grid kernels (see GRID_COMMANDS)
    return grid


def _command_word(argv):
    """The command ``argv`` names (its first word that is not an option), or None."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv=None) -> Parser:
    """The parser of every command; with ``argv`` (a command line) the grid commands
    only if it may need them (``GRID_COMMANDS``)."""
    p = Parser(prog="selu-verify", description=__doc__.split("\n\n")[0], epilog=TOP_EXAMPLES,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    word = None if argv is None else _command_word(argv)
    skip_grid = word is not None and word not in GRID_COMMANDS
    for module in COMMAND_MODULES:
        if module is not None:
            module.register(sub)
        elif not skip_grid:
            _grid_module().register(sub)
    if skip_grid and word not in sub.choices:  # an unknown command: the error lists them all
        return build_parser()
    add_examples(sub.choices)
    return p


def main(argv=None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        if getattr(args, "version", False):
            print(f"selu-verify {__version__}")
            return 0
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        validate_args(args)  # outputs, sizes, start method: before any work
        return args.func(args)
    except INPUT_ERRORS as exc:
        print(f"selu-verify: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("selu-verify: interrupted", file=sys.stderr)
        return 130
