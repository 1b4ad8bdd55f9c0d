"""The largest certified domains of Theorems 1-3 for given (alpha, lambda), by bisection.

Every candidate domain is decided by the claims engine (``prove.run_extremum`` with a
threshold: "proved" means outward-rounded Arb arithmetic decided the inequality on every
box); floats only choose where to look first.

Families searched, each a 1-parameter family of domains around the fixed point
(``scaled_claims`` explains the centring and scaling; for alpha01, lambda01 the centre is
(0, 1) with omega = 0, tau = 1 and the shapes are the paper's domains):

* Theorem 1 (S < 1 on D, mu~(D) inside D's mu-range, nu~(D) inside D's nu-range), per
  variable: the widest interval of nu (then tau, mu, omega) with the other three ranges at
  the paper's Omega: first the lower end is moved out, then the upper end with the lower
  end at its certified value, so each printed interval is proved as a whole.  And the
  whole of Omega blown up by a factor s about the centre (``scale``).
* Theorem 2 (nu~ < nu): the smallest lower end nu_lo of Omega+'s nu-range [nu_lo, 16 nu*].
* Theorem 3 (nu~ > nu): the largest upper end nu_hi of [0.02 nu*, nu_hi], for the tau-range
  of Omega- / Theorem 3a ([0.8, 1.25] tau*) and of Theorem 3b ([0.9, 1.25] tau*).

Search per end, on a grid of ``step``: a float estimate (grid of the domain, exponential
search and bisection on its margins) proposes k; the engine decides k; then exponential
steps outward (while proved) or inward (while not), then bisection until the last proved
k and the first not-proved k + 1 are adjacent.  Feasibility need not be monotone in k:
the result is a proved domain whose one-step enlargement is not proved (disproved by a
certified counterexample, or undecided within the box budget), which is what is printed.

Finally every result domain is certified: the search's own proof of it (or, with ``tol``,
a new proof with enclosures that wide) is written as a certificate and replayed by the
independent ``checker.check`` (every leaf re-derived at higher precision), and each of its
searched ends pushed out by one step is decided again and shown not proved.

Decisions near the boundary are the expensive ones (the engine needs many boxes when the
margin is small); the float estimate usually lands on the boundary step, so a search costs
about two decisions per end.
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from selu_theory.params import DEFAULT_ACTIVATION, Params
from verification import claims as C
from verification import prove
from verification.certify import certify
from verification.domain import VARS, Domain, point_text
from verification.engine import Runner, evaluator
from verification.scaled_claims import (
    OMEGA_MINUS_SHAPE,
    OMEGA_PLUS_SHAPE,
    OMEGA_SHAPE,
    PAPER_CENTRE,
    THEOREM_PARTS,
    THM3A_SHAPE,
    THM3B_SHAPE,
    Centre,
    Shape,
    dec,
    describe,
)

F = Fraction

# Grid steps of the searches, in shape units: mu in sd units, omega absolute, nu and tau as
# factors of nu*, tau*, scale as the blow-up factor.
STEPS = {
    "thm1.nu": F("0.01"), "thm1.tau": F("0.002"), "thm1.mu": F("0.005"), "thm1.omega": F("0.005"),
    "thm1.scale": F("0.01"), "thm2.nu": F("0.01"), "thm3.nu": F("0.005"),
}
# How far out a search may go (shape units); keeps every search finite.
LIMITS = {"mu": F(8), "omega": F(4), "nu": F(64), "tau": F(8), "scale": F(20)}
DECISION_MAX_BOXES = 24_000
FINAL_TOL = None  # None: certify the decision's own proof; a width: prove again with enclosures that wide
THRESHOLD_ONLY_TOL = 1e300


# --------------------------------------------------------------------------- deciding one domain

@dataclass(frozen=True)
class Decision:
    status: str  # proved | disproved | undecided
    failed: str = None  # key of the first part not proved
    counterexample: dict = None  # {"point": [...], "value_text": ...} for a disproof
    boxes: int = 0
    seconds: float = 0.0
    parts: tuple = dataclasses.field(default=(), repr=False, compare=False)  # prove.PartResult of each part

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def describe(self) -> str:
        if self.proved:
            return "proved"
        s = f"{self.status} ({self.failed})"
        if self.counterexample:
            s += f", counterexample at (mu, omega, nu, tau) = {point_text(self.counterexample['point'])}"
            if self.counterexample.get("value_text"):
                s += f", value {self.counterexample['value_text']}"
        return s

    def to_json(self) -> dict:
        return {"status": self.status, "failed": self.failed, "counterexample": self.counterexample,
                "boxes": self.boxes}


class Decider:
    """Decides 'theorem holds on domain' with the claims engine; caches per domain."""

    def __init__(self, params: Params, runner, max_boxes: int = DECISION_MAX_BOXES, bits: int = None):
        self.params = params
        self.runner = runner
        self.max_boxes = max_boxes
        self.bits = bits or prove.DEFAULT_BITS
        self.cache = {}
        self.decisions = 0
        self.boxes = 0
        self.seconds = 0.0

    def parts(self, theorem: str, domain: Domain, tol: float = THRESHOLD_ONLY_TOL) -> tuple:
        return THEOREM_PARTS[theorem](domain, tol)

    def margins(self, theorem: str, domain: Domain, n: int = 7) -> dict:
        """Float estimate of each part's margin (threshold minus the grid max, or the grid
        min minus the threshold): a search heuristic, never a proof."""
        axes = [np.array([float(lo)]) if lo == hi else np.linspace(float(lo), float(hi), n)
                for lo, hi in domain.bounds]
        g = [x.ravel() for x in np.meshgrid(*axes, indexing="ij")]
        out = {}
        for p in self.parts(theorem, domain):
            with np.errstate(all="ignore"):
                v = evaluator(p.expr, self.params, 80).floats(*g)
            if not np.all(np.isfinite(v)):
                out[p.key] = -math.inf
                continue
            th = float(F(p.threshold))
            out[p.key] = th - float(v.max()) if p.sense == "max" else float(v.min()) - th
        return out

    def margin(self, theorem: str, domain: Domain, required=0.0) -> float:
        """The smallest float margin beyond ``required`` (a number, or {part key: number}
        with "*" for the others)."""
        req = required if isinstance(required, dict) else {"*": required}
        return min(m - float(req.get(k, req.get("*", 0.0))) for k, m in self.margins(theorem, domain).items())

    def decide(self, theorem: str, domain: Domain) -> Decision:
        key = (theorem, domain)
        if key in self.cache:
            return self.cache[key]
        t0 = time.perf_counter()
        margins = self.margins(theorem, domain)
        parts = sorted(self.parts(theorem, domain), key=lambda p: margins[p.key])  # likeliest failure first
        boxes = 0
        dec_ = None
        done = []
        for p in parts:
            pr = prove.run_extremum(p, self.params, self.runner, self.bits, max_boxes=self.max_boxes)
            boxes += pr.boxes
            done.append(pr)
            status = pr.status
            if status == "proved" and not _bound_shows_threshold(p, pr):
                status = "undecided"  # the recorded bound must itself beat the threshold (the checker asks it)
            if status != "proved":
                dec_ = Decision(status, p.key, pr.counterexample, boxes, time.perf_counter() - t0)
                break
        if dec_ is None:
            dec_ = Decision("proved", None, None, boxes, time.perf_counter() - t0, tuple(done))
        self.cache[key] = dec_
        self.decisions += 1
        self.boxes += boxes
        self.seconds += dec_.seconds
        return dec_


def _bound_shows_threshold(part: C.Extremum, pr) -> bool:
    """The proved enclosure lies strictly on the right side of the threshold."""
    lo, hi = pr.enclosure
    th = Fraction(part.threshold)
    if part.sense == "max":
        return math.isfinite(hi) and Fraction(hi) < th
    return math.isfinite(lo) and Fraction(lo) > th


# --------------------------------------------------------------------------- one end

@dataclass(frozen=True)
class Axis:
    theorem: str  # thm1 | thm2 | thm3
    var: str  # mu | omega | nu | tau | scale
    end: int  # 0: the lower end moves (outward = down); 1: the upper end moves (outward = up)
    step: Fraction
    contain_centre: bool = True  # Theorem 1's domains must contain the fixed point

    @property
    def name(self) -> str:
        return f"{self.theorem}.{self.var}" + ("" if self.var == "scale" else (".lo" if self.end == 0 else ".hi"))


def shape_at(base: Shape, axis: Axis, k: int):
    """The base shape with the axis moved k steps outward (k < 0: inward); None if not allowed."""
    if axis.var == "scale":
        s = 1 + k * axis.step
        if not (0 < s <= LIMITS["scale"]):
            return None
        sh = base.scaled(s)
        return sh if sh.valid() else None
    lo, hi = getattr(base, axis.var)
    if axis.end == 0:
        lo = lo - k * axis.step
    else:
        hi = hi + k * axis.step
    if lo > hi:
        return None
    lim = LIMITS[axis.var]
    if axis.var in ("mu", "omega"):
        if not (-lim <= lo and hi <= lim):
            return None
        if axis.contain_centre and not (lo <= 0 <= hi):
            return None
    else:
        if not (lo > 0 and hi <= lim):
            return None
        if axis.contain_centre and not (lo <= 1 <= hi):
            return None
    sh = dataclasses.replace(base, **{axis.var: (lo, hi)})
    return sh if sh.valid() else None


def axis_value(shape: Shape, axis: Axis, centre: Centre):
    """The moving end as a domain value (or the scale factor)."""
    if axis.var == "scale":
        return None
    d = shape.domain(centre)
    return d.bounds[VARS.index(axis.var)][axis.end]


@dataclass
class AxisResult:
    axis: Axis
    base: Shape
    good_k: int = None  # last proved k (None: nothing proved)
    bad_k: int = None  # first not-proved k beyond it (None: proved up to the search limit)
    good: Decision = None
    bad: Decision = None
    decisions: int = 0
    estimate_k: int = None

    def shape(self, k):
        return None if k is None else shape_at(self.base, self.axis, k)

    @property
    def good_shape(self):
        return self.shape(self.good_k)

    @property
    def bad_shape(self):
        return self.shape(self.bad_k)

    def scale(self, k):
        return None if k is None else 1 + k * self.axis.step

    def to_json(self, centre: Centre) -> dict:
        def val(k):
            if k is None:
                return None
            if self.axis.var == "scale":
                return dec(self.scale(k))
            return dec(axis_value(self.shape(k), self.axis, centre))
        return {"axis": self.axis.name, "step": dec(self.axis.step), "good_k": self.good_k, "bad_k": self.bad_k,
                "estimate_k": self.estimate_k, "good": val(self.good_k), "bad": val(self.bad_k),
                "good_decision": self.good.to_json() if self.good else None,
                "bad_decision": self.bad.to_json() if self.bad else None, "decisions": self.decisions}


def _float_estimate(decider: Decider, centre: Centre, base: Shape, axis: Axis, min_margin=0.0):
    """Last k with float margins > min_margin, by exponential search and bisection from k = 0."""
    def pos(k):
        sh = shape_at(base, axis, k)
        return sh is not None and decider.margin(axis.theorem, sh.domain(centre), min_margin) > 0

    if pos(0):
        good, step = 0, 1
        while True:
            k = good + step
            if pos(k):
                good, step = k, step * 2
            else:
                bad = k
                break
            if step > 1 << 20:  # pragma: no cover - LIMITS stop it long before
                return good
    else:
        bad, step = 0, 1
        while True:
            k = bad - step
            if shape_at(base, axis, k) is None:
                return None
            if pos(k):
                good = k
                break
            bad, step = k, step * 2
    while bad - good > 1:
        mid = (good + bad) // 2
        if pos(mid):
            good = mid
        else:
            bad = mid
    return good


def search_axis(decider: Decider, centre: Centre, base: Shape, axis: Axis, min_margin=0.0,
                need_bad: bool = True) -> AxisResult:
    """The last proved k and the first not-proved k beyond it (module doc).

    ``min_margin``: the float estimate proposes the last k whose float margins are at least
    this (a number, or {part key: number, "*": default}): decisions near the boundary are
    the expensive ones.  ``need_bad=False``: stop at
    the first proved k from the estimate inward, without deciding k + 1 (``bad_k`` is then
    the next step, not decided)."""
    res = AxisResult(axis, base)
    n0 = decider.decisions
    est = _float_estimate(decider, centre, base, axis, min_margin)
    res.estimate_k = est
    k0 = 0 if est is None else est
    decided = {}

    def proved(k):
        sh = shape_at(base, axis, k)
        if sh is None:
            return None
        decided[k] = decider.decide(axis.theorem, sh.domain(centre))
        return decided[k].proved

    first = proved(k0)
    good = bad = None
    if first and not need_bad:
        good, bad = k0, (k0 + 1 if shape_at(base, axis, k0 + 1) is not None else None)
    elif first:
        good, step = k0, 1
        while True:
            k = good + step
            ok = proved(k)
            if ok:
                good, step = k, step * 2
            else:
                bad = k if ok is not None else None
                if ok is None and step > 1:  # past the limit: retry closer
                    step = 1
                    if shape_at(base, axis, good + 1) is not None:
                        continue
                break
    else:
        bad, step = k0, 1
        while True:
            k = bad - step
            ok = proved(k)
            if ok is None:
                if step > 1:
                    step = 1
                    continue
                break
            if ok:
                good = k
                break
            bad, step = k, step * 2
    while good is not None and bad is not None and bad - good > 1:
        mid = (good + bad) // 2
        if proved(mid):
            good = mid
        else:
            bad = mid
    res.good_k, res.bad_k = good, bad
    res.good = decided.get(good) if good is not None else None
    res.bad = decided.get(bad) if bad is not None else None
    res.decisions = decider.decisions - n0
    return res


# --------------------------------------------------------------------------- the searches

@dataclass
class VarResult:
    """Theorem 1, one variable: its widest certified interval, the others at the paper's."""

    var: str
    lo: AxisResult
    hi: AxisResult

    @property
    def shape(self):
        return self.hi.good_shape if self.hi.good_k is not None else None


