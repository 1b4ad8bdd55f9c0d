"""The paper's grid proofs, reproduced with rigorous error bounds; and the same method on
your own grid.

Lemma 12 (S < 1 on Omega) and Lemma 43 (mu~^2 < 0.005 on Omega-) were proved in the paper
by evaluating the function in floats on a uniform grid, adding a mean-value slack
sum_i M_i Delta_i from global bounds M_i >= max |d f / d x_i|, and bounding the float error
by hand.  Here:

* every grid value is an enclosure [mid - rad, mid + rad] computed by the numba kernels of
  ``selu_theory.grid_kernels`` (midpoint-radius arithmetic, own exp/erfcx with Arb-proven
  error bounds; see that module's docstring);
* the grid points are floats (exact binary numbers); for each axis the covering radius
  h_i = max(first - lo, hi - last, max gap / 2) is computed exactly, so every point x of
  the domain has a grid point g with |x_i - g_i| <= h_i (and the segment [g, x] inside);
* the mean-value step f(x) <= f(g) + sum_i M_i |x_i - g_i| uses derivative bounds M_i
  that are certified by ONE claim, proved by the box engine and accepted through
  ``verification.certify`` (prove -> seal -> write -> check -> accept): max and min of
  each factor of |d f/d x_i| on each domain (Lemma 12: the registry's claim
  lemma10-11-derivative-bounds, |dS/dx| on both tau ranges; Lemma 43: |mu~| and lemma42's
  |d mu~/dx| on Omega-).  Its parts go into every grid certificate, whose replay re-checks
  them with the checker (once per process) and accepts a factor bound b when b >= the max
  part's certified upper end and -b <= the min part's lower end.  From it:
    - "paper":    the paper's M_i (each factor at the paper's threshold, which its part
                  proves), with the paper's slack sum M_i Delta_i;
    - "certified": each factor at its certified enclosure (rounded up to 6 digits), with
                  the covering radii: what the method gives at the paper's spacings;
    - "per-cell": per cell of the grid, gradient enclosures of f over the cell (Arb jets,
                  ``Evaluator.box``), slack sum_i M_i^cell h_i, bound = max over cells --
                  only for a grid neither global bound proves (or when asked for);
* grid bound = (max of mid + rad, rounded up) + slack.  It is a true upper bound of the
  continuous maximum whenever the derivative bounds are certified.

A claim "max f < T" is *proved* when the bound is < T and the grid certificate recording
it (``verification.grid_certificate``) replays; *disproved* when a grid point's certified
lower end is >= T (re-checked in Arb); *undecided* otherwise (including a derivative bound
that could not be certified, or a grid point the kernels cannot enclose).

The grid mechanics (axes, sweep, per-cell gradients, the mean-value bound) live in
``verification.grid_sweep`` and are re-exported here; this module adds the paper's grids
and the box-engine certification of global derivative bounds.
"""
from __future__ import annotations

import contextlib
import math
import os
import pathlib
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN
from fractions import Fraction

import numpy as np

from selu_theory.numbers import text_of
from selu_theory.params import Params
from verification import claims as C
from verification import certify, grid_certificate, prove
from verification.domain import Domain, up
from verification.engine import Runner
from verification.grid_sweep import (  # noqa: F401  (re-exported: the grid mechanics' public names)
    MAX_AXIS_POINTS, MAX_CELLS, MAX_GRID_POINTS, PAPER_READINGS, READING_TEXT, READINGS, VARS, Axis, Bound,
    GridError, Sweep, axis_count, cell_boxes, cell_gradients, cell_index_bounds, compile_expr, counterexample, decide,
    default_cells, grid_values, make_axis, parse_steps, slack, sweep, sweep_float_max)
from verification.report import rounded_decimal

OMEGA_WIDE_TAU = C.OMEGA_WIDE_TAU


# --------------------------------------------------------------------------------------
# certified global derivative bounds (box engine)


def _prove_parts(parts, params, workers, max_boxes):
    out = []
    with Runner(workers) as runner:
        for p in parts:
            out.append(prove.run_extremum(p, params, runner, prove.DEFAULT_BITS, max_boxes=max_boxes))
    return out


def _registry_match(expr, domain, threshold) -> str:
    for cl in C.CLAIMS:
        for p in cl.parts:
            if isinstance(p, C.Extremum) and p.expr == expr and p.domain == domain and p.threshold is not None \
                    and Fraction(p.threshold) == Fraction(threshold):
                return cl.id
    return ""


