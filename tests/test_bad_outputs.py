"""Output paths are checked before any work: --out (a folder), --json and domain's --plot
(files).  Each bad one gives exit 2, one line on stderr, no traceback, and nothing is
computed or written."""
from __future__ import annotations

import argparse
import pathlib

import pytest

from verification.cli.common import BadInput, validate_outputs

BOUND = ["bound", "S", "--below", "2", "--workers", "1", "--max-boxes", "50"]


def _one_line_error(code, out, err, *words):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("selu-verify: error:"), lines
    for w in words:
        assert w in lines[0], lines
    assert "status:" not in out  # nothing was proved


def test_out_naming_an_existing_file(cli, tmp_path):
    f = tmp_path / "file"
    f.write_text("keep me\n")
    _one_line_error(*cli(*BOUND, "--out", str(f)), "--out", "is a file")
    assert f.read_text() == "keep me\n"


def test_out_below_a_file_cannot_be_created(cli, tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    _one_line_error(*cli(*BOUND, "--out", str(f / "sub" / "dir")), "--out", "not a folder")


@pytest.mark.skipif(not pathlib.Path("/proc/self").exists(), reason="needs /proc (Linux)")
def test_out_in_an_unwritable_place(cli):
    _one_line_error(*cli(*BOUND, "--out", "/proc/selu-x/y"), "--out", "cannot write")


def test_json_naming_a_folder(cli, tmp_path):
    _one_line_error(*cli(*BOUND, "--out", str(tmp_path / "o"), "--json", str(tmp_path)), "--json", "folder")
    assert not (tmp_path / "o").exists()  # no work was done


def test_json_below_a_file(cli, tmp_path):
    (tmp_path / "f").write_text("")
    _one_line_error(*cli(*BOUND, "--out", str(tmp_path / "o"), "--json", str(tmp_path / "f" / "x.json")),
                    "--json", "not a folder")


def test_json_in_a_new_folder_is_fine(cli, tmp_path):
    """--json's folder is created like --out's (a JSON file inside --out, say)."""
    js = tmp_path / "o" / "sub" / "r.json"
    code, _, err = cli(*BOUND, "--domain", "mu=0,omega=0,nu=1,tau=1", "--out", str(tmp_path / "o"), "--json", str(js))
    assert code == 0, err
    assert js.exists()


@pytest.mark.skipif(not pathlib.Path("/proc/self").exists(), reason="needs /proc (Linux)")
def test_json_uncreatable(cli, tmp_path):
    _one_line_error(*cli(*BOUND, "--out", str(tmp_path / "o"), "--json", "/proc/selu-x/y.json"), "--json")


def test_json_for_a_command_without_out(cli, tmp_path):
    _one_line_error(*cli("params", "--fixed-point", "0", "1", "--json", str(tmp_path)), "--json")


def test_domain_plot_in_a_missing_folder(cli, tmp_path):
    # used to be a traceback after 12 s of certified work
    _one_line_error(*cli("domain", "--out", str(tmp_path), "--workers", "1", "--plot", "/nonexistent/x.png"),
                    "--plot", "/nonexistent")
    assert not (tmp_path / "domain").exists()


def test_domain_plot_with_an_unknown_format(cli, tmp_path):
    _one_line_error(*cli("domain", "--out", str(tmp_path), "--workers", "1", "--plot", str(tmp_path / "x.foo")),
                    "--plot", ".png")


def test_good_outputs_pass_and_nothing_is_created_early(tmp_path):
    out = tmp_path / "new" / "nested"
    args = argparse.Namespace(out=str(out), json=str(tmp_path / "r.json"), plot=str(tmp_path / "p.png"))
    validate_outputs(args)
    assert not out.exists() and not (tmp_path / "r.json").exists()
    validate_outputs(argparse.Namespace(out="results", json=None, plot="none"))


def test_validator_raises_bad_input(tmp_path):
    with pytest.raises(BadInput, match="is a folder"):
        validate_outputs(argparse.Namespace(json=str(tmp_path)))