@dataclass
class Certified:
    name: str
    theorem: str
    shape: Shape
    domain: Domain
    status: str
    enclosures: dict
    checker_ok: bool
    certificate: str
    enlarged: list  # (axis name, enlarged Domain, Decision)
    seconds: float

    def to_json(self) -> dict:
        return {"name": self.name, "theorem": self.theorem, "domain": self.domain.to_json(),
                "status": self.status, "checker_ok": self.checker_ok, "certificate": self.certificate,
                "enclosures": {k: [_num(a), _num(b)] for k, (a, b) in self.enclosures.items()},
                "enlarged": [{"axis": a, "domain": d.to_json(), **dd.to_json()} for a, d, dd in self.enlarged],
                "seconds": round(self.seconds, 3)}


def _num(x):
    if isinstance(x, Fraction):
        return str(x)
    return x if math.isfinite(x) else str(x)


@dataclass
class DomainResult:
    params: Params
    centre: Centre
    steps: dict
    variables: list = field(default_factory=list)  # VarResult
    scale: AxisResult = None
    thm2: AxisResult = None
    thm3: list = field(default_factory=list)  # AxisResult for the 3a (Omega-) and 3b tau-ranges
    certified: list = field(default_factory=list)
    decisions: int = 0
    boxes: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        c = self.centre
        return {
            "activation": self.params.activation,
            "params": self.params.labelled_specs(),
            "centre": {"mu": dec(c.mu), "nu": dec(c.nu), "omega": dec(c.omega), "tau": dec(c.tau)},
            "steps": {k: dec(v) for k, v in self.steps.items()},
            "theorem1": {
                "paper": OMEGA_SHAPE.domain(c).to_json(),
                "variables": {v.var: {"lo": v.lo.to_json(c), "hi": v.hi.to_json(c),
                                      "interval": None if v.shape is None else
                                      [dec(x) for x in v.shape.domain(c).bounds[VARS.index(v.var)]]}
                              for v in self.variables},
                "scale": None if self.scale is None else self.scale.to_json(c),
            },
            "theorem2": None if self.thm2 is None else {"paper_nu_lo": dec(OMEGA_PLUS_SHAPE.nu[0] * c.nu),
                                                        **self.thm2.to_json(c)},
            "theorem3": [{"tau": [dec(x * c.tau) for x in r.base.tau], **r.to_json(c)} for r in self.thm3],
            "certified": [x.to_json() for x in self.certified],
            "decisions": self.decisions, "boxes": self.boxes, "seconds": round(self.seconds, 3),
        }


