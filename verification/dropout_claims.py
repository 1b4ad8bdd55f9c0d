"""Alpha dropout with the dropout rate as a variable of the domain: certified claims.

A layer is activation -> alpha dropout -> affine correction (Klambauer et al. 2017,
section "New Dropout Technique"; ``selu_theory.dropout``).  With keep probability
q = 1 - rate, a dropped unit set to alpha' = -lambda alpha (SELU's negative saturation
value) and the paper's correction

    a = (q + alpha'^2 q (1 - q))^(-1/2) = ((1 - rate)(1 + rate L^2))^(-1/2),   L = lambda alpha,
    b = -a (1 - q) alpha'               = a rate L,

the rate is the fifth variable ``rate`` of a claim's domain (``quantities.EXTRA_VARS``):
it enters the expressions below through the expression language only, the kernels stay
functions of m = mu omega, v = nu tau.  Two kinds of claim, each proved, sealed and
replayed by the checker through ``verification.certify``:

1. **Restoration** (``restoration_claim``): at the fixed point (mu, omega, nu, tau) =
   (0, 0, 1, 1), where the activation's output has (mu~, xi~) = (0, 1), the corrected
   output y = a d + b of d = B x + (1 - B) alpha' has E[y] = 0 and Var(y) = 1 for every
   rate of the range.  The dropped-out unit's moments are written from their
   definitions, E[d] = q mu~ + (1 - q) alpha', E[d^2] = q xi~ + (1 - q) alpha'^2, with
   mu~, xi~ the activation's own (kernels, at the fixed point).  The correction enters
   as the paper defines it, through s = a^(-2) and beta = b/a (paper: s = q + alpha'^2
   q (1 - q), beta = -(1 - q) alpha'), and the claim is

       |E[d] + beta| < eps   and   |Var(d) - s| < eps      for every rate in the range,

   i.e. |E[y]| = a |E[d] + beta| < a eps and |Var(y) - 1| = a^2 |Var(d) - s| < a^2 eps
   (a <= 1.2 for rates <= 0.2).  Why this form and not E[y], Var(y) themselves: both
   are constant in the rate, and ball arithmetic evaluates a constant written as
   a(rate) (E[d] + b/a) with a width proportional to the box (every occurrence of the
   rate is an interval of its own), so the box engine needs boxes of width ~eps^(1/3)
   and records bounds that depend on how Arb rounds wide radii.  Written with s and
   beta, the expressions are polynomials in the rate whose Taylor forms cancel exactly:
   one box proves eps = 1e-15.  Ball arithmetic cannot prove an identity, so eps > 0;
   the identity itself is algebra (tests/test_dropout.py checks it with sympy).  A
   false twin (a or b off by 1e-6 relative) is disproved by a certified counterexample.

2. **A Theorem 1 analogue** (``contraction_claim``): the composed layer map on (mu, nu),
   in the paper's convention (below), with omega, tau free in a domain of the paper's
   shape (Omega: mu, omega in [-0.1, 0.1], nu in [0.8, 1.5], tau in [0.95, 1.1]) and the
   rate in a range: the spectral norm S of its Jacobian is < 1 (contraction) and the
   map sends the (mu, nu) rectangle into itself -- by Banach's theorem a unique, stable
   fixed point in it for every (omega, tau, rate) of the domain.

**The composed map's convention.**  ``docs/network.md`` knows two maps on (mu, nu): the
paper's (one unit whose weights sum to omega, z ~ N(mu omega, nu tau)) and the ensemble
map (statistics pooled over a layer's units with i.i.d. zero-mean weights, z ~ N(0,
(nu + mu^2) tau); omega does not enter).  Here the paper's convention is used: the claim
is the analogue of the paper's Theorem 1, stated on the paper's Omega, whose omega only
the paper's map sees; the two maps agree at mu = 0 (the fixed point (0, 1) included) and
so do their Jacobians there.  So

    mu_out = a q mu~                    = g mu~,                     g = sqrt((1 - rate)/(1 + rate L^2))
    nu_out = a^2 Var(d)                 = h (xi~ - (1 - rate) mu~^2 + 2 rate L mu~ + rate L^2),
                                                                     h = 1/(1 + rate L^2)

(Var(d) = q xi~ - q^2 mu~^2 - 2 q (1 - q) alpha' mu~ + q (1 - q) alpha'^2 and
a^2 q = h), with Jacobian (chain rule through the activation's moment-map Jacobian,
the quantities dmu_dmu, dmu_dnu, dxi_dmu, dxi_dnu)

    J = [[g dmu_dmu,                               g dmu_dnu],
         [h (dxi_dmu + 2 (rate L - (1 - rate) mu~) dmu_dmu),  h (dxi_dnu + ... dmu_dnu)]]

and S its largest singular value in the closed form of ``moment_map`` (at rate = 0 all
of this is the activation's own mu~, nu~, J and S).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from selu_theory.evaluate import cached_evaluator
from selu_theory.numbers import text_of
from selu_theory.params import Params
from verification import claims as C
from verification.search import best_point
from verification.certify import certify_claim
from verification.domain import Domain
from verification.engine import Runner
from verification.scaled_claims import OMEGA_SHAPE, PAPER_CENTRE

__all__ = ["L", "map_expressions", "restoration_expressions", "restoration_claim", "contraction_claim",
           "paper_affine", "paper_s_beta", "false_twin_s", "omega_domain", "Outcome", "Search", "DropoutReport", "certify_one",
           "prove_restoration", "prove_contraction", "fixed_point_claim", "fixed_point_table", "TABLE_RATES", "largest_rate", "largest_scale", "float_limit", "analyse",
           "RESTORATION_EPS", "DropoutClaimError"]

L = "(lam*alpha)"                      # -alpha', SELU's negative saturation value is -L
RESTORATION_EPS = Fraction(1, 10 ** 15)  # |E[d] + b/a|, |Var(d) - a^-2| below this on the range
FIXED_POINT = ("0", "0", "1", "1")     # (mu, omega, nu, tau): (mu~, xi~) = (0, 1) there


class DropoutClaimError(ValueError):
    """Bad input for a dropout claim (the CLI's exit 2); one line."""


def paper_s_beta() -> tuple:
    """The paper's correction as s = a^(-2) = q + alpha'^2 q (1 - q) and beta = b/a =
    -(1 - q) alpha' (expression texts in ``rate``, q = 1 - rate, alpha' = -L)."""
    return f"((1 - rate) + {L}**2*(1 - rate)*rate)", f"(rate*{L})"


def paper_affine() -> tuple:
    """The paper's (a, b) = (s^(-1/2), a beta) as expression texts in ``rate``."""
    s, beta = paper_s_beta()
    a = f"1/sqrt({s})"
    return a, f"({a})*{beta}"


def restoration_expressions(s: str = None, beta: str = None) -> dict:
    """E[d] + beta (= E[y]/a) and Var(d) - s (= (Var(y) - 1)/a^2) at the fixed point, with
    E[d] = q mu~ + (1 - q) alpha', E[d^2] = q xi~ + (1 - q) alpha'^2 from the definitions
    (``s``, ``beta``: texts in ``rate``; default the paper's)."""
    ps, pb = paper_s_beta()
    s, beta = f"({s or ps})", f"({beta or pb})"
    ed = f"((1 - rate)*mu_tilde - rate*{L})"
    ed2 = f"((1 - rate)*xi_tilde + rate*{L}**2)"
    return {"mean": f"{ed} + {beta}", "var": f"{ed2} - {ed}**2 - {s}"}


def map_expressions() -> dict:
    """The composed map (module doc) and its Jacobian's spectral norm: {M, N, S, J11..J22}."""
    g = f"sqrt((1 - rate)/(1 + rate*{L}**2))"
    h = f"(1 + rate*{L}**2)"
    k = f"2*(rate*{L} - (1 - rate)*mu_tilde)"
    e = {"M": f"{g}*mu_tilde",
         "N": f"(xi_tilde - (1 - rate)*mu_tilde**2 + 2*rate*{L}*mu_tilde + rate*{L}**2)/{h}",
         "J11": f"{g}*dmu_dmu", "J12": f"{g}*dmu_dnu",
         "J21": f"(dxi_dmu + {k}*dmu_dmu)/{h}", "J22": f"(dxi_dnu + {k}*dmu_dnu)/{h}"}
    A, B, Cc, D = (f"({e[j]})" for j in ("J11", "J12", "J21", "J22"))
    e["S"] = (f"(sqrt(({A} + {D})**2 + ({Cc} - {B})**2) + "
              f"sqrt(({A} - {D})**2 + ({Cc} + {B})**2))/2")
    return e


def _rate_range(lo, hi) -> tuple:
    lo, hi = Fraction(lo), Fraction(hi)
    if lo < 0 or hi < lo:
        raise DropoutClaimError(f"the rate range must satisfy 0 <= lo <= hi; got [{text_of(lo)}, {text_of(hi)}]")
    if hi >= 1:
        raise DropoutClaimError(f"the rate is a drop probability below 1; got {text_of(hi)}")
    return lo, hi


def restoration_claim(rate_lo, rate_hi, s: str = None, beta: str = None, eps=RESTORATION_EPS,
                      params: Params = None) -> C.Claim:
    """|E[d] + beta| < eps and |Var(d) - s| < eps at the fixed point for every rate in the
    range (module doc; ``s`` = a^(-2), ``beta`` = b/a: expression texts in ``rate``,
    default the paper's)."""
    lo, hi = _rate_range(rate_lo, rate_hi)
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("1", "1"), tau=("1", "1"), rate=(lo, hi))
    e = restoration_expressions(s, beta)
    eps = Fraction(eps)
    parts = (C.Extremum("mean.max", e["mean"], "max", dom, threshold=text_of(eps), tol=C.NO_TOL),
             C.Extremum("mean.min", e["mean"], "min", dom, threshold=text_of(-eps), tol=C.NO_TOL),
             C.Extremum("var.max", e["var"], "max", dom, threshold=text_of(eps), tol=C.NO_TOL),
             C.Extremum("var.min", e["var"], "min", dom, threshold=text_of(-eps), tol=C.NO_TOL))
    tag = "paper" if s is None and beta is None else "given"
    cid = f"alpha-dropout-restoration@{tag},rate={text_of(lo)}:{text_of(hi)}"
    return C.Claim(cid, "alpha dropout restores (0, 1)", "", "selu-verify dropout", parts,
                   params=params or Params())


