"""Certified parameters for a target fixed point, for every activation: the FixedPoint
certificate part (generic encoding: per-parameter exact enclosures by label, uniqueness
kind, S) is proved through verification.certify and replayed by the checker.

Oracle: ``tests/test_generic_activation.py``'s plain mpmath quadratures of the defining
integrals (never our kernels), solved with mpmath.findroot.  Forgeries are resealed (a
valid sha256), so only the replay can refuse them.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import mpmath
import pytest

from selu_theory.fixed_point import FixedPointError, Unreachable
from selu_theory.params import Params
from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import prove
from verification.certificate import CertificateError, FixedPointPart
from verification.certify import certify_fixed_point

from tests.test_generic_activation import MP, _mp, _mp_solve

LEGACY_KEYS = {"kind", "key", "status", "error"} | set(FixedPointPart.FIELDS)


@pytest.fixture(scope="module")
def certified():
    """{activation: (solution, Certified)} at the paper's target (0, 1), omega = 0, tau = 1."""
    return {a: certify_fixed_point(a, 0, 1, 0, 1, digits=30) for a in ("serlu", "relu")}


def _body(done) -> dict:
    return json.loads(done.certificate.to_bytes())


def _forged(body: dict, edit) -> dict:
    """The body with its part edited, its statement rebuilt from the edited part (so that
    only the part's replay can refuse it) and sealed again."""
    b = copy.deepcopy(body)
    edit(b["parts"][0])
    try:
        parts = [cert_io.part_from_json(p) for p in b["parts"]]
        b["statement"] = cert_io.rebuilt_statement(b["params"], parts, b["activation"]["id"])
    except CertificateError:
        pass  # the loader refuses it before any statement is compared
    return cert_io.seal(b)


def _rejected(body: dict) -> str:
    chk = checker.check(body)
    assert not chk.ok and chk.status == "undecided"
    return " ".join(chk.messages)


@pytest.mark.parametrize("activation,labels,unique", [("serlu", ["alpha", "lambda"], "global"),
                                                      ("relu", ["b", "lambda"], "box")])
def test_certificate_is_proved_replayed_and_contains_the_mpmath_root(certified, activation, labels, unique):
    sol, done = certified[activation]
    assert done.proved and done.check.ok and done.check.status == "proved"
    part = done.certificate.parts[0]
    assert part.generic and list(part.labels) == labels and part.uniqueness == unique and part.fixed == ()
    assert not set(_body(done)["parts"][0]) & {"alpha_bounds", "lambda_bounds"}
    # an independent root of mu~ = 0, nu~ = 1 on quadrature moments lies in the recorded bounds
    names = tuple(sol.balls)
    root = _mp_solve(activation, names, [sol.floats[n] for n in names])
    for (label, lo, hi, _), x in zip(part.parameters, root):
        lo, hi = Fraction(lo), Fraction(hi)
        assert hi - lo < Fraction(1, 10 ** 30)  # the 30 digits claimed
        # the oracle (40-digit quadrature, findroot) is good to ~1e-32; the enclosure is ~1e-31 wide
        assert _mp(lo) - mpmath.mpf("1e-31") <= x <= _mp(hi) + mpmath.mpf("1e-31"), (label, x)
        assert not _mp(lo) <= x * (1 + MP.mpf("1e-27")) <= _mp(hi)  # a perturbed root is outside
    # S is an enclosure holding the solver's ball
    s_lo, s_hi = (Fraction(x) for x in part.spectral_norm)
    assert s_lo < s_hi and (s_hi < 1) == (activation == "serlu")
    assert "(" + ", ".join(labels) + ") giving the fixed point" in done.check.proves


def test_the_part_round_trips_through_the_strict_loader(certified):
    _, done = certified["relu"]
    data = done.certificate.to_bytes()
    again = cert_io.loads(data)
    assert again.parts[0] == done.certificate.parts[0] and again.to_bytes() == data


