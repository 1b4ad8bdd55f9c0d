"""The mirror symmetry (mu, omega) -> (-mu, -omega) in proofs: the prover's and the
checker's parity analyses, half-domain trees and mirrored parts, forged mirror claims."""
import ast
import copy
import pathlib
from fractions import Fraction

import pytest

from oracle_mpmath import MP, MomentOracle, to_mpf
from selu_theory.expr import parse
from verification import certificate as cert_io
from verification import certify, checker, prove, symmetry
from verification import grid_certificate as gc
from verification.claim_types import NO_TOL, Claim, Extremum
from verification.domain import Domain
from verification.engine import Runner

# (expression, parity) by hand, from the mathematics (symmetry's docstring)
CASES = [
    ("S", "even"), ("dS_dmu", "odd"), ("dS_domega", "odd"), ("dS_dnu", "even"), ("dS_dtau", "even"),
    ("J11", "odd"), ("J21", "odd"), ("J12", "even"), ("J22", "even"), ("mu_tilde", "even"),
    ("nu_tilde - nu", "even"), ("dmu_dmu", "odd"), ("dxi_domega", "odd"), ("dnu_dnu", "even"),
    ("dmu_dm", "even"), ("mu*omega", "even"), ("mu**2", "even"), ("mu**3", "odd"), ("mu**-3", "odd"),
    ("mu**0", "even"), ("sqrt(mu**2)", "even"), ("exp(S)", "even"), ("-dS_domega", "odd"), ("1/mu", "odd"),
    ("J11*J12", "odd"), ("J11**2 + J21**2", "even"), ("mu*nu", "odd"), ("2*J11 - dS_dmu/3", "odd"),
    ("(J11*J12 + J21*J22)**2", "even"), ("alpha*lam*pi", "even"),
    # unknown: sums of different parities, functions of a non-even argument
    ("mu + nu", None), ("mu*omega + mu", None), ("exp(mu)", None), ("sqrt(J11)", None), ("mu + 0", None),
    ("S + dS_dmu", None), ("exp(mu)*mu", None),
]


@pytest.mark.parametrize("text,want", CASES)
def test_parity_analyses_agree_with_the_mathematics(text, want):
    assert symmetry.parity(text, "selu") == want
    assert checker.mirror_parity(text) == (want or "unknown")


def test_dropout_variables_are_even():
    assert symmetry.parity("rate*S", "selu") == "even"
    assert checker.mirror_parity("q*dS_dmu") == "odd"


# --------------------------------------------------------------------------- the oracle

class _MPOps:
    @staticmethod
    def const(q):
        return MP.mpf(q.numerator) / q.denominator

    sqrt, exp = staticmethod(MP.sqrt), staticmethod(MP.exp)

    @staticmethod
    def ipow(x, n):
        return x ** n


ORACLE = MomentOracle()


def _at(text, point):
    env = ORACLE.quantities(point)
    return parse(text).evaluate(env, _MPOps)


@pytest.mark.parametrize("text", ["S", "J11*J22 + J21", "mu*nu_tilde + J11", "J12*mu + omega*mu**2",
                                  "mu + nu", "mu*omega + mu"])
def test_parity_against_quadrature(text):
    """f(-mu, -omega, nu, tau) against +-f(mu, omega, nu, tau), from the defining
    integrals (tests/oracle_mpmath.py), at two points; the analysis only says which of
    even, odd or neither it claims."""
    got = set()
    for pt in (("0.07", "-0.03", "1.1", "0.97"), ("-0.02", "0.09", "0.9", "1.2")):
        x = _at(text, pt)
        y = _at(text, (str(-Fraction(pt[0])), str(-Fraction(pt[1]))) + pt[2:])
        got.add("even" if abs(x - y) < 1e-12 else "odd" if abs(x + y) < 1e-12 else None)
    claimed = symmetry.parity(text, "selu")
    if claimed is None:
        assert got == {None}, got
    else:
        assert got == {claimed}