@dataclass
class AbsBounds:
    """|expr_i| < bounds_i on a domain, by box-engine extremum parts (their certificates
    go into the grid certificate, which replays them)."""

    status: str            # proved | disproved | undecided
    detail: str
    claims: list           # registered claims whose parts these are
    parts: dict            # expr -> [max part certificate, min part certificate]


def certify_abs_bounds(exprs, domain: Domain, bounds, params: Params, workers=1, max_boxes=400_000) -> AbsBounds:
    """Prove |expr_i| < bounds_i on the domain."""
    parts = []
    for e, b in zip(exprs, bounds):
        b = str(b)
        parts.append(C.Extremum(f"{e}.max", e, "max", domain, threshold=b, tol=C.NO_TOL))
        parts.append(C.Extremum(f"{e}.min", e, "min", domain, threshold=str(-Fraction(b)), tol=C.NO_TOL))
    res = _prove_parts(parts, params, workers, max_boxes)
    statuses = [r.status for r in res]
    bad = [f"{p.expr} {'<' if p.sense == 'max' else '>'} {p.threshold}: {r.status}"
           for p, r in zip(parts, res) if r.status != "proved"]
    status = "disproved" if "disproved" in statuses else ("undecided" if bad else "proved")
    used = sorted({_registry_match(p.expr, domain, p.threshold) for p in parts} - {""})
    certs = {}
    for p, r in zip(parts, res):
        certs.setdefault(p.expr, []).append(r.certificate)
    return AbsBounds(status, "; ".join(bad), used, certs)


def extremum_derivative(axis: str, M, coefficient, factors, abs_bounds: AbsBounds) -> dict:
    """The grid certificate's entry for |d f/d axis| <= coefficient * prod |factor| <= M."""
    return {"axis": axis, "M": text_of(Fraction(M)), "certified_by": "extremum",
            "coefficient": text_of(Fraction(coefficient)),
            "factors": [{"expr": e, "bound": text_of(Fraction(b)), "parts": abs_bounds.parts[e]} for e, b in factors]}


def decimal_up(x: float, digits: int) -> str:
    """A short decimal >= x (x > 0)."""
    q = Fraction(x)
    e = math.floor(math.log10(x)) - digits + 1
    unit = Fraction(10) ** e
    n = math.ceil(q / unit)
    return str(Fraction(n) * unit) if e >= 0 else f"{n}e{e}"


# --------------------------------------------------------------------------------------
# the paper's grids


@dataclass(frozen=True)
class PaperGrid:
    id: str
    title: str
    expr: str
    threshold: str
    steps: dict            # the paper's spacings (exact decimals)
    M: dict                # the paper's derivative bounds
    domains: dict          # reading name -> Domain
    domain_text: dict
    domain_short: dict
    deriv_exprs: dict      # variable -> expression of d f / d x (for the certified mode)
    default_reading: str
    default_domains: tuple
    target_max: str = None  # the paper's grid max, to compare readings with


def _paper_slack(steps: dict, M: dict) -> Fraction:
    return sum((Fraction(M[v]) * Fraction(steps[v]) for v in VARS), Fraction(0))


LEMMA12 = PaperGrid(
    id="lemma12", title="Lemma 12: S < 1 on Omega by a grid (Lemmata 10-12, recalled)",
    expr="S", threshold="1",
    steps={"mu": "0.0068097371", "omega": "0.0008292885", "nu": "0.0009580840", "tau": "0.0007323095"},
    M={"mu": "0.32112", "omega": "2.63690", "nu": "2.28242", "tau": "2.98610"},
    domains={"omega": C.OMEGA, "wide-tau": OMEGA_WIDE_TAU},
    domain_text={"omega": "Omega (tau in [0.95, 1.1])", "wide-tau": "Omega with tau in [0.8, 1.25]"},
    domain_short={"omega": "tau 0.95-1.1", "wide-tau": "tau 0.8-1.25"},
    deriv_exprs={v: f"dS_d{v}" for v in VARS},
    # the recalled Lemma 12 does not say how its grid is laid out: the default is the
    # paper's spacing centred on mu = omega = 0, mirrored point by point, so the sweep
    # evaluates S (even in (mu, omega)) at one point of each mirrored pair only
    default_reading="centred", default_domains=("omega", "wide-tau"),
)

