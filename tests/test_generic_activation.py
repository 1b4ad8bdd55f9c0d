"""The runtime for activations other than SELU: evaluation, the certified fixed-point
solver, certificates, claim ids and the CLI's activation options.

The oracle here is independent of the package: each activation is written out below as a
plain function, and its Gaussian moments are mpmath quadratures of the defining
integrals (never our kernels or closed forms).  Derivatives in (m, v) are taken under the
integral sign on the Gaussian density (tests/oracle_mpmath.py explains why):
dE[f]/dm = E[f(z) u]/s, dE[f]/dv = E[f(z) (u^2 - 1)]/(2v), z = m + s u.
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest
from flint import arb

from selu_theory import base_enclosures, grid_kernels
from selu_theory.ball import fraction_bounds
from selu_theory.evaluate import Evaluator
from selu_theory.expr import parse
from selu_theory.fixed_point import FixedPointError, Unreachable, solve_parameters
from selu_theory.kernel_loader import load_kernels
from selu_theory.params import Params
from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import scaled_claims as SC
from verification.certify import certificate_id, certify_part
from verification.cli import main
from verification.domain import Domain
from verification.engine import Runner

MP = mpmath.MPContext()
MP.dps = 40
CUT = 14  # |u| <= CUT: the Gaussian tail beyond is below 1e-40 relative to these moments


# --------------------------------------------------------------------------- the oracle

def _serlu(x, alpha, lam):
    return lam * x if x >= 0 else lam * alpha * x * MP.exp(x)


def _relu(x, b, lam):
    return lam * (max(x, 0) - b)


def _celu(x, alpha, lam):
    return lam * (max(x, 0) + min(0, alpha * (MP.exp(x / alpha) - 1)))


def _elu(x, alpha):
    return x if x >= 0 else alpha * (MP.exp(x) - 1)


ORACLE = {"serlu": _serlu, "relu": _relu, "celu": _celu, "elu": _elu}


def _mp(x) -> mpmath.mpf:
    q = Fraction(x)
    return MP.mpf(q.numerator) / q.denominator


def gaussian_moments(activation, params, m, v):
    """(mu~, xi~, dmu~/dm, dxi~/dm, dmu~/dv, dxi~/dv) of E f(z), E f(z)^2, z ~ N(m, v),
    by quadrature split at the kink u0 = -m/s (each piece analytic)."""
    f = ORACLE[activation]
    m, v = _mp(m), _mp(v)
    s = MP.sqrt(v)
    u0 = -m / s
    pts = [-CUT, u0, CUT] if -CUT < u0 < CUT else [-CUT, CUT]
    phi = lambda u: MP.exp(-u * u / 2) / MP.sqrt(2 * MP.pi)  # noqa: E731

    def E(g):
        return MP.quad(lambda u: g(m + s * u, u) * phi(u), pts)

    mu = E(lambda z, u: f(z, *params))
    xi = E(lambda z, u: f(z, *params) ** 2)
    mu_m = E(lambda z, u: f(z, *params) * u) / s
    xi_m = E(lambda z, u: f(z, *params) ** 2 * u) / s
    mu_v = E(lambda z, u: f(z, *params) * (u * u - 1)) / (2 * v)
    xi_v = E(lambda z, u: f(z, *params) ** 2 * (u * u - 1)) / (2 * v)
    return mu, xi, mu_m, xi_m, mu_v, xi_v


def _close(b: arb, x, slack=mpmath.mpf("1e-25")) -> bool:
    """The ball holds x, up to the oracle's own error (far below every radius here)."""
    lo, hi = fraction_bounds(b)
    return _mp(lo) - slack <= x <= _mp(hi) + slack


# --------------------------------------------------------------------------- evaluation

CASES = [
    ("serlu", {"alpha": "2.9", "lam": "1.08"}, ("0.3", "1", "1.2", "1")),
    ("serlu", {"alpha": "1.5", "lam": "0.7"}, ("-0.8", "1", "0.4", "1")),
    ("relu", {"b": "0.4", "lam": "1.7"}, ("0.1", "1", "0.9", "1")),
    ("celu", {"alpha": "0.7", "lam": "1.3"}, ("-0.2", "1", "2.5", "1")),
    ("elu", {"alpha": "1.2"}, ("0.05", "1", "0.6", "1")),
]