TABLE_RATES = tuple(Fraction(k, 40) for k in range(9))     # 0, 0.025, ..., 0.2


def fixed_point_claim(rate, params: Params = None) -> C.Claim:
    """The composed map's Jacobian and S at the fixed point (mu, omega, nu, tau) =
    (0, 0, 1, 1) for one rate, enclosed (min and max over the one-point domain: a
    certified enclosure of the value)."""
    lo, hi = _rate_range(rate, rate)
    dom = Domain.of(mu=("0", "0"), omega=("0", "0"), nu=("1", "1"), tau=("1", "1"), rate=(lo, hi))
    e = map_expressions()
    parts = tuple(C.Extremum(f"{k}.{sense}", e[k], sense, dom, tol=1e-12)
                  for k in ("J11", "J12", "J21", "J22", "S") for sense in ("min", "max"))
    return C.Claim(f"alpha-dropout-jacobian@rate={text_of(lo)}", "alpha dropout: J and S at (0, 1)", "",
                   "selu-verify dropout", parts, params=params or Params())


def omega_domain(scale=1, rate=(0, 0)) -> Domain:
    """The paper's Omega blown up by ``scale`` about (0, 0, 1, 1) (as ``scaled_claims``
    does), with the rate range as a fifth variable."""
    lo, hi = _rate_range(*rate)
    d = OMEGA_SHAPE.scaled(Fraction(scale)).domain(PAPER_CENTRE) if Fraction(scale) != 1 \
        else OMEGA_SHAPE.domain(PAPER_CENTRE)
    return Domain(d.bounds + ((lo, hi),), d.names + ("rate",))


