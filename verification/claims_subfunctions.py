"""Lemmas 44-47 of the appendix: the 'main subfunction' F and Lemma 47's f.

The lemmas are stated in the paper's (x, y); the engine works on boxes of
(mu, omega, nu, tau) and the sub-family functions depend on m = mu*omega and v = nu*tau,
so every domain below fixes omega = tau = 1 and lets mu carry y and nu carry x (except
Lemma 46, which is about tau itself).  Names: F_x = dF/dx, F_y = dF/dy (moment_map).

The Ren-MacKenzie approximation errors the paper minimised and maximised numerically
(BFGS, Nelder-Mead) are written from the base functions D1, D2 of
selu_theory/activations/selu_subfunctions.py (D_k = erfcx(u_k) - R(u_k), u1 = (x+y)/sqrt(2x),
u2 = (2x+y)/sqrt(2x)).  Which reading of the OCR is meant was decided by float
experiments: a reading is taken when it reproduces the paper's printed numbers.

  * Lemmas 44/45, Eq. (247)/(274): E = ((x^2-y^2) D1 - 2 (4x^2-y^2) D2) / sqrt(2x).  Without
    a factor sqrt(pi) this reproduces 0.0169551, -0.000228141 and 0.00495688; the
    inequality chains (248)/(275) however approximate sqrt(pi) * E (the numerator of
    dF/dx divided by sqrt(2x) is (3x-y) + sqrt(pi/(2x)) [(x^2-y^2) erfcx(u1) - ...]), so
    the part 'sqrt(pi)*E.min[x>=0.007]' gives the error Lemma 45's gap of 0.0003 must
    absorb (for Lemma 44, E > 0 makes the safety gap's sign condition hold either way).
  * Lemma 44 at x = 1.2, Eq. (263): E_y = sqrt(15 pi) ((5y+6) D1 - 2 (5y+12) D2), the
    error of sqrt(15 pi) (...) + 30 = 6 sqrt(15 pi) dF/dy; reproduces 0.163052.
  * Lemma 46, Eq. (301)/(310)/(315): the numerator of dG/dtau, G = tau F(nu tau, mu omega),
    is 20000 sqrt(pi) x dG/dtau (x = nu tau); its error is
    E_tau = 10000 sqrt(pi) ((2x+x^2-y^2) D1 - 2 (2x+4x^2-y^2) D2); reproduces 97 < E < 186
    and 1.1 < E < 12.
  * Lemma 47 (Eq. 319): -0.334658 is the Abramowitz-Stegun (Lemma 22) upper bound of the
    bracket B of df/dx at (x, y) = (0.64, 0.01); the OCR's corners ('max at y = 0.64 and
    x = 0.01, min at y = 1.875 and x = 0.01') are encoded as four readings.
"""
from __future__ import annotations

from verification.claim_types import Claim, Derived, Extremum, PaperNumber, PointCheck
from verification.domain import Domain

GROUP = "subfunction-lemmas"


def _xy(x, y) -> Domain:
    """The (x, y) box as a (mu, omega, nu, tau) domain: mu = y, omega = 1, nu = x, tau = 1."""
    return Domain.of(mu=y, omega=("1", "1"), nu=x, tau=("1", "1"))


def _pt(x, y) -> tuple:
    return (y, "1", x, "1")


# Error terms of the Ren-MacKenzie approximation (see the module docstring).
E_X = "((nu**2 - mu**2)*D1 - 2*(4*nu**2 - mu**2)*D2)/sqrt(2*nu)"          # Eq. (247), (274)
E_X_CHAIN = f"sqrt(pi)*{E_X}"                                               # as used in (248), (275)
E_Y12 = "sqrt(15*pi)*((5*mu + 6)*D1 - 2*(5*mu + 12)*D2)"                   # Eq. (263), x = 1.2
E_TAU = ("10000*sqrt(pi)*((2*nu*tau + (nu*tau)**2 - (mu*omega)**2)*D1"
         " - 2*(2*nu*tau + 4*(nu*tau)**2 - (mu*omega)**2)*D2)")              # Eq. (301), (310), (315)
