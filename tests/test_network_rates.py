"""selu-verify network --rates (verification/network_rates.py): per-rate certified fixed
points, Jacobian entries, S and stability of the composed layer map.

Oracle: tests/oracle_mpmath.py (SELU's moments and their v-derivatives as mpmath
quadratures of the defining integrals).  For alpha dropout the composed map's variance
N(nu) is computed here by one direct quadrature of the dropped-out, corrected output
y = a d + b (no use of our moment algebra) and differentiated with mpmath.diff; for
standard dropout the fixed point is found by Newton's method on the oracle's X(xi).
The certified enclosures must contain the oracle's values.
"""
from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle_mpmath as O  # noqa: E402

from verification import api  # noqa: E402
from verification import network as NW  # noqa: E402
from verification import network_rates as NR  # noqa: E402

ORACLE = O.MomentOracle()
MP = O.MP
AP = -ORACLE.alpha * ORACLE.lam                 # alpha' = -lambda alpha (the oracle's own)
SLACK = 1e-12                                   # the oracle's error is far below this


def inside(x, pair, slack=SLACK):
    return pair[0] - slack <= float(x) <= pair[1] + slack


CTX = mpmath.MPContext()
CTX.dps = 25                                    # enough for 1e-10; keeps mpmath.diff quick
AP25 = CTX.mpf(str(AP))


def alpha_output(nu, rate):
    """(E y, Var y) of y = a d + b, d = selu(z) w.p. q else alpha', z ~ N(0, nu), with
    the paper's a = (q + alpha'^2 q (1-q))^(-1/2), b = -a (1 - q) alpha', by quadrature."""
    q = 1 - CTX.mpf(rate)
    a = (q + AP25 ** 2 * q * (1 - q)) ** CTX.mpf(-0.5)
    b = -a * (1 - q) * AP25
    lam, alpha = CTX.mpf(str(ORACLE.lam)), CTX.mpf(str(ORACLE.alpha))
    selu = lambda x: lam * x if x > 0 else lam * alpha * CTX.expm1(x)
    s = CTX.sqrt(nu)
    dens = lambda u: CTX.exp(-u * u / 2) / CTX.sqrt(2 * CTX.pi)
    e1 = CTX.quad(lambda u: (a * selu(s * u) + b) * dens(u), [-CTX.inf, 0, CTX.inf])
    e2 = CTX.quad(lambda u: (a * selu(s * u) + b) ** 2 * dens(u), [-CTX.inf, 0, CTX.inf])
    dropped = a * AP25 + b
    m1 = q * e1 + (1 - q) * dropped
    return m1, q * e2 + (1 - q) * dropped ** 2 - m1 ** 2


@pytest.fixture(scope="module")
def alpha_table():
    return api.network_rates("pytorch:kaiming_normal:linear", 512, "alpha", "0,0.1")


def test_alpha_rows_against_direct_quadrature(alpha_table):
    """At tau = 1 every rate keeps (0, 1); J12 = dM/dnu, J22 = dN/dnu and S there match
    mpmath.diff of the direct quadrature; stable (rho = J22 < 1)."""
    assert alpha_table.certified and [r.rate for r in alpha_table.rows] == [0, Fraction(1, 10)]
    for row in alpha_table.rows:
        assert inside(0, row.mu_star) and inside(1, row.nu_star)
        if row.rate == 0:      # no dropout: the oracle's own v-derivatives at (0, 1)
            m = ORACLE.moments(0, 1)
            j12, j22 = m["dmu_dv"], m["dxi_dv"] - 2 * m["mu"] * m["dmu_dv"]
        else:                  # the direct quadrature of the dropped-out output, differentiated
            rate = CTX.mpf(row.rate.numerator) / row.rate.denominator
            j12 = CTX.diff(lambda nu: alpha_output(nu, rate)[0], 1)
            j22 = CTX.diff(lambda nu: alpha_output(nu, rate)[1], 1)
        assert inside(j12, row.j12, 1e-10) and inside(j22, row.j22, 1e-10), (row.rate, j12, j22)
        assert inside(CTX.sqrt(j12 ** 2 + j22 ** 2), row.s, 1e-10)
        assert inside(j22, row.rho, 1e-10)      # at mu* = 0 the ensemble's X' is N'
        assert row.stable is True
        assert row.j12[1] - row.j12[0] < 1e-7 and row.s[1] - row.s[0] < 1e-7
    # alpha dropout contracts faster: S falls with the rate
    assert alpha_table.rows[1].s[1] < alpha_table.rows[0].s[0]