def contraction_claim(domain: Domain, tol: float = C.NO_TOL, params: Params = None) -> C.Claim:
    """S < 1 and the self-map of the (mu, nu) rectangle on ``domain`` (5 variables)."""
    e = map_expressions()
    (mlo, mhi), _, (nlo, nhi), _, (rlo, rhi) = domain.bounds
    parts = (C.Extremum("S.max", e["S"], "max", domain, threshold="1", tol=tol),
             C.Extremum("mu_out.min", e["M"], "min", domain, threshold=text_of(mlo), tol=tol),
             C.Extremum("mu_out.max", e["M"], "max", domain, threshold=text_of(mhi), tol=tol),
             C.Extremum("nu_out.min", e["N"], "min", domain, threshold=text_of(nlo), tol=tol),
             C.Extremum("nu_out.max", e["N"], "max", domain, threshold=text_of(nhi), tol=tol))
    cid = "alpha-dropout-thm1@" + ",".join(f"{v}={text_of(lo)}:{text_of(hi)}"
                                           for v, (lo, hi) in zip(domain.names, domain.bounds))
    return C.Claim(cid, "alpha dropout: Theorem 1 analogue", "", "selu-verify dropout", parts,
                   params=params or Params())


# --------------------------------------------------------------------------- running claims

@dataclass
class Outcome:
    """One claim through the pipeline: ``status`` the accepted one (proved only if the
    checker replayed the certificate), the parts' certified enclosures, a counterexample
    (the part's key, point and value) when disproved, the certificate's path (None: checked
    in memory), boxes and the reason when it is not proved."""
    claim_id: str
    domain: Domain
    status: str
    enclosures: dict
    boxes: int
    seconds: float
    certificate: str = None
    reason: str = ""
    counterexample: dict = None

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def to_dict(self) -> dict:
        return {"claim": self.claim_id, "domain": self.domain.to_json(), "status": self.status,
                "enclosures": {k: [_num(lo), _num(hi)] for k, (lo, hi) in self.enclosures.items()},
                "boxes": self.boxes, "certificate": self.certificate, "reason": self.reason,
                "counterexample": self.counterexample}


