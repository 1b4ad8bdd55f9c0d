"""Is my network self-normalizing?  A layer (activation -> dropout -> affine correction)
with a framework initialiser, as a map on (mu, nu), certified through the one pipeline.

With a zero-mean initialiser the layer-mean weight sum is omega = 0 and tau = fan_in
Var(w) (``selu_theory.initialisers``).  At omega = 0 the pre-activation mean m = mu omega
vanishes, so every moment of the layer's output is a function of one variable:

* the paper's map (one unit whose weights sum to omega = 0): z ~ N(0, nu tau), so
  (mu, nu) -> (M(nu), N(nu)); its Jacobian has a zero first column (J11 = J21 = 0) and
  the paper's S is sqrt(M'(nu)^2 + N'(nu)^2);
* the ensemble map (statistics pooled over a layer's units, which is what a real
  network follows, see ``network_sim``): z ~ N(0, xi tau), xi = nu + mu^2, so
  xi -> X(xi) (the output's second moment) and mu = M(xi): a one-dimensional map, whose
  contraction factor is X'(xi).

M, N, X and their nu-derivatives are written as expressions of the expression language
(``EXPRESSIONS``: mu_tilde, xi_tilde, dmu_dnu, dxi_dnu evaluated at (mu, omega, nu, tau)
= (0, 0, nu, tau), with the dropout's constants as exact numbers and alpha' = -lam alpha),
so every statement is an ``Extremum`` part of a claim proved, sealed and replayed by the
checker (``verification.certify``):

* contraction and self-map on an interval I of nu (paper: S < 1; ensemble: -1 < X' < 1;
  both: the map sends I into I), a Theorem 1 analogue: by Banach's theorem the map has
  exactly one fixed point in I and the iteration from any input in I converges to it
  (paper's map: any mu, nu in I; ensemble: xi = nu + mu^2 in I);
* a tight interval around the float fixed point mapped into itself: the fixed point lies
  in it (and M over it encloses mu*).

Floats (the trajectory, the float fixed point that centres the intervals, the
simulation) only describe and search, and are labelled so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_CEILING, ROUND_FLOOR
from fractions import Fraction

import numpy as np

from selu_theory import ball, dropout as dropout_mod, network_sim, pointwise
from selu_theory.evaluate import cached_evaluator
from selu_theory.initialisers import Initialiser, initialiser
from selu_theory.numbers import text_of
from selu_theory.params import Params
from verification import claims as C
from verification.certify import certify_claim
from verification.domain import Domain
from verification.engine import Runner
from verification.scaled_claims import NoFixedPoint, locate_fixed_point

__all__ = ["NetworkError", "NetworkResult", "Section", "expressions", "analyse", "MAX_DEPTH",
           "MAX_WIDTH", "MAX_BATCH", "CONVENTIONS"]

MAX_DEPTH = 10_000
MAX_WIDTH = 4096
MAX_BATCH = 65_536
CONVENTIONS = ("paper", "ensemble")
TIGHT = 1e-9          # relative half-width of the fixed point's certified interval
DOMAIN_SHAPE = (Fraction(8, 10), Fraction(15, 10))   # the paper's Omega: nu in [0.8, 1.5] nu*


class NetworkError(ValueError):
    """A network configuration that cannot be analysed; the message is one line."""


def expressions(dropout, activation: str = "selu") -> dict:
    """{name: expression text} of the layer's moment maps at omega = 0 (module doc):
    M (output mean), N (variance), X (second moment), their nu-derivatives dM, dN, dX,
    and S = sqrt(dM^2 + dN^2), the paper's spectral norm (the Jacobian's first column is
    zero at omega = 0)."""
    d = dropout_mod.parse_dropout(dropout)
    q = f"({text_of(d.keep)})"
    if d.kind == "none" or d.rate == 0:
        e = {"M": "mu_tilde", "X": "xi_tilde", "dM": "dmu_dnu", "dX": "dxi_dnu"}
    elif d.kind == "standard":
        e = {"M": "mu_tilde", "X": f"xi_tilde/{q}", "dM": "dmu_dnu", "dX": f"dxi_dnu/{q}"}
    else:
        try:
            ap = f"({pointwise.saturation_expr(activation)})"     # alpha' = f(-inf)
        except pointwise.PointwiseUnknown as exc:
            raise NetworkError(str(exc)) from None
        s = f"({q} + {ap}**2*{q}*(1 - {q}))"          # 1 / a^2
        # y = a d + b (dropout.py): mean a q mu~; second moment (q xi~ - 2 q (1-q) alpha'
        # mu~ + q (1-q) alpha'^2) / s, with b = -a (1 - q) alpha'
        e = {"M": f"{q}*mu_tilde/sqrt({s})",
             "X": f"({q}*xi_tilde - 2*{q}*(1 - {q})*{ap}*mu_tilde + {q}*(1 - {q})*{ap}**2)/{s}",
             "dM": f"{q}*dmu_dnu/sqrt({s})",
             "dX": f"({q}*dxi_dnu - 2*{q}*(1 - {q})*{ap}*dmu_dnu)/{s}"}
    e["N"] = f"{e['X']} - ({e['M']})**2"
    e["dN"] = f"{e['dX']} - 2*({e['M']})*({e['dM']})"
    e["S"] = f"sqrt(({e['dM']})**2 + ({e['dN']})**2)"
    return e


# --------------------------------------------------------------------------- floats

class FloatMap:
    """The float moment maps at (0, 0, x, tau) (a search aid, never a proof)."""

    def __init__(self, params: Params, exprs: dict, tau: float):
        self.ev = {k: cached_evaluator(v, params, 64) for k, v in exprs.items()}
        self.tau = tau

    def __call__(self, name: str, x: float) -> float:
        z = np.array([0.0])
        return float(self.ev[name].floats(z, z, np.array([float(x)]), np.array([self.tau]))[0])


def float_fixed_point(f: FloatMap, value: str, slope: str, start: float = 1.0):
    """x = h(x) for the one-dimensional map h (``value``) by iteration then Newton."""
    x = start
    for _ in range(200):
        y = f(value, x)
        if not math.isfinite(y) or y <= 0 or y > 1e6:
            return None
        x = y
    for _ in range(50):
        g, dg = f(value, x) - x, f(slope, x) - 1
        if not (math.isfinite(g) and math.isfinite(dg)) or dg == 0:
            return None
        step = g / dg
        x -= step
        if x <= 0:
            return None
        if abs(step) < 1e-16 * (1 + abs(x)):
            break
    return x if abs(f(value, x) - x) < 1e-12 * (1 + x) else None


# --------------------------------------------------------------------------- certified sections

def dec_down(x: float, places: int = 8) -> Fraction:
    return Fraction(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR))


def dec_up(x: float, places: int = 8) -> Fraction:
    return Fraction(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING))


def float_down(q: Fraction) -> float:
    x = float(q)
    return math.nextafter(x, -math.inf) if Fraction(x) > q else x


def float_up(q: Fraction) -> float:
    x = float(q)
    return math.nextafter(x, math.inf) if Fraction(x) < q else x


def _outward(x) -> list:
    """An Arb ball as [lo, hi] floats rounded outward."""
    lo, hi = ball.fraction_bounds(x)
    return [float_down(lo), float_up(hi)]


def tau_range_of(init: Initialiser, places: int = 12) -> tuple:
    """tau as an exact point, or (truncated normal, irrational tau) an interval of
    ``places``-decimal ends around its ball: wide enough for the engine's float split
    points, and the claims then hold for every tau in it, the true one included."""
    if init.exact:
        return (init.tau, init.tau)
    lo, hi = ball.fraction_bounds(init.tau_ball(256))
    f = Fraction(10) ** places
    return (Fraction(math.floor(lo * f), f), Fraction(math.ceil(hi * f), f))


def _tau_point(init: Initialiser, places: int = 40) -> Fraction:
    """tau exactly, or an irrational tau rounded down to ``places`` decimals (Krawczyk)."""
    if init.exact:
        return init.tau
    lo, _ = ball.fraction_bounds(init.tau_ball(256))
    f = Fraction(10) ** places
    return Fraction(math.floor(lo * f), f)


@dataclass
class Section:
    """One convention's certified statements: the interval ``domain`` of nu (paper) or
    xi (ensemble) on which the map is a contraction into itself, the tight interval
    ``fixed`` holding the fixed point, the enclosure ``mu_star`` of the fixed point's
    mean, whether the input lies in ``domain``, and each claim's accepted status."""
    convention: str
    float_fixed: float = None        # float estimate of nu* (paper) or xi* (ensemble)
    float_mu: float = None
    float_factor: float = None       # S (paper) or X' (ensemble) at the float fixed point
    domain: tuple = None             # (lo, hi) Fractions
    domain_status: str = "not run"
    contraction_max: tuple = None    # enclosure of max S, or of max |X'| as (lo, hi)
    fixed: tuple = None              # (lo, hi) Fractions holding the fixed point
    fixed_status: str = "not run"
    mu_star: tuple = None            # (lo, hi) floats, certified enclosure of M on ``fixed``
    input_value: Fraction = None     # nu (paper) or nu + mu^2 (ensemble) of the input
    input_inside: bool = False
    certificates: list = field(default_factory=list)
    reason: str = ""
    largest: bool = False            # the domain was grown as far as the search could prove

    @property
    def certified(self) -> bool:
        return self.domain_status == "proved" and self.fixed_status == "proved"

    @property
    def nu_star(self):
        """Enclosure of the fixed point's variance (floats): the paper's nu* directly;
        the ensemble's xi* - mu*^2."""
        if self.fixed is None or self.mu_star is None:
            return None
        lo, hi = self.fixed
        if self.convention == "ensemble":        # nu* = xi* - mu*^2, exactly in rationals
            a, b = Fraction(self.mu_star[0]), Fraction(self.mu_star[1])
            m2hi = max(a * a, b * b)
            m2lo = Fraction(0) if a <= 0 <= b else min(a * a, b * b)
            lo, hi = lo - m2hi, hi - m2lo
        return (float_down(lo), float_up(hi))

    def to_dict(self) -> dict:
        fr = lambda p: None if p is None else [str(p[0]), str(p[1])]
        return {"convention": self.convention, "certified": self.certified,
                "variable": "nu" if self.convention == "paper" else "xi = nu + mu^2",
                "float_fixed_point": self.float_fixed, "float_mu_star": self.float_mu,
                "float_contraction_factor": self.float_factor,
                "domain": fr(self.domain), "domain_status": self.domain_status,
                "contraction_max": None if self.contraction_max is None else list(self.contraction_max),
                "fixed_interval": fr(self.fixed), "fixed_status": self.fixed_status,
                "mu_star": None if self.mu_star is None else list(self.mu_star),
                "nu_star": None if self.nu_star is None else list(self.nu_star),
                "input_value": None if self.input_value is None else str(self.input_value),
                "input_inside": self.input_inside, "certificates": self.certificates,
                "largest_search": self.largest, "reason": self.reason}