# The erfc arguments u1 = (x+y)/sqrt(2x), u2 = (2x+y)/sqrt(2x).
U1 = "((nu + mu)/sqrt(2*nu))"
U2 = "((2*nu + mu)/sqrt(2*nu))"
# erfcx(u1) = e^{y^2/(2x)} E1(x, y); erfcx(u2) = (erfcx(u1) - F)/2.
ERFCX1 = "E1*exp(mu**2/(2*nu))"

# ---------------------------------------------------------------- Lemma 44
D44 = _xy(("1.2", "20"), ("-0.1", "0.1"))
D44_X12 = _xy(("1.2", "1.2"), ("-0.1", "0.1"))
# A slice on which u1 = (0.5 + y)/1 runs over z in [0.7, 3.2] exactly: D1 there is the
# Ren-MacKenzie error erfcx(z) - R(z) on the range the paper quotes from their Figure 1.
Z_07_32 = _xy(("0.5", "0.5"), ("0.2", "2.7"))
# x = 1.2: u1 = (1.2 + y)/sqrt(2.4) runs from u1(1.2, -0.1), the least erfc argument of
# the domain, to 9.9/sqrt(2.4) = 6.39 > max u2 = 40.1/sqrt(40) = 6.34.
Z_U1MIN_639 = _xy(("1.2", "1.2"), ("-0.1", "8.7"))