def _num(x):
    return x if math.isfinite(x) else str(x)


def certify_one(claim: C.Claim, runner: Runner, out=None, max_boxes: int = 50_000) -> Outcome:
    """Prove, seal, (write to ``out``/certificates/,) replay and accept one claim."""
    path = None
    if out is not None:
        folder = out / "certificates"
        folder.mkdir(parents=True, exist_ok=True)
        path = (lambda cert: folder / f"dropout-{cert.sha256[:12]}.json")
    res, done = certify_claim(claim, runner, path, max_boxes=max_boxes)
    reason = done.reason or "; ".join(f"{p.key} {p.status}" + (f" ({p.detail})" if p.detail else "")
                                      for p in res.parts if p.status != "proved")
    return Outcome(claim.id, claim.parts[0].domain, done.status, dict(res.enclosures), res.boxes,
                   res.seconds, None if done.path is None else str(done.path),
                   "" if done.status == "proved" else reason, res.counterexample)


def prove_restoration(runner: Runner, rate=(0, Fraction(1, 5)), eps=RESTORATION_EPS, s: str = None,
                      beta: str = None, out=None, max_boxes: int = 50_000) -> Outcome:
    return certify_one(restoration_claim(*rate, s=s, beta=beta, eps=eps), runner, out, max_boxes)


def fixed_point_table(runner: Runner, rates=TABLE_RATES, out=None) -> list:
    """[(rate, Outcome)]: J and S of the composed map at (0, 1), certified, per rate."""
    return [(Fraction(r), certify_one(fixed_point_claim(r), runner, out)) for r in rates]


def prove_contraction(runner: Runner, rate=(0, Fraction(1, 10)), scale=1, out=None,
                      max_boxes: int = 50_000) -> Outcome:
    return certify_one(contraction_claim(omega_domain(scale, rate)), runner, out, max_boxes)


@dataclass
class Search:
    """A bisection whose every step is a certified claim: ``good`` the largest value
    proved (None: not even the start), ``bad`` the smallest value whose claim was not
    proved (``bad_status``: disproved -- a certified counterexample, so the true limit
    is below -- or undecided: the budget ran out, the limit may lie beyond), ``steps``
    the outcomes in order."""
    what: str                     # "rate" (range [0, r]) or "scale" (Omega x s)
    rate: tuple = None            # the rate range of a scale search
    good: Fraction = None
    bad: Fraction = None
    bad_status: str = ""
    steps: list = field(default_factory=list)
    float_limit: float = None     # a scale search's float estimate of the limit
    counterexample_scale: Fraction = None   # a scale disproved by a certified counterexample

    @property
    def certificate(self):
        best = [s for s in self.steps if s.proved]
        return best[-1].certificate if best else None

    def to_dict(self) -> dict:
        return {"what": self.what, "rate": None if self.rate is None else [text_of(x) for x in self.rate],
                "largest_proved": None if self.good is None else text_of(self.good),
                "smallest_not_proved": None if self.bad is None else text_of(self.bad),
                "not_proved_status": self.bad_status, "float_limit": self.float_limit,
                "counterexample_at": None if self.counterexample_scale is None else text_of(self.counterexample_scale),
                "steps": [s.to_dict() for s in self.steps]}