def domain_of(lo, hi, tau_range) -> Domain:
    return Domain(((Fraction(0), Fraction(0)), (Fraction(0), Fraction(0)), (lo, hi), tau_range))


def certify_parts(claim_id, parts, params, runner, out, max_boxes):
    claim = C.Claim(claim_id, claim_id.split("@")[0], "", "selu-verify network", tuple(parts), params=params)
    path = None if out is None else (lambda cert: out / f"network-{cert.sha256[:10]}.json")
    res, done = certify_claim(claim, runner, path, params=params, max_boxes=max_boxes)
    return res, done


def _grow(proves, interval, x, doublings: int = 8, halvings: int = 4) -> tuple:
    """The interval [a, b] around the fixed point x grown while ``proves(a, b)`` holds:
    the upper end moves away from x by doubling, then bisection, then the lower end
    towards 0 the same way (8-decimal ends).  Every accepted step is a proved claim."""
    a, b = interval
    for side in ("hi", "lo"):
        good = b if side == "hi" else a
        bad = None
        for _ in range(doublings):
            cand = dec_up(x + 2 * (float(good) - x)) if side == "hi" else dec_down(float(good) / 2)
            if cand == good or cand <= 0 or cand > 10 ** 6:
                break
            if proves(*((a, cand) if side == "hi" else (cand, b))):
                good = cand
            else:
                bad = cand
                break
        for _ in range(halvings if bad is not None else 0):
            mid = (good + bad) / 2
            mid = dec_up(float(mid)) if side == "hi" else dec_down(float(mid))
            if mid in (good, bad):
                break
            if proves(*((a, mid) if side == "hi" else (mid, b))):
                good = mid
            else:
                bad = mid
        if side == "hi":
            b = good
        else:
            a = good
    return a, b