LEMMA43 = PaperGrid(
    id="lemma43", title="Lemma 43: mu~^2 < 0.005 on Omega- by a grid",
    expr="mu_tilde**2", threshold="0.005",
    steps={"mu": "0.001498041", "omega": "0.001498041", "nu": "0.0004033190", "tau": "0.0019065994"},
    M={"mu": "0.08101072", "omega": "0.08101072", "nu": "0.30089696", "tau": "0.06365128"},
    domains={"Omega-": C.OMEGA_MINUS},
    domain_text={"Omega-": "Omega- (nu in [0.05, 0.24], tau in [0.8, 1.25])"},
    domain_short={"Omega-": "Omega-"},
    deriv_exprs={v: f"2*mu_tilde*dmu_d{v}" for v in VARS},
    default_reading="all", default_domains=("Omega-",),
    target_max="0.00451457",
)

PAPER_GRIDS = {g.id: g for g in (LEMMA12, LEMMA43)}

# Lemma 43's bounds are 2 * 0.289324 * (0.14, 0.14, 0.52, 0.11): |mu~| < 0.289324 (Lemma 41)
# times the bounds on d mu~/d x of Lemma 42.  Each factor is certified separately.
LEMMA43_FACTORS = {"mu_tilde": "0.289324",
                   "dmu_dmu": "0.14", "dmu_domega": "0.14", "dmu_dnu": "0.52", "dmu_dtau": "0.11"}


def scaled_steps(g: PaperGrid, scale) -> dict:
    s = Fraction(str(scale))
    return {v: Fraction(g.steps[v]) * s for v in VARS}


# --------------------------------------------------------------------------------------
# the derivative bounds: one claim, proved and replayed through certify.py


def derivative_parts(g: PaperGrid, domain_keys) -> tuple:
    """The extremum parts whose certified enclosures bound |d f/d x_i| on the grids'
    domains: Lemma 12's are the registry's lemma10-11 parts (|dS/dx| on each domain);
    Lemma 43's are |mu~| and lemma42's |d mu~/dx| on Omega- (the paper's factorisation
    |d mu~^2/dx| = 2 |mu~| |d mu~/dx|)."""
    doms = [g.domains[dk] for dk in domain_keys]
    if g.id == "lemma12":
        return tuple(p for p in C.get("lemma10-11-derivative-bounds").parts if p.domain in doms)
    mu_t = LEMMA43_FACTORS["mu_tilde"]
    parts = ()
    for dom in doms:
        parts += (C.Extremum("mu_tilde.min", "mu_tilde", "min", dom, threshold=f"-{mu_t}", tol=C.NO_TOL),
                  C.Extremum("mu_tilde.max", "mu_tilde", "max", dom, threshold=mu_t, tol=C.NO_TOL))
        parts += tuple(p for p in C.get("lemma42-mean-derivative-bounds").parts
                       if p.domain == dom and p.expr.startswith("dmu_d"))
    return parts


def derivative_claim(g: PaperGrid, domain_keys, params: Params) -> C.Claim:
    """The claim certifying the grid's derivative bounds: the registered one when the parts
    are exactly a registered claim's (Lemma 12 on both domains), else one built here (its
    certificate id then carries '@' and the parameters)."""
    parts = derivative_parts(g, domain_keys)
    for cl in C.CLAIMS:
        if cl.parts == parts and cl.params == params:
            return cl
    return C.Claim(f"{g.id}-grid-derivative-bounds", f"the derivative bounds of {g.id}'s grid",
                   f"bounds on |d {g.expr}/dx| (factors {', '.join(sorted({p.expr for p in parts}))}) on "
                   f"{', '.join(g.domain_text[dk] for dk in domain_keys)}", g.title, parts, params=params)


@dataclass
class DerivativeBounds:
    """The certified claim behind a paper grid's derivative bounds: its accepted status,
    certificate, and per (factor expression, domain) the replayed max and min parts."""

    claim_id: str
    status: str               # the pipeline's accepted status of the claim
    detail: str
    path: str                 # its certificate (None: not written)
    parts: dict               # (expr, Domain) -> {"max": PartResult, "min": PartResult}
    seconds: float

    accepted: bool = False    # the checker replayed the certificate (ok)

    def usable(self, expr: str, domain: Domain) -> bool:
        """Both parts proved and the claim's certificate accepted by the checker."""
        d = self.parts.get((expr, domain))
        return d is not None and self.accepted and all(s in d and d[s].status == "proved" for s in ("max", "min"))

    def part_json(self, expr: str, domain: Domain) -> list:
        d = self.parts[(expr, domain)]
        return [d["max"].record.to_json(), d["min"].record.to_json()]

    def abs_bound(self, expr: str, domain: Domain) -> Fraction:
        """A short decimal b >= max(hi of the max part, -lo of the min part): |expr| <= b
        (what the grid replay accepts for a factor)."""
        d = self.parts[(expr, domain)]
        hi = float.fromhex(d["max"].record.enclosure[1])
        lo = float.fromhex(d["min"].record.enclosure[0])
        x = max(hi, -lo)
        return Fraction(decimal_up(x, 6)) if x > 0 else Fraction(0)