LEMMA44 = Claim(
    id="lemma44-main-subfunction-high",
    title="Lemma 44: main subfunction, 1.2 <= x <= 20",
    statement="F(x, y) = erfcx((x+y)/sqrt(2x)) - 2 erfcx((2x+y)/sqrt(2x)) is < 0 and strictly increasing in x "
              "(dF/dx > 0) on 1.2 <= x <= 20, -0.1 <= y <= 0.1, and strictly decreasing in y at x = 1.2 "
              "(dF/dy < 0); the Ren-MacKenzie approximation errors of the proof enclosed",
    reference="Lemma 44, appendix Eq. (242)-(268) (chunks 215-244)",
    parts=(
        Extremum("F.max", "F", "max", D44, threshold="0"),
        Extremum("F_x.min", "F_x", "min", D44, threshold="0"),
        Extremum("F_y.max[x=1.2]", "F_y", "max", D44_X12, threshold="0"),
        # Eq. (247): the error of the x-derivative numerator.  Its maximum is interior and
        # flat (E_xx ~ 3e-4); it was once enclosed as 1024 E (tol 1024e-10) because the
        # float search stopped ~8e-8 below it and every restart cost a whole tree; with the
        # second-order engine E itself takes 577 boxes to 1e-10, as 1024 E did to 1e-7.
        Extremum("E.min", E_X, "min", D44),
        Extremum("E.max", E_X, "max", D44),
        PointCheck("E(20,-0.1)", E_X, _pt("20", "-0.1"), ">", "0"),
        # Eq. (263): the error of the y-derivative at x = 1.2.
        Extremum("E_y.min[x=1.2]", E_Y12, "min", D44_X12),
        Extremum("E_y.max[x=1.2]", E_Y12, "max", D44_X12),
        # 'the approximation error is positive in [0.7, 3.2]' (R > erfcx, i.e. D < 0) ...
        Extremum("D.max[z in 0.7..3.2]", "D1", "max", Z_07_32),
        # where it changes sign: D(0.7099) > 0 > D(0.71) (u1 = 0.5 + y at x = 0.5)
        PointCheck("D(0.7099)", "D1", _pt("0.5", "0.2099"), ">", "0"),
        PointCheck("D(0.71)", "D1", _pt("0.5", "0.21"), "<", "0"),
        # ... 'which contains all erfc arguments': the arguments, and the sign of D on
        # z in [u1.min, 6.39], which holds every u1 and u2 of the domain.
        Extremum("u1.min", U1, "min", D44),
        Extremum("u1.max", U1, "max", D44),
        Extremum("u2.max", U2, "max", D44),
        Extremum("D.max[z in u1.min..6.39]", "D1", "max", Z_U1MIN_639),
        # The closing step of the proof (chunk 234), as printed.
        PointCheck("24.7796*20^4-1.2227*20^5", "24.7796*20**4 - 1.2227*20**5", _pt("1", "0"), ">", "0"),
    ),
    derived=(Derived("|E_y|.max[x=1.2]", "max |E_y| at x = 1.2",
                     (("E_y.min[x=1.2]", 1), ("E_y.max[x=1.2]", 1)), op="absmax"),),
    paper=(
        PaperNumber("min of E (BFGS / Nelder-Mead)", "0.0113556", "approx", "E.min",
                    note="the true minimum is at the corner (x, y) = (1.2, 0.1)"),
        PaperNumber("the paper's min is E at (x, y) = (20, -0.1)", "0.0113556", "approx", "E(20,-0.1)",
                    note="a local minimum at the other end of the x-range"),
        PaperNumber("max of E (BFGS / Nelder-Mead)", "0.0169551", "approx", "E.max"),
        PaperNumber("safety gap 0.0131259 (needs E > -0.0131259)", "-0.0131259", "lower", "E.min", tight=False),
        PaperNumber("max |E_y| of the y-derivative at x = 1.2", "0.163052", "approx", "|E_y|.max[x=1.2]"),
        PaperNumber("error bound 0.2 added to the y-derivative", "0.2", "upper", "|E_y|.max[x=1.2]", tight=False),
        PaperNumber("Ren-MacKenzie error positive (R > erfcx) on [0.7, 3.2]", "0", "upper", "D.max[z in 0.7..3.2]",
                    tight=False, note="erfcx - R changes sign at z0 in (0.7099, 0.71) (parts D(0.7099), D(0.71)): "
                                      "D > 0 on [0.7, z0); the least argument u1 = 0.71005 is just above z0"),
        PaperNumber("[0.7, 3.2] contains u1 = (x+y)/sqrt(2x): lower end", "0.7", "lower", "u1.min", tight=False),
        PaperNumber("[0.7, 3.2] contains u1: upper end", "3.2", "upper", "u1.max", tight=False),
        PaperNumber("[0.7, 3.2] contains u2 = (2x+y)/sqrt(2x)", "3.2", "upper", "u2.max", tight=False,
                    note="u2 reaches (40.1)/sqrt(40) at x = 20"),
        PaperNumber("R > erfcx at every erfc argument u1, u2 of the domain", "0", "upper",
                    "D.max[z in u1.min..6.39]", tight=False),
        PaperNumber("24.7796*20^4 - 1.2227*20^5", "52090.9", "approx", "24.7796*20^4-1.2227*20^5",
                    note="exactly 52096 with the printed coefficients; inserting y = -0.1 into the printed "
                         "27.7897 x^4 + 40.1006 x^4 y gives 23.7796 x^4, for which the two-term check is -107904"),
    ),
    group=GROUP,
)

# ---------------------------------------------------------------- Lemma 45
D45 = _xy(("0.007", "0.875"), ("-0.01", "0.01"))
D45_E = _xy(("0.08", "0.875"), ("-0.01", "0.01"))   # the range stated for the error E
Z_0175_133 = _xy(("0.5", "0.5"), ("-0.325", "0.83"))  # u1 = 0.5 + y runs over [0.175, 1.33]
L45_SLICES = (("0.007", "3.56"), ("0.128", "0.4468"), ("0.216", "0.211288"), ("0.56", None))
# The paper's lower bounds on dF/dy at a slice x (Eq. 286, 292, 295): with Lemma 24 it
# evaluates the positive part P of dF/dy at y = -0.01 and the negative part N at y = 0.01,
#   dF/dy = P - N,  P = (x+y)/x erfcx(u1) + sqrt(2/(pi x)),  N = 2(2x+y)/x erfcx(u2).
P_PART = f"(nu + mu)/nu*{ERFCX1} + sqrt(2/(pi*nu))"
N_PART = f"(2*nu + mu)*({ERFCX1} - F)/nu"


