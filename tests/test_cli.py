"""selu-verify from the outside: exit codes, one-line errors, JSON output."""
import json
import subprocess
import sys

import pytest

from verification.cli import main

OMEGA = "mu=-0.1:0.1,omega=-0.1:0.1,nu=0.8:1.5,tau=0.95:1.1"


def run(*args):
    p = subprocess.run([sys.executable, "-m", "verification.cli", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("args", [
    ["bound", "S", "--max", "--alpha", "nan"],
    ["bound", "S", "--max", "--lambda", "inf"],
    ["bound", "S", "--max", "--alpha", "-1.5"],
    ["bound", "S", "--max", "--lambda", "0"],
    ["bound", "S", "--max", "--alpha", "one"],
    ["bound", "S", "--max", "--domain", "nu=1.5:0.8"],
    ["bound", "S", "--max", "--domain", "nu=-1:1"],
    ["bound", "S", "--max", "--domain", "tau=0:1"],
    ["bound", "S", "--max", "--domain", "nu=nan:1"],
    ["bound", "S", "--max", "--domain", "sigma=0:1"],
    ["bound", "S", "--max", "--domain", "nu"],
    ["bound", "foo", "--max"],
    ["bound", "S", "--below", "nan"],
    ["bound", "S", "--below", "1", "--max"],
    ["bound", "S"],
    ["bound", "__import__('os').system('echo hacked')", "--max"],
    ["bound", "S.__class__", "--max"],
    ["bound", "(lambda: 1)()", "--max"],
    ["bound", "S if 1 else 2", "--max"],
    ["bound", "2**10**10", "--max"],
    ["bound", "S**0.5", "--max"],
    ["bound", "[S]", "--max"],
    ["bound", "open('x')", "--max"],
    ["bound", "S +", "--max"],
    ["bound", "(" * 300 + "S" + ")" * 300, "--max"],
    ["bound", "-" * 5000 + "S", "--max"],
    ["bound", "S", "--max", "--tol", "-1"],
    ["bound", "S", "--max", "--workers", "0"],
    ["check", "/nonexistent/cert.json"],
    ["claim", "no-such-claim"],
    ["frobnicate"],
])
def test_bad_input_is_one_line_and_exit_2(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1
    assert "hacked" not in out


def test_unreadable_certificates(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["check", str(bad)]) == 2
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else"}))
    assert main(["check", str(other)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_bound_proves_and_disproves_with_counterexample(tmp_path):
    out = tmp_path / "out"
    code, stdout, _ = run("bound", "S", "--domain", OMEGA, "--below", "1", "--out", str(out), "--quiet",
                          "--workers", "1")
    assert code == 0
    code, stdout, _ = run("bound", "S", "--domain", OMEGA, "--below", "0.89", "--out", str(out),
                          "--workers", "1", "--json", str(tmp_path / "r.json"))
    assert code == 1
    assert "counterexample" in stdout
    data = json.loads((tmp_path / "r.json").read_text())["claims"][0]
    assert data["status"] == "disproved"
    assert data["counterexample"]["point"]


def test_bound_max_json_and_check_round_trip(tmp_path):
    out = tmp_path / "out"
    js = tmp_path / "b.json"
    code, stdout, _ = run("bound", "nu_tilde - nu", "--domain", OMEGA, "--max", "--out", str(out),
                          "--json", str(js), "--workers", "1")
    assert code == 0, stdout
    rec = json.loads(js.read_text())["claims"][0]
    assert set(rec) >= {"id", "status", "quantity", "enclosure", "paper", "verdict", "counterexample",
                        "boxes", "seconds", "certificate"}
    lo, hi = rec["enclosure"]
    assert hi - lo <= 1e-10
    code, stdout, _ = run("check", rec["certificate"])
    assert code == 0 and "ACCEPTED" in stdout


def test_list_names_every_registered_claim(capsys):
    from verification.claims import CLAIMS
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for c in CLAIMS:
        assert c.id in out
