"""Generate every activation's kernels: ``python -m tools.generate_kernels [--check]``.

A thin command line over ``selu_theory.codegen.kernels``: for each activation of the
registry (``selu_theory.activations``) it writes the Arb ball, numpy float64 and numba
float64 kernels (``render_activation``) into ``selu_theory/_generated/<id>/``.  The
output is a pure function of the sympy version, the spec and the codegen package, so
``--check`` can regenerate in memory and diff.  Each file records
``GENERATOR_INPUT_HASH`` (``selu_theory.codegen.common.input_hash``), which certificates
record.  ``--time`` prints how long each activation took.

This is a tool, never imported by the package at run time.
"""
from __future__ import annotations

import argparse
import difflib
import pathlib
import sys
import time

from selu_theory import activations
from selu_theory.codegen.common import GENERATOR_VERSION, input_hash, metadata
from selu_theory.codegen.kernels import render_activation

# input_hash, metadata and GENERATOR_VERSION are re-exported for the tests and scripts
# that know them here
__all__ = ["GENERATOR_VERSION", "input_hash", "metadata", "outputs", "write_or_check", "main"]

GENERATED_DIR = pathlib.Path(__file__).resolve().parents[1] / "selu_theory" / "_generated"
FILES = ("ball_kernels.py", "float_kernels.py", "numba_kernels.py")

PACKAGE_INIT = '"""Generated kernels: see README.md here. Do not edit."""\n'
ACTIVATION_INIT = '"""The generated kernels of activation {id!r}: see ../README.md. Do not edit."""\n'


def outputs(specs=None, timings=None) -> dict:
    """{path: text} of every file this generator writes (for ``specs``, default the
    registry); ``timings`` (a dict) receives (wall, CPU) seconds per activation."""
    out = {GENERATED_DIR / "__init__.py": PACKAGE_INIT}
    for spec in specs or activations.REGISTRY.values():
        t0, c0 = time.perf_counter(), time.process_time()
        d = GENERATED_DIR / spec.id
        out[d / "__init__.py"] = ACTIVATION_INIT.format(id=spec.id)
        for filename, text in render_activation(spec, FILES).items():
            out[d / filename] = text
        if timings is not None:
            timings[spec.id] = (time.perf_counter() - t0, time.process_time() - c0)
    return out


def write_or_check(files: dict, check: bool) -> int:
    """Write the files, or (check) diff them against the disk: 1 on any difference."""
    status = 0
    for path, text in files.items():
        if check:
            old = path.read_text() if path.exists() else ""
            if old != text:
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                           str(path), "regenerated"))
                status = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return status


def select(ids: list) -> list:
    """The registry's specs named in ``ids`` (all when empty)."""
    return [activations.get(i) for i in ids] if ids else list(activations.REGISTRY.values())


def run(outputs_of, doc: str, argv=None) -> int:
    """The command line both generators share: ``outputs_of(specs, timings)`` renders
    {path: text} for the selected activations; written, or diffed with --check."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="diff against the files on disk; exit 1 on any change")
    ap.add_argument("--time", action="store_true", help="print the generation time of each activation")
    ap.add_argument("ids", nargs="*", help="activation ids (default: the whole registry)")
    args = ap.parse_args(argv)
    timings = {}
    status = write_or_check(outputs_of(select(args.ids), timings), args.check)
    if args.time:
        for k, (wall, cpu) in timings.items():
            print(f"{k}: {wall:.1f} s ({cpu:.1f} s CPU)", file=sys.stderr)
    return status


def main(argv=None) -> int:
    return run(outputs, __doc__, argv)

if __name__ == "__main__":
    sys.exit(main())