def certify_derivatives(g: PaperGrid, domain_keys, params: Params, workers=1, max_boxes=400_000,
                        certificate_dir=None) -> DerivativeBounds:
    """Prove the derivative claim with the box engine (all parts at once, sharing the
    workers), seal, write, replay and accept it through ``certify``."""
    t0 = time.perf_counter()
    claim = derivative_claim(g, domain_keys, params)

    def where(cert):
        if certificate_dir is None:
            return None
        return pathlib.Path(certificate_dir) / f"grid-{g.id}-derivatives-{cert.sha256[:10]}.json"

    with Runner(workers) as runner:
        res, done = certify.certify_claim(claim, runner, path=where, params=params, max_boxes=max_boxes)
    parts = {}
    for p, r in zip([p for p in claim.parts if isinstance(p, C.Extremum)], res.parts):
        parts.setdefault((p.expr, p.domain), {})[p.sense] = r
    bad = [f"{r.key}: {r.status}" for r in res.parts if r.status != "proved"]
    detail = "; ".join(bad) if bad else done.reason
    db = DerivativeBounds(done.certificate.claim, done.status, detail, None if done.path is None else str(done.path),
                          parts, time.perf_counter() - t0, accepted=bool(done.check.ok))
    if db.accepted and db.status == "proved":
        # the checker has just replayed every part as proved: the grid certificates' replays
        # in this process need not replay them again (grid_certificate.note_replayed)
        for d in parts.values():
            for r in d.values():
                grid_certificate.note_replayed(r.record.to_json(), params)
    return db


def _forms(g: PaperGrid, v: str):
    """(coefficient, factor expressions) of |d f/d v| (the forms the grid replay knows)."""
    if g.id == "lemma43":
        return 2, ("mu_tilde", f"dmu_d{v}")
    return 1, (g.deriv_exprs[v],)


def derivative_entries(g: PaperGrid, domain: Domain, db: DerivativeBounds, mode: str):
    """The grid certificate's derivative entries, per axis, from the certified claim:
    mode "paper" (the paper's M_i, each factor at the paper's bound) or "certified" (each
    factor at its certified enclosure, rounded up: M_i = c * prod b_k).  (M tuple, entries)
    or (None, None) when a factor is not certified."""
    Ms, entries = [], []
    for v in VARS:
        coef, exprs = _forms(g, v)
        if not all(db.usable(e, domain) for e in exprs):
            return None, None
        if mode == "paper":
            bounds = [LEMMA43_FACTORS[e] if g.id == "lemma43" else g.M[v] for e in exprs]
            M = Fraction(g.M[v])
            if coef * math.prod(Fraction(b) for b in bounds) > M:
                return None, None
        else:
            bounds = [text_of(db.abs_bound(e, domain)) for e in exprs]
            M = coef * math.prod(Fraction(b) for b in bounds)
        Ms.append(M)
        entries.append({"axis": v, "M": text_of(M), "certified_by": "extremum", "coefficient": text_of(Fraction(coef)),
                        "factors": [{"expr": e, "bound": text_of(Fraction(b)), "parts": db.part_json(e, domain)}
                                    for e, b in zip(exprs, bounds)]})
    return tuple(Ms), entries


@dataclass
class ReadingResult:
    domain_key: str
    reading: str
    sweep: Sweep
    bounds: list
    counterexample: dict = None
    float_check: tuple = None
    certified_mode: str = None       # the mode whose bound the certificate records
    certificate: dict = None
    certificate_path: str = None
    replay: tuple = None             # (ok, status, messages) of grid_certificate.replay

    @property
    def status(self) -> str:
        """proved only by a replayed certificate; disproved by an Arb-checked grid point."""
        if self.counterexample is not None:
            return "disproved"
        if self.replay is not None and self.replay[0] and self.replay[1] == "proved":
            return "proved"
        return "undecided"