def _section(convention, params, exprs, tau_range, tau_f, input_value, runner, out, tag,
             max_boxes, largest=False) -> Section:
    sec = Section(convention)
    f = FloatMap(params, exprs, tau_f)
    value, slope = ("N", "dN") if convention == "paper" else ("X", "dX")
    factor = "S" if convention == "paper" else "dX"
    x = float_fixed_point(f, value, slope)
    sec.input_value = input_value
    if x is None:
        sec.reason = "no fixed point found by float iteration"
        return sec
    sec.float_fixed, sec.float_mu, sec.float_factor = x, f("M", x), f(factor, x)
    lo, hi = dec_down(x * float(DOMAIN_SHAPE[0])), dec_up(x * float(DOMAIN_SHAPE[1]))
    if lo <= 0:
        sec.reason = f"the fixed point's variable {x:.3g} is too close to 0 for a domain around it"
        return sec
    # the input's variable too, if it can be reached with the contraction still proved
    tries = [(lo, hi)]
    if not lo <= input_value <= hi and 0 < input_value:
        tries.insert(0, (min(lo, input_value), max(hi, input_value)))
    var = "nu" if convention == "paper" else "xi"
    what = {"S.max": "S < 1", "dX.max": "X' < 1", "dX.min": "X' > -1", f"{value}.min": "self-map (low end)",
            f"{value}.max": "self-map (high end)"}

    def contraction(a, b, path):
        """Contraction and self-map on [a, b], through the pipeline: (proved, res, done)."""
        dom = domain_of(a, b, tau_range)
        if convention == "paper":
            parts = [C.Extremum("S.max", exprs["S"], "max", dom, threshold="1", tol=1e-6)]
        else:
            parts = [C.Extremum("dX.max", exprs["dX"], "max", dom, threshold="1", tol=1e-6),
                     C.Extremum("dX.min", exprs["dX"], "min", dom, threshold="-1", tol=1e-6)]
        parts += [C.Extremum(f"{value}.min", exprs[value], "min", dom, threshold=text_of(a), tol=C.NO_TOL),
                  C.Extremum(f"{value}.max", exprs[value], "max", dom, threshold=text_of(b), tol=C.NO_TOL)]
        res, done = certify_parts(f"network-contraction@{tag},{convention},{var}={text_of(a)}:{text_of(b)}",
                             parts, params, runner, path, max_boxes)
        return done.status == "proved", res, done

    def accept(a, b, res, done):
        sec.domain, sec.domain_status = (a, b), "proved"
        encs = [p.enclosure for p in res.parts[:len(res.parts) - 2]]
        sec.contraction_max = encs[0] if convention == "paper" else \
            (max(abs(encs[0][0]), abs(encs[1][1])), max(abs(encs[0][1]), abs(encs[1][0])))
        sec.certificates.append(None if done.path is None else str(done.path))

    for a, b in tries:
        ok, res, done = contraction(a, b, out)
        if ok:
            accept(a, b, res, done)
            break
        sec.certificates.append(None if done.path is None else str(done.path))
        sec.domain_status = done.status
        sec.reason = done.reason or "; ".join(
            f"{what.get(p.key, p.key)} {p.status} on {var} in [{text_of(a)}, {text_of(b)}]"
            for p in res.parts if p.status != "proved")
    if sec.domain_status == "proved" and largest:
        a, b = _grow(lambda lo, hi: contraction(lo, hi, None)[0], sec.domain, x)
        if (a, b) != sec.domain:
            ok, res, done = contraction(a, b, out)      # the final interval, written
            if ok:
                accept(a, b, res, done)
        sec.largest = True
    if sec.domain_status != "proved":
        return sec
    sec.input_inside = sec.domain[0] <= input_value <= sec.domain[1]
    r = TIGHT * (1 + x)
    a, b = dec_down(x - r, 12), dec_up(x + r, 12)
    dom = domain_of(a, b, tau_range)
    parts = [C.Extremum(f"{value}.min", exprs[value], "min", dom, threshold=text_of(a), tol=C.NO_TOL),
             C.Extremum(f"{value}.max", exprs[value], "max", dom, threshold=text_of(b), tol=C.NO_TOL),
             C.Extremum("M.min", exprs["M"], "min", dom, tol=1e-12),
             C.Extremum("M.max", exprs["M"], "max", dom, tol=1e-12)]
    res, done = certify_parts(f"network-fixed-point@{tag},{convention}", parts, params, runner, out, max_boxes)
    sec.certificates.append(None if done.path is None else str(done.path))
    sec.fixed_status = done.status
    if done.status == "proved":
        sec.fixed = (a, b)
        sec.mu_star = (res.parts[2].enclosure[0], res.parts[3].enclosure[1])
    else:
        sec.reason = done.reason or "the fixed point's interval was not certified"
    return sec