def _steps(resolution: float) -> dict:
    r = F(str(resolution))
    return {k: v * r for k, v in STEPS.items()}


THM1_VARS = ("nu", "tau", "mu", "omega")


def search(params: Params, centre: Centre = PAPER_CENTRE, runner=None, *, variables=THM1_VARS,
           scale: bool = True, thm2: bool = True, thm3: bool = True, resolution: float = 1.0,
           max_boxes: int = DECISION_MAX_BOXES, certify: bool = True, tol: float = FINAL_TOL,
           out=None, log=None) -> DomainResult:
    """Run the searches (module doc).  ``resolution`` multiplies every grid step.  With
    ``certify``, the results are proved again with enclosures, certificates are written
    under ``out`` (if given) and replayed by the checker, and one-step enlargements are
    shown not proved."""
    t0 = time.perf_counter()
    own = runner is None
    if own:
        runner = Runner(1).__enter__()
    try:
        steps = _steps(resolution)
        dcd = Decider(params, runner, max_boxes)
        res = DomainResult(params, centre, steps)
        say = log or (lambda s: None)
        for var in variables:
            res.variables.append(_widest(dcd, centre, var, steps[f"thm1.{var}"]))
            say(f"theorem 1, {var}: {_interval_text(res.variables[-1], centre)}")
        if scale:
            res.scale = search_axis(dcd, centre, OMEGA_SHAPE, Axis("thm1", "scale", 0, steps["thm1.scale"]))
            say(f"theorem 1, Omega blown up: s = {_scale_text(res.scale)}")
        if thm2:
            res.thm2 = search_axis(dcd, centre, OMEGA_PLUS_SHAPE, Axis("thm2", "nu", 0, steps["thm2.nu"], False))
            say(f"theorem 2: nu_lo = {_end_text(res.thm2, centre)}")
        if thm3:
            for base in (THM3A_SHAPE, THM3B_SHAPE):
                r = search_axis(dcd, centre, base, Axis("thm3", "nu", 1, steps["thm3.nu"], False))
                res.thm3.append(r)
                lo_t, hi_t = (dec(x * centre.tau) for x in base.tau)
                say(f"theorem 3 (tau in [{lo_t}, {hi_t}]): nu_hi = {_end_text(r, centre)}")
        if certify:
            _certify(res, dcd, tol, out, say)
        res.decisions, res.boxes = dcd.decisions, dcd.boxes
        res.seconds = time.perf_counter() - t0
        return res
    finally:
        if own:
            runner.__exit__(None, None, None)


