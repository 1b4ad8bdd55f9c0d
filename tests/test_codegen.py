"""Every generated file is exactly what its generator produces now; the package never
imports the generators; kernels record the hash of what they were generated from."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

from selu_theory import activations, kernel_loader
from tools import generate_kernels

ROOT = pathlib.Path(__file__).resolve().parents[1]
GENERATORS = ("tools.generate_kernels", "tools.generate_grid_tables", "tools.generate_grid_kernels")


@pytest.mark.parametrize("generator", GENERATORS)
def test_regenerating_changes_nothing(generator):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", generator, "--check"], capture_output=True, text=True,
                       cwd=ROOT, env=env)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]


def test_check_reports_a_hand_edit(tmp_path, monkeypatch):
    """The false twin of the test above: --check fails on a changed generated file."""
    files = generate_kernels.outputs()
    path = next(p for p in files if p.name == "float_kernels.py")
    edited = tmp_path / "float_kernels.py"
    edited.write_text(files[path].replace("2.0", "2.000001", 1))
    assert generate_kernels.write_or_check({edited: files[path]}, check=True) == 1
    edited.write_text(files[path])
    assert generate_kernels.write_or_check({edited: files[path]}, check=True) == 0


def test_the_package_never_imports_the_generators():
    for py in (ROOT / "selu_theory").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            assert not any(mod == "tools" or mod.startswith("tools.") for mod in mods), py


@pytest.mark.parametrize("activation_id", activations.ids())
def test_kernels_record_the_hash_of_their_input(activation_id):
    spec = activations.get(activation_id)
    h = kernel_loader.generator_input_hash(activation_id)
    assert h == generate_kernels.input_hash(spec)
    for kind in kernel_loader.KINDS:
        assert kernel_loader.load_kernels(activation_id, kind).GENERATOR_INPUT_HASH == h


def test_the_hash_changes_with_the_spec():
    spec = activations.get("selu")
    fam = spec.families[0]
    changed = spec.__class__(**{**spec.__dict__, "families": (
        fam.__class__(fam.name, ((fam.functions[0][0], fam.functions[0][1] + 1), fam.functions[1]),
                      fam.max_order),) + spec.families[1:]})
    assert generate_kernels.input_hash(changed) != generate_kernels.input_hash(spec)


def test_loader_refuses_unknown_activations_and_kinds():
    with pytest.raises(kernel_loader.KernelsNotFound):
        kernel_loader.load_kernels("nosuch", "ball_kernels")
    with pytest.raises(kernel_loader.KernelsNotFound):
        kernel_loader.load_kernels("selu", "os")
    with pytest.raises(kernel_loader.KernelsNotFound):
        kernel_loader.load_kernels("../selu", "ball_kernels")
    with pytest.raises(KeyError):
        activations.get("nosuch")