# --------------------------------------------------------------------------- the whole analysis

@dataclass
class NetworkResult:
    """Everything ``selu-verify network`` prints (see ``analyse``)."""
    params: Params
    init: Initialiser
    dropout: object                  # dropout.Dropout
    input: tuple                     # (mu, nu) Fractions
    tau_range: tuple
    paper: Section
    ensemble: Section
    krawczyk: object = None          # LocatedFixedPoint (no dropout) or None
    krawczyk_error: str = ""
    trajectory: tuple = None         # (mu, nu) float arrays, ensemble mean-field, layers 0..depth
    simulation: object = None        # network_sim.SimResult or None
    verdict: str = ""
    certified: bool = False
    estimated: list = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.trajectory[0]) - 1

    def gap_rows(self) -> list:
        """(layer, mean-field mu, nu, simulated mean, var, |gap mu|, |gap nu|) at a few layers."""
        if self.simulation is None:
            return []
        mu, nu = self.trajectory
        layers = sorted({0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024} & set(range(self.depth + 1))
                        | {self.depth})
        sim = self.simulation
        return [(k, float(mu[k]), float(nu[k]), float(sim.mean[k]), float(sim.var[k]),
                 abs(float(sim.mean[k] - mu[k])), abs(float(sim.var[k] - nu[k]))) for k in layers]

    def to_dict(self) -> dict:
        k = self.krawczyk
        d = {"activation": self.params.activation, "params": self.params.labelled_specs(),
             "initialiser": self.init.spec, "distribution": self.init.distribution,
             "fan_in": self.init.fan_in, "fan_out": self.init.fan_out,
             "omega": "0", "tau": self.init.tau_text(), "tau_float": self.init.tau_float,
             "tau_formula": self.init.formula, "tau_source": self.init.source,
             "dropout": self.dropout.spec, "input": [str(self.input[0]), str(self.input[1])],
             "paper": self.paper.to_dict(), "ensemble": self.ensemble.to_dict(),
             "krawczyk": None if k is None else {
                 "convention": "paper", "tau": text_of(_tau_point(self.init)),
                 "mu_star": _outward(k.mu), "nu_star": _outward(k.nu),
                 "S": _outward(k.spectral_norm), "stable": k.stable},
             "krawczyk_error": self.krawczyk_error,
             "verdict": self.verdict, "certified": self.certified, "estimated": self.estimated,
             "trajectory": {"convention": "ensemble", "kind": "float estimate (not certified)",
                            "mu": [float(x) for x in self.trajectory[0]],
                            "nu": [float(x) for x in self.trajectory[1]]}}
        if self.simulation is not None:
            s = self.simulation
            d["simulation"] = {"width": s.width, "depth": s.depth, "batch": s.batch, "seed": s.seed,
                               "mean": [float(x) for x in s.mean], "var": [float(x) for x in s.var],
                               "gaps": [dict(zip(("layer", "mf_mu", "mf_nu", "sim_mean", "sim_var",
                                                  "gap_mu", "gap_nu"), r)) for r in self.gap_rows()]}
        return d


