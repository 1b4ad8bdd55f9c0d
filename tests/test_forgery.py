"""Forged and malformed certificates: the audit's holes C1, C2, C3 and the checker crashes.

Every certificate here is made the way an attacker would: a genuine one from the CLI,
edited, and resealed (the sha256 is no secret).  Each must be rejected -- by the strict
loader (``selu-verify check``: exit 2, one line on stderr) or by the replay (exit 1) --
and nothing may crash.
"""
import copy
import functools
import json
import pathlib
import subprocess
import sys
import time
from fractions import Fraction

import pytest

from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification.cli import main
from conftest import proved

# alpha01, lambda01 as the 31-digit decimals frameworks hard-code: close, but not the constants
ALPHA31, LAMBDA31 = "1.6732632423543772848170429916717", "1.0507009873554804934193349852946"
AT_FIXED_POINT = "mu=0,omega=0,nu=1,tau=1"


def _bound_file(out: pathlib.Path, *extra) -> pathlib.Path:
    """A genuine certificate of `bound S --below 1` at the fixed point, written by the CLI."""
    assert main(["bound", "S", "--below", "1", "--domain", AT_FIXED_POINT, "--out", str(out), "--quiet",
                 "--workers", "1", *extra]) == 0
    (path,) = (out / "certificates").glob("bound-*.json")
    return path


@functools.cache
def _bound_body(*extra) -> dict:
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        return json.loads(_bound_file(pathlib.Path(d), *extra).read_bytes())


def _resealed(body: dict, edit) -> dict:
    b = copy.deepcopy(body)
    edit(b)
    return cert_io.seal(b)


def _write(tmp_path, body: dict, name="forged.json") -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(cert_io.canonical(body) + b"\n")
    return path