@pytest.mark.parametrize("activation,values,point", CASES)
def test_evaluator_matches_quadrature_of_the_defining_integrals(activation, values, point):
    params = Params(activation=activation, **values)
    m, v = Fraction(point[0]) * Fraction(point[1]), Fraction(point[2]) * Fraction(point[3])
    mu, xi, mu_m, xi_m, mu_v, xi_v = gaussian_moments(activation, [_mp(values[n]) for n in params.names], m, v)
    expect = {"mu_tilde": mu, "xi_tilde": xi, "nu_tilde": xi - mu * mu, "dmu_dm": mu_m, "dxi_dv": xi_v,
              "dnu_dv": xi_v - 2 * mu * mu_v, "dnu_dm": xi_m - 2 * mu * mu_m}
    for name, x in expect.items():
        got = Evaluator(parse(name, activation), params, 128).point(tuple(Fraction(p) for p in point))
        assert got.rad() < arb("1e-20"), (name, got)
        assert _close(got, x), (activation, name, got.str(20), MP.nstr(x, 20))


def test_a_non_selu_activation_never_uses_selus_kernels():
    """serlu has SELU's parameter names (alpha, lam): a SELU kernel used by mistake would
    give SELU's numbers without any error.  The base functions need the activation named
    (no default), and the evaluator's values are serlu's, far from SELU's."""
    with pytest.raises(TypeError):
        base_enclosures.at_point("moments", arb(0), arb(1), (arb(2), arb(1)), 0)  # no activation: refused
    pt = (Fraction(0), Fraction(0), Fraction(1), Fraction(1))
    serlu = Evaluator(parse("mu_tilde", "serlu"), Params(activation="serlu", alpha="2.9", lam="1.08")).point(pt)
    selu = Evaluator(parse("mu_tilde"), Params(alpha="2.9", lam="1.08")).point(pt)
    direct = load_kernels("serlu", "ball_kernels").moments_order0(arb(0), arb(1), arb("2.9"), arb("1.08"))[0]
    assert serlu.overlaps(direct) and not serlu.overlaps(selu)
    # the grid sweeps are serlu's own (tests/test_grid_activations.py: against quadrature)
    assert grid_kernels.kernels_for("serlu").sweep_S is not grid_kernels.sweep_S
    # the box jets too: an interval evaluation holds the quadrature value at its centre
    jet = Evaluator(parse("nu_tilde", "relu"), Params(activation="relu")).box(
        ((Fraction(0), Fraction(0)), (Fraction(0), Fraction(0)), (Fraction(99, 100), Fraction(101, 100)),
         (Fraction(1), Fraction(1))))
    mu, xi, *_ = gaussian_moments("relu", [_mp("0.3989422804"), _mp("1.712858550")], 0, 1)
    assert _close(jet.val, xi - mu * mu)


def test_quantity_names_are_the_activations():
    with pytest.raises(Exception, match="b"):
        parse("mu_tilde + b")  # not a SELU name
    assert parse("mu_tilde + b", "relu").names
    with pytest.raises(ValueError, match="not quantities of relu"):
        Evaluator(parse("alpha + mu_tilde"), Params(activation="relu"))


# --------------------------------------------------------------------------- the fixed-point solver

def _mp_solve(activation, names, start, mu_star=0, nu_star=1):
    """An independent solution of mu~ = mu*, nu~ = nu* at (m, v) = (0, nu*) (omega = 0):
    mpmath.findroot on the quadrature moments."""
    with MP.workdps(40):
        def F(*p):
            mu, xi, *_ = gaussian_moments(activation, list(p), 0, nu_star)
            return [mu - _mp(mu_star), xi - mu * mu - _mp(nu_star)]
        return MP.findroot(F, [MP.mpf(x) for x in start], tol=MP.mpf(10) ** -30)


@pytest.mark.parametrize("activation", ["serlu", "relu"])
def test_solved_parameters_contain_an_independent_mpmath_solution(activation):
    sol = solve_parameters(activation, 0, 1, bits=128)
    names = tuple(sol.balls)
    root = _mp_solve(activation, names, [sol.floats[n] for n in names])
    for n, x in zip(names, root):
        assert _close(sol.balls[n], x, slack=mpmath.mpf("1e-28")), (n, sol.balls[n], x)
        assert sol.balls[n].rad() < arb("1e-30")
        # a relative perturbation of 1e-25 leaves the enclosure
        assert not _close(sol.balls[n], x * (1 + MP.mpf("1e-25")), slack=0)
    # the exact decimals in .params lie inside the certified balls
    for n, b in sol.balls.items():
        lo, hi = fraction_bounds(b)
        assert lo <= Fraction(sol.params.specs[n]) <= hi
    assert sol.unique


