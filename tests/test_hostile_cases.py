"""Hostile inputs of issue 11 ("no traceback, no hang"), one test per case: exit 2, one
line on stderr, no traceback.  (Output paths: test_bad_outputs.py; degenerate
expressions: test_degenerate.py; start methods and orphans: test_start_methods.py.)"""
from __future__ import annotations

import importlib.util
import socket
import threading
import warnings

import pytest


def _one_line(code, out, err, *words):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, out[-500:], err[-2000:])
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------- sizes

@pytest.mark.parametrize("option", ["--alpha", "--lambda"])
def test_huge_parameter_is_refused_like_theorems_does(cli, tmp_path, option):
    # was: a "disproof" with values near 1e614 (and OverflowError in float code paths)
    _one_line(*cli("bound", "S", "--below", "1", option, "1e308", "--out", str(tmp_path)), option, "1000")
    assert not (tmp_path / "certificates").exists()


def test_huge_param_assignment_is_refused(cli, tmp_path):
    _one_line(*cli("bound", "S", "--below", "1", "--param", "alpha=-1e308", "--out", str(tmp_path)),
              "--param alpha", "1000")


def test_parameter_at_the_cap_is_accepted(cli, tmp_path):
    import argparse

    from verification.cli.common import validate_param_sizes
    validate_param_sizes(argparse.Namespace(alpha="1000", lam="-1000", param=[("alpha", "999.5")]))
    validate_param_sizes(argparse.Namespace(alpha="alpha01", lam="lambda01"))


@pytest.mark.parametrize("workers", ["100000000000000000000", "1e20", "1000", "0", "-3"])
def test_absurd_worker_counts_are_refused(cli, tmp_path, workers):
    _one_line(*cli("bound", "S", "--below", "1", "--workers", workers, "--out", str(tmp_path)), "--workers")


def test_paper_grid_with_a_microscopic_scale_is_refused_at_once(cli, tmp_path):
    # was: a GridError traceback after 26 s of sweeping
    _one_line(*cli("paper-grid", "lemma12", "--scale", "1e-9", "--out", str(tmp_path), "--workers", "1"))


# --------------------------------------------------------------------------- check

def test_check_on_deeply_nested_json(cli, tmp_path):
    f = tmp_path / "deep.json"
    f.write_text("[" * 200_000 + "]" * 200_000)
    _one_line(*cli("check", str(f)), "nested")


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="needs /dev/zero")
def test_check_on_an_endless_file(cli):
    _one_line(*cli("check", "/dev/zero"), "larger than")


# --------------------------------------------------------------------------- atlas

def test_atlas_without_a_solvable_point(cli, tmp_path):
    # was: ZeroDivisionError while laying out the heat maps
    _one_line(*cli("atlas", "--in-process", "--no-domain", "--mu", "1", "--nu", "1", "--out", str(tmp_path)),
              "no point")
    assert not (tmp_path / "atlas" / "atlas.png").exists()


class _Server:
    """A loopback TCP server that is not Dask: it answers HTTP, or accepts and never answers."""

    def __init__(self, answer: bytes | None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.answer, self.conns, self.stop = answer, [], False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.answer:
                try:
                    c.sendall(self.answer)
                except OSError:
                    pass

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs dask.distributed")
@pytest.mark.parametrize("answer,words", [
    # its first bytes, read as Dask frame lengths, asked for a 3 EiB buffer (MemoryError)
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" * 20, "Dask scheduler"),
    # accepted and never answered: hung past --timeout
    (None, "did not answer within"),
])
def test_atlas_scheduler_that_is_not_dask(cli, tmp_path, answer, words):
    srv = _Server(answer)
    try:
        line = _one_line(*cli("atlas", "--scheduler", f"tcp://127.0.0.1:{srv.port}", "--timeout", "1",
                              "--no-domain", "--mu", "0", "--nu", "1", "--out", str(tmp_path)), words)
    finally:
        srv.close()
    assert str(srv.port) in line


# --------------------------------------------------------------------------- warnings

def test_float_search_warnings_do_not_leak(cli, tmp_path):
    """exp(700 nu) overflows floats inside the domain: scipy's finite differences meet
    inf - inf.  Nothing may reach stderr or the warnings machinery."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = cli("bound", "exp(700*nu)", "--max", "--max-boxes", "200", "--workers", "1",
                             "--out", str(tmp_path))
    assert "RuntimeWarning" not in err and err == "", err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
