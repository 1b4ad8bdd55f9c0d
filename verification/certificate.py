"""Certificates: one JSON file per claim, sealed with a sha256 of its canonical form.

The body holds everything the checker needs and nothing that varies between runs
(no timings, no worker counts), so 1 and N workers write byte-identical files.
"""
from __future__ import annotations

import hashlib
import json
import pathlib

import flint
import mpmath
import numpy
import sympy

from selu_theory import __version__

FORMAT = "selu-theory-certificate/1"


class CertificateError(ValueError):
    pass


def versions() -> dict:
    return {"selu-theory": __version__, "python-flint": flint.__version__, "sympy": sympy.__version__,
            "mpmath": mpmath.__version__, "numpy": numpy.__version__}


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def seal(body: dict) -> dict:
    body = dict(body)
    body.pop("sha256", None)
    body["sha256"] = hashlib.sha256(canonical(body)).hexdigest()
    return body


def build(claim, params, bits: int, parts: list) -> dict:
    return seal({
        "format": FORMAT, "claim": claim.id, "statement": claim.statement,
        "params": {"alpha": params.alpha, "lambda": params.lam}, "bits": bits,
        "versions": versions(), "parts": [p for p in parts if p is not None],
    })


def write(cert: dict, path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical(cert) + b"\n")
    return path


def load(path) -> dict:
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read certificate {path}: {exc.strerror}") from None
    try:
        cert = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise CertificateError(f"{path} is not a JSON certificate") from None
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        raise CertificateError(f"{path} is not a {FORMAT} certificate")
    return cert


def verify_seal(cert: dict) -> bool:
    claimed = cert.get("sha256")
    body = dict(cert)
    body.pop("sha256", None)
    return isinstance(claimed, str) and hashlib.sha256(canonical(body)).hexdigest() == claimed
