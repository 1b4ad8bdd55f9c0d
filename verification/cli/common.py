"""What every selu-verify command shares: exit codes, the bad-input error, the argument
parser, the shared option groups and their validators, the console, progress bars and
JSON output.  Command modules import from here; this module imports no command."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import re
import textwrap
import pathlib
import sys
import tempfile

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from selu_theory import numbers, user_activation, user_cache
from selu_theory.user_cache import UserActivationError
from selu_theory.params import ParamError, Params, given_values, registered_activations
from verification import worker_pool
from verification.engine import default_workers
from verification.files import write_atomic
from verification.scaled_claims import add_target_arguments

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2

DEFAULT_MAX_BOXES = 400_000
# More worker processes than this many per core only add memory and start-up time; a
# typo such as --workers 100000000000000000000 must be refused, not handed to the pool.
WORKERS_PER_CORE = 4


class BadInput(Exception):
    """Invalid user input: main() prints the message on one line and exits 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        # main() prints "selu-verify: error: ..."; name only the subcommand here
        sub = self.prog.partition(" ")[2]
        raise BadInput(f"{sub}: {message}" if sub else message)


def max_workers() -> int:
    return WORKERS_PER_CORE * default_workers()


def worker_count(text: str) -> int:
    """argparse type of --workers and --threads: an integer in [1, 4 x cores]."""
    limit = max_workers()
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if not 1 <= n <= limit:
        raise argparse.ArgumentTypeError(
            f"must be between 1 and {limit} ({WORKERS_PER_CORE} x the {default_workers()} cores "
            f"available); got {text if len(text) <= 30 else text[:27] + '...'}")
    return n


def positive_int(text: str) -> int:
    """argparse type of counts such as --max-boxes: a whole number >= 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text}")
    return n


def add_output_options(sp) -> None:
    """--quiet and --json: every command that prints a result."""
    sp.add_argument("--quiet", action="store_true", help="no progress bars or tables beyond the result")
    sp.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")


def add_params_options(sp) -> None:
    """The activation and its parameters: --activation, --param NAME=VALUE, and SELU's
    spellings --alpha, --lambda (default: SELU at alpha01, lambda01)."""
    add_activation_options(sp)


def have(module: str) -> bool:
    """Is an optional dependency (matplotlib, distributed) installed?"""
    return importlib.util.find_spec(module) is not None


def add_dask_options(sp, scheduler_help: str = "an existing Dask scheduler (tcp://host:port); "
                                               "default: a local cluster") -> None:
    """--scheduler, --timeout, --in-process: where a command's Dask tasks run."""
    sp.add_argument("--scheduler", default=None, metavar="ADDRESS", help=scheduler_help)
    sp.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for --scheduler (default 10)")
    sp.add_argument("--in-process", action="store_true", help="no Dask: compute in this process")


def dask_mode(args, subject: str) -> str:
    """"inprocess" or "dask" from the options of ``add_dask_options``; BadInput (one line,
    naming ``subject``, e.g. "the atlas") when they contradict or Dask is missing."""
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise BadInput("--timeout must be a positive number of seconds")
    if args.scheduler is not None and args.in_process:
        raise BadInput("give --scheduler or --in-process, not both")
    mode = "inprocess" if args.in_process else "dask"
    if mode == "dask" and not have("distributed"):
        raise BadInput(f"{subject} runs on Dask: pip install 'dask[distributed]' (or use --in-process)")
    return mode


def add_workers_option(sp, help: str = "worker processes (default: all cores)") -> None:
    sp.add_argument("--workers", type=worker_count, default=None, help=help)


def add_proving_options(sp, *, max_boxes: int = DEFAULT_MAX_BOXES, max_boxes_help: str = None,
                        workers_help: str = None) -> None:
    """--out, --workers, --max-boxes: every command that runs the prover."""
    sp.add_argument("--out", default="results", help="folder for report and certificates (default: results/)")
    if workers_help:
        add_workers_option(sp, workers_help)
    else:
        add_workers_option(sp)
    sp.add_argument("--max-boxes", type=positive_int, default=max_boxes,
                    help=max_boxes_help or f"box budget per extremum, shared by its subtrees (default {max_boxes})")


def add_common_options(sp, proving: bool = True, **proving_options) -> None:
    """The output options, and for proving commands --out, --workers and --max-boxes."""
    add_output_options(sp)
    if proving:
        add_proving_options(sp, **proving_options)


def workers_for(args) -> int:
    """--workers, or all cores (the option's type has validated it)."""
    w = getattr(args, "workers", None)
    return w if w is not None else default_workers()