def _lemma45_slices():
    parts, derived, paper = (), (), ()
    for x, bound in L45_SLICES:
        dom = _xy((x, x), ("-0.01", "0.01"))
        parts += (Extremum(f"F_y.min[x={x}]", "F_y", "min", dom, threshold="0"),
                  PointCheck(f"P(x={x},y=-0.01)", P_PART, _pt(x, "-0.01"), ">", "0"),
                  PointCheck(f"N(x={x},y=0.01)", N_PART, _pt(x, "0.01"), ">", "0"))
        derived += (Derived(f"estimate[x={x}]", f"P({x}, -0.01) - N({x}, 0.01), the paper's Lemma-24 bound",
                            ((f"P(x={x},y=-0.01)", 1), (f"N(x={x},y=0.01)", -1))),)
        if bound is not None:
            paper += (PaperNumber(f"dF/dy > {bound} at x = {x}", bound, "lower", f"F_y.min[x={x}]", tight=False),
                      PaperNumber(f"{bound} as the Lemma-24 estimate at x = {x}", bound, "approx",
                                  f"estimate[x={x}]"),)
    return parts, derived, paper


_L45_SLICE_PARTS, _L45_SLICE_DERIVED, _L45_SLICE_PAPER = _lemma45_slices()

LEMMA45 = Claim(
    id="lemma45-main-subfunction-low",
    title="Lemma 45: main subfunction, 0.007 <= x <= 0.875",
    statement="F(x, y) is < 0 and strictly increasing in x on 0.007 <= x <= 0.875, -0.01 <= y <= 0.01, and "
              "strictly increasing in y (dF/dy > 0) at x = 0.007, 0.128, 0.216 and 0.56; the Ren-MacKenzie "
              "approximation error enclosed on the paper's range x >= 0.08 and on the lemma's x >= 0.007",
    reference="Lemma 45, appendix Eq. (269)-(296) (chunks 244-271)",
    parts=(
        Extremum("F.max", "F", "max", D45, threshold="0"),
        Extremum("F_x.min", "F_x", "min", D45, threshold="0"),
    ) + _L45_SLICE_PARTS + (
        Extremum("E.min[x>=0.08]", E_X, "min", D45_E),
        Extremum("E.max[x>=0.08]", E_X, "max", D45_E),
        Extremum("E.min[x>=0.007]", E_X, "min", D45, reading="the lemma's domain x >= 0.007; the paper states the range of E for x >= 0.08"),
        Extremum("E.max[x>=0.007]", E_X, "max", D45, reading="the lemma's domain x >= 0.007; the paper states the range of E for x >= 0.08"),
        Extremum("sqrt(pi)*E.min[x>=0.007]", E_X_CHAIN, "min", D45,
                 reading="the error as the chain (275) approximates it: sqrt(pi) E"),
        # 'the approximation error is both positive and negative in [0.175, 1.33]',
        # 'which contains all possible arguments'
        Extremum("D.min[z in 0.175..1.33]", "D1", "min", Z_0175_133),
        # Only the sign of this flat interior maximum is compared with the paper; enclosed
        # to 1e-10 all the same (23 boxes).
        Extremum("D.max[z in 0.175..1.33]", "D1", "max", Z_0175_133),
        Extremum("u1.min[x>=0.08]", U1, "min", D45_E),
        Extremum("u1.min[x>=0.007]", U1, "min", D45, reading="the lemma's domain x >= 0.007; the paper states the range of E for x >= 0.08"),
        Extremum("u2.max", U2, "max", D45),
    ),
    derived=_L45_SLICE_DERIVED,
    paper=(
        PaperNumber("min of E, for x >= 0.08 (as printed)", "-0.000228141", "approx", "E.min[x>=0.08]"),
        PaperNumber("max of E, for x >= 0.08 (as printed)", "0.00495688", "approx", "E.max[x>=0.08]"),
        PaperNumber("min of E, on the lemma's x >= 0.007", "-0.000228141", "approx", "E.min[x>=0.007]"),
        PaperNumber("max of E, on the lemma's x >= 0.007", "0.00495688", "approx", "E.max[x>=0.007]"),
        PaperNumber("-0.000228141 < E, as a strict bound", "-0.000228141", "lower", "E.min[x>=0.007]",
                    note="the printed digits are the minimum rounded towards zero"),
        PaperNumber("error gap -0.0003 (needs E > -0.0003)", "-0.0003", "lower", "E.min[x>=0.007]", tight=False),
        PaperNumber("error gap -0.0003, error as used in Eq. (275)", "-0.0003", "lower", "sqrt(pi)*E.min[x>=0.007]",
                    tight=False, note="the chain approximates sqrt(pi) E, not E"),
    ) + _L45_SLICE_PAPER + (
        PaperNumber("Ren-MacKenzie error negative somewhere in [0.175, 1.33]", "0", "upper",
                    "D.min[z in 0.175..1.33]", tight=False),
        PaperNumber("Ren-MacKenzie error positive somewhere in [0.175, 1.33]", "0", "lower",
                    "D.max[z in 0.175..1.33]", tight=False),
        PaperNumber("0.175 is the least u1 for x >= 0.08", "0.175", "approx", "u1.min[x>=0.08]"),
        PaperNumber("0.175 is the least u1 for x >= 0.007", "0.175", "approx", "u1.min[x>=0.007]"),
        PaperNumber("[0.175, 1.33] contains u2", "1.33", "upper", "u2.max", tight=False),
    ),
    group=GROUP,
)

