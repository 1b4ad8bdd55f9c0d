"""Start-up of the commands that do not sweep grids (issue 12): `selu-verify check` of
claim certificates, and every command but the grid ones, import neither numba nor the
grid kernels; the grid commands and a grid certificate's replay still find them."""
import subprocess
import sys

from verification import certify, grid_certificate
from verification.cli import build_parser

PROBE = """
import sys
from verification.cli import build_parser
build_parser({argv!r})
import verification.certify, verification.checker
heavy = sorted(m for m in sys.modules if m == 'numba' or m.startswith(('numba.', 'selu_theory.grid_kernels',
                                                                     'verification.grid_')))
print(','.join(heavy))
"""


def _heavy_modules(argv) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_check_imports_neither_numba_nor_the_grid_kernels():
    assert _heavy_modules(["check", "x.json"]) == ""


def test_the_grid_commands_are_registered_when_they_run_and_for_help():
    for argv in (["grid", "--help"], ["paper-grid", "lemma12"], [], ["--help"], ["no-such-command"]):
        choices = next(a for a in build_parser(argv)._actions if a.dest == "command").choices
        assert {"grid", "paper-grid", "check", "bound"} <= set(choices), argv
    choices = next(a for a in build_parser(["check"])._actions if a.dest == "command").choices
    assert "check" in choices and "grid" not in choices


def test_grid_kind_is_the_grid_certificates():
    assert certify.GRID_KIND == grid_certificate.KIND
    assert certify.is_grid({"kind": grid_certificate.KIND}) and not certify.is_grid([grid_certificate.KIND])