def _widest(dcd: Decider, centre: Centre, var: str, step: Fraction, rounds: int = 4) -> VarResult:
    """Theorem 1's widest interval of one variable: the lower end out, then the upper end;
    again while the lower end can move further with the new upper end (the two interact)."""
    lo_ax, hi_ax = Axis("thm1", var, 0, step), Axis("thm1", var, 1, step)
    shape = OMEGA_SHAPE
    for _ in range(rounds):
        lo = search_axis(dcd, centre, shape, lo_ax)
        shape = lo.good_shape or shape
        hi = search_axis(dcd, centre, shape, hi_ax)
        shape = hi.good_shape or shape
        if hi.good_k is None:
            break
        further = shape_at(shape, lo_ax, 1)
        if further is None or not dcd.decide("thm1", further.domain(centre)).proved:
            break
    return VarResult(var, lo, hi)


def final_domains(res: DomainResult) -> list:
    """(name, theorem, shape, [axes whose one-step enlargement must not be proved])."""
    out = []
    for v in res.variables:
        if v.shape is not None:
            out.append((f"thm1-{v.var}", "thm1", v.shape, [v.lo.axis, v.hi.axis]))
    if res.scale is not None and res.scale.good_k is not None:
        out.append(("thm1-scale", "thm1", res.scale.good_shape, [res.scale.axis]))
    if res.thm2 is not None and res.thm2.good_k is not None:
        out.append(("thm2", "thm2", res.thm2.good_shape, [res.thm2.axis]))
    for r, name in zip(res.thm3, ("thm3-tau0.8", "thm3-tau0.9")):
        if r.good_k is not None:
            out.append((name, "thm3", r.good_shape, [r.axis]))
    return out