@dataclass
class PaperRun:
    grid: PaperGrid
    params: Params
    scale: str
    results: list
    paper_M_status: dict      # domain key -> (status, detail, claims, certificate entries)
    certified_M: dict         # domain key -> tuple of M (None: not certified), or None
    seconds: float
    derivatives: DerivativeBounds = None
    phases: list = field(default_factory=list)   # (phase, wall seconds, CPU seconds)


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (worker pools count once closed)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Phases(list):
    """(name, wall s, CPU s) per phase of a run; ``with phases("name"):`` adds one."""

    @contextlib.contextmanager
    def __call__(self, name: str):
        t, c = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.append((name, time.perf_counter() - t, cpu_seconds() - c))

    def totals(self) -> dict:
        """name -> (wall, CPU), summed over repeated phases."""
        out = {}
        for name, w, c in self:
            w0, c0 = out.get(name, (0.0, 0.0))
            out[name] = (w0 + w, c0 + c)
        return out


def certify_reading(g: PaperGrid, domain: Domain, reading: str, steps: dict, params: Params, sw: Sweep,
                    bounds: list, methods: dict, workers=1, certificate_dir=None):
    """Certificate of the first proved bound (paper, certified, per-cell), written and
    replayed: (mode, certificate, path, replay) or (None, None, None, None)."""
    for b in bounds:
        if b.status == "proved" and methods.get(b.mode) is not None:
            cert = grid_certificate.build(g.expr, "max", Fraction(g.threshold), domain, params, reading, steps,
                                          sw.cells, methods[b.mode], sw, b)
            path = None
            if certificate_dir is not None:
                name = f"grid-{g.id}-{reading}-{cert['sha256'][:10]}.json"
                path = str(grid_certificate.write(cert, pathlib.Path(certificate_dir) / name))
            chk = certify.check_grid(cert, workers)  # status_of applies certify's acceptance rule to it
            return b.mode, cert, path, (chk.ok, chk.status, chk.messages)
    return None, None, None, None