def test_dS_dmu_is_odd_by_finite_differences():
    """dS/dmu and dS/dnu at a point and its mirror, by central differences of the
    oracle's S."""
    h = MP.mpf("1e-6")

    def S(mu, omega, nu, tau):
        return ORACLE.quantities((mu, omega, nu, tau), ("S",))["S"]

    def d(i, pt):
        up, dn = list(pt), list(pt)
        up[i] = Fraction(up[i]) + Fraction(1, 10 ** 6)
        dn[i] = Fraction(dn[i]) - Fraction(1, 10 ** 6)
        return (S(*up) - S(*dn)) / (2 * h)

    pt = (Fraction(6, 100), Fraction(-4, 100), Fraction(11, 10), Fraction(1))
    mirror = (-pt[0], -pt[1], pt[2], pt[3])
    assert abs(d(0, pt) + d(0, mirror)) < 1e-7 and abs(d(0, pt)) > 1e-4   # odd, not zero
    assert abs(d(2, pt) - d(2, mirror)) < 1e-7                             # even
    assert symmetry.parity("dS_dmu", "selu") == "odd" and symmetry.parity("dS_dnu", "selu") == "even"
    assert to_mpf(1) == 1


# --------------------------------------------------------------------------- certificates

SMALL = Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"), nu=("1", "1.1"), tau=("1", "1.05"))


def _claim(parts):
    return Claim("mirror-test", "mirror test", "parts proved through the mirror", "tests", parts)


def _certified(parts, workers=1):
    claim = _claim(parts)
    with Runner(workers) as r:
        res = prove.run_claim(claim, r)
    cert = certify.seal(claim, claim.params, [p.record for p in res.parts])
    return res, cert.to_json()


@pytest.fixture(scope="module")
def mirrored():
    """An even expression (S) with min and max, an odd one (J11) with min and max."""
    parts = (Extremum("S.max", "S", "max", SMALL, threshold="1", tol=NO_TOL),
             Extremum("J11.max", "J11", "max", SMALL, threshold="0.1", tol=NO_TOL),
             Extremum("J11.min", "J11", "min", SMALL, threshold="-0.1", tol=NO_TOL))
    return _certified(parts)


def _part(body, key):
    return next(p for p in body["parts"] if p["key"] == key)


def _check(body):
    """Replay an edited body, resealed with the statement its parts now make (so that
    only the mirror checks can reject it)."""
    b = cert_io.seal(body)
    c = cert_io.Certificate.from_json(b)
    b["statement"] = cert_io.rebuilt_statement(c.params, c.parts, c.activation)
    return checker.check(cert_io.seal(b))


def test_mirrored_parts_prove_and_replay(mirrored):
    res, body = mirrored
    assert res.status == "proved"
    assert _part(body, "S.max")["mirror"] == {"parity": "even", "half": ["0", "1/10"]}
    assert float.fromhex(_part(body, "S.max")["box"][0][0]) == 0.0
    assert _part(body, "J11.min")["mirror"] == {"parity": "odd", "of": "J11.max"}
    assert _part(body, "J11.min")["tree"] == []
    assert "mirror" not in _part(body, "J11.max")
    lo, hi = (float.fromhex(x) for x in _part(body, "J11.max")["enclosure"])
    assert [float.fromhex(x) for x in _part(body, "J11.min")["enclosure"]] == [-hi, -lo]
    chk = checker.check(body)
    assert chk.ok and chk.status == "proved", chk.messages


def _edit(body, key, fn):
    b = copy.deepcopy(body)
    fn(_part(b, key))
    return b