def _activation_function(params: Params):
    """The activation as a numpy float function (the simulation's activation)."""
    try:
        return pointwise.function(params.activation, dict(zip(params.names, params.floats())),
                                  "--simulate")
    except pointwise.PointwiseUnknown as exc:
        raise NetworkError(str(exc)) from None


def _alpha_prime(params: Params):
    """f(-inf) as a float (alpha dropout's value for a dropped unit), None if unknown."""
    if params.activation not in pointwise.KNOWN:
        return None
    return pointwise.saturation_float(params.activation, dict(zip(params.names, params.floats())))


def _moments(params: Params):
    ev = (cached_evaluator("mu_tilde", params, 64), cached_evaluator("xi_tilde", params, 64))
    one = np.array([1.0])

    def moments(m, v):
        a, b = np.array([float(m)]), np.array([float(v)])
        return float(ev[0].floats(a, one, b, one)[0]), float(ev[1].floats(a, one, b, one)[0])
    return moments


def _why_not_01(init: Initialiser, d) -> str:
    why = []
    if not (init.exact and init.tau == 1):
        why.append(f"tau = {init.tau_text(8)} is not 1 ({init.formula})")
    if d.kind == "standard" and d.rate > 0:
        why.append("standard dropout scales the second moment by 1/(1 - rate)")
    return "; ".join(why) or "the layer map's fixed point is elsewhere"