def test_serlu_reproduces_the_published_parameters_and_is_stable():
    """Zhang & Li (2018) publish alpha = 2.90427, lambda = 1.07862 for the fixed point (0, 1)."""
    sol = solve_parameters("serlu", 0, 1)
    assert round(sol.floats["alpha"], 5) == 2.90427 and round(sol.floats["lam"], 5) == 1.07862
    assert sol.stable is True and sol.S < 1 and sol.globally_unique
    generic = solve_parameters("serlu", 0, 1, method="krawczyk")  # the n-D path agrees with the fast one
    assert all(generic.balls[n].overlaps(sol.balls[n]) for n in sol.balls) and generic.S.overlaps(sol.S)
    # S from the oracle: with omega = 0 the Jacobian's first column is 0, so
    # S = sqrt(J12^2 + J22^2), J12 = dmu~/dv, J22 = dnu~/dv at the published-to-40-digits root
    p = [_mp(fraction_bounds(sol.balls[n])[0]) for n in ("alpha", "lam")]
    mu, xi, mu_m, xi_m, mu_v, xi_v = gaussian_moments("serlu", p, 0, 1)
    S = MP.sqrt(mu_v ** 2 + (xi_v - 2 * mu * mu_v) ** 2)
    assert _close(sol.S, S, slack=mpmath.mpf("1e-20")) and 0.6357 < S < 0.6358


def test_relu_reaches_zero_one_but_is_not_stable():
    sol = solve_parameters("relu", 0, 1)
    # positively homogeneous: at mu = 0 the variance map is linear, J22 = 1 exactly
    assert sol.jacobian[1][1].contains(1) and sol.stable is False and sol.S > 1


def test_selu_through_the_generic_solver_is_unchanged():
    fast = solve_parameters("selu", "-0.1", "2", omega=1)
    generic = solve_parameters("selu", "-0.1", "2", omega=1, method="krawczyk")
    assert fast.selu is not None and fast.globally_unique and not generic.globally_unique
    assert all(generic.balls[n].overlaps(fast.balls[n]) for n in ("alpha", "lam"))
    assert solve_parameters("selu", 0, 1).params == Params()


def test_one_parameter_elu_is_certified_unreachable():
    with pytest.raises(Unreachable, match=r"^by Arb ball arithmetic \(no replayed certificate\): mu~ = 0 .* forces alpha = \[1\.6732.*nu~ = \[0\.9058"):
        solve_parameters("elu", 0, 1)


@pytest.mark.parametrize("activation,target,needle", [
    ("celu", (0, 1), "by Arb ball arithmetic (no replayed certificate): mu~ stays above 0 (for every lam) for every alpha in [0.01, 10000]"),
    ("relu", (1, 1), "by Arb ball arithmetic (no replayed certificate): mu~/sqrt(nu~) stays below mu*/sqrt(nu*) = 1.0000000 (for every lam) "
                     "for every b in [0.01, 100]"),
])
def test_unreachable_targets_of_scale_activations_are_certified(activation, target, needle):
    """celu: alpha (exp(x/alpha) - 1) > x for x < 0, so mu~ > E z = 0 for every alpha;
    relu: mu~/sqrt(nu~) = (E max(0, z) - b)/sd(max(0, z)) < 0.684 for b > 0."""
    with pytest.raises(Unreachable) as info:
        solve_parameters(activation, *target)
    assert needle in str(info.value)


def test_solver_input_errors():
    with pytest.raises(FixedPointError, match="no parameter"):
        solve_parameters("relu", 0, 1, fixed={"alpha": "1"})
    with pytest.raises(FixedPointError, match="nu_star"):
        solve_parameters("serlu", 0, -1)


# --------------------------------------------------------------------------- certificates and claim ids

def test_serlu_bound_certificate_replays_and_its_false_twin_is_not_proved(tmp_path):
    params = Params(activation="serlu")
    d = Domain(((Fraction(0), Fraction(0)), (Fraction(0), Fraction(0)), (Fraction(9, 10), Fraction(11, 10)),
                (Fraction(1), Fraction(1))))
    with Runner(1) as r:
        pr, done = certify_part(C.Extremum("bound", "nu_tilde", "max", d, tol=1e-9), params, r,
                                tmp_path / "max.json")
        assert pr.status == "proved" and done.check.ok
        lo, hi = pr.enclosure
        true_bound = C.Extremum("bound", "nu_tilde", "max", d, threshold=repr(hi + 1e-8), tol=C.NO_TOL)
        false_twin = C.Extremum("bound", "nu_tilde", "max", d, threshold=repr(lo - 1e-8), tol=C.NO_TOL)
        ok, done_ok = certify_part(true_bound, params, r, tmp_path / "ok.json")
        bad, _ = certify_part(false_twin, params, r, tmp_path / "bad.json")
    assert ok.status == "proved" and bad.status != "proved"
    body = json.loads((tmp_path / "ok.json").read_text())
    assert body["activation"]["id"] == "serlu" and body["params"] == {"alpha": "2.90427", "lambda": "1.07862"}
    assert checker.check(tmp_path / "ok.json").status == "proved"
    assert "(serlu: alpha=2.90427, lambda=1.07862)" in checker.check(tmp_path / "ok.json").proves
    # forged: the same parts relabelled as SELU's (its kernels' hash differs) -> rejected
    forged = dict(body, activation={"id": "selu", "kernels_input_sha256": body["activation"]["kernels_input_sha256"]})
    forged["sha256"] = cert_io.digest(forged)
    assert not checker.check(forged).ok
    # a parameter of another activation -> rejected
    forged = dict(body, params={"b": "0.4", "lambda": "1.07862"})
    forged["sha256"] = cert_io.digest(forged)
    res = checker.check(forged)
    assert not res.ok and "parameters" in " ".join(res.messages)