def domain_claim(name: str, theorem: str, domain: Domain, params: Params, centre: Centre,
                 tol: float = THRESHOLD_ONLY_TOL) -> C.Claim:
    what = {"thm1": "g is a contraction (S < 1) and maps the (mu, nu) part into itself",
            "thm2": "the variance decreases (nu~ < nu)", "thm3": "the variance increases (nu~ > nu)"}[theorem]
    # the activation in the id unless SELU's (whose ids stay as they were)
    act = "" if params.activation == DEFAULT_ACTIVATION else f"{params.activation},"
    return C.Claim(id=f"domain-{name}@{act}{centre.tag()}", title=f"certified domain {name}",
                   statement=f"{what} on {describe(domain)}", reference="selu-verify domain",
                   parts=THEOREM_PARTS[theorem](domain, tol), params=params, group="design")


def _certify(res: DomainResult, dcd: Decider, tol: float, out, say):
    for name, theorem, shape, axes in final_domains(res):
        t0 = time.perf_counter()
        domain = shape.domain(res.centre)
        claim = domain_claim(name, theorem, domain, res.params, res.centre, tol or THRESHOLD_ONLY_TOL)
        decided = dcd.decide(theorem, domain)  # the search's own proof (cached)
        if tol is None and decided.proved:
            parts = list(decided.parts)
            status = "proved"
        else:  # prove again, with enclosures of width tol
            r = prove.run_claim(claim, dcd.runner, params=res.params, max_boxes=max(dcd.max_boxes, 200_000))
            parts, status = r.parts, r.status
        path = None if out is None else pathlib.Path(out) / "certificates" / f"domain-{name}.json"
        # the independent replay: every leaf re-derived at higher precision; one acceptance rule
        done = certify(claim, res.params, status, [p.record for p in parts], path)
        status, chk, path = done.status, done.check, "" if done.path is None else str(done.path)
        enlarged = []
        for ax in axes:
            big = shape_at(shape, ax, 1)
            if big is None:
                continue
            bd = big.domain(res.centre)
            enlarged.append((ax.name, bd, dcd.decide(theorem, bd)))
        res.certified.append(Certified(name, theorem, shape, domain, status, {p.key: p.enclosure for p in parts},
                                       chk.ok, path,
                                       enlarged, time.perf_counter() - t0))
        say(f"certified {name}: {status}, checker {'accepted' if chk.ok else 'REJECTED'}; one step larger: "
            + "; ".join(f"{a}: {d.status}" for a, _, d in enlarged))