def oracle_xi_star(q, start):
    """xi = xi~(0, xi) / q by Newton on the oracle (standard dropout, tau = 1)."""
    x = mpmath.mpf(start)
    for _ in range(20):
        m = ORACLE.moments(0, O.to_fraction(x))
        step = (m["xi"] / q - x) / (m["dxi_dv"] / q - 1)
        x -= step
        if abs(step) < mpmath.mpf("1e-25"):
            break
    return x


def test_standard_rows_against_the_oracle():
    """Standard dropout: the fixed point leaves (0, 1) (certified enclosures contain the
    oracle's), stays stable at 0.1 and 0.3; at 0.5 the ensemble variance has no fixed
    point (lambda^2 / (2 q) > 1): certified X(xi)/xi > 1 on [1e-6, 1e6], and the
    oracle agrees at a few points."""
    t = api.network_rates("pytorch:kaiming_normal:linear", 512, "standard", ["0.1", "0.3", "0.5"])
    r1, r3, r5 = t.rows
    assert t.certified and r5.status == NR.NO_FIXED_POINT and r5.mu_star is None
    assert r5.ratio[0] > 1 and "grows" in r5.reason
    for xi in ("0.001", "1", "1000"):
        m = ORACLE.moments(0, Fraction(xi), derivatives=False)
        assert m["xi"] / MP.mpf("0.5") / MP.mpf(xi) > r5.ratio[0] - SLACK
    for row, start in ((r1, "1.6"), (r3, "6")):
        assert row.certified and row.stable is True
        q = 1 - MP.mpf(row.rate.numerator) / row.rate.denominator
        xi = oracle_xi_star(q, start)
        m = ORACLE.moments(0, O.to_fraction(xi))
        mu, nu = m["mu"], xi - m["mu"] ** 2
        assert inside(mu, row.mu_star) and inside(nu, row.nu_star, 1e-10)
        assert inside(m["dmu_dv"], row.j12, 1e-10)
        assert inside(m["dxi_dv"] / q - 2 * mu * m["dmu_dv"], row.j22, 1e-10)
        assert inside(m["dxi_dv"] / q, row.rho, 1e-10)
    assert r1.nu_star[0] > 1.6 and r3.nu_star[0] > 5.9
    assert r3.s[0] > 1 > r3.rho[1]         # stable, but not a contraction in the 2-norm


def test_paper_convention_differs_off_zero_mean():
    """kaiming 'selu' (tau = 9/16), no dropout (rate 0): the paper's map has its fixed
    point at nu* ~ 0.0268 with S > 1 (Krawczyk says so too), the ensemble at xi* ~ 0.041."""
    p = api.network_rates("pytorch:kaiming_normal:selu", 512, "standard", "0", convention="paper").rows[0]
    e = api.network_rates("pytorch:kaiming_normal:selu", 512, "standard", "0").rows[0]
    assert p.certified and e.certified
    assert 0.0267 < p.nu_star[0] < 0.0268 and p.s[0] > 1 and p.stable is True
    assert 0.0398 < e.nu_star[0] < 0.0399 and e.s[1] < 1


@pytest.mark.parametrize("lo,hi", [(0.1234567891, 0.1234567899), (-3.2e-10, 1.1e-10), (5.5, 5.5),
                                   (-0.0334694891, -0.0334694885), (22.99383492, 22.99383499),
                                   (1.2e-7, 1.3e-7), (0.999999998, 1.000000002)])