def test_selu_keeps_its_original_encoding():
    """SELU's part is written exactly as before (alpha_bounds, lambda_bounds; byte-identical
    certificates for alpha-lambda-01): no key of the generic encoding appears."""
    part = C.get("alpha-lambda-01").parts[0]
    res = prove.run_fixed_point(part, Params(), prove.DEFAULT_BITS)
    d = res[0].record.to_json()
    assert set(d) == LEGACY_KEYS and res[0].status == "proved"
    assert [r.key for r in res] == ["alpha", "lambda"]
    sol, done = certify_fixed_point("selu", 0, 1)
    assert done.proved and not done.certificate.parts[0].generic


def test_elu_is_unreachable_and_nothing_is_certified():
    with pytest.raises(Unreachable):
        certify_fixed_point("elu", 0, 1)
    with pytest.raises(FixedPointError):
        certify_fixed_point("serlu", "1e-999999999", 1)


# --------------------------------------------------------------------------- forgeries

def _shift(row, by: Fraction):
    lo, hi = Fraction(row[1]), Fraction(row[2])
    row[1], row[2] = str(lo + by), str(hi + by)


def test_bounds_that_exclude_the_root_are_rejected(certified):
    body = _body(certified["serlu"][1])

    def edit(p):  # moved by 3 widths: still 30 digits wide, no longer around the root
        lo, hi = Fraction(p["parameters"][0][1]), Fraction(p["parameters"][0][2])
        _shift(p["parameters"][0], 3 * (hi - lo))
    assert "do not contain the Krawczyk replay" in _rejected(_forged(body, edit))


def test_a_widened_but_wrong_enclosure_is_rejected(certified):
    """Wider than the claimed digits allow (even though it holds the root) ..."""
    body = _body(certified["relu"][1])

    def widen(p):
        lo, hi = Fraction(p["parameters"][1][1]), Fraction(p["parameters"][1][2])
        p["parameters"][1][1], p["parameters"][1][2] = str(lo - Fraction(1, 10 ** 20)), str(hi)
    assert "wider than the claimed digits" in _rejected(_forged(body, widen))

    def widen_off(p):
        """... and widened within the digits but off the root (its upper end below it)."""
        lo, hi = Fraction(p["parameters"][1][1]), Fraction(p["parameters"][1][2])
        w = hi - lo
        p["parameters"][1][1], p["parameters"][1][2] = str(lo - 20 * w), str(lo - w)
    assert "do not contain the Krawczyk replay" in _rejected(_forged(body, widen_off))


def test_an_s_enclosure_off_the_replay_is_rejected(certified):
    body = _body(certified["serlu"][1])

    def edit(p):
        lo, hi = (Fraction(x) for x in p["spectral_norm"])
        p["spectral_norm"] = [str(hi), str(hi + (hi - lo))]  # as wide, just above
    assert "(or S)" in _rejected(_forged(body, edit))


def test_claiming_global_uniqueness_the_replay_does_not_certify_is_rejected(certified):
    body = _body(certified["relu"][1])
    assert body["parts"][0]["uniqueness"] == "box"
    forged = _forged(body, lambda p: p.update(uniqueness="global"))
    assert "global uniqueness" in _rejected(forged)


@pytest.mark.parametrize("labels,why", [(["lambda", "alpha"], "not serlu's"), (["a", "lambda"], "not serlu's"),
                                        (["alpha", "alpha"], "repeated parameter label")])
def test_wrong_parameter_labels_are_rejected(certified, labels, why):
    body = _body(certified["serlu"][1])

    def edit(p):
        for row, lb in zip(p["parameters"], labels):
            row[0] = lb
    assert why in _rejected(_forged(body, edit))


def test_a_part_moved_to_another_activation_is_rejected(certified):
    """serlu's certified part under relu's parameters, relabelled to relu's labels: the
    replay (relu's own solver) does not land in serlu's enclosures."""
    serlu = _body(certified["serlu"][1])
    relu = _body(certified["relu"][1])

    def edit(p):
        p.clear()
        p.update(copy.deepcopy(serlu["parts"][0]))
        p["parameters"][0][0] = "b"
        p["uniqueness"] = "box"
    assert "do not contain the Krawczyk replay" in _rejected(_forged(relu, edit))


def test_the_selu_encoding_for_another_activation_is_rejected(certified):
    """alpha_bounds / lambda_bounds are replayed by SELU's solver only: under serlu they
    would prove nothing about serlu."""
    selu = json.loads(certify_fixed_point("selu", 0, 1)[1].certificate.to_bytes())
    serlu = _body(certified["serlu"][1])

    def edit(p):
        p.clear()
        p.update(copy.deepcopy(selu["parts"][0]))
    assert "SELU's" in _rejected(_forged(serlu, edit))