def test_even_claimed_for_an_odd_or_unknown_expression_is_rejected(mirrored):
    _, body = mirrored
    # J11 is odd: its max part forged as an even half-domain proof (its real tree kept)
    b = _edit(body, "J11.max", lambda p: p.update(mirror={"parity": "even", "half": ["0", "1/10"]}))
    assert not _check(b).ok and "checker finds it odd" in _check(b).messages[0]
    # an unknown expression (mu + S) under S's half-domain tree
    b = _edit(body, "S.max", lambda p: p.update(expr="S + mu"))
    chk = _check(b)
    assert not chk.ok and "unknown" in chk.messages[0]
    # odd claimed for the even S
    b = _edit(body, "S.max", lambda p: p.update(mirror={"parity": "odd", "of": "J11.max"}))
    assert not _check(b).ok


def test_a_domain_that_is_not_symmetric_is_rejected(mirrored):
    _, body = mirrored
    b = _edit(body, "S.max", lambda p: p["domain"].update(mu=["-1/10", "11/100"]))
    chk = _check(b)
    assert not chk.ok and "not mirror-symmetric" in chk.messages[0]
    b = _edit(body, "S.max", lambda p: p["domain"].update(omega=["-1/10", "11/100"]))
    assert "not mirror-symmetric" in _check(b).messages[0]


def test_a_half_tree_not_covering_mu_from_0_is_rejected(mirrored):
    _, body = mirrored
    # the recorded half says mu >= 0.01
    b = _edit(body, "S.max", lambda p: p["mirror"].update(half=["1/100", "1/10"]))
    chk = _check(b)
    assert not chk.ok and "half domain" in chk.messages[0]

    # the tree's root starts at mu = 0.01 while the half says 0
    def shift_root(p):
        p["box"][0][0] = (0.01).hex()
    b = _edit(body, "S.max", shift_root)
    chk = _check(b)
    assert not chk.ok and "root box" in chk.messages[0]


def test_a_mirrored_part_needs_its_partner(mirrored):
    _, body = mirrored
    for fn, why in ((lambda p: p["mirror"].update(of="S.max"), "same expression"),
                    (lambda p: p["mirror"].update(of="nothing"), "not in the certificate"),
                    (lambda p: p.update(enclosure=[p["enclosure"][0], (-1.0).hex()]), None)):
        chk = _check(_edit(body, "J11.min", fn))
        assert not chk.ok, chk.messages
        assert why is None or why in chk.messages[0], chk.messages
    # alone (as a grid certificate replays one part) it is not accepted
    typed = cert_io.part_from_json(_part(body, "J11.min"))
    with pytest.raises(checker.Rejected):
        checker.check_extremum(typed, prove.C.get("thm1-contraction").params)


def test_mirror_on_a_product_reduced_pair_is_rejected(mirrored):
    """On the (m, v) rectangle the half mu >= 0 would be m >= 0: not a mirror image."""
    _, body = mirrored
    b = _edit(body, "S.max", lambda p: p.update(reduced=[True, False]))
    chk = _check(b)
    assert not chk.ok and "searched as a product" in chk.messages[0]


def test_a_half_tree_without_its_mirror_record_is_rejected(mirrored):
    _, body = mirrored
    b = _edit(body, "S.max", lambda p: p.pop("mirror"))
    chk = _check(b)
    assert not chk.ok and "root box" in chk.messages[0]