# --------------------------------------------------------------------------- text and plots

def _interval_text(v: VarResult, c: Centre) -> str:
    if v.shape is None:
        return "none certified"
    lo, hi = v.shape.domain(c).bounds[VARS.index(v.var)]
    return f"[{dec(lo)}, {dec(hi)}]"


def _scale_text(r: AxisResult) -> str:
    if r.good_k is None:
        return "none certified"
    return dec(r.scale(r.good_k)) + ("" if r.bad_k is not None else " (search limit)")


def _end_text(r: AxisResult, c: Centre) -> str:
    if r.good_k is None:
        return "none certified"
    return dec(axis_value(r.good_shape, r.axis, c)) + ("" if r.bad_k is not None else " (search limit)")


def _rel(new, old) -> str:
    if new is None:
        return ""
    d = F(new) - F(old)
    if d == 0:
        return "same"
    return f"{'+' if d > 0 else '-'}{dec(abs(d))}"


def format_result(res: DomainResult) -> str:
    c = res.centre
    paper = c == PAPER_CENTRE and res.params == Params()
    lines = []
    who = "the paper's" if paper else "the paper's, centred and scaled to this fixed point"
    lines.append(f"largest certified domains for {res.params.describe()}, centre {c.describe()}")
    lines.append(f"(reference domains: {who}; grid steps: "
                 + ", ".join(f"{k} {dec(v)}" for k, v in res.steps.items()) + ")")
    lines.append("")
    om = OMEGA_SHAPE.domain(c)
    if res.variables or res.scale is not None:
        lines.append("Theorem 1: g is a contraction (S < 1) and maps the domain into itself")
        lines.append(f"  {'':7} {'Omega' if paper else 'Omega (scaled)':28} {'certified widest (others as Omega)':36} "
                     f"{'lower end':>12} {'upper end':>12}   one step further out fails by")
    for v in res.variables:
        i = VARS.index(v.var)
        plo, phi = om.bounds[i]
        if v.shape is None:
            lines.append(f"  {v.var:7} [{dec(plo)}, {dec(phi)}]".ljust(37) + " none certified")
            continue
        lo, hi = v.shape.domain(c).bounds[i]
        nxt = []
        for ax_res in (v.lo, v.hi):
            cert = next((x for x in res.certified if x.name == f"thm1-{v.var}"), None)
            d = next((dd for a, _, dd in (cert.enlarged if cert else ()) if a == ax_res.axis.name), None)
            nxt.append("search limit" if ax_res.bad_k is None else
                       (d.failed or d.status) if d is not None else "?")
        paper_txt, cert_txt = f"[{dec(plo)}, {dec(phi)}]", f"[{dec(lo)}, {dec(hi)}]"
        lines.append(f"  {v.var:7} {paper_txt:28} {cert_txt:36} "
                     f"{_rel(lo, plo):>12} {_rel(hi, phi):>12}   {' / '.join(nxt)}")
    if res.scale is not None:
        s = res.scale
        if s.good_k is None:
            lines.append("  Omega blown up about the centre: no factor certified")
        else:
            lines.append(f"  Omega blown up about the centre by s = {_scale_text(s)}: "
                         f"{describe(s.good_shape.domain(c))}")
        lines.append("")
    if res.thm2 is not None:
        lines.append("Theorem 2: the variance decreases (nu~ < nu) on Omega+ with nu in [nu_lo, 16 nu*]")
        lines.append(f"  paper nu_lo = {dec(OMEGA_PLUS_SHAPE.nu[0] * c.nu)}; smallest certified nu_lo = "
                     f"{_end_text(res.thm2, c)}")
    if res.thm3:
        lines.append("Theorem 3: the variance increases (nu~ > nu) on nu in [0.02 nu*, nu_hi]")
    papers = {0: f"paper: Theorem 3a {dec(THM3A_SHAPE.nu[1] * c.nu)}, Omega- {dec(OMEGA_MINUS_SHAPE.nu[1] * c.nu)}",
              1: f"paper: Theorem 3b {dec(THM3B_SHAPE.nu[1] * c.nu)}"}
    for i, r in enumerate(res.thm3):
        lines.append(f"  tau in [{dec(r.base.tau[0] * c.tau)}, {dec(r.base.tau[1] * c.tau)}]: largest certified "
                     f"nu_hi = {_end_text(r, c)}  ({papers[i]})")
    if res.certified:
        lines.append("")
        lines.append("Certified: each result's proof written as a certificate and replayed by the independent "
                     "checker; [a, b] = [value at the best point found, proved bound]; and one grid step larger:")
        for x in res.certified:
            enc = ", ".join(f"{k} in [{_short(a)}, {_short(b)}]" for k, (a, b) in x.enclosures.items())
            lines.append(f"  {x.name}: {x.status}, checker {'accepted' if x.checker_ok else 'REJECTED'}; {enc}")
            for a, d, dd in x.enlarged:
                i = VARS.index(a.split('.')[1]) if a.split('.')[1] in VARS else None
                where = f"{a.split('.')[1]} in [{dec(d.bounds[i][0])}, {dec(d.bounds[i][1])}]" if i is not None \
                    else describe(d)
                lines.append(f"      one step larger ({where}): {dd.describe()}")
    lines.append("")
    lines.append(f"{res.decisions} engine decisions, {res.boxes} boxes, {res.seconds:.1f} s")
    return "\n".join(lines)