def run_paper_grid(g: PaperGrid, params: Params = None, readings=None, domain_keys=None, scale="1",
                   cells=None, threads=None, workers=1, per_cell="auto", certified=True, max_boxes=400_000,
                   progress_factory=None, log=None, certificate_dir=None) -> PaperRun:
    """The paper's grid on each domain and reading.  The derivative bounds come from one
    claim proved by the box engine and accepted by ``certify`` (its parts go into every
    grid certificate, which the replay re-checks); ``per_cell`` True/False/"auto": the
    per-cell gradient enclosures always, never, or only for a grid no global bound proves.
    The sweep a certificate's replay re-runs in this process is the sweep just made
    (``grid_sweep.sweep`` memoises on its exact inputs); ``selu-verify check`` re-sweeps."""
    params = params or Params()
    readings = list(readings or ([g.default_reading] if g.default_reading != "all" else PAPER_READINGS))
    domain_keys = list(domain_keys or g.default_domains)
    steps = scaled_steps(g, scale)
    t0 = time.perf_counter()
    log = log or (lambda msg: None)
    phases = Phases()
    results, m_status, cert_M = [], {}, {}
    log(f"certifying the derivative bounds on {', '.join(g.domain_text[dk] for dk in domain_keys)} "
        f"(one claim, replayed by the checker)")
    with phases("derivative bounds (prove + replay)"):
        db = certify_derivatives(g, domain_keys, params, workers, max_boxes, certificate_dir)
    log(f"derivative bounds: {db.status} in {db.seconds:.1f} s" + (f" ({db.path})" if db.path else ""))
    for dk in domain_keys:
        dom = g.domains[dk]
        M_paper, paper_derivs = derivative_entries(g, dom, db, "paper")
        st = "proved" if paper_derivs is not None else ("disproved" if any(
            db.parts.get((e, dom), {}).get(s_) is not None and db.parts[(e, dom)][s_].status == "disproved"
            for v in VARS for e in _forms(g, v)[1] for s_ in ("max", "min")) else "undecided")
        m_status[dk] = (st, "" if st == "proved" else (db.detail or "not certified"),
                        [db.claim_id] if st == "proved" else [], paper_derivs)
        cert_M[dk], tight_derivs = None, None
        if certified:
            cert_M[dk], tight_derivs = derivative_entries(g, dom, db, "certified")
            if cert_M[dk] is None:
                cert_M[dk] = (None,) * len(VARS)
        for rd in readings:
            axes = tuple(make_axis(v, lo, hi, steps[v], rd) for v, (lo, hi) in zip(VARS, dom.bounds))
            npts = int(np.prod([a.n for a in axes], dtype=object))
            log(f"sweeping {npts:,} points ({g.domain_text[dk]}, reading {rd!r})")
            prog = progress_factory(f"{g.id} {dk} {rd}", npts) if progress_factory else None
            with phases("sweep (compile/load + run)"):
                if prog:
                    with prog as tick:
                        sw = sweep(axes, g.expr, params, cells, threads, tick, on_compile=log)
                else:
                    sw = sweep(axes, g.expr, params, cells, threads, on_compile=log)
            bounds = []
            # sum M_i Delta_i is a valid slack when every point is within Delta_i of the
            # grid on each axis; float rounding of the coordinates could break that by
            # an ulp, so take max(Delta_i, h_i)
            widths = [max(Fraction(steps[v]), ax.cover) for v, ax in zip(VARS, axes)]
            bounds.append(decide(sw, "max", g.threshold, "paper", [Fraction(g.M[v]) for v in VARS], widths,
                                 m_status=m_status[dk][0], m_reason=m_status[dk][1]))
            methods = {"paper": paper_derivs and {"mode": "global", "widths": "steps", "derivatives": paper_derivs},
                       "certified": tight_derivs and {"mode": "global", "widths": "covers",
                                                      "derivatives": tight_derivs},
                       "per-cell": {"mode": "per-cell"}}
            if cert_M[dk] is not None:
                ok = tight_derivs is not None
                M = cert_M[dk] if ok else (math.inf,) * len(VARS)
                bounds.append(decide(sw, "max", g.threshold, "certified", M, None,
                                     m_status="proved" if ok else "undecided"))
            if per_cell is True or (per_cell == "auto" and not any(b.status == "proved" for b in bounds)):
                boxes = cell_boxes(sw)
                log(f"per-cell gradient enclosures on {len(boxes)} cells")
                with phases("per-cell gradient enclosures"):
                    cm = cell_gradients(g.expr, params, boxes, workers, skip=sw.empty_cells)
                bounds.append(decide(sw, "max", g.threshold, "per-cell", cell_M=cm))
            cex = counterexample(sw, "max", g.threshold, g.expr, params)
            for b in bounds:
                if cex is not None:
                    b.status, b.reason = "disproved", f"grid point {cex['point']} has {g.expr} = {cex['value']}"
            r = ReadingResult(dk, rd, sw, bounds, cex)
            if cex is None:
                log(f"writing and replaying the grid certificate ({g.domain_text[dk]}, reading {rd!r})")
                with phases("grid certificate (write + replay)"):
                    r.certified_mode, r.certificate, r.certificate_path, r.replay = certify_reading(
                        g, dom, rd, steps, params, sw, bounds, methods, workers, certificate_dir)
            results.append(r)
    return PaperRun(g, params, str(scale), results, m_status, cert_M, time.perf_counter() - t0, db, phases)


# --------------------------------------------------------------------------------------
# reporting


def fmt(q, digits=10, direction=0) -> str:
    """A decimal for a Fraction/float: rounded up (direction > 0), down (< 0) or nearest."""
    if isinstance(q, float) and not math.isfinite(q):
        return str(q)
    mode = ROUND_CEILING if direction > 0 else (ROUND_FLOOR if direction < 0 else ROUND_HALF_EVEN)
    return rounded_decimal(Fraction(q), digits, mode)


def fmt_point(pt) -> str:
    return "(" + ", ".join(f"{x:.10g}" for x in pt) + ")"


def paper_column(g: PaperGrid, run_scale: str) -> dict:
    """The paper's numbers, per report row."""
    ps = _paper_slack(g.steps, g.M)
    rows = {
        "spacing": ", ".join(f"{g.steps[v]}" for v in VARS),
        "derivative bounds": ", ".join(g.M[v] for v in VARS),
        "float error": "< 1e-13" + (" (recalled)" if g.id == "lemma12" else ""),
        "slack (paper: sum M_i*Delta_i)": fmt(ps, 8),
        "bound": f"< {g.threshold}",
    }
    if g.id == "lemma12":
        rows["grid size"] = "~1.1e9 (tau in [0.95, 1.1]) / ~3.3e9 ([0.8, 1.25])"
        rows["max on the grid"] = f"<= {fmt(1 - ps, 7, -1)} (implied: 1 - slack)"
        rows["where"] = "—"
    else:
        rows["grid size"] = "~2e9 (construction not stated)"
        rows["max on the grid"] = g.target_max
        rows["where"] = "Fig. A7: mu = 0.1, omega = -0.1, nu*tau ~ 0.187342"
    if Fraction(run_scale) != 1:
        rows["spacing"] += f"  (run at {run_scale}x)"
    return rows