def _check_cli(capsys, path) -> tuple:
    code = main(["check", str(path), "--workers", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _extremum(body):
    return next(p for p in body["parts"] if p["kind"] == "extremum")


# --------------------------------------------------------------------------- C1: relabelled certificate

def test_genuine_user_bound_is_accepted_and_reported_as_what_it_proves(tmp_path, capsys):
    path = _bound_file(tmp_path)
    code, out, _ = _check_cli(capsys, path)
    assert code == 0
    assert "user bound proved" in out
    # the rebuilt statement: expression, threshold, domain and parameters
    assert "S < 1 on mu=0, omega=0, nu=1, tau=1 (alpha=alpha01, lambda=lambda01)" in " ".join(out.split())


def test_c1_bound_relabelled_as_registered_claim_is_rejected(tmp_path, capsys):
    body = _bound_body("--alpha", ALPHA31, "--lambda", LAMBDA31)

    def relabel(b):
        b["claim"] = "thm1-contraction"
        b["statement"] = C.get("thm1-contraction").statement
    forged = _resealed(body, relabel)
    res = checker.check(forged)
    assert not res.ok
    assert "registered" in " ".join(res.messages)
    code, out, _ = _check_cli(capsys, _write(tmp_path, forged))
    assert code == 1 and "REJECTED" in out and "proved" not in out.replace("REJECTED", "")


def test_c1_registered_claim_with_other_parameter_text_is_rejected():
    _, body = proved("jacobian-at-fixed-point")

    def digits31(b):
        b["params"] = {"alpha": ALPHA31, "lambda": LAMBDA31}
    res = checker.check(_resealed(body, digits31))
    assert not res.ok and "parameters" in " ".join(res.messages)


def test_c1_registered_claim_with_same_threshold_value_other_spelling_is_accepted():
    """Values, not text: "1.0" is the registered threshold 1."""
    _, body = proved("thm1-contraction")

    def respell(b):
        _extremum(b)["threshold"] = "1.0"
    res = checker.check(_resealed(body, respell))
    assert res.ok and res.registered and res.status == "proved", res.messages


def test_c3_statement_is_rebuilt_not_trusted():
    body = _bound_body()

    def brag(b):
        b["statement"] = "S < 1 on the whole of Omega"
    res = checker.check(_resealed(body, brag))
    assert not res.ok and "statement" in " ".join(res.messages)


def test_certificate_from_other_kernels_or_unknown_activation_is_rejected():
    body = _bound_body()
    assert body["activation"]["id"] == "selu"

    def other_kernels(b):
        b["activation"]["kernels_input_sha256"] = "0" * 64
    res = checker.check(_resealed(body, other_kernels))
    assert not res.ok and "other kernels" in " ".join(res.messages)

    def other_activation(b):
        b["activation"]["id"] = "not-an-activation"
    res = checker.check(_resealed(body, other_activation))
    assert not res.ok and "unknown activation" in " ".join(res.messages)


# --------------------------------------------------------------------------- C2: enclosures must contain the replay

def _shift_bounds(b, new):
    part = b["parts"][0]
    lo, hi = (Fraction(x) for x in part["alpha_bounds"])
    part["alpha_bounds"] = [str(q) for q in new(lo, hi)]


def test_c2_alpha_bounds_excluding_alpha01_are_rejected():
    _, body = proved("alpha-lambda-01")
    # just above the true enclosure: overlaps it once rounded to a 112-bit ball, excludes alpha01
    forged = _resealed(body, lambda b: _shift_bounds(b, lambda lo, hi: (hi + (hi - lo), hi + 2 * (hi - lo))))
    res = checker.check(forged)
    assert not res.ok and "contain" in " ".join(res.messages)


def test_c2_wider_alpha_bounds_that_contain_it_are_accepted_within_the_claimed_digits():
    """The rule is containment of the replay: a wider true enclosure is a true statement,
    accepted while it still meets the claimed 30 digits, rejected when it does not."""
    _, body = proved("alpha-lambda-01")
    wide = _resealed(body, lambda b: _shift_bounds(b, lambda lo, hi: (lo - Fraction(1, 10**35), hi)))
    assert checker.check(wide).ok
    too_wide = _resealed(body, lambda b: _shift_bounds(b, lambda lo, hi: (lo - Fraction(1, 10**29), hi)))
    res = checker.check(too_wide)
    assert not res.ok and "digits" in " ".join(res.messages)


# --------------------------------------------------------------------------- C3 and malformed files: exit 2, one line

def _duplicate_threshold(text: str) -> str:
    """A false threshold first, the true one second: a last-key-wins parser sees the true one."""
    assert text.count('"threshold":"1"') == 1
    return text.replace('"threshold":"1"', '"threshold":"0.5","threshold":"1"')


def _one_line_exit_2(capsys, path):
    code, out, err = _check_cli(capsys, path)
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1
    return err


def test_c3_duplicate_keys_are_rejected(tmp_path, capsys):
    path = _write(tmp_path, _bound_body())
    path.write_text(_duplicate_threshold(path.read_text()))
    assert not checker.check(str(path)).ok
    assert "duplicate" in _one_line_exit_2(capsys, path)


def _root_box_infinite(b):
    _extremum(b)["box"][0] = ["-inf", "inf"]


def _enclosure_end_inf(b):
    _extremum(b)["enclosure"][1] = "inf"


def _short_leaf(b):
    _extremum(b)["tree"] = [["l"]]


def _huge_exponent_threshold(b):
    _extremum(b)["threshold"] = "1e-999999999"


def _huge_exponent_point(b):
    _extremum(b)["witness"]["point"][0] = "1e-999999999"


@pytest.mark.parametrize("edit", [_root_box_infinite, _enclosure_end_inf, _short_leaf, _huge_exponent_threshold,
                                  _huge_exponent_point])
def test_malformed_resealed_certificate_is_one_line_exit_2(edit, tmp_path, capsys):
    forged = _resealed(_bound_body(), edit)
    t0 = time.perf_counter()
    assert not checker.check(forged).ok
    err = _one_line_exit_2(capsys, _write(tmp_path, forged))
    assert time.perf_counter() - t0 < 1.0
    assert err.startswith("selu-verify: error:")


def test_nan_token_is_refused(tmp_path, capsys):
    path = _write(tmp_path, _bound_body())
    path.write_text(path.read_text().replace('"objective_sign":1', '"objective_sign":NaN'))
    _one_line_exit_2(capsys, path)


def test_non_canonical_bytes_are_refused(tmp_path, capsys):
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(_bound_body(), indent=1))
    assert "canonical" in _one_line_exit_2(capsys, path)


def test_deep_nesting_is_refused_without_recursion(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert "nested" in _one_line_exit_2(capsys, path)


def test_dev_zero_stops_at_the_size_limit():
    proc = subprocess.run([sys.executable, "-m", "verification.cli", "check", "/dev/zero"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "larger than" in proc.stderr


def test_strict_loader_round_trips_the_canonical_bytes():
    data = cert_io.canonical(_bound_body()) + b"\n"
    assert cert_io.loads(data).to_bytes() == data


# --------------------------------------------------------------------------- the float search

def test_float_overflow_in_the_search_gives_a_normal_verdict(tmp_path, capsys):
    code = main(["bound", "(1000000000000*1000000000000)**16", "--below", "1", "--domain", "mu=0:10",
                 "--out", str(tmp_path), "--workers", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 1 and "status: disproved" in out