def _pair(lo, hi, digits=10) -> str:
    mid, rad = (lo + hi) / 2, (hi - lo) / 2
    return f"{mid:.{digits}g}" + (f" (+-{rad:.1g})" if rad > 0 else "")


def _verdict(res: NetworkResult) -> tuple:
    """(verdict line, certified, [what is estimated]).  The verdict rests on the ensemble
    map (what a network with i.i.d. weights follows); the paper's map is reported beside."""
    E, P = res.ensemble, res.paper
    est = []
    if not P.certified:
        k = res.krawczyk
        why = P.reason or "not certified"
        if k is not None and k.stable is False:
            why = f"S > 1 at its fixed point (Krawczyk, Arb); {why}"
        est.append(f"paper's map (omega = 0 per unit): {why}")
    if not E.certified:
        est.append(f"ensemble map: {E.reason or 'not certified'}")
        f = E.float_factor
        if E.domain_status == "disproved":
            # a certified counterexample outranks a float factor that rounds below 1
            # (ReLU's X' is exactly 1: the variance is carried, never pulled back)
            return ("not certified self-normalizing: the contraction around the float fixed point is "
                    "disproved (certified counterexample)"
                    + ("" if f is None else f"; float estimate X' = {f:.6g} there"), False, est)
        if f is not None and abs(f) < 1 and E.float_fixed is not None:
            return (f"probably self-normalizing (float estimate, not certified): fixed point "
                    f"({E.float_mu:.6g}, {E.float_fixed - E.float_mu ** 2:.6g}), X' = {f:.4g}", False, est)
        mu, nu = res.trajectory
        end = (f"; the float trajectory is at (mu, nu) = ({mu[-1]:.4g}, {nu[-1]:.4g}) after "
               f"{len(mu) - 1} layers")
        return ("not self-normalizing (float estimate, not certified): "
                + ("no fixed point with positive variance found" if f is None
                   else f"contraction factor X' = {f:.4g}") + end, False, est)
    mu, nu = E.mu_star, E.nu_star
    at01 = mu[0] <= 0 <= mu[1] and nu[0] <= 1 <= nu[1]
    target = "(0, 1)" if at01 else f"(mu*, nu*) = ({_pair(*mu, 6)}, {_pair(*nu, 6)})"
    tail = "" if at01 else f", not (0, 1): {_why_not_01(res.init, res.dropout)}"
    if not E.input_inside:
        est.append(f"convergence from the input (xi = nu + mu^2 = {float(E.input_value):.6g}, outside the "
                   f"certified xi in [{text_of(E.domain[0])}, {text_of(E.domain[1])}]): float trajectory only")
        return (f"{'self-normalizing' if at01 else 'stable, but not normalizing'} near {target}{tail}; "
                f"certified near the fixed point, from your input a float estimate", False, est)
    # A stable fixed point other than (0, 1) is not self-normalization (the statistics
    # settle, but not at zero mean and unit variance): the verdict says so first.
    head = "self-normalizing" if at01 else "not self-normalizing"
    return (f"{head} (ensemble map): converges to {target} from your input{tail}; "
            "certified", True, est)


