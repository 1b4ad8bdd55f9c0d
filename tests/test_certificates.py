"""Certificates: replayed by the checker, rejected when altered, identical for 1 and N workers."""
import copy
import json

import pytest

from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import prove
from verification.engine import Runner
from conftest import proved


def _extremum(body):
    return next(p for p in body["parts"] if p["kind"] == "extremum")


def _tampered(body, edit, reseal=True):
    b = copy.deepcopy(body)
    edit(b)
    return cert_io.seal(b) if reseal else b


def _leaf_indices(tree):
    return [i for i, n in enumerate(tree) if n[0] == "l"]


def test_untouched_certificate_round_trips_through_disk(tmp_path):
    _, body = proved("thm1-contraction")
    path = cert_io.write(body, tmp_path / "c.json")
    res = checker.check(str(path))
    assert res.ok and res.status == "proved", res.messages


def _remove_leaf(b):
    t = _extremum(b)["tree"]
    del t[_leaf_indices(t)[len(_leaf_indices(t)) // 2]]


def _move_split(b):
    t = _extremum(b)["tree"]
    i = next(i for i, n in enumerate(t) if n[0] == "s" and i > len(t) // 2)
    x = float.fromhex(t[i][2])
    t[i][2] = (x * (1 + 1e-6) if x else 1e-9).hex()


def _shift_leaf_endpoint(b):
    t = _extremum(b)["tree"]
    leaf = t[_leaf_indices(t)[3]]
    lo = float.fromhex(leaf[2][2][0])
    leaf[2][2][0] = (lo + 1e-9).hex()


def _tighter_enclosure(b):
    p = _extremum(b)
    lo, hi = (float.fromhex(x) for x in p["enclosure"])
    p["enclosure"][1] = (hi - 1e-6).hex()


def _widen_domain(b):
    p = _extremum(b)
    p["domain"]["nu"][0] = "1/2"


def _lower_threshold(b):
    _extremum(b)["threshold"] = "0.8"


def _empty_tree(b):
    _extremum(b)["tree"] = []


def _witness_elsewhere(b):
    _extremum(b)["witness"]["point"] = ["0", "0", "1", "1"]


@pytest.mark.parametrize("edit", [_remove_leaf, _move_split, _shift_leaf_endpoint, _tighter_enclosure,
                                  _widen_domain, _lower_threshold, _empty_tree, _witness_elsewhere])
def test_altered_and_resealed_certificate_is_rejected(edit):
    _, body = proved("thm1-contraction")
    res = checker.check(_tampered(body, edit))
    assert not res.ok


def test_changed_hash_is_rejected():
    _, body = proved("thm1-mean-image")
    b = copy.deepcopy(body)
    b["sha256"] = "0" * 64
    assert not checker.check(b).ok


def test_edit_without_resealing_is_rejected():
    _, body = proved("thm1-mean-image")
    b = _tampered(body, lambda x: x["parts"][0]["enclosure"].reverse(), reseal=False)
    assert not checker.check(b).ok


def test_point_and_fixed_point_parts_are_replayed():
    for cid in ("jacobian-at-fixed-point", "alpha-lambda-01"):
        _, body = proved(cid)
        assert checker.check(body).ok

    def flip(b):
        b["parts"][2]["relation"] = "<"  # J12 < 0 is not the registered claim
    _, body = proved("jacobian-at-fixed-point")
    assert not checker.check(_tampered(body, flip)).ok

    def shift_alpha(b):
        b["parts"][0]["alpha_bounds"] = ["1.6733", "1.67331"]
    _, body = proved("alpha-lambda-01")
    assert not checker.check(_tampered(body, shift_alpha)).ok


def test_one_and_two_workers_write_byte_identical_certificates():
    claim = C.get("thm1-contraction")
    bodies = []
    for w in (1, 2):
        with Runner(w) as r:
            res = prove.run_claim(claim, r)
        bodies.append(cert_io.canonical(cert_io.build(claim, claim.params, prove.DEFAULT_BITS,
                                                      [p.certificate for p in res.parts])))
    assert bodies[0] == bodies[1]


def test_certificate_uses_exact_hex_floats():
    _, body = proved("thm1-contraction")
    p = _extremum(body)
    for lo, hi in p["box"]:
        assert float.fromhex(lo).hex() == lo and float.fromhex(hi).hex() == hi
    json.dumps(body)  # plain JSON


def test_acceptance_rule_needs_checker_acceptance_and_the_same_status():
    from verification.certify import accept
    assert accept("proved", checker.CheckResult(True, "x", "proved")) == ("proved", "")
    status, reason = accept("proved", checker.CheckResult(True, "x", "undecided"))
    assert status == "undecided" and "replay gives undecided" in reason
    status, reason = accept("proved", checker.CheckResult(False, "x", "proved", ["bad leaf"]))
    assert status == "undecided" and "bad leaf" in reason


def test_registered_claim_for_other_parameters_is_written_under_an_at_id():
    """Never under the registered name: the checker replays it on its own terms."""
    from selu_theory.params import Params
    from verification import api
    proof = api.prove("jacobian-at-fixed-point", params=Params("1.7", "1.05"))
    assert proof.certificate["claim"] == "jacobian-at-fixed-point@alpha=1.7,lambda=1.05"
    assert proof.check.ok and not proof.check.registered
    assert proof.check.label.startswith("unregistered claim")
    assert "(alpha=1.7, lambda=1.05)" in proof.check.proves
    assert proof.status == proof.check.status


def test_typed_parts_round_trip_through_the_strict_loader():
    _, body = proved("jacobian-at-fixed-point")
    cert = cert_io.Certificate.from_json(body)
    assert cert.to_json() == body
    assert cert_io.loads(cert.to_bytes()).to_json() == body


def test_certify_pipeline_writes_byte_identical_files_for_one_and_two_workers(tmp_path):
    from verification.certify import certify_claim
    files = []
    for w in (1, 2):
        with Runner(w) as r:
            res, done = certify_claim(C.get("thm1-mean-image"), r, tmp_path / f"w{w}.json")
        assert done.status == res.status == "proved" and done.check.registered
        files.append(done.path.read_bytes())
    assert files[0] == files[1]
    assert cert_io.load(tmp_path / "w1.json").to_bytes() == files[0]