def test_claim_ids_of_another_activation_are_never_selus():
    params = Params(activation="serlu")
    claims = SC.theorem_claims(params, (0, 1))
    for c in claims:
        assert C.REGISTRY.get(c.id) is None and "@serlu," in c.id
        assert certificate_id(c, params) == c.id
    bound = C.Claim("thm1-contraction", "t", "s", "r", claims[1].parts, params=params)
    assert certificate_id(bound, params).startswith("thm1-contraction@activation=serlu,alpha=")


# --------------------------------------------------------------------------- CLI

@pytest.mark.parametrize("args,needle", [
    (["bound", "S", "--max", "--activation", "relu", "--param", "alpha=1"], "its parameters: b, lam"),
    (["bound", "S", "--max", "--activation", "elu", "--lambda", "1"], "its parameters: alpha"),
    (["bound", "S", "--max", "--activation", "relu", "--alpha", "1"], "relu has no parameter 'alpha'"),
    (["bound", "S", "--max", "--param", "alpha"], "NAME=VALUE"),
    (["bound", "S", "--max", "--param", "alpha=-2"], "positive"),
    (["bound", "S", "--max", "--activation", "tanh"], "unknown activation 'tanh'"),
    (["bound", "S", "--max", "--param", "alpha=1", "--alpha", "2"], "given twice"),
    (["params", "--activation", "relu", "--param", "c=1"], "its parameters: b, lam"),
    (["theorems", "--activation", "serlu", "--param", "beta=1"], "its parameters: alpha, lam"),
    (["grid", "S", "--max", "--activation", "serlu", "--steps", "nu=0.1"], "--steps is missing mu"),
    (["atlas", "--activation", "relu", "--param", "b=1", "--in-process"], "--param is not used"),
])
def test_activation_option_errors_are_one_line_exit_2(args, needle, capsys):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert needle in err and err.count("\n") == 1 and "Traceback" not in out + err


def test_params_cli_for_serlu_and_elu(tmp_path, capsys):
    js = tmp_path / "p.json"
    assert main(["params", "--activation", "serlu", "--fixed-point", "0", "1", "--json", str(js)]) == 0
    data = json.loads(js.read_text())
    assert data["activation"] == "serlu" and data["stable"] is True and data["globally_unique"]
    assert data["alpha"]["text"].startswith("[2.904271233") and data["lambda"]["text"].startswith("[1.07861828")
    capsys.readouterr()
    assert main(["params", "--activation", "elu", "--fixed-point", "0", "1"]) == 1
    out, _ = capsys.readouterr()
    assert "unreachable: by Arb ball arithmetic" in out


def test_domain_claim_ids_carry_the_activation():
    from verification import domain_search as DS
    d = SC.OMEGA_SHAPE.domain(SC.PAPER_CENTRE)
    selu = DS.domain_claim("thm2", "thm2", d, Params(), SC.PAPER_CENTRE)
    serlu = DS.domain_claim("thm2", "thm2", d, Params(activation="serlu"), SC.PAPER_CENTRE)
    assert selu.id == "domain-thm2@mu*=0,nu*=1,omega=0,tau=1"  # unchanged
    assert serlu.id == "domain-thm2@serlu,mu*=0,nu*=1,omega=0,tau=1"


def test_params_cli_elu_at_alpha_one_has_only_the_degenerate_fixed_point(tmp_path, capsys):
    """ELU (alpha = 1, its default): the variance shrinks everywhere on [0.01, 100], so the
    only fixed point is the degenerate nu = 0; the bound is certified (and replayed)."""
    js = tmp_path / "e.json"
    assert main(["params", "--activation", "elu", "--json", str(js)]) == 1
    out, _ = capsys.readouterr()
    data = json.loads(js.read_text())
    assert data["status"] == "no fixed point" and data["variance_shrinks"].startswith("certified: nu~ < nu")
    assert "degenerate fixed point nu = 0" in out