def analyse(params: Params, init: Initialiser, dropout, input_mu: Fraction, input_nu: Fraction,
            depth: int = 64, *, simulate: bool = False, width: int = None, batch: int = 256,
            seed: int = 0, out=None, workers: int = 1, max_boxes: int = 20_000,
            largest: bool = False) -> NetworkResult:
    """The analysis of ``selu-verify network`` (module doc); ``out`` a folder for the
    certificates (None: checked in memory, not written)."""
    d = dropout_mod.parse_dropout(dropout)
    if not 0 <= depth <= MAX_DEPTH:
        raise NetworkError(f"depth must be between 0 and {MAX_DEPTH}; got {depth}")
    if input_nu < 0:
        raise NetworkError(f"the input variance must be >= 0; got {text_of(input_nu)}")
    if abs(input_mu) > 1000 or input_nu > 10 ** 6:
        raise NetworkError("the input statistics must satisfy |mu| <= 1000 and nu <= 1e6")
    if simulate:
        w = init.fan_in if width is None else width
        if not 1 <= w <= MAX_WIDTH:
            raise NetworkError(f"--width must be between 1 and {MAX_WIDTH}; got {w}")
        if not 2 <= batch <= MAX_BATCH:
            raise NetworkError(f"--batch must be between 2 and {MAX_BATCH}; got {batch}")
        if w * max(w, batch) > network_sim.MAX_ENTRIES:
            raise NetworkError("width x max(width, batch) too large to simulate")
        act = _activation_function(params)
        # the simulated layer's fan-in is its width: the framework scales by it
        sim_init = initialiser(init.spec, w, init.fan_out)
        if abs(sim_init.tau_float - init.tau_float) > 1e-12 * init.tau_float:
            raise NetworkError(f"--width {w} gives this initialiser tau = {sim_init.tau_text(6)}, not "
                               f"{init.tau_text(6)}; simulate at --fan-in {w} instead")
    exprs = expressions(d, params.activation)
    tau_range = tau_range_of(init)
    tau_f = init.tau_float
    tag = f"{params.activation},tau={text_of(tau_range[0])},dropout={d.spec}"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    with Runner(workers) as runner:
        paper = _section("paper", params, exprs, tau_range, tau_f, input_nu, runner, out, tag, max_boxes,
                         largest)
        ens = _section("ensemble", params, exprs, tau_range, tau_f, input_nu + input_mu ** 2, runner, out,
                       tag, max_boxes, largest)
    res = NetworkResult(params, init, d, (input_mu, input_nu), tau_range, paper, ens)
    if d.kind == "none" or d.rate == 0:
        try:
            res.krawczyk = locate_fixed_point(params, 0, _tau_point(init))
        except NoFixedPoint as exc:
            res.krawczyk_error = str(exc)
    ap = _alpha_prime(params)
    res.trajectory = network_sim.mean_field(_moments(params), depth, float(input_mu), float(input_nu),
                                            tau=tau_f, dropout=d, alpha_prime=ap, convention="ensemble")
    if simulate:
        res.simulation = network_sim.simulate(act, sim_init, depth, width=w, batch=batch,
                                              input_mean=float(input_mu), input_var=float(input_nu),
                                              dropout=d, alpha_prime=ap, seed=seed)
    res.verdict, res.certified, res.estimated = _verdict(res)
    return res
