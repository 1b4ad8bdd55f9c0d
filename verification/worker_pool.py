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


def _parent_gone(ppid: int, parent) -> bool:
    if os.getppid() != ppid:  # POSIX: an orphan is re-parented (to init or a subreaper)
        return True
    # Windows keeps the old parent id; there the parent's process handle tells (on POSIX
    # the fork sentinel pipe is shared with sibling workers, so it is not used)
    return sys.platform == "win32" and parent is not None and not parent.is_alive()


def _watch_parent(ppid: int) -> None:
    parent = multiprocessing.parent_process()
    while not _parent_gone(ppid, parent):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # no cleanup: the parent that would collect the results is gone


def _init_worker(creator, initializer, initargs) -> None:
    ppid = os.getppid()
    if creator is not None and ppid != creator:
        os._exit(1)  # the creator died while this worker was starting
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True, name="selu-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def pool(workers: int, initializer=None, initargs=()) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes with the configured start method, whose
    workers exit when their parent dies."""
    method = start_method()
    # the workers' parent: this process under fork and spawn; under forkserver the fork
    # server, which itself exits when this process dies
    creator = os.getpid() if method in ("fork", "spawn") else None
    return ProcessPoolExecutor(max(1, int(workers)), mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(creator, initializer, tuple(initargs)))
