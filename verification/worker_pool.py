"""The one place that makes worker process pools (prover, checker, grid gradients).

Start method: the environment variable ``SELU_START_METHOD`` (fork, spawn or
forkserver) if set, else ``fork`` on Linux (fast: the workers inherit the loaded
kernels) and the platform's default elsewhere (spawn on macOS and Windows).  Every
pooled function is a module-level function of picklable arguments that sets its own
Arb precision, so results do not depend on the start method: certificates made under
spawn are byte-identical to those made under fork.

Workers exit when their parent dies: a daemon thread in each worker polls
``os.getppid()``; if the parent is gone (SIGKILL, crash) the worker is reparented and
exits, instead of living on as an orphan holding a core.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

ENV = "SELU_START_METHOD"
# How often a worker looks for its parent: the longest an orphan outlives it.
PARENT_POLL_SECONDS = 0.5


class StartMethodError(ValueError):
    """SELU_START_METHOD names no start method of this platform (one line)."""


def start_method() -> str:
    """The start method pools use (see the module docstring)."""
    allowed = multiprocessing.get_all_start_methods()  # the platform's default first
    name = os.environ.get(ENV, "").strip().lower()
    if name:
        if name not in allowed:
            raise StartMethodError(f"{ENV}={name!r} is not a start method of this platform; "
                                   f"use one of {', '.join(allowed)}")
        return name
    return "fork" if sys.platform.startswith("linux") and "fork" in allowed else allowed[0]


def context():
    return multiprocessing.get_context(start_method())


def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != ppid:
            os._exit(1)  # no cleanup: the parent that would collect results is gone


def _init_worker(initializer, initargs) -> None:
    # the parent at start-up: the main process under fork and spawn, the fork server
    # (which itself exits with the main process) under forkserver
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True,
                     name="selu-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def pool(workers: int, initializer=None, initargs=()) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes with the configured start method, whose
    workers exit when their parent dies."""
    return ProcessPoolExecutor(max(1, int(workers)), mp_context=context(), initializer=_init_worker,
                               initargs=(initializer, tuple(initargs)))
