"""Worker pools under every start method (fork, spawn, forkserver), and no orphans.

macOS and Windows start workers with spawn, Python 3.14 defaults to forkserver on Linux:
a run under spawn must give the same certificate bytes as under fork.  After SIGKILL
of the main process its workers must exit (they poll for their parent)."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from verification import worker_pool
from verification.worker_pool import StartMethodError

ROOT = pathlib.Path(__file__).resolve().parents[1]
SMALL = ["bound", "nu_tilde - nu", "--max", "--domain", "mu=-0.01:0.01,omega=-0.01:0.01,nu=0.9:1.1,tau=0.99:1.01",
         "--workers", "2", "--quiet"]


def test_default_start_method(monkeypatch):
    monkeypatch.delenv(worker_pool.ENV, raising=False)
    expected = "fork" if sys.platform.startswith("linux") else worker_pool.multiprocessing.get_all_start_methods()[0]
    assert worker_pool.start_method() == expected
    monkeypatch.setenv(worker_pool.ENV, " Spawn ")
    assert worker_pool.start_method() == "spawn"


def test_unknown_start_method_is_bad_input(cli, monkeypatch, tmp_path):
    monkeypatch.setenv(worker_pool.ENV, "threads")
    with pytest.raises(StartMethodError, match="SELU_START_METHOD"):
        worker_pool.start_method()
    code, out, err = cli("bound", "S", "--below", "1", "--out", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.strip()] == [err.strip()] and "SELU_START_METHOD" in err
    assert not (tmp_path / "certificates").exists()


def _certificate(cli, monkeypatch, tmp_path, method) -> bytes:
    monkeypatch.setenv(worker_pool.ENV, method)
    out = tmp_path / method
    code, _, err = cli(*SMALL, "--out", str(out))
    assert code == 0, err
    (path,) = (out / "certificates").glob("bound-*.json")
    return path.read_bytes()


@pytest.mark.skipif("fork" not in worker_pool.multiprocessing.get_all_start_methods(), reason="no fork here")
def test_spawn_gives_the_same_certificate_bytes_as_fork(cli, monkeypatch, tmp_path):
    """Prover and checker both run their pools (2 workers) under each start method."""
    assert _certificate(cli, monkeypatch, tmp_path, "spawn") == _certificate(cli, monkeypatch, tmp_path, "fork")


# --------------------------------------------------------------------------- orphans

def _children(pid: int) -> set:
    kids = set()
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited (init reaps it)


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_exit_when_the_main_process_is_killed(tmp_path, method):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{worker_pool.ENV: method})
    # a long run (tight tolerance on a wide domain): it is killed long before it ends
    argv = [sys.executable, "-m", "verification.cli", "bound", "S", "--max", "--tol", "1e-15",
            "--domain", "mu=-0.5:0.5,omega=-0.5:0.5,nu=0.5:3,tau=0.5:1.5", "--workers", "2", "--quiet",
            "--out", str(tmp_path)]
    main = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers = set()
        while len(workers) < 2 and time.monotonic() < deadline and main.poll() is None:
            time.sleep(0.1)
            workers = {k for k in _children(main.pid) if "resource_tracker" not in _cmdline(k)}
        assert len(workers) >= 2, "the run ended (or never started its workers) before the kill"
        time.sleep(0.5)  # let the workers reach their parent watch
        main.send_signal(signal.SIGKILL)
        main.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
    finally:
        if main.poll() is None:
            main.kill()
    for w in left:  # clean up before failing
        os.kill(w, signal.SIGKILL)
    assert not left, f"orphaned workers still running: {left}"


def _cmdline(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