def certificate_text(r: ReadingResult) -> str:
    """What the certificate of one grid says: which bound it records and whether the
    replay accepted it."""
    if r.counterexample is not None:
        return "none (a grid point violates the threshold)"
    if r.replay is None:
        return "none (no bound below the threshold)"
    ok, st, msgs = r.replay
    where = f" ({r.certificate_path})" if r.certificate_path else ""
    if not ok:
        return f"{r.certified_mode} bound: replay REJECTED: {'; '.join(msgs)}{where}"
    return f"{r.certified_mode} bound: replayed, {st}{where}"


def reading_column(g: PaperGrid, r: ReadingResult) -> dict:
    sw = r.sweep
    pt, mid, rad = sw.max_point()
    rows = {
        "spacing": ", ".join(fmt(a.step, 10) for a in sw.axes),
        "grid size": " x ".join(str(a.n) for a in sw.axes) + f" = {sw.points:,}",
        "max on the grid": f"{fmt(Fraction(mid) - Fraction(rad), 12, -1)} .. {fmt(sw.max_upper, 12, 1)}",
        "where": fmt_point(pt) + (f", nu*tau = {pt[2] * pt[3]:.6g}" if g.id == "lemma43" else ""),
        "float error": f"<= {sw.max_rad:.2e} (worst bound over the grid)",
        "covering radius h_i": ", ".join(fmt(a.cover, 10, 1) for a in sw.axes),
        "seconds": f"{sw.seconds:.1f} ({sw.speed_text()})",
    }
    for b in r.bounds:
        label = {"paper": "slack (paper: sum M_i*Delta_i)", "certified": "slack (certified M_i, h_i)",
                 "per-cell": "slack (per-cell M_i, h_i)"}[b.mode]
        rows[label] = fmt(b.slack, 8, 1)
        rows[f"bound ({b.mode})"] = f"{fmt(b.bound, 10, 1)}  {b.status}" + (f": {b.reason}" if b.reason else "")
        if b.mode == "certified":
            rows["derivative bounds (certified)"] = ", ".join(f"{float(m):.5g}" for m in b.M)
        if b.mode == "per-cell":
            rows["derivative bounds (max per-cell)"] = ", ".join(f"{float(m):.5g}" for m in b.M)
    rows["certificate"] = certificate_text(r)
    rows["status"] = r.status
    if g.target_max is not None:
        lo_, hi_ = Fraction(mid) - Fraction(rad), Fraction(sw.max_upper)
        T = Fraction(g.target_max)
        half = Fraction(5, 10 ** 9)
        rows["reproduces the paper's max?"] = "yes (to the printed digits)" if lo_ <= T + half and hi_ >= T - half \
            else "no"
    return rows


ROW_ORDER = ("spacing", "grid size", "max on the grid", "where", "float error", "covering radius h_i",
             "derivative bounds", "derivative bounds (certified)", "derivative bounds (max per-cell)",
             "slack (paper: sum M_i*Delta_i)", "bound (paper)", "slack (certified M_i, h_i)", "bound (certified)",
             "slack (per-cell M_i, h_i)", "bound (per-cell)", "certificate", "status", "reproduces the paper's max?",
             "seconds")


def table_rows(run: PaperRun):
    """(header, rows): one column for the paper, one per (domain, reading)."""
    g = run.grid
    cols = [paper_column(g, run.scale)]
    heads = ["paper"]
    for r in run.results:
        c = reading_column(g, r)
        c["derivative bounds"] = {"proved": "paper's M_i certified", "disproved": "VIOLATED",
                                  "undecided": "not certified"}[run.paper_M_status[r.domain_key][0]]
        claims = run.paper_M_status[r.domain_key][2]
        if claims:
            c["derivative bounds"] += f" (parts of {', '.join(claims)})"
        cols.append(c)
        heads.append(f"{g.domain_short[r.domain_key]}, {r.reading}")
    rows = []
    for key in ROW_ORDER:
        if any(key in c for c in cols):
            rows.append([key] + [c.get(key, "—") for c in cols])
    return ["quantity"] + heads, rows


def status_of(run: PaperRun) -> str:
    """Proved when every (domain, reading) grid is proved by a replayed certificate (by the
    first of the paper's bounds, the certified ones and the per-cell ones that proves it);
    disproved when a grid point violates the threshold; else undecided."""
    st = [r.status for r in run.results]
    if "disproved" in st:
        return "disproved"
    return "proved" if st and all(s == "proved" for s in st) else "undecided"


