"""Every generated file is exactly what its generator produces now, and the activation
specs say what their kernels assume."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest
from flint import arb

from selu_theory import activations, kernel_loader, symbolic
from selu_theory.ball import precision
from selu_theory.activations.spec import functions_used, structure_holds

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
    from tools import generate_kernels
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
    from tools import generate_kernels
    spec = activations.get(activation_id)
    h = kernel_loader.generator_input_hash(activation_id)
    assert h == generate_kernels.input_hash(spec)
    for kind in kernel_loader.KINDS:
        assert kernel_loader.load_kernels(activation_id, kind).GENERATOR_INPUT_HASH == h


def test_the_hash_changes_with_the_spec():
    from tools import generate_kernels
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


@pytest.mark.parametrize("activation_id", activations.ids())
def test_spec_declares_the_functions_it_uses(activation_id):
    spec = activations.get(activation_id)
    used = set()
    for fam in spec.families:
        for _, expr in fam.functions:
            used |= functions_used(expr)
            assert expr.free_symbols <= {symbolic.m, symbolic.v} | {p.symbol for p in spec.parameters}
    assert used <= set(spec.special_functions)


@pytest.mark.parametrize("activation_id", activations.ids())
def test_declared_structure_holds(activation_id):
    assert structure_holds(activations.get(activation_id))


def test_structure_check_can_fail():
    """False twin: xi~ with an alpha^3 term is not quadratic in alpha."""
    spec = activations.get("selu")
    fam = spec.families[0]
    alpha = spec.parameter("alpha").symbol
    lam = spec.parameter("lam").symbol
    bad_xi = fam.function("xi") + lam**2 * alpha**3 * symbolic.m
    bad = spec.__class__(**{**spec.__dict__, "families": (
        fam.__class__(fam.name, (fam.functions[0], ("xi", bad_xi)), fam.max_order),) + spec.families[1:]})
    assert not structure_holds(bad)


def test_selu_constants_are_the_named_ones():
    spec = activations.get("selu")
    assert spec.parameter_names == ("alpha", "lam")
    assert [p.constant for p in spec.parameters] == ["alpha01", "lambda01"]
    with precision(160):
        for p in spec.parameters:
            # the frameworks' 31 digits agree with the closed form to their last digit
            assert abs(p.value(128) - arb(p.framework_text)) < arb("1e-30")
