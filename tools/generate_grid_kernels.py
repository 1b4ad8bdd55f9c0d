"""Generate the grid's midpoint-radius kernels: ``python -m tools.generate_grid_kernels [--check]``.

A thin command line over ``selu_theory.codegen.grid`` (see its docstring for how the
moments' closed forms become midpoint-radius numba code).  Output:
``selu_theory/_generated/<id>/grid_mr_kernels.py`` for every activation of the registry.

This is a tool, never imported by the package at run time.
"""
from __future__ import annotations

import sys
import time

from selu_theory.codegen import grid
from tools.generate_kernels import GENERATED_DIR, run, select


def outputs(specs=None, timings=None) -> dict:
    out = {}
    for spec in specs or select([]):
        t0, c0 = time.perf_counter(), time.process_time()
        out[GENERATED_DIR / spec.id / "grid_mr_kernels.py"] = grid.render(spec)
        if timings is not None:
            timings[spec.id] = (time.perf_counter() - t0, time.process_time() - c0)
    return out


def main(argv=None) -> int:
    return run(outputs, __doc__, argv)

if __name__ == "__main__":
    sys.exit(main())