def test_short_keeps_the_enclosure(lo, hi):
    """The printed v with one unit u of its last digit covers [lo, hi]."""
    text = NR.short(lo, hi)
    if text.startswith("0±"):
        assert lo <= 0 <= hi and max(-lo, hi) <= float(text[2:])
        return
    v = Fraction(text)
    digits = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0") or "0"
    if "e" in text:
        unit = Fraction(10) ** (int(text.split("e")[1]) - len(digits) + 1)
    else:
        unit = Fraction(1, 10 ** len(text.split(".")[1])) if "." in text else Fraction(1)
    assert v - unit <= Fraction(lo) and Fraction(hi) <= v + unit, (text, unit)


def test_cli_table_json_and_columns(cli, tmp_path):
    path = tmp_path / "r.json"
    code, out, err = cli("network", "--init", "keras:lecun_normal", "--fan-in", "256", "--dropout",
                         "alpha", "--rates", "0.05:0.1:0.05", "--json", str(path),
                         "--plot", str(tmp_path / "r.png"))
    assert code == 0, err
    assert (tmp_path / "r.png").stat().st_size > 1000
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "2 of 2 rates certified" in out
    data = json.loads(path.read_text())
    assert data["certified"] and [r["rate"] for r in data["rows"]] == ["0.05", "0.1"]
    for r in data["rows"]:
        assert r["stable"] is True and r["S"][1] < 1 and Fraction(r["fixed_interval"][0]) < 1


@pytest.mark.parametrize("args, words", [
    (("--dropout", "none", "--rates", "0:0.1:0.05"), "needs --dropout alpha or --dropout standard"),
    (("--dropout", "alpha", "--rates", "0.1:0.05:0.01"), "is below the lowest"),
    (("--dropout", "alpha", "--rates=-0.1:0.1:0.1"), "must be >= 0"),
    (("--dropout", "standard", "--rates", "0.5:1:0.25"), "below 1"),
    (("--dropout", "alpha", "--rates", "0:0.1:0"), "step must be > 0"),
    (("--dropout", "alpha", "--rates", "0:0.5:0.0001"), "at most"),
    (("--dropout", "alpha", "--rates", "nan"), "rate"),
    (("--dropout", "alpha", "--rates", "1e308"), "below 1"),
    (("--dropout", "alpha", "--rates", "0:0.1"), "LO:HI:STEP"),
    (("--dropout", "alpha", "--rates", "0.1", "--simulate"), "does not go with --rates"),
    (("--dropout", "alpha", "--rates", "0.1", "--input", "0.5", "2"), "--input does not go with"),
    (("--dropout", "alpha", "--rates", "0.1", "--depth", "8"), "--depth does not go with"),
    (("--dropout", "alpha:0.1", "--convention", "paper"), "--convention goes with --rates"),
])
def test_bad_rates_exit_2_with_one_line(cli, args, words):
    code, out, err = cli("network", "--init", "pytorch:kaiming_normal:linear", "--fan-in", "64", *args)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert "Traceback" not in err


def test_parse_rates():
    assert NR.parse_rates("0:0.2:0.05") == tuple(Fraction(k, 20) for k in range(5))
    assert NR.parse_rates("0.05,0.1") == (Fraction(1, 20), Fraction(1, 10))
    assert NR.parse_rates(["0.3"]) == (Fraction(3, 10),)
    assert NR.parse_rates("0:0.1:0.03")[-1] == Fraction(9, 100)     # HI need not be hit
    with pytest.raises(NW.NetworkError):
        NR.parse_rates("1e-999999999:0.1:0.1")


def test_a_wrong_float_guess_is_not_certified(monkeypatch):
    """False twin: if the float search centred the tight interval 1% off the fixed point,
    the sign-change parts fail and the row is not certified (nothing is taken from the
    floats)."""
    real = NW.float_fixed_point
    monkeypatch.setattr(NW, "float_fixed_point", lambda *a, **k: real(*a, **k) * 1.01)
    t = api.network_rates("pytorch:kaiming_normal:linear", 64, "alpha", "0.1")
    row = t.rows[0]
    assert not row.certified and not row.has_fixed_point and row.mu_star is None
    assert row.status != "proved"