def console_for(args) -> Console:
    c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False)
    if not c.is_terminal and "COLUMNS" not in os.environ:  # pipes and CI logs: wide enough for tables
        c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False, width=170)
    return c


def fit(lines, width: int = 80) -> list:
    """Lines wrapped to ``width`` columns at spaces, continuation lines indented two more
    than the line they continue; a ball "[x +/- r]" is never split."""
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        # no break inside [ ... ]: its spaces become U+00A0 while wrapping
        glued = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\u00a0"), line)
        out += [w.replace("\u00a0", " ") for w in textwrap.wrap(
            glued, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)]
    return out


def say(args, *lines) -> None:
    """Print plain lines unless --quiet."""
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


@contextlib.contextmanager
def progress_bar(args, description: str, total: int):
    """A progress bar on stderr (only on a terminal, never with --quiet).  Yields
    ``tick(done=None)``: one more unit done, or ``done`` units done in all."""
    err = Console(stderr=True)
    if getattr(args, "quiet", False) or total <= 0 or not err.is_terminal:
        yield (lambda done=None: None)
        return
    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=err, transient=True)
    with prog:
        task = prog.add_task(description, total=total)

        def tick(done=None):
            if done is None:
                prog.advance(task)
            else:
                prog.update(task, completed=done)
        yield tick


def write_json(path, data) -> None:
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


# --------------------------------------------------------------------------- the activation
# One option group for every command that evaluates an activation: --activation NAME,
# --param NAME=VALUE (repeatable), and --alpha/--lambda, SELU's spellings of the
# parameters named alpha and lam (an error for an activation without them).  A parameter
# not given takes the activation's default (its generated kernels' metadata).

def _announce_generation(activation_id: str) -> None:
    print(f"selu-verify: generating the kernels of activation {activation_id} "
          f"(first use only, about a minute; cached in {user_cache.root()})", file=sys.stderr, flush=True)


def activation_from_text(text: str) -> str:
    """The activation id meant by ``--activation`` text: a built-in id, a spec of the
    user's own activation ("x>=0: lam*x; x<0: lam*alpha*x*exp(x)", registered and its
    kernels generated into the user cache on first use), or the id of a cached one.
    BadInput (one line) otherwise."""
    t = str(text).strip()
    known = registered_activations()
    if t in known:
        return t
    if ":" in t:
        try:
            return user_activation.registration(t, on_generate=_announce_generation).id
        except UserActivationError as exc:
            raise BadInput(f"--activation: {exc}") from None
    if user_activation.is_user_id(t) and user_activation.spec_text(t) is not None:
        return t
    shown = t if len(t) <= 40 else t[:37] + "..."
    raise BadInput(f"unknown activation {shown!r}; built-in activations: {', '.join(known)}")


def _activation_type(text: str) -> str:
    try:
        return activation_from_text(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def param_assignment(text: str) -> tuple:
    """argparse type of --param: NAME=VALUE as (name, value); the name is checked against
    the activation once all options are read (``params_from_args``)."""
    name, eq, value = str(text).partition("=")
    if not eq or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"use NAME=VALUE (e.g. alpha=1.67); got {text!r}")
    return name.strip(), value.strip()


