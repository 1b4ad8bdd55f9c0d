"""Generate the grid's midpoint-radius kernels: ``python -m tools.generate_grid_kernels [--check]``.

A thin command line over ``selu_theory.codegen.grid`` (see its docstring for how the
moments' closed forms become midpoint-radius numba code).  Output:
``selu_theory/_generated/<id>/grid_mr_kernels.py`` for every activation of the registry.

This is a tool, never imported by the package at run time.
"""
from __future__ import annotations

import argparse
import sys
import time

from selu_theory.codegen import grid
from tools.generate_kernels import GENERATED_DIR, select, write_or_check


def outputs(specs=None, timings=None) -> dict:
    out = {}
    for spec in specs or select([]):
        t0, c0 = time.perf_counter(), time.process_time()
        out[GENERATED_DIR / spec.id / "grid_mr_kernels.py"] = grid.render(spec)
        if timings is not None:
            timings[spec.id] = (time.perf_counter() - t0, time.process_time() - c0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="diff against the files on disk; exit 1 on any change")
    ap.add_argument("--time", action="store_true", help="print the generation time of each activation")
    ap.add_argument("ids", nargs="*", help="activation ids (default: the whole registry)")
    args = ap.parse_args(argv)
    timings = {}
    status = write_or_check(outputs(select(args.ids), timings), args.check)
    if args.time:
        for k, (wall, cpu) in timings.items():
            print(f"{k}: {wall:.1f} s ({cpu:.1f} s CPU)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