def _approach(search: Search, attempt, start, limit, steps: int, digits: int = 3):
    """``steps`` certified steps towards ``limit`` from below: x_k = limit - (limit -
    start) / 2^k (k = 0, 1, ...; rounded down to ``digits`` decimals) while they prove
    (cheaper than a plain bisection when the claims grow expensive near the limit: an
    undecided step spends its whole box budget); after the first that does not prove,
    the remaining steps bisect between the last proved and it."""
    scale = 10 ** digits

    def down(x):
        return Fraction(math.floor(x * scale), scale)
    k = 0
    while steps > 0:
        if search.bad is None:
            x = down(limit - (limit - start) / 2 ** k)
            k += 1
            if search.good is not None and x <= search.good:
                if k > 60:
                    break
                continue
        else:
            if search.good is None:
                break
            x = down((search.good + search.bad) / 2)
            if x <= search.good:
                break
        steps -= 1
        o = attempt(x)
        search.steps.append(o)
        if o.proved:
            search.good = x
        else:
            search.bad, search.bad_status = x, o.status
    return search


RATE_CAP = Fraction(1)


def largest_rate(runner: Runner, scale=1, start=Fraction(1, 5), steps: int = 6, out=None,
                 max_boxes: int = 50_000) -> Search:
    """The largest r with the Theorem 1 analogue certified on Omega x ``scale`` for
    every rate in [0, r]: certified steps r = 1 - (1 - start)/2^k towards 1 (the map
    contracts for every rate below 1 by the float search; the claims grow expensive as
    sqrt(1 - rate) loses its bounded derivative)."""
    s = Search("rate")
    return _approach(s, lambda r: prove_contraction(runner, (0, r), scale, out, max_boxes),
                     Fraction(start), RATE_CAP, steps, digits=4)


def float_limit(rate, lo=1, hi=Fraction(49, 10), iterations: int = 20) -> float:
    """The scale s (floats: a search estimate, nothing proved) where the Theorem 1
    analogue's contraction or self-map first fails on Omega x s at the rate range."""
    e = map_expressions()
    rate = tuple(Fraction(x) for x in rate)

    def holds(x):
        d = omega_domain(Fraction(x).limit_denominator(10 ** 6), rate)
        (mlo, mhi), _, (nlo, nhi), _, _ = d.bounds
        for name, sign, bound in (("S", 1, 1), ("M", 1, mhi), ("M", -1, mlo), ("N", 1, nhi), ("N", -1, nlo)):
            ev = cached_evaluator(e[name], Params(), 64, d.names)
            pt = best_point(ev.floats, sign, d)
            v = float(ev.floats(*(np.array([float(c)]) for c in pt))[0])
            if not (sign * v < sign * float(bound)):
                return False
        return True
    a, b = float(lo), float(hi)
    if not holds(a):
        return a
    if holds(b):
        return b
    for _ in range(iterations):
        m = (a + b) / 2
        a, b = (m, b) if holds(m) else (a, m)
    return a


def largest_scale(runner: Runner, rate, lo=1, steps: int = 6, out=None, max_boxes: int = 50_000) -> Search:
    """The largest s with the Theorem 1 analogue certified on Omega blown up by s about
    (0, 0, 1, 1) (``scaled_claims``' scaling) at the rate range ``rate`` (a single rate
    r is (r, r)): the float limit s_f (``float_limit``) is approached from below by
    certified steps, and the first scale above s_f (3 decimals) is disproved by a
    certified counterexample."""
    rate = tuple(Fraction(x) for x in rate)
    s = Search("scale", rate=rate)
    lim = float_limit(rate, lo)
    s.float_limit = lim
    attempt = (lambda x: prove_contraction(runner, rate, x, out, max_boxes))
    above = Fraction(math.ceil(lim * 1000) + 1, 1000)
    o = attempt(above)
    s.steps.append(o)
    s.counterexample_scale = above if o.status == "disproved" else None
    _approach(s, attempt, Fraction(lo), Fraction(lim), steps)
    if s.bad is None or s.bad > above:
        s.bad, s.bad_status = above, o.status
    return s


