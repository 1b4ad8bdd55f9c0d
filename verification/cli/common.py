"""What every selu-verify command shares: exit codes, the bad-input error, the console,
progress bars, worker counts."""
from __future__ import annotations

import argparse
import contextlib

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise BadInput(f"{self.prog}: {message}")


def _console(args) -> Console:
    c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False)
    if not c.is_terminal:  # pipes and CI logs: wide enough for the table
        c = Console(stderr=False, quiet=getattr(args, "quiet", False), highlight=False, width=170)
    return c


@contextlib.contextmanager
def _progress(args, description: str, total: int):
    err = Console(stderr=True)
    if getattr(args, "quiet", False) or total <= 0 or not err.is_terminal:
        yield (lambda: None)
        return
    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)
    with prog:
        task = prog.add_task(description, total=total)
        yield (lambda: prog.advance(task))


def _workers(args) -> int:
    from verification.engine import default_workers
    w = args.workers if args.workers is not None else default_workers()
    if w < 1:
        raise BadInput("--workers must be at least 1")
    return w