# ---------------------------------------------------------------- Lemma 46
# G = tau F(nu tau, mu omega), dG/dtau = F + tau nu F_x, at y = mu omega = 0.01.
DG_DTAU = "F + tau*nu*F_x"
L46_CASES = (("0.7", "0.8"), ("0.16", "0.8"), ("0.24", "0.9"))


def _d46(nu, tau_lo) -> Domain:
    return Domain.of(mu=("0.01", "0.01"), omega=("1", "1"), nu=(nu, nu), tau=(tau_lo, "1.25"))


LEMMA46 = Claim(
    id="lemma46-tau-derivative",
    title="Lemma 46: tau-derivative of tau F(nu tau, mu omega)",
    statement="for G = tau F(nu tau, mu omega) at mu omega = 0.01: dG/dtau < 0 for nu = 0.7 and nu = 0.16 with "
              "0.8 <= tau <= 1.25, and for nu = 0.24 with 0.9 <= tau <= 1.25; the approximation errors of the "
              "numerators enclosed",
    reference="Lemma 46, appendix Eq. (297)-(318) (chunks 271-318)",
    parts=tuple(p for nu, t in L46_CASES for p in (
        Extremum(f"dG/dtau.max[nu={nu}]", DG_DTAU, "max", _d46(nu, t), threshold="0"),
        Extremum(f"E.min[nu={nu}]", E_TAU, "min", _d46(nu, t)),
        Extremum(f"E.max[nu={nu}]", E_TAU, "max", _d46(nu, t)),
    )),
    paper=(
        PaperNumber("nu = 0.7: E > 97", "97", "lower", "E.min[nu=0.7]"),
        PaperNumber("nu = 0.7: E < 186", "186", "upper", "E.max[nu=0.7]"),
        PaperNumber("nu = 0.7: 200 added to the numerator", "200", "upper", "E.max[nu=0.7]", tight=False),
        PaperNumber("nu = 0.16: E > 1.1", "1.1", "lower", "E.min[nu=0.16]"),
        PaperNumber("nu = 0.16: E < 12", "12", "upper", "E.max[nu=0.16]"),
        PaperNumber("nu = 0.16: 20 added to the numerator", "20", "upper", "E.max[nu=0.16]", tight=False),
        PaperNumber("nu = 0.24: 32 added to the numerator", "32", "upper", "E.max[nu=0.24]", tight=False,
                    note="the paper's range of E for nu = 0.24 is lost in the OCR"),
    ),
    group=GROUP,
)

