"""Generated kernels are exactly what the generator produces from the symbolic module."""
import subprocess
import sys


def test_regenerating_changes_nothing():
    p = subprocess.run([sys.executable, "-m", "selu_theory.codegen", "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-2000:]
