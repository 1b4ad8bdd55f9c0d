"""The CLI package: one module per command group, the shared option validators, and the
errors that cross module boundaries (scaled_claims' DesignInputError) reported as bad
input.  Nothing here proves anything, so it runs in seconds."""
import subprocess
import sys

import pytest

from verification import cli
from verification.cli import bound, claims, common, compare, design, dropout, grid, network
from verification.cli import main

COMMANDS = {
    "all": claims, "claim": claims, "list": claims, "check": claims, "names": claims,
    "bound": bound,
    "paper-grid": grid, "grid": grid,
    "params": design, "theorems": design, "domain": design, "atlas": design,
    "compare": compare,
    "network": network,
    "dropout": dropout,
}
HUGE = "100000000000000000000"


def _subparsers(parser):
    (action,) = [a for a in parser._subparsers._group_actions]  # test-only look inside argparse
    return action.choices


def test_every_command_is_registered_by_its_group_module():
    choices = _subparsers(cli.build_parser())
    assert set(choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        func = choices[name].get_default("func")
        assert func.__module__ == module.__name__, name


def test_decision_commands_have_their_own_box_budget_and_help():
    choices = _subparsers(cli.build_parser())
    assert choices["domain"].get_default("max_boxes") == 24_000
    assert choices["atlas"].get_default("max_boxes") == 24_000
    assert choices["bound"].get_default("max_boxes") == common.DEFAULT_MAX_BOXES
    assert "Dask worker" in choices["atlas"].format_help()
    assert "Dask worker" not in choices["domain"].format_help()


@pytest.mark.parametrize("args", [
    ["bound", "S", "--max", "--workers", HUGE],
    ["bound", "S", "--max", "--workers", "-3"],
    ["bound", "S", "--max", "--workers", "two"],
    ["bound", "S", "--max", "--max-boxes", "0"],
    ["check", "x.json", "--workers", HUGE],
    ["claim", "thm1-contraction", "--workers", str(common.max_workers() + 1)],
    ["grid", "S", "--steps", "mu=0.1", "--max", "--threads", HUGE],
    ["paper-grid", "lemma12", "--workers", HUGE],
    ["theorems", "--fixed-point", "0", "1", "--workers", HUGE],
    ["domain", "--max-boxes", "0"],
    ["atlas", "--workers", HUGE],
    ["compare", "--workers", HUGE],
    ["theorems", "--fixed-point", "0", "abc"],        # DesignInputError from scaled_claims
    ["all", "--alpha", "1.5", "--fixed-point", "0", "1"],
    ["params", "--fixed-point", "0", "-1"],
])
def test_bad_options_are_one_line_and_exit_2(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, (args, out, err)
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1, err


def test_workers_limit_is_stated():
    code = main(["bound", "S", "--max", "--workers", HUGE])
    assert code == 2
    with pytest.raises(common.BadInput, match=f"between 1 and {common.max_workers()}"):
        cli.build_parser().parse_args(["bound", "S", "--max", "--workers", HUGE])


def test_workers_within_the_limit_are_accepted():
    args = cli.build_parser().parse_args(["bound", "S", "--max", "--workers", str(common.max_workers())])
    assert common.workers_for(args) == common.max_workers()
    args = cli.build_parser().parse_args(["bound", "S", "--max"])
    assert common.workers_for(args) >= 1


def test_python_dash_m_runs_the_package():
    p = subprocess.run([sys.executable, "-m", "verification.cli", "bound", "S", "--max", "--workers", HUGE],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "verification.cli", "list"], capture_output=True, text=True)
    assert p.returncode == 0 and "thm1-contraction" in p.stdout


def test_progress_tick_takes_an_optional_count():
    """The one progress helper serves the prover (tick()) and the grid sweep (tick(done))."""
    class Quiet:
        quiet = True
    with common.progress_bar(Quiet(), "x", 10) as tick:
        tick()
        tick(5)
