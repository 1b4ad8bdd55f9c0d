"""The notebooks in notebooks/ run top to bottom in a fresh kernel without errors.

Each notebook is executed with nbclient in a new IPython kernel started from *this*
interpreter (a kernelspec written to a temporary directory points at sys.executable), so
the tests need no user-level kernelspec and see the same installed toolkit as pytest.
SELU_NOTEBOOK_QUICK=1 selects the notebooks' small-budget mode; MPLBACKEND=Agg keeps
matplotlib off any display.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (after the skips)
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = (
    "01_constants_and_maps.ipynb",
    "02_theorem1.ipynb",
    "03_theorem2.ipynb",
    "04_theorem3.ipynb",
    "05_derivative_signs.ipynb",
    "06_low_variance.ipynb",
    "07_main_subfunction.ipynb",
    "activations.ipynb",
    "network.ipynb",
)
KERNEL_NAME = "selu-theory-test"
CELL_TIMEOUT = 120  # seconds per cell


@pytest.fixture(scope="session")
def kernel_spec_manager(tmp_path_factory):
    """A kernelspec for the running interpreter, in a private directory."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "selu-theory (tests)",
        "language": "python",
    }))
    return KernelSpecManager(kernel_dirs=[str(kernels)])


def _kernel_env() -> dict:
    env = dict(os.environ)
    env["SELU_NOTEBOOK_QUICK"] = "1"
    env["MPLBACKEND"] = "Agg"
    # The kernel imports the checkout under test even if it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def _run(nb, ksm):
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, startup_timeout=120,
                                     allow_errors=False, resources={"metadata": {"path": str(NB_DIR)}})
    client.execute(env=_kernel_env(), cleanup_kc=True)  # we own km: shut the kernel down afterwards
    return nb


def test_notebook_set():
    """Every claim-group notebook is present (other notebooks may sit beside them)."""
    missing = sorted(set(NOTEBOOKS) - {p.name for p in NB_DIR.glob("*.ipynb")})
    assert not missing


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_clean(name):
    """Committed notebooks carry no outputs and a claim statement up front."""
    nb = nbformat.read(NB_DIR / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not c.outputs and c.execution_count is None for c in code), "stored outputs: clear them"
    assert nb.cells[0].cell_type == "markdown" and "$" in nb.cells[0].source, "first cell: the claim in words and formulas"
    assert nb.cells[-1].cell_type == "markdown" and "Conclusion" in nb.cells[-1].source
    assert any("api." in c.source for c in code), "the notebook must go through verification.api"


def test_kernel_uses_this_interpreter(kernel_spec_manager):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os, sys; print(sys.executable); print(os.environ['SELU_NOTEBOOK_QUICK'])")]
    _run(nb, kernel_spec_manager)
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert out.split() == [sys.executable, "1"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_spec_manager):
    nb = nbformat.read(NB_DIR / name, as_version=4)
    t0 = time.perf_counter()
    _run(nb, kernel_spec_manager)
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream" and o.name == "stdout")
    assert "quick mode" in text
    print(f"{name}: {seconds:.1f} s")