@pytest.mark.parametrize("edit,why", [
    (lambda p: p["parameters"][0].__setitem__(1, "3"), "lower end above upper end"),
    (lambda p: p.update(fixed=["nope"]), "not listed"),
    (lambda p: p.update(fixed=["alpha"]), "must be its value"),
    (lambda p: p.update(uniqueness="everywhere"), "must be one of box, global"),
    (lambda p: p.update(error="oops"), "has no error"),
    (lambda p: p.update(parameters=[]), "1 to 20 parameters"),
    (lambda p: p.update(extra=1), "unknown field"),
    (lambda p: p.pop("spectral_norm"), "missing field"),
    (lambda p: p["parameters"][0].__setitem__(2, 2.9), "must be a number as text"),
    (lambda p: p.update(spectral_norm=["1", "0"]), "lower end above upper end"),
])
def test_malformed_generic_parts_are_refused_by_the_loader(certified, edit, why):
    body = _forged(_body(certified["serlu"][1]), edit)
    with pytest.raises(CertificateError) as e:
        cert_io.Certificate.from_json(body)
    assert why in str(e.value) and "\n" not in str(e.value)
    assert not checker.check(body).ok


def test_a_user_activation_certificate_and_its_forgeries(tmp_path, monkeypatch):
    """(~12 s: generates the user's kernels.)  The user's shifted ReLU (parameters b, lam
    by their names) is certified and replayed; relu's labels on it, or its bounds moved,
    are rejected."""
    from selu_theory import user_activation
    monkeypatch.setenv("SELU_THEORY_CACHE", str(tmp_path / "cache"))
    uid = user_activation.register("x>=0: lam*x - lam*b; x<0: -lam*b")
    sol, done = certify_fixed_point(uid, 0, 1, path=tmp_path / "u.json")
    assert done.proved and done.path.exists()
    body = json.loads(done.path.read_bytes())
    assert [r[0] for r in body["parts"][0]["parameters"]] == ["b", "lam"]
    assert "not " + uid + "'s" in _rejected(_forged(body, lambda p: p["parameters"][1].__setitem__(0, "lambda")))

    def edit(p):
        lo, hi = Fraction(p["parameters"][0][1]), Fraction(p["parameters"][0][2])
        _shift(p["parameters"][0], -5 * (hi - lo))
    assert "do not contain the Krawczyk replay" in _rejected(_forged(body, edit))


def test_the_generic_encoding_for_selu_is_rejected(certified):
    """SELU's statement is replayed with its closed-form check: its part keeps one encoding."""
    selu = json.loads(certify_fixed_point("selu", 0, 1)[1].certificate.to_bytes())
    serlu = _body(certified["serlu"][1])

    def edit(p):
        p.clear()
        p.update(copy.deepcopy(serlu["parts"][0]))
    assert "original encoding" in _rejected(_forged(selu, edit))


def test_a_parameter_held_fixed_is_recorded_exactly_and_replayed(tmp_path, monkeypatch):
    """(~5 s: generates the user's kernels.)  A three-parameter leaky shifted ReLU with its
    slope c = 0.1 held fixed (not a dyadic: the part records 1/10 itself): b and lam are
    certified; another fixed value under the same enclosures is rejected."""
    from selu_theory import user_activation
    monkeypatch.setenv("SELU_THEORY_CACHE", str(tmp_path / "cache"))
    uid = user_activation.register("x>=0: lam*x - lam*b; x<0: lam*c*x - lam*b")
    sol, done = certify_fixed_point(uid, 0, 1, fixed={"c": "0.1"})
    assert done.proved, done.reason
    part = done.certificate.parts[0]
    assert part.fixed == ("c",) and [r[:3] for r in part.parameters if r[0] == "c"] == [("c", "0.1", "0.1")]
    body = _body(done)

    def edit(p):
        row = next(r for r in p["parameters"] if r[0] == "c")
        row[1] = row[2] = "0.2"
    assert "do not contain the Krawczyk replay" in _rejected(_forged(body, edit))
