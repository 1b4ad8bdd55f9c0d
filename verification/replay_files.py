"""Certificate files replayed by the checker: what ``selu-verify check`` and
``api.check`` share.

A folder stands for its *.json files (name order, as ``all`` writes them).  Every
readable extremum/point certificate is replayed in one batch over the workers
(``checker.check_many``); a grid certificate by its own replay (``certify.check_grid``).
A file that cannot be read or typed is reported with the reason, never raised: one bad
file does not hide the verdicts on the others."""
from __future__ import annotations

import pathlib
from contextlib import nullcontext
from dataclasses import dataclass

from verification import certificate as cert_io
from verification import checker
from verification.certificate import CertificateError
from verification.certify import check_grid, is_grid, leaf_count


@dataclass(frozen=True)
class Replayed:
    """One file: ``result`` the checker's (None when unreadable, ``error`` says why)."""
    path: str
    result: checker.CheckResult = None
    error: str = ""


def certificate_files(paths) -> list:
    """[(path, error)]: a folder stands for its *.json files; an empty folder is an
    error entry, so it is reported like an unreadable file."""
    out = []
    for p in paths:
        path = pathlib.Path(p)
        if path.is_dir():
            found = sorted(str(q) for q in path.glob("*.json"))
            out.extend([(f, "") for f in found] or [(str(p), f"{p}: a folder with no certificate (*.json) in it")])
        else:
            out.append((str(p), ""))
    return out


def replay(paths, workers: int = 1, progress=None, on_grid=None) -> list:
    """[Replayed] in the order of ``certificate_files(paths)``.  ``progress(total)``:
    a context manager yielding the per-leaf tick of the batch (None: none);
    ``on_grid(path)``: a context manager around each grid replay (a progress line)."""
    entries = []   # (path, typed certificate or None for a grid, JSON object, error)
    for f, error in certificate_files(paths):
        if error:
            entries.append((f, None, None, error))
            continue
        try:
            obj = cert_io.read_json(cert_io.read_bytes(f), f)
            cert = None if is_grid(obj) else cert_io.from_object(obj, f)
        except CertificateError as exc:
            entries.append((f, None, None, str(exc)))
            continue
        entries.append((f, cert, obj, ""))
    certs = [c for _, c, _, _ in entries if c is not None]
    progress = progress or (lambda total: nullcontext())
    on_grid = on_grid or (lambda path: nullcontext())
    with progress(sum(map(leaf_count, certs))) as tick:   # tick None: no progress
        checked = iter(checker.check_many(certs, progress=lambda i: tick, workers=workers))
    out = []
    for f, cert, obj, error in entries:
        if error:
            out.append(Replayed(f, None, error))
        elif cert is None:
            with on_grid(f):
                out.append(Replayed(f, check_grid(obj, workers)))
        else:
            out.append(Replayed(f, next(checked)))
    return out