def paper_method_status(run: PaperRun) -> str:
    """The verdict of the paper's own slack sum M_i Delta_i with its M_i, on every grid
    (reported beside the status: at a coarser spacing it is expected to fail)."""
    st = [b.status for r in run.results for b in r.bounds if b.mode == "paper"]
    if "disproved" in st:
        return "disproved"
    return "proved" if st and all(s == "proved" for s in st) else "undecided"


def to_json(run: PaperRun) -> dict:
    g = run.grid
    out = {"grid": g.id, "expr": g.expr, "threshold": g.threshold, "params": run.params.describe(),
           "scale": run.scale, "seconds": round(run.seconds, 3), "status": status_of(run),
           "paper_method": paper_method_status(run),
           "paper": paper_column(g, run.scale), "results": [],
           "derivatives": None if run.derivatives is None else {
               "claim": run.derivatives.claim_id, "status": run.derivatives.status,
               "certificate": run.derivatives.path, "seconds": round(run.derivatives.seconds, 3)},
           "phases": [{"phase": n, "seconds": round(w, 3), "cpu_seconds": round(c, 3)} for n, w, c in run.phases]}
    for r in run.results:
        sw = r.sweep
        pt, mid, rad = sw.max_point()
        out["results"].append({
            "domain": r.domain_key, "domain_text": g.domain_text[r.domain_key], "reading": r.reading,
            "points": sw.points, "axes": [a.n for a in sw.axes], "steps": [str(a.step) for a in sw.axes],
            "covers": [float(up(a.cover)) for a in sw.axes],
            "max_mid": mid, "max_upper": sw.max_upper, "max_point": list(pt), "max_error_bound": sw.max_rad,
            "bad_points": sw.n_bad, "seconds": round(sw.seconds, 3), "threads": sw.threads,
            "symmetry": sw.symmetry, "evaluated": sw.evaluated,
            "paper_M": run.paper_M_status[r.domain_key][0], "status": r.status,
            "certified_mode": r.certified_mode, "certificate": r.certificate_path,
            "replay": None if r.replay is None else {"accepted": r.replay[0], "status": r.replay[1],
                                                     "messages": r.replay[2]},
            "bounds": [{"mode": b.mode, "slack": float(up(b.slack)), "bound": float(up(b.bound)),
                        "status": b.status, "reason": b.reason, "M": [float(m) for m in b.M]} for b in r.bounds],
            "counterexample": r.counterexample,
        })
    return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def figure(run: PaperRun, path) -> pathlib.Path:
    """The run at a glance: for every (domain, reading) grid, the grid maximum and each
    method's bound (grid maximum + mean-value slack) against the threshold."""
    import matplotlib  # optional and slow to import: only when drawing
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = run.grid
    th = float(Fraction(g.threshold))
    colours = {"proved": "tab:green", "undecided": "tab:orange", "disproved": "tab:red"}
    labels, fig_h = [], 1.2 + 0.45 * sum(1 + len(r.bounds) for r in run.results)
    fig, ax = plt.subplots(figsize=(9, fig_h), constrained_layout=True)
    y = 0
    for r in run.results:
        head = f"{g.domain_short[r.domain_key]}, {r.reading}: grid max"
        ax.barh(y, float(r.sweep.max_upper), color="tab:blue", alpha=0.8)
        labels.append((y, head))
        y += 1
        for b in r.bounds:
            v = float(b.bound)
            ax.barh(y, v if math.isfinite(v) else 2 * th, color=colours.get(b.status, "grey"), alpha=0.8)
            labels.append((y, f"    + slack ({b.mode}): {b.status}"))
            y += 1
        y += 0.5
    ax.axvline(th, color="k", ls="--", lw=1.2, label=f"threshold {g.threshold}")
    if g.target_max:
        ax.axvline(float(g.target_max), color="tab:purple", ls=":", lw=1.2, label=f"paper's grid max {g.target_max}")
    ax.set_yticks([p for p, _ in labels])
    ax.set_yticklabels([t for _, t in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15 * max([th] + [float(b.bound) for r in run.results for b in r.bounds
                                      if math.isfinite(float(b.bound)) and float(b.bound) < 3 * th]))
    ax.set_xlabel(r"$S$" if g.expr == "S" else r"$\tilde\mu^2$")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"{g.id}: grid maxima and bounds at {run.scale}x the paper's spacing "
                 f"(green: proved by a replayed certificate)", fontsize=9)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