def test_the_checker_does_not_import_the_prover_side():
    tree = ast.parse(pathlib.Path(checker.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not any("symmetry" in n or "engine" in n for n in names), names


def test_false_twin_of_an_even_extremum_is_not_proved(mirrored):
    """Threshold just below the certified max of the even S: not proved (disproved by a
    point of the half domain, which the checker evaluates)."""
    res, _ = mirrored
    hi = res.parts[0].enclosure[1]
    lo = res.parts[0].enclosure[0]
    twin = Fraction(lo) - (Fraction(hi) - Fraction(lo)) - Fraction(1, 10 ** 9)
    r2, body = _certified((Extremum("S.max", "S", "max", SMALL, threshold=str(twin), tol=NO_TOL),))
    assert r2.status != "proved"
    chk = checker.check(body)
    assert chk.ok and chk.status == r2.status


def test_mirrored_certificates_do_not_depend_on_workers():
    parts = (Extremum("J11.max", "J11", "max", SMALL, threshold="0.1", tol=NO_TOL),
             Extremum("J11.min", "J11", "min", SMALL, threshold="-0.1", tol=NO_TOL),
             Extremum("S.max", "S", "max", SMALL, threshold="1", tol=NO_TOL))
    _, one = _certified(parts, 1)
    _, two = _certified(parts, 2)
    assert one == two


def test_a_grid_factor_replays_a_mirrored_part_with_its_partner(mirrored):
    """paper-grid embeds a claim's max and min parts per factor; the min part of an odd
    factor is the max part's mirror and is replayed with it, never alone."""
    _, body = mirrored
    params = prove.C.get("thm1-contraction").params
    parts = [_part(body, "J11.max"), _part(body, "J11.min")]
    assert gc._factor_bound({"expr": "J11", "bound": "0.1", "parts": parts}, params, SMALL, 1) == Fraction(1, 10)
    twice = [_part(body, "J11.min"), _part(body, "J11.min")]
    with pytest.raises(gc.GridRejected):
        gc._factor_bound({"expr": "J11", "bound": "0.1", "parts": twice}, params, SMALL, 1)


def test_false_twin_of_an_odd_pair_is_disproved_on_both_sides(mirrored):
    """Thresholds +-t just inside the certified |J11| max: the max part is disproved by a
    point, the mirrored min part by the mirrored point, each evaluated by the checker."""
    res, _ = mirrored
    lo, hi = next(p for p in res.parts if p.key == "J11.max").enclosure
    t = Fraction(lo) - Fraction(1, 10 ** 6)
    r2, body = _certified((Extremum("J11.max", "J11", "max", SMALL, threshold=str(t), tol=NO_TOL),
                           Extremum("J11.min", "J11", "min", SMALL, threshold=str(-t), tol=NO_TOL)))
    assert [p.status for p in r2.parts] == ["disproved", "disproved"]
    mx, mn = _part(body, "J11.max"), _part(body, "J11.min")
    assert mn["mirror"] == {"parity": "odd", "of": "J11.max"}
    assert [Fraction(x) for x in mn["counterexample"]["point"][:2]] == \
        [-Fraction(x) for x in mx["counterexample"]["point"][:2]]
    chk = checker.check(body)
    assert chk.ok and chk.status == "disproved", chk.messages
    # a mirrored part may not borrow a proof from a disproved partner
    b = _edit(body, "J11.min", lambda p: p.update(status="proved", counterexample=None))
    chk = _check(b)
    assert not chk.ok and "mirrors is disproved" in chk.messages[0], chk.messages


def test_a_grid_replay_does_not_remember_a_mirrored_part_whose_partner_failed(mirrored):
    """A mirrored part holds only with its partner: after a replay where the partner was
    rejected, the same mirrored part must be judged again against the next partner."""
    _, body = mirrored
    params = prove.C.get("thm1-contraction").params
    mx, mn = copy.deepcopy(_part(body, "J11.max")), copy.deepcopy(_part(body, "J11.min"))
    hi = float.fromhex(mx["enclosure"][1])
    lo = float.fromhex(mx["enclosure"][0])
    tight = (lo + (hi - lo) / 2 - 1e-7)          # below the true max: the max tree fails
    mx_forged = dict(mx, enclosure=[mx["enclosure"][0], tight.hex()])
    mn_forged = dict(mn, enclosure=[(-tight).hex(), mn["enclosure"][1]])
    with pytest.raises(gc.GridRejected):
        gc._factor_bound({"expr": "J11", "bound": "0.1", "parts": [mn_forged, mx_forged]}, params, SMALL, 1)
    with pytest.raises(gc.GridRejected, match="not its mirror"):
        gc._factor_bound({"expr": "J11", "bound": "0.1", "parts": [mn_forged, mx]}, params, SMALL, 1)