def add_activation_options(sp, selu_spellings: bool = True) -> None:
    """--activation, --param NAME=VALUE, and (``selu_spellings``) --alpha, --lambda."""
    sp.add_argument("--activation", type=_activation_type, default="selu", metavar="NAME",
                    help=f"the activation ({', '.join(registered_activations())}; default selu)")
    sp.add_argument("--param", type=param_assignment, action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter of the activation (repeatable; exact decimal or named constant; "
                         "missing ones take the activation's defaults)")
    if selu_spellings:
        sp.add_argument("--alpha", default=None, help="the parameter alpha (same as --param alpha=A)")
        sp.add_argument("--lambda", dest="lam", default=None, help="the parameter lam (same as --param lam=L)")


def activation_of(args) -> str:
    return getattr(args, "activation", None) or "selu"


def param_values(args) -> dict:
    """{parameter: specification} given on the command line for the activation; BadInput
    (exit 2, one line naming the activation's parameters) for an unknown one."""
    try:
        return given_values(activation_of(args), getattr(args, "param", None) or (),
                            {"alpha": getattr(args, "alpha", None), "lam": getattr(args, "lam", None)})
    except ParamError as exc:
        raise BadInput(str(exc)) from None


def params_from_args(args) -> Params:
    """The Params of --activation with --param/--alpha/--lambda (defaults for the rest)."""
    try:
        return Params(activation=activation_of(args), **param_values(args))
    except ParamError as exc:
        raise BadInput(str(exc)) from None


def add_target_options(sp, fixed_point_help: str = None) -> None:
    """The design commands' target: the activation options, --fixed-point MU NU, --omega,
    --tau (``scaled_claims.add_target_arguments`` without its own --alpha/--lambda)."""
    add_activation_options(sp)
    add_target_arguments(sp, fixed_point_help, selu_spellings=False)


# --------------------------------------------------------------------------- validators run
# before any command (helper E's block: outputs, parameter sizes, the start method).  They
# run in main() before dispatch, so bad input costs well under a second, not a traceback
# after minutes of work.

# Parameters past this size only overflow or give meaningless numbers (theorems caps alike).
MAX_PARAM = 1000
# What matplotlib can write, by file suffix (checked here without importing matplotlib).
PLOT_SUFFIXES = ("eps", "jpeg", "jpg", "pdf", "pgf", "png", "ps", "raw", "rgba", "svg", "svgz", "tif",
                 "tiff", "webp")


def validate_args(args) -> None:
    """Everything checkable before a command starts working; raises BadInput (or
    StartMethodError) with one line."""
    validate_outputs(args)
    validate_param_sizes(args)
    worker_pool.start_method()  # a bad SELU_START_METHOD fails now, not in the first pool


def _writable_folder(folder: pathlib.Path, what: str, given) -> None:
    """The folder exists (or can be created) and accepts a new file."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise BadInput(f"{what} {given}: {probe} is a broken link")
        probe = probe.parent
    if not probe.is_dir():
        raise BadInput(f"{what} {given}: {probe} is a file, not a folder")
    try:  # the one reliable test (os.access ignores read-only mounts, /proc, ACLs)
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise BadInput(f"{what} {given}: cannot write in {probe} ({exc.strerror or exc})") from None


def _output_file(path_text, what: str, folder_must_exist: bool) -> None:
    """A FILE option: not a folder, writable, in a folder that exists or (unless
    ``folder_must_exist``) can be created."""
    p = pathlib.Path(path_text)
    if str(path_text).strip() == "" or p.is_dir():
        raise BadInput(f"{what} {path_text}: is a folder; give a file name")
    parent = p.parent if str(p.parent) else pathlib.Path(".")
    if folder_must_exist and not parent.is_dir():
        raise BadInput(f"{what} {path_text}: folder {parent} does not exist")
    if p.exists() and not os.access(p, os.W_OK):
        raise BadInput(f"{what} {path_text}: file is not writable")
    _writable_folder(parent, what, path_text)


def validate_outputs(args) -> None:
    """--out (a folder, created if need be), --json (a file; its folder is created like
    --out's, e.g. a JSON file inside --out) and domain's --plot (a file in an existing
    folder, as matplotlib's savefig expects: a mistyped folder is refused, not created)."""
    out = getattr(args, "out", None)
    if out is not None:
        p = pathlib.Path(out)
        if p.exists() and not p.is_dir():
            raise BadInput(f"--out {out}: is a file; --out names a folder")
        _writable_folder(p, "--out", out)
    if getattr(args, "json", None) is not None:
        _output_file(args.json, "--json", folder_must_exist=False)
    plot = getattr(args, "plot", None)
    if isinstance(plot, str) and plot != "none":
        suffix = pathlib.Path(plot).suffix.lower().lstrip(".")
        if suffix not in PLOT_SUFFIXES:
            raise BadInput(f"--plot {plot}: give a file name ending in .png, .pdf or .svg")
        _output_file(plot, "--plot", folder_must_exist=True)


def validate_param_sizes(args) -> None:
    """--alpha, --lambda (and --param NAME=VALUE) at most MAX_PARAM in size."""
    given = [("--alpha", getattr(args, "alpha", None)), ("--lambda", getattr(args, "lam", None))]
    for item in getattr(args, "param", None) or ():
        if isinstance(item, str) and "=" in item:  # NAME=VALUE text, or (name, value) once parsed
            item = item.split("=", 1)
        if isinstance(item, (tuple, list)) and len(item) == 2:
            given.append((f"--param {str(item[0]).strip()}", item[1]))
    for what, text in given:
        if not isinstance(text, str):
            continue
        try:
            q = numbers.parse(text, what)
        except numbers.NumberError:
            continue  # a named constant such as alpha01, or an error its own parser reports
        if abs(q) > MAX_PARAM:
            shown = text if len(text) <= 30 else text[:27] + "..."
            raise BadInput(f"{what} must be at most {MAX_PARAM} in size; got {shown}")
