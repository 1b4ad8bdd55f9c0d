"""Theorems 1-3 for any activation and parameters (``Params(activation=...)``): the
paper's domains, centred on the fixed point.

The paper states its theorems for SELU at alpha01, lambda01, whose fixed point is
(mu*, nu*) = (0, 1) under the normalised weights omega* = 0, tau* = 1.  For other
parameters, or another activation, the same statements are made on the paper's domains
moved to the new fixed point and scaled as they are around (0, 1):

    mu    in  mu*    + sd * [a, b]     (sd = sqrt(nu*): the mean moves in units of the
                                        standard deviation; a rational within 5e-9
                                        relative, exact when nu* is a square)
    omega in  omega* + [a, b]          (omega is already a sum of weights)
    nu    in  nu*  * [a, b]            (variances scale multiplicatively)
    tau   in  tau* * [a, b]

where [a, b] are the paper's ranges around (0, 0, 1, 1): Omega (Theorem 1), Omega+
(Theorem 2), and the two Theorem 3 domains.  For alpha01, lambda01 at (0, 1, 0, 1) the
result is exactly the paper's domains and :func:`theorem_claims` returns the registered
claims themselves.

The centre need not be certified: Theorem 1 proved on a domain (contraction and self-map)
proves by Banach's theorem that the fixed point lies in it.  It is located, when only
the parameters are given, by a Krawczyk test on (mu, nu) -> g(mu, nu) - (mu, nu) in Arb
(:func:`locate_fixed_point`), and rounded to 8 decimals.  When a target fixed point is
given, the parameters are solved for (``fixed_point.solve_parameters``).

Claim ids: the registered ids when the claim is the registered one; for SELU otherwise
``"<id>@mu*=..,nu*=..,omega=..,tau=.."`` (the certificate id adds other parameters); for
another activation always ``"<id>@<activation>,mu*=..,..."``, so a SELU id never names
another activation's claim.  The checker replays those on their own domains and reports
them under their rebuilt statements, never under a registered name.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
from flint import arb

from selu_theory import ball, constants, krawczyk
from selu_theory.evaluate import cached_evaluator
from selu_theory.fixed_point import FixedPointError, solve_parameters, spectral_norm, spectral_radius
from selu_theory.numbers import NumberError, text_of
from selu_theory.numbers import parse as parse_user_number
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params, activation_parameters, given_values
from verification import claims as C
from verification.domain import VARS, Domain

__all__ = ["Centre", "Shape", "Target", "DesignInputError", "theorem_claims", "resolve_target",
           "locate_fixed_point", "claims_for_args", "add_target_arguments",
           "OMEGA_SHAPE", "OMEGA_PLUS_SHAPE", "OMEGA_MINUS_SHAPE", "THM3A_SHAPE", "THM3B_SHAPE", "PAPER_CENTRE"]

F = Fraction


class DesignInputError(ValueError):
    """Invalid user input (the CLI turns it into exit code 2)."""


class NoFixedPoint(ValueError):
    """No (certified) solution: no alpha, lambda for the target, or no fixed point for them."""


# --------------------------------------------------------------------------- numbers

# An exact decimal string for a rational with a terminating expansion, else 'p/q'.
dec = text_of


def parse_number(text, what: str, positive: bool = False, limit: float | None = 1e3) -> Fraction:
    """A finite rational from user text ('-0.1', '2', '1e-3', '1/3') through the one user
    number parser (``selu_theory.numbers.parse``); DesignInputError (one line) if not.
    ``limit`` bounds the absolute value (None: no bound beyond the parser's)."""
    try:
        q = parse_user_number(text, what, positive=positive)
    except NumberError as exc:
        raise DesignInputError(str(exc)) from None
    if limit is not None and abs(q) > Fraction(limit):
        raise DesignInputError(f"{what} must be at most {limit:g} in absolute value; got {text!r}")
    return q


def _sqrt_rational(q: Fraction) -> Fraction:
    """sqrt(q) exactly when q is a square of a rational, else rounded to 9 significant digits."""
    n, d = q.numerator, q.denominator
    rn, rd = math.isqrt(n), math.isqrt(d)
    if rn * rn == n and rd * rd == d:
        return F(rn, rd)
    with localcontext() as ctx:
        ctx.prec = 9
        return F(str((Decimal(n) / Decimal(d)).sqrt()))


# --------------------------------------------------------------------------- centres and shapes

@dataclass(frozen=True)
class Centre:
    """The point the domains are centred on: fixed point (mu*, nu*) under weights (omega*, tau*)."""

    mu: Fraction
    nu: Fraction
    omega: Fraction = F(0)
    tau: Fraction = F(1)

    def __post_init__(self):
        for k in ("mu", "nu", "omega", "tau"):
            object.__setattr__(self, k, F(getattr(self, k)))
        if self.nu <= 0 or self.tau <= 0:
            raise DesignInputError("nu* and tau must be > 0")

    @property
    def sd(self) -> Fraction:
        return _sqrt_rational(self.nu)

    def tag(self) -> str:
        return f"mu*={dec(self.mu)},nu*={dec(self.nu)},omega={dec(self.omega)},tau={dec(self.tau)}"

    def point(self) -> tuple:
        """(mu, omega, nu, tau) as exact decimal strings, for PointCheck."""
        return (dec(self.mu), dec(self.omega), dec(self.nu), dec(self.tau))

    def describe(self) -> str:
        return f"(mu*, nu*) = ({dec(self.mu)}, {dec(self.nu)}) with omega = {dec(self.omega)}, tau = {dec(self.tau)}"


PAPER_CENTRE = Centre(F(0), F(1), F(0), F(1))


@dataclass(frozen=True)
class Shape:
    """A domain relative to a centre: mu offsets in units of sd, omega offsets, nu and tau factors."""

    name: str
    mu: tuple
    omega: tuple
    nu: tuple
    tau: tuple

    def __post_init__(self):
        for k in ("mu", "omega", "nu", "tau"):
            lo, hi = getattr(self, k)
            object.__setattr__(self, k, (F(lo), F(hi)))

    def domain(self, c: Centre) -> Domain:
        sd = c.sd
        return Domain((
            (c.mu + sd * self.mu[0], c.mu + sd * self.mu[1]),
            (c.omega + self.omega[0], c.omega + self.omega[1]),
            (c.nu * self.nu[0], c.nu * self.nu[1]),
            (c.tau * self.tau[0], c.tau * self.tau[1]),
        ))

    def replace(self, **kw) -> "Shape":
        return dataclasses.replace(self, **kw)

    def scaled(self, s) -> "Shape":
        """The shape blown up by s about the centre (offsets times s; factors 1 + s (f - 1))."""
        s = F(s)
        return Shape(f"{self.name} x {dec(s)}",
                     tuple(s * x for x in self.mu), tuple(s * x for x in self.omega),
                     tuple(1 + s * (x - 1) for x in self.nu), tuple(1 + s * (x - 1) for x in self.tau))

    def valid(self) -> bool:
        return self.nu[0] > 0 and self.tau[0] > 0 and all(
            lo <= hi for lo, hi in (self.mu, self.omega, self.nu, self.tau))

    def describe(self, c: Centre = PAPER_CENTRE) -> str:
        return describe(self.domain(c))


def describe(domain: Domain) -> str:
    """'mu in [a, b], omega in [..], ...' with exact decimals."""
    return ", ".join(f"{v} in [{dec(lo)}, {dec(hi)}]" if lo != hi else f"{v} = {dec(lo)}"
                     for v, (lo, hi) in zip(VARS, domain.bounds))


def _sh(name, mu, omega, nu, tau):
    return Shape(name, tuple(F(x) for x in mu), tuple(F(x) for x in omega),
                 tuple(F(x) for x in nu), tuple(F(x) for x in tau))


OMEGA_SHAPE = _sh("Omega", ("-0.1", "0.1"), ("-0.1", "0.1"), ("0.8", "1.5"), ("0.95", "1.1"))
OMEGA_PLUS_SHAPE = _sh("Omega+", ("-1", "1"), ("-0.1", "0.1"), ("3", "16"), ("0.8", "1.25"))
OMEGA_MINUS_SHAPE = _sh("Omega-", ("-0.1", "0.1"), ("-0.1", "0.1"), ("0.05", "0.24"), ("0.8", "1.25"))
THM3A_SHAPE = _sh("Thm3a", ("-0.1", "0.1"), ("-0.1", "0.1"), ("0.02", "0.16"), ("0.8", "1.25"))
THM3B_SHAPE = _sh("Thm3b", ("-0.1", "0.1"), ("-0.1", "0.1"), ("0.02", "0.24"), ("0.9", "1.25"))


# --------------------------------------------------------------------------- parts of each theorem

def thm1_parts(domain: Domain, tol: float = C.DEFAULT_TOL) -> tuple:
    """Contraction and self-map of the (mu, nu) part of ``domain``."""
    (mlo, mhi), _, (nlo, nhi), _ = domain.bounds
    return (C.Extremum("S.max", "S", "max", domain, threshold="1", tol=tol),
            C.Extremum("mu_tilde.min", "mu_tilde", "min", domain, threshold=dec(mlo), tol=tol),
            C.Extremum("mu_tilde.max", "mu_tilde", "max", domain, threshold=dec(mhi), tol=tol),
            C.Extremum("nu_tilde.min", "nu_tilde", "min", domain, threshold=dec(nlo), tol=tol),
            C.Extremum("nu_tilde.max", "nu_tilde", "max", domain, threshold=dec(nhi), tol=tol))


def thm2_parts(domain: Domain, tol: float = C.DEFAULT_TOL) -> tuple:
    return (C.Extremum("nu_tilde-nu.max", "nu_tilde - nu", "max", domain, threshold="0", tol=tol),)


def thm3_parts(domain: Domain, tol: float = C.DEFAULT_TOL) -> tuple:
    return (C.Extremum("nu_tilde-nu.min", "nu_tilde - nu", "min", domain, threshold="0", tol=tol),)


THEOREM_PARTS = {"thm1": thm1_parts, "thm2": thm2_parts, "thm3": thm3_parts}


# --------------------------------------------------------------------------- claims

def _cid(base: str, params: Params, centre: Centre) -> str:
    """The claim id: SELU's registered ids (base) are never given to another activation's
    claim, which is "<base>@<activation>,<centre tag>".  For SELU with other parameters
    the id is the base and the certificate id adds the parameters
    (``certify.certificate_id``); alpha01, lambda01 at another centre add the centre."""
    if params.activation != DEFAULT_ACTIVATION:
        return f"{base}@{params.activation},{centre.tag()}"
    if params != Params() or centre == PAPER_CENTRE:
        return base
    return f"{base}@{centre.tag()}"


def theorem_claims(params: Params, fixed_point=(0, 1), omega=0, tau=1, tol: float = C.DEFAULT_TOL,
                   tol_variance: float = 1e-8) -> tuple:
    """Theorems 1-3 (and S < 1 at the fixed point) for ``params``, with the paper's domains
    centred on ``fixed_point`` = (mu*, nu*) under weights (omega, tau) and scaled as the
    paper's are around (0, 1) (module doc).  For alpha01, lambda01 at (0, 1, 0, 1) the
    registered claims are returned where the registry has them.

    ``tol``: width of the Theorem 1 extremum enclosures; ``tol_variance``: of Theorems 2-3.
    """
    c = fixed_point if isinstance(fixed_point, Centre) else Centre(
        parse_number(fixed_point[0], "mu*", limit=None),
        parse_number(fixed_point[1], "nu*", positive=True, limit=None),
        parse_number(omega, "omega", limit=None), parse_number(tau, "tau", positive=True, limit=None))
    paper = params == Params() and c == PAPER_CENTRE
    om, op, m3a, m3b = (s.domain(c) for s in (OMEGA_SHAPE, OMEGA_PLUS_SHAPE, THM3A_SHAPE, THM3B_SHAPE))
    where = f" (domains centred on {c.describe()}; {params.describe()})"
    out = []

    def add(base, title, statement, reference, parts, group, paper_numbers=()):
        reg = C.REGISTRY.get(base)
        if paper and reg is not None:
            out.append(reg)
            return
        out.append(C.Claim(id=_cid(base, params, c), title=title, statement=statement + where,
                           reference=reference, parts=tuple(parts), params=params, group=group,
                           paper=paper_numbers if paper else ()))

    add("jacobian-at-fixed-point", "S at the fixed point",
        f"S < 1 at (mu, omega, nu, tau) = ({', '.join(c.point())})",
        "Sec. 3 (main text)", (C.PointCheck("S", "S", c.point(), "<", "1"),), "constants")
    t1 = thm1_parts(om, tol)
    (mlo, mhi), _, (nlo, nhi), _ = om.bounds
    add("thm1-contraction", "Theorem 1: contraction", f"S < 1 on {describe(om)}; max S enclosed",
        "Theorem 1, Lemmata 10-12 (A3.4.5)", t1[:1], "theorem1")
    add("thm1-mean-image", "Theorem 1: mean image",
        f"mu~ maps {describe(om)} into [{dec(mlo)}, {dec(mhi)}]; min and max of mu~ enclosed",
        "Theorem 1 proof (mapping into the domain)", t1[1:3], "theorem1")
    add("thm1-variance-image", "Theorem 1: variance image",
        f"nu~ maps {describe(om)} into [{dec(nlo)}, {dec(nhi)}]; min and max of nu~ enclosed",
        "Theorem 1 proof (mapping into the domain)", t1[3:5], "theorem1")
    add("thm2-variance-decreases", "Theorem 2: variance decreases",
        f"nu~ < nu on {describe(op)}; max(nu~ - nu) enclosed", "Theorem 2", thm2_parts(op, tol_variance),
        "theorem2")
    add("thm3a-variance-increases", "Theorem 3: variance increases",
        f"nu~ > nu on {describe(m3a)}; min(nu~ - nu) enclosed", "Theorem 3", thm3_parts(m3a, tol_variance),
        "theorem3")
    add("thm3b-variance-increases", "Theorem 3: variance increases",
        f"nu~ > nu on {describe(m3b)}; min(nu~ - nu) enclosed", "Theorem 3", thm3_parts(m3b, tol_variance),
        "theorem3")
    return tuple(out)


# --------------------------------------------------------------------------- locating a fixed point

@dataclass(frozen=True)
class LocatedFixedPoint:
    """A fixed point of (mu, nu) -> (mu~, nu~) for given alpha, lambda, proved by Krawczyk:
    exactly one fixed point lies in ``box`` and it lies in (mu, nu)."""

    mu: arb
    nu: arb
    box: tuple  # ((mu_lo, mu_hi), (nu_lo, nu_hi)) floats
    spectral_norm: arb
    spectral_radius: arb
    stable: bool | None
    jacobian: tuple

    @property
    def mu_float(self) -> float:
        return float(self.mu.mid())

    @property
    def nu_float(self) -> float:
        return float(self.nu.mid())




def _float_fixed_point(params: Params, omega: float, tau: float):
    ev = {k: cached_evaluator(k, params, 80) for k in ("mu_tilde", "nu_tilde", "J11", "J12", "J21", "J22")}

    def val(k, mu, nu):
        return float(ev[k].floats(np.array([mu]), np.array([float(omega)]), np.array([nu]), np.array([float(tau)]))[0])

    for mu, nu in ((0.0, 1.0), (0.0, 0.5), (0.0, 2.0), (0.0, 4.0), (0.5, 1.0), (-0.5, 1.0), (0.0, 0.1)):
        # a few plain iterations (the map contracts near a stable fixed point), then Newton
        for _ in range(30):
            m2, n2 = val("mu_tilde", mu, nu), val("nu_tilde", mu, nu)
            if not (math.isfinite(m2) and math.isfinite(n2)) or n2 <= 0 or abs(m2) > 1e3 or n2 > 1e3:
                break
            mu, nu = m2, n2
        for _ in range(60):
            if not (math.isfinite(mu) and math.isfinite(nu)) or nu <= 0:
                break
            f1, f2 = val("mu_tilde", mu, nu) - mu, val("nu_tilde", mu, nu) - nu
            a, b = val("J11", mu, nu) - 1, val("J12", mu, nu)
            c, d = val("J21", mu, nu), val("J22", mu, nu) - 1
            det = a * d - b * c
            if not math.isfinite(det) or det == 0:
                break
            dmu, dnu = (d * f1 - b * f2) / det, (-c * f1 + a * f2) / det
            t = 1.0
            while nu - t * dnu <= 0 and t > 1e-6:
                t /= 2
            mu, nu = mu - t * dmu, nu - t * dnu
            if abs(dmu) + abs(dnu) < 1e-15 * (1 + abs(mu) + abs(nu)):
                break
        if math.isfinite(mu) and math.isfinite(nu) and nu > 0:
            r = abs(val("mu_tilde", mu, nu) - mu) + abs(val("nu_tilde", mu, nu) - nu)
            if r < 1e-10 * (1 + abs(mu) + nu):
                return mu, nu
    return None


def fixed_point_system(params: Params, omega: Fraction, tau: Fraction, bits: int) -> krawczyk.System:
    """(mu, nu) -> (mu~ - mu, nu~ - nu) at fixed weights (omega, tau), on the evaluator's
    jets: value and Jacobian enclosures over a box of (mu, nu)."""
    fm, fn = cached_evaluator("mu_tilde - mu", params, bits), cached_evaluator("nu_tilde - nu", params, bits)

    def evaluate(X):
        bx = (ball.fraction_bounds(X[0]), (omega, omega), ball.fraction_bounds(X[1]), (tau, tau))
        jm, jn = fm.box(bx), fn.box(bx)
        return (jm.val, jn.val), ((jm.grad[0], jm.grad[2]), (jn.grad[0], jn.grad[2]))

    return krawczyk.System(evaluate, 2)


def _outward_floats(x: arb) -> tuple:
    lo, hi = ball.fraction_bounds(x)
    return (math.nextafter(float(lo), -math.inf), math.nextafter(float(hi), math.inf))


def locate_fixed_point(params: Params, omega=0, tau=1, bits: int = 128) -> LocatedFixedPoint:
    """The fixed point (mu*, nu*) of g for ``params`` under weights (omega, tau), with a
    Krawczyk proof in Arb that exactly one fixed point lies in the returned box.  Raises
    NoFixedPoint when none is found or the test fails."""
    omega, tau = parse_number(omega, "omega", limit=None), parse_number(tau, "tau", positive=True, limit=None)
    guess = _float_fixed_point(params, float(omega), float(tau))
    if guess is None:
        raise NoFixedPoint(f"no fixed point of (mu, nu) -> (mu~, nu~) found for {params.describe()}, "
                           f"omega = {dec(omega)}, tau = {dec(tau)} (iteration and Newton from several starts)")
    mu0, nu0 = guess
    system = fixed_point_system(params, omega, tau, bits)
    with ball.precision(bits):
        for rel in (1e-12, 1e-10, 1e-8, 1e-6):
            r = rel * (1 + abs(mu0) + nu0)
            X = ((mu0 - r, mu0 + r), (nu0 - r, nu0 + r))
            if X[1][0] <= 0:
                continue
            root = krawczyk.verify(system, tuple(ball.interval(*x) for x in X), bits=bits - 16, max_iterations=8)
            if not root.unique:
                continue
            K = root.enclosure
            kbox = (_outward_floats(K[0]), (omega, omega), _outward_floats(K[1]), (tau, tau))
            J = tuple(tuple(cached_evaluator(f"J{i}{j}", params, bits).box(kbox).val for j in (1, 2)) for i in (1, 2))
            S, rho = spectral_norm(J), spectral_radius(J)
            stable = True if S < 1 else (False if S > 1 else None)
            return LocatedFixedPoint(K[0], K[1], X, S, rho, stable, J)
    raise NoFixedPoint(f"the Krawczyk test did not verify the fixed point near (mu, nu) = ({mu0!r}, {nu0!r}) "
                       f"for {params.describe()}")


# Where ``params`` looks when no fixed point is found: nu~ < nu on this range (with mu in
# [-1, 1] when omega != 0) rules out a fixed point whose variance lies in it.
SHRINK_NU = (F(1, 100), F(100))


def variance_shrinks_part(omega, tau):
    """(the Extremum part "nu~ - nu < 0", its domain in words): mu in [-1, 1] (only
    m = mu omega matters; mu = 0 when omega = 0), the weights fixed, nu in SHRINK_NU."""
    om, ta = F(omega), F(tau)
    mu = (F(0), F(0)) if om == 0 else (F(-1), F(1))
    d = Domain((mu, (om, om), SHRINK_NU, (ta, ta)))
    return C.Extremum("nu_tilde-nu.max", "nu_tilde - nu", "max", d, threshold="0", tol=C.NO_TOL), describe(d)


def _round_centre(x: float, places: int = 8) -> Fraction:
    return F(str(round(Decimal(repr(x)), places)))


# --------------------------------------------------------------------------- targets from the CLI

@dataclass(frozen=True)
class Target:
    """What the theorems and domains are run for: parameters and the centre of the domains."""

    params: Params
    centre: Centre
    source: str  # "fixed-point" (parameters solved for it) | "alpha-lambda" (fixed point located)
    solved: object = None  # fixed_point.FixedPointSolution when source == "fixed-point"
    located: LocatedFixedPoint = None  # when source == "alpha-lambda"

    @property
    def stable(self):
        return self.solved.stable if self.solved is not None else self.located.stable

    @property
    def spectral_norm(self) -> arb:
        return self.solved.spectral_norm if self.solved is not None else self.located.spectral_norm

    def lines(self) -> list:
        c = self.centre
        out = []
        if self.source == "fixed-point":
            fp = self.solved
            labels = {p.name: p.label for p in activation_parameters(self.params.activation).parameters}
            out.append(f"target fixed point {c.describe()}"
                       + ("" if self.params.activation == DEFAULT_ACTIVATION else f" for {self.params.activation}"))
            out.append(f"  convention: {fp.convention}")
            for n, b in fp.balls.items():
                out.append(f"  {labels[n]:6} = {b.str(25)}  (float {float(b.mid())!r})")
            out.append(f"  theorems use {self.params.describe()}")
        else:
            lf = self.located
            out.append(f"{self.params.describe()}, omega = {dec(c.omega)}, tau = {dec(c.tau)}")
            out.append(f"  fixed point (Krawczyk, unique in its box): mu* in {lf.mu.str(15)}, nu* in {lf.nu.str(15)}")
            out.append(f"  domains centred on the rounded fixed point {c.describe()}")
        st = {True: "S < 1: stable (contraction at the fixed point)", False: "S > 1: NOT stable in the paper's sense",
              None: "S = 1 not decided"}[self.stable]
        out.append(f"  spectral norm at the fixed point S in {self.spectral_norm.str(12)}: {st}")
        return out


def _theorem_params(sol) -> Params:
    """The parameters the theorems are proved for: alpha01, lambda01 when the solution is
    them, else each solved parameter's midpoint to 32 digits (the theorems do not need
    the exact fixed point: Theorem 1 proved on a domain locates it there)."""
    fp = sol.selu
    if fp is not None and sol.activation == DEFAULT_ACTIVATION:
        if fp.mu_star == 0 and fp.nu_star == 1 and fp.tau == 1 and fp.alpha.overlaps(constants.alpha01(256)) \
                and fp.lam.overlaps(constants.lambda01(256)):
            return Params()  # exactly alpha01, lambda01 (m* = 0, v* = 1)
    values = {n: (sol.fixed[n] if n in sol.fixed else b.mid().str(32, radius=False)) for n, b in sol.balls.items()}
    return Params(activation=sol.activation, **values)


def resolve_target(alpha=None, lam=None, fixed_point=None, omega="0", tau="1", *,
                   activation: str = DEFAULT_ACTIVATION, values=None) -> Target:
    """Parameters and domain centre from either --fixed-point MU NU (the parameters are
    solved for) or parameter values (--alpha/--lambda, SELU's spellings, and ``values``
    {name: spec} from --param; the fixed point is located).  For an activation with more
    than two parameters, values given with --fixed-point are held fixed.

    DesignInputError for invalid input, NoFixedPoint when the target has no certified
    parameters (or the parameters no fixed point)."""
    om = parse_number(omega, "omega")
    ta = parse_number(tau, "tau", positive=True)
    try:
        given = given_values(activation, tuple((values or {}).items()), {"alpha": alpha, "lam": lam})
        n_params = len(activation_parameters(activation).names)
    except ParamError as exc:
        raise DesignInputError(str(exc)) from None
    if fixed_point is not None and given and n_params <= 2:
        raise DesignInputError("give either --fixed-point MU NU or parameter values (--param, --alpha/--lambda), "
                               "not both")
    if fixed_point is not None:
        mu = parse_number(fixed_point[0], "mu*")
        nu = parse_number(fixed_point[1], "nu*", positive=True)
        try:
            sol = solve_parameters(activation, mu, nu, om, ta, fixed=given)
        except FixedPointError as exc:
            raise NoFixedPoint(str(exc)) from None
        centre = Centre(mu, nu, om, ta)
        return Target(_theorem_params(sol), centre, "fixed-point", solved=sol)
    try:
        params = Params(activation=activation, **given)
    except ParamError as exc:
        raise DesignInputError(str(exc)) from None
    if not all(x < 1e3 for x in params.floats()):
        raise DesignInputError(f"the parameters ({', '.join(params.names)}) must be below 1000")
    lf = locate_fixed_point(params, om, ta)
    centre = Centre(_round_centre(lf.mu_float), _round_centre(lf.nu_float), om, ta)
    return Target(params, centre, "alpha-lambda", located=lf)


def add_target_arguments(sp, fixed_point_help: str = None, selu_spellings: bool = True):
    """--alpha, --lambda (``selu_spellings``), --fixed-point MU NU, --omega, --tau on an
    argparse subparser (``cli.common.add_target_options`` adds --activation and --param
    too)."""
    if selu_spellings:
        sp.add_argument("--alpha", default=None, help="alpha (exact decimal, or alpha01)")
        sp.add_argument("--lambda", dest="lam", default=None, help="lambda (exact decimal, or lambda01)")
    sp.add_argument("--fixed-point", nargs=2, metavar=("MU", "NU"), default=None,
                    help=fixed_point_help or "target fixed point (mean, variance): the parameters are solved for it")
    sp.add_argument("--omega", default="0", help="weight sum omega (paper: 0; getSELUparameters notebook: 1)")
    sp.add_argument("--tau", default="1", help="weight square sum tau (paper and notebook: 1)")


def target_from_args(args) -> Target:
    """resolve_target on parsed arguments; bad input raises DesignInputError (the CLI reports it, exit 2)."""
    activation = getattr(args, "activation", None) or DEFAULT_ACTIVATION
    try:
        values = given_values(activation, getattr(args, "param", None) or ())
    except ParamError as exc:
        raise DesignInputError(str(exc)) from None
    return resolve_target(getattr(args, "alpha", None), getattr(args, "lam", None),
                          getattr(args, "fixed_point", None), getattr(args, "omega", "0"),
                          getattr(args, "tau", "1"), activation=activation, values=values)


def wants_scaled(args) -> bool:
    return any(getattr(args, k, None) is not None for k in ("alpha", "lam", "fixed_point")) or \
        bool(getattr(args, "param", None)) or \
        (getattr(args, "activation", None) or DEFAULT_ACTIVATION) != DEFAULT_ACTIVATION or \
        str(getattr(args, "omega", "0")) != "0" or str(getattr(args, "tau", "1")) != "1"


def claims_for_args(args):
    """For ``selu-verify all``: None without --alpha/--lambda/--fixed-point/--omega/--tau
    (run the registry), else (target, claims) for the scaled Theorems 1-3.  NoFixedPoint
    propagates (report it and exit 1)."""
    if not wants_scaled(args):
        return None
    t = target_from_args(args)
    return t, theorem_claims(t.params, t.centre)


def run_all(args, run_claims):
    """For ``selu-verify all``: None when no --alpha/--lambda/--fixed-point/--omega/--tau
    was given (run the registry as usual); otherwise print the target, run the scaled
    Theorems 1-3 with ``run_claims(args, claims)`` (cli._run_claims) and return its exit
    code, or 1 when the target has no certified alpha, lambda / fixed point."""
    try:
        got = claims_for_args(args)
    except NoFixedPoint as exc:
        print(f"no solution: {exc}")
        return 1
    if got is None:
        return None
    target, claims = got
    if not getattr(args, "quiet", False):
        print("\n".join(target.lines()))
    return run_claims(args, claims)