# ---------------------------------------------------------------- Lemma 47
D47 = _xy(("0.64", "1.875"), ("-0.01", "0.01"))
# The bracket of df/dx = e^{-y^2/(2x)} / (2 sqrt(pi) x^{3/2}) * B (Eq. 319), and the
# Abramowitz-Stegun (Lemma 22) upper bound of B the paper evaluates at the border.
B47 = f"sqrt(pi)*nu*sqrt(nu)*{ERFCX1} + sqrt(2)*(mu - nu)"
AS47 = f"2*nu*sqrt(nu)/({U1} + sqrt({U1}**2 + 4/pi)) + sqrt(2)*(mu - nu)"
CORNERS = {"(0.64,-0.01)": _pt("0.64", "-0.01"), "(0.64,0.01)": _pt("0.64", "0.01"),
           "(1.875,-0.01)": _pt("1.875", "-0.01"), "(1.875,0.01)": _pt("1.875", "0.01")}
# (label, extremum key, corner): the OCR reads 'maximum at y = 0.64 and x = 0.01, minimum at
# y = 1.875 and x = 0.01'; with x and y swapped that is max at (0.64, 0.01), min at
# (1.875, 0.01); a lost minus sign would give (0.64, -0.01) or (1.875, -0.01).
L47_READINGS = (
    ("max at (x, y) = (0.64, 0.01) (OCR, x and y swapped)", "f.max", "(0.64,0.01)"),
    ("max at (x, y) = (0.64, -0.01) (OCR, swapped, minus sign lost)", "f.max", "(0.64,-0.01)"),
    ("min at (x, y) = (1.875, 0.01) (OCR, x and y swapped)", "f.min", "(1.875,0.01)"),
    ("min at (x, y) = (1.875, -0.01) (OCR, swapped, minus sign lost)", "f.min", "(1.875,-0.01)"),
)

LEMMA47 = Claim(
    id="lemma47-corner-extremes",
    title="Lemma 47: extremes of f at corners",
    statement="f(x, y) = e^{(2y+x)/2} erfc((x+y)/sqrt(2x)) on 0.64 <= x <= 1.875, -0.01 <= y <= 0.01 is strictly "
              "decreasing in x and in y, so its global maximum is at (x, y) = (0.64, -0.01) and its global minimum "
              "at (1.875, 0.01)",
    reference="Lemma 47, appendix Eq. (319) (chunks 318-319)",
    parts=(
        Extremum("f_x.max", "E1_x", "max", D47, threshold="0"),
        Extremum("f_y.max", "E1_y", "max", D47, threshold="0"),
        Extremum("f.max", "E1", "max", D47),
        Extremum("f.min", "E1", "min", D47),
        Extremum("B.max", B47, "max", D47, threshold="0"),
        Extremum("AS-bound.max", AS47, "max", D47),
    ) + tuple(PointCheck(f"f{c}", "E1", pt, ">", "0") for c, pt in CORNERS.items()),
    derived=tuple(Derived(f"{key}-f{c}", f"{key} - f{c}", ((key, 1), (f"f{c}", -1))) for _, key, c in L47_READINGS),
    paper=(
        PaperNumber("derivative bound (Abramowitz-Stegun bound of B, max at x = 0.64, y = 0.01)", "-0.334658",
                    "approx", "AS-bound.max"),
        PaperNumber("derivative bound as a bound on the bracket B of df/dx", "-0.334658", "upper", "B.max",
                    tight=False),
    ) + tuple(PaperNumber(label, "0.0000000", "approx", f"{key}-f{c}",
                          note="the extremum equals f at this corner to 1e-7") for label, key, c in L47_READINGS),
    group=GROUP,
)

CLAIMS = (LEMMA44, LEMMA45, LEMMA46, LEMMA47)