@dataclass
class DropoutReport:
    """Everything ``selu-verify dropout`` computes (``analyse``)."""
    restoration: Outcome = None
    false_twin: Outcome = None
    contraction: Outcome = None
    rate_search: Search = None
    scale_searches: dict = field(default_factory=dict)    # {rate text: Search}
    table: list = None                                    # [(rate, Outcome)] of fixed_point_table
    eps: Fraction = RESTORATION_EPS                       # the restoration's tolerance

    @property
    def certified(self) -> bool:
        """Every claim asked for is certified (and the false twin is not)."""
        ok = [o.proved for o in (self.restoration, self.contraction) if o is not None]
        if self.false_twin is not None:
            ok.append(not self.false_twin.proved)
        ok += [s.good is not None for s in ([self.rate_search] if self.rate_search else [])]
        ok += [s.good is not None for s in self.scale_searches.values()]
        ok += [o.proved for _, o in self.table or ()]
        return all(ok) and bool(ok)

    def to_dict(self) -> dict:
        def d(x):
            return None if x is None else x.to_dict()
        return {"convention": "paper (z ~ N(mu omega, nu tau): one unit whose weights sum to omega)",
                "expressions": map_expressions(), "restoration_expressions": restoration_expressions(),
                "restoration_eps": text_of(self.eps), "false_twin_s": false_twin_s(),
                "restoration": d(self.restoration), "false_twin": d(self.false_twin),
                "contraction": d(self.contraction), "largest_rate": d(self.rate_search),
                "largest_omega": {k: v.to_dict() for k, v in self.scale_searches.items()},
                "fixed_point_table": None if self.table is None else
                [{"rate": text_of(r), **o.to_dict()} for r, o in self.table],
                "certified": self.certified}


def false_twin_s() -> str:
    """s = a^(-2) of an a off by 1e-6 relative (a x 1.000001)."""
    return f"{paper_s_beta()[0]}/1.000001**2"


def analyse(runner: Runner, rate=(0, Fraction(1, 5)), scale=1, *, restoration: bool = True,
            false_twin: bool = True, contraction: bool = True, largest_rate_search: bool = False,
            omega_rates=(), eps=RESTORATION_EPS, out=None, max_boxes: int = 50_000,
            steps: int = 6, table: bool = False) -> DropoutReport:
    """The claims of ``selu-verify dropout`` (module doc), each through the pipeline."""
    rate = _rate_range(*rate)
    for r in omega_rates:
        _rate_range(r, r)
    if not 0 < Fraction(scale) < 5:
        raise DropoutClaimError(f"the scale of Omega must lie in (0, 5) (nu > 0); got {text_of(Fraction(scale))}")
    if not 0 < Fraction(eps) < 1:
        raise DropoutClaimError(f"eps must lie in (0, 1); got {text_of(Fraction(eps))}")
    rep = DropoutReport(eps=Fraction(eps))
    if restoration:
        rep.restoration = prove_restoration(runner, rate, eps, out=out, max_boxes=max_boxes)
    if false_twin:
        rep.false_twin = prove_restoration(runner, rate, eps, s=false_twin_s(), out=out, max_boxes=max_boxes)
    if table:
        rep.table = fixed_point_table(runner, out=out)
    if contraction:
        rep.contraction = prove_contraction(runner, rate, scale, out, max_boxes)
    if largest_rate_search:
        rep.rate_search = largest_rate(runner, scale, start=rate[1] if rate[1] > 0 else Fraction(1, 5),
                                       out=out, max_boxes=max_boxes, steps=steps)
    for r in omega_rates:
        r = Fraction(r)
        rep.scale_searches[text_of(r)] = largest_scale(runner, (r, r), out=out, max_boxes=max_boxes,
                                                       steps=steps)
    return rep