def _short(x) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return format(float(x), ".9g")


TEX = {"mu": r"$\mu$", "omega": r"$\omega$", "nu": r"$\nu$", "tau": r"$\tau$"}  # axis labels in mathtext


def plot(res: DomainResult, path) -> pathlib.Path:
    """Theorem 1 in the (nu, tau) and (mu, omega) planes, Theorems 2-3 on the nu axis."""
    import matplotlib  # optional and slow to import: only when plotting
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    c = res.centre
    om = OMEGA_SHAPE.domain(c)
    fig, axs = plt.subplots(1, 3, figsize=(16, 5.6))

    def rect(ax, d, i, j, **kw):
        (x0, x1), (y0, y1) = (float(v) for v in d.bounds[i]), (float(v) for v in d.bounds[j])
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, **kw))

    for ax, (i, j) in zip(axs[:2], ((2, 3), (0, 1))):
        rect(ax, om, i, j, color="black", lw=2, label=r"paper's $\Omega$" if c == PAPER_CENTRE else r"$\Omega$ (scaled)")
        colours = {"nu": "tab:blue", "tau": "tab:orange", "mu": "tab:green", "omega": "tab:red"}
        for v in res.variables:
            if v.shape is not None and VARS.index(v.var) in (i, j):
                rect(ax, v.shape.domain(c), i, j, color=colours[v.var], lw=1.5, ls="--",
                     label=f"widest {TEX[v.var]}-range (certified)")
        if res.scale is not None and res.scale.good_k is not None:
            rect(ax, res.scale.good_shape.domain(c), i, j, color="tab:purple", lw=1.5, ls=":",
                 label=rf"$\Omega \times$ {dec(res.scale.scale(res.scale.good_k))} (certified)")
        ax.plot([float(c.nu if i == 2 else c.mu)], [float(c.tau if j == 3 else c.omega)], "k*", ms=10,
                label="fixed point")
        ax.set_xlabel(TEX[VARS[i]])
        ax.set_ylabel(TEX[VARS[j]])
        ax.autoscale_view()
        ax.relim()
        ax.margins(0.15)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
        ax.set_title(f"Theorem 1 in the ({TEX[VARS[i]]}, {TEX[VARS[j]]}) plane")
    ax = axs[2]
    rows = []
    paper_hi = float(OMEGA_PLUS_SHAPE.nu[1] * c.nu)
    if res.thm2 is not None and res.thm2.good_k is not None:
        rows.append((r"Thm 2 ($\tilde\nu < \nu$)", float(OMEGA_PLUS_SHAPE.nu[0] * c.nu), paper_hi,
                     float(axis_value(res.thm2.good_shape, res.thm2.axis, c)), paper_hi))
    for r, lab, p in zip(res.thm3, (r"Thm 3, $\tau \geq 0.8$", r"Thm 3, $\tau \geq 0.9$"), (THM3A_SHAPE, THM3B_SHAPE)):
        if r.good_k is not None:
            rows.append((lab + r" ($\tilde\nu > \nu$)", float(p.nu[0] * c.nu), float(p.nu[1] * c.nu),
                         float(p.nu[0] * c.nu), float(axis_value(r.good_shape, r.axis, c))))
    for v in res.variables:
        if v.var == "nu" and v.shape is not None:
            lo, hi = v.shape.domain(c).bounds[2]
            rows.append((r"Thm 1 $\nu$-range", float(om.bounds[2][0]), float(om.bounds[2][1]), float(lo), float(hi)))
    for y, (lab, plo, phi, clo, chi) in enumerate(rows):
        ax.plot([clo, chi], [y + 0.1, y + 0.1], color="tab:green", lw=6, solid_capstyle="butt",
                label="certified" if y == 0 else None)
        ax.plot([plo, phi], [y - 0.1, y - 0.1], color="black", lw=3, solid_capstyle="butt",
                label="paper" if y == 0 else None)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(r"$\nu$")
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    if rows:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "nothing certified", ha="center", transform=ax.transAxes)
    ax.set_title(r"$\nu$-ranges")
    fig.suptitle(f"largest certified domains: {res.params.describe()}, centre {c.describe()}", fontsize=10)
    fig.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
