"""Atomic file writes for reports and results: a temporary file in the same folder, then
a rename, so a reader (or a run killed half-way) never leaves half a file behind.
Certificates go through here too (``certificate.write``)."""
from __future__ import annotations

import os
import pathlib
import threading


def write_atomic(path, data) -> pathlib.Path:
    """Write ``data`` (str as UTF-8, or bytes) to ``path``, creating its folder."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    # a name of this process and thread in the same folder, so the rename is atomic;
    # plain open() so the file gets the usual permissions (mkstemp would make it 0600)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
