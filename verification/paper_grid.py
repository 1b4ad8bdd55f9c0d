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
  that are certified:
    - "paper":    the paper's M_i, each proved by the box engine (the same threshold parts
                  as the registry's claims lemma10-11-derivative-bounds, lemma41 and
                  lemma42-mean-derivative-bounds), with the paper's slack sum M_i Delta_i;
    - "certified": M_i within ~1% of the true max |d f/d x_i|, proved the same way, with
                  the covering radii: what the method can give at the paper's spacings;
    - "per-cell": per cell of the grid, gradient enclosures of f over the cell (Arb jets,
                  ``Evaluator.box``), slack sum_i M_i^cell h_i, bound = max over cells;
* grid bound = (max of mid + rad, rounded up) + slack.  It is a true upper bound of the
  continuous maximum whenever the derivative bounds are certified.

A claim "max f < T" is *proved* when the bound is < T; *disproved* when a grid point's
certified lower end is >= T (re-checked in Arb); *undecided* otherwise (including a
derivative bound that could not be certified, or a grid point the kernels cannot enclose).
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from selu_theory.params import Params
from verification import claims as C
from verification.domain import Domain, down, up

VARS = ("mu", "omega", "nu", "tau")
READINGS = ("start", "end", "both", "linspace")
READING_TEXT = {
    "start": "lo + k*step, k = 0..floor((hi-lo)/step)  (hi only if hit)",
    "end": "hi - k*step  (lo only if hit)",
    "both": "lo + k*step, plus hi",
    "linspace": "ceil((hi-lo)/step) + 1 equally spaced points, both ends",
}
OMEGA_WIDE_TAU = getattr(C, "OMEGA_WIDE_TAU", Domain.of(mu=("-0.1", "0.1"), omega=("-0.1", "0.1"),
                                                        nu=("0.8", "1.5"), tau=("0.8", "1.25")))


class GridError(ValueError):
    """A grid that cannot be built or evaluated (bad spacing, unsupported name...)."""


# --------------------------------------------------------------------------------------
# axes


@dataclass(frozen=True)
class Axis:
    name: str
    lo: Fraction
    hi: Fraction
    step: Fraction
    reading: str
    points: np.ndarray = field(repr=False, compare=False)
    cover: Fraction  # every x in [lo, hi] is within `cover` of a point

    @property
    def n(self) -> int:
        return len(self.points)


MAX_AXIS_POINTS = 50_000_000


def make_axis(name: str, lo, hi, step, reading: str) -> Axis:
    lo, hi = Fraction(lo), Fraction(hi)
    if reading not in READINGS:
        raise GridError(f"unknown grid reading {reading!r}; use one of {', '.join(READINGS)}")
    if lo == hi:
        pts = [lo]
        step = Fraction(0) if step is None else Fraction(step)
    else:
        step = Fraction(step)
        if step <= 0:
            raise GridError(f"{name}: the step must be positive")
        span = hi - lo
        k = math.floor(span / step)
        if k + 2 > MAX_AXIS_POINTS:
            raise GridError(f"{name}: more than {MAX_AXIS_POINTS} points on one axis")
        if reading == "start":
            pts = [lo + i * step for i in range(k + 1)]
        elif reading == "end":
            pts = [hi - i * step for i in range(k + 1)][::-1]
        elif reading == "both":
            pts = [lo + i * step for i in range(k + 1)]
            if pts[-1] != hi:
                pts.append(hi)
        else:
            n = math.ceil(span / step) + 1
            pts = [lo + span * i / (n - 1) for i in range(n)]
    floats = []
    for q in pts:
        f = float(q)
        if Fraction(f) > hi:
            f = down(hi)
        if Fraction(f) < lo:
            f = up(lo)
        floats.append(f)
    floats = sorted(set(floats))
    fq = [Fraction(f) for f in floats]
    cover = max([fq[0] - lo, hi - fq[-1]] + [(b - a) / 2 for a, b in zip(fq, fq[1:])])
    return Axis(name, lo, hi, step, reading, np.array(floats, dtype=np.float64), cover)


def parse_steps(text: str, domain: Domain) -> dict:
    """'mu=0.01,omega=0.001,...': the step of every axis with a non-degenerate range."""
    out = {}
    for item in filter(None, (s.strip() for s in str(text or "").split(","))):
        name, eq, val = item.partition("=")
        name = name.strip()
        if not eq or name not in VARS:
            raise GridError(f"step item {item!r} is not name=step with name in {', '.join(VARS)}")
        if name in out:
            raise GridError(f"{name} given twice")
        try:
            q = Fraction(val.strip())
            if not math.isfinite(float(q)):
                raise ValueError
        except (ValueError, ZeroDivisionError, OverflowError):
            raise GridError(f"{name}: {val.strip()!r} is not a number") from None
        if q <= 0:
            raise GridError(f"{name}: the step must be positive")
        out[name] = q
    for name, (lo, hi) in zip(VARS, domain.bounds):
        if lo != hi and name not in out:
            raise GridError(f"--steps is missing {name}")
    return out


# --------------------------------------------------------------------------------------
# expressions -> kernels


def compile_expr(expr_text: str):
    """(kind, tape, const mids, const rads, registers) for the grid kernels."""
    from selu_theory import grid_kernels as gk
    from selu_theory.expr import parse
    import ast

    e = parse(expr_text)
    src = "".join(e.source.split())
    if src == "S":
        kind = gk.KIND_S
    elif src in ("mu_tilde**2", "mu_tilde*mu_tilde"):
        kind = gk.KIND_MU2
    else:
        kind = gk.KIND_TAPE
    unsupported = sorted(n for n in e.names if n not in gk.Q_NAMES)
    if unsupported:
        raise GridError(f"the grid kernels do not evaluate {', '.join(unsupported)}; supported names: "
                        f"{', '.join(gk.Q_NAMES)} (and + - * / integer powers sqrt exp)")
    tape, consts = [], []

    def emit(op, a=0, b=0):
        tape.append((op, len(tape), a, b))
        return len(tape) - 1

    def const(q):
        consts.append(gk.frac_pair(Fraction(q)))
        return emit(gk.OP_CONST, len(consts) - 1)

    def power(r, n):
        if n == 0:
            return const(1)
        if n < 0:
            return emit(gk.OP_DIV, const(1), power(r, -n))
        result, base = None, r
        while n:
            if n & 1:
                result = base if result is None else emit(gk.OP_MUL, result, base)
            n >>= 1
            if n:
                base = emit(gk.OP_SQR, base)
        return result

    def visit(node):
        if isinstance(node, ast.BinOp):
            a = visit(node.left)
            if isinstance(node.op, ast.Pow):
                return power(a, node._selu_power)
            b = visit(node.right)
            op = {ast.Add: gk.OP_ADD, ast.Sub: gk.OP_SUB, ast.Mult: gk.OP_MUL, ast.Div: gk.OP_DIV}[type(node.op)]
            if op == gk.OP_MUL and a == b:
                return emit(gk.OP_SQR, a)
            return emit(op, a, b)
        if isinstance(node, ast.UnaryOp):
            a = visit(node.operand)
            return emit(gk.OP_NEG, a) if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.Constant):
            return const(node._selu_value)
        if isinstance(node, ast.Name):
            return emit(gk.OP_LOAD, gk.Q_NAMES.index(node.id))
        if isinstance(node, ast.Call):
            a = visit(node.args[0])
            return emit(gk.OP_SQRT if node.func.id == "sqrt" else gk.OP_EXP, a)
        raise GridError(f"not supported in a grid expression: {type(node).__name__}")

    res = visit(e.tree.body)
    if res != len(tape) - 1:   # the result must be the last instruction's register
        emit(gk.OP_ADD, res, const(0))
    tape_arr = np.array(tape, dtype=np.int64).reshape(-1, 4)
    cm = np.array([c[0] for c in consts] or [0.0])
    cr = np.array([c[1] for c in consts] or [0.0])
    return kind, tape_arr, cm, cr, len(tape)


# --------------------------------------------------------------------------------------
# the sweep


@dataclass
class Sweep:
    """Per-cell results of one sweep, and what the grid as a whole gives."""

    axes: tuple
    cells: tuple          # cells per axis
    bounds: tuple         # index boundaries per axis
    hi: np.ndarray        # per cell, rounded up: >= every true grid value in the cell
    lo: np.ndarray        # per cell, rounded down: <= every true grid value in the cell
    amax: np.ndarray
    imax: np.ndarray
    amin: np.ndarray
    imin: np.ndarray
    rad: np.ndarray
    bad: np.ndarray
    seconds: float
    threads: int

    @property
    def points(self) -> int:
        return int(np.prod([a.n for a in self.axes], dtype=object))

    def point(self, idx) -> tuple:
        return tuple(float(a.points[int(i)]) for a, i in zip(self.axes, idx))

    @property
    def n_bad(self) -> int:
        return int(self.bad.sum())

    def _arg(self, values, better):
        best = 0
        for c in range(1, len(values)):
            if better(values[c], values[best]):
                best = c
        return best

    @property
    def argmax_cell(self) -> int:
        return self._arg(self.amax, lambda a, b: a > b)

    @property
    def argmin_cell(self) -> int:
        return self._arg(self.amin, lambda a, b: a < b)

    @property
    def max_upper(self) -> float:
        return float(np.max(self.hi))

    @property
    def min_lower(self) -> float:
        return float(np.min(self.lo))

    @property
    def max_rad(self) -> float:
        return float(np.max(self.rad))

    def max_point(self):
        c = self.argmax_cell
        return self.point(self.imax[c]), float(self.amax[c]), float(self.rad[c])

    def min_point(self):
        c = self.argmin_cell
        return self.point(self.imin[c]), float(self.amin[c]), float(self.rad[c])


def _cell_bounds(n: int, c: int) -> np.ndarray:
    c = max(1, min(int(c), n))
    return np.array([(i * n) // c for i in range(c + 1)], dtype=np.int64)


def default_cells(axes) -> tuple:
    """Cells per axis: ~8192 cells, omega rows (the vectorized loop) >= 32 long."""
    want = (8, 4, 16, 16)
    out = []
    for ax, w in zip(axes, want):
        if ax.name == "omega":
            w = max(1, min(w, ax.n // 32))
        out.append(max(1, min(w, ax.n)))
    return tuple(out)


def sweep(axes, expr_text: str, params: Params, cells=None, threads: int = None, progress=None,
          batch_points: int = None) -> Sweep:
    """Evaluate the expression at every grid point; stream per-cell maxima and minima."""
    import numba

    from selu_theory import grid_kernels as gk

    kind, tape, cm, cr, nreg = compile_expr(expr_text)
    K = gk.constants(params)
    cells = tuple(cells) if cells else default_cells(axes)
    bnds = tuple(_cell_bounds(ax.n, c) for ax, c in zip(axes, cells))
    cells = tuple(len(b) - 1 for b in bnds)
    ncell = int(np.prod(cells))
    xs = tuple(np.ascontiguousarray(ax.points) for ax in axes)
    state = np.zeros((ncell, gk.NSTATE))
    imax = np.zeros((ncell, 4), np.int64)
    imin = np.zeros((ncell, 4), np.int64)
    total = int(np.prod([ax.n for ax in axes], dtype=object))
    old_threads = numba.get_num_threads()
    nthreads = max(1, min(int(threads or numba.config.NUMBA_NUM_THREADS), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(nthreads)
    per_cell = max(1, total // ncell)
    batch_points = batch_points or max(2_000_000, total // 200)
    batch = max(4 * nthreads, batch_points // per_cell)
    t0 = time.perf_counter()
    try:
        for c0 in range(0, ncell, batch):
            c1 = min(ncell, c0 + batch)
            st, i_max, i_min = state[c0:c1], imax[c0:c1], imin[c0:c1]
            if kind == gk.KIND_S:
                gk.sweep_S(*xs, *bnds, c0, c1, K, st, i_max, i_min)
            elif kind == gk.KIND_MU2:
                gk.sweep_mu2(*xs, *bnds, c0, c1, K, st, i_max, i_min)
            else:
                gk.sweep_tape(*xs, *bnds, c0, c1, K, tape, cm, cr, nreg, st, i_max, i_min)
            if progress:
                progress(min(total, (c1 * total) // ncell))
    finally:
        numba.set_num_threads(old_threads)
    secs = time.perf_counter() - t0
    hi = np.nextafter(state[:, 0], np.inf)   # fl(mid + rad) is within half an ulp
    lo = np.nextafter(state[:, 1], -np.inf)
    return Sweep(tuple(axes), cells, bnds, hi, lo, state[:, 2].copy(), imax, state[:, 3].copy(), imin,
                 state[:, 4].copy(), state[:, 5].astype(np.int64), secs, nthreads)


def sweep_float_max(axes, kind_expr: str, params: Params, cells=None, threads=None) -> tuple:
    """The bare float sweep (glibc erfc/exp, no error bound): (max, point, seconds)."""
    import numba

    from selu_theory import grid_kernels as gk
    kind = gk.KIND_S if kind_expr == "S" else gk.KIND_MU2
    a, l = params.floats()
    cells = tuple(cells) if cells else default_cells(axes)
    bnds = tuple(_cell_bounds(ax.n, c) for ax, c in zip(axes, cells))
    ncell = int(np.prod([len(b) - 1 for b in bnds]))
    amax = np.zeros(ncell)
    imax = np.zeros((ncell, 4), np.int64)
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads or numba.config.NUMBA_NUM_THREADS), numba.config.NUMBA_NUM_THREADS)))
    t0 = time.perf_counter()
    try:
        gk.sweep_float(kind, *(ax.points for ax in axes), *bnds, 0, ncell, a, l, amax, imax)
    finally:
        numba.set_num_threads(old)
    secs = time.perf_counter() - t0
    c = int(np.argmax(amax))
    return float(amax[c]), tuple(float(ax.points[i]) for ax, i in zip(axes, imax[c])), secs


def grid_values(axes, expr_text: str, params: Params):
    """(mid, rad) arrays of shape (n_mu, n_omega, n_nu, n_tau): every grid value, from the
    same kernels as the sweep (one cell per point).  For tests and small grids only."""
    sw = sweep(axes, expr_text, params, cells=tuple(ax.n for ax in axes), threads=1)
    shape = tuple(ax.n for ax in axes)
    return sw.amax.reshape(shape), sw.rad.reshape(shape)


# --------------------------------------------------------------------------------------
# the mean-value step


def cell_boxes(sw: Sweep) -> list:
    """Per cell, a float box containing its region {x : nearest grid point in the cell}
    (bounded at midpoints between neighbouring points, and at the domain's ends)."""
    per_axis = []
    for ax, b in zip(sw.axes, sw.bounds):
        pts = [Fraction(p) for p in ax.points]
        ivs = []
        for k in range(len(b) - 1):
            i0, i1 = int(b[k]), int(b[k + 1]) - 1
            left = ax.lo if i0 == 0 else (pts[i0 - 1] + pts[i0]) / 2
            right = ax.hi if i1 == len(pts) - 1 else (pts[i1] + pts[i1 + 1]) / 2
            ivs.append((down(left), up(right)))
        per_axis.append(ivs)
    boxes = []
    for c in range(len(sw.hi)):
        idx, r = [], c
        for n in reversed(sw.cells):
            idx.append(r % n)
            r //= n
        idx.reverse()
        boxes.append(tuple(per_axis[i][k] for i, k in enumerate(idx)))
    return boxes


def _gradient_chunk(args):
    expr, params, bits, boxes = args
    from selu_theory import ball
    from selu_theory.evaluate import Evaluator
    from selu_theory.expr import parse
    from verification.engine import float_up
    ev = Evaluator(parse(expr), params, bits)
    out = []
    with ball.precision(bits):
        for bx in boxes:
            j = ev.box(bx)
            out.append([float_up(g.abs_upper()) if g.is_finite() else math.inf for g in j.grad])
    return out


def cell_gradients(expr: str, params: Params, boxes, workers: int = 1, bits: int = 80, progress=None) -> np.ndarray:
    """Per cell, certified upper bounds of |d f / d x_i| over the cell (Arb jets)."""
    chunk = max(1, min(256, len(boxes) // max(1, 4 * workers) or 1))
    items = [(expr, params, bits, boxes[i:i + chunk]) for i in range(0, len(boxes), chunk)]
    rows = []
    if workers <= 1:
        for it in items:
            rows.extend(_gradient_chunk(it))
            if progress:
                progress(len(rows))
    else:
        import multiprocessing
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for res in pool.map(_gradient_chunk, items):
                rows.extend(res)
                if progress:
                    progress(len(rows))
    return np.array(rows, dtype=np.float64).reshape(len(boxes), 4)


def slack(M, widths) -> Fraction:
    """sum_i M_i w_i, exactly (M_i = inf gives inf)."""
    total = Fraction(0)
    for m, w in zip(M, widths):
        if w == 0:
            continue
        if not math.isfinite(float(m)):
            return Fraction(10) ** 300
        total += Fraction(m) * Fraction(w)
    return total


@dataclass
class Bound:
    """One mean-value bound: grid extreme + slack vs the threshold."""

    mode: str
    slack: Fraction
    bound: Fraction
    status: str           # proved | undecided | disproved
    reason: str = ""
    M: tuple = ()


def decide(sw: Sweep, sense: str, threshold, mode: str, M=None, widths=None, cell_M=None,
           m_status: str = "proved", m_reason: str = "") -> Bound:
    """Bound the continuous max (sense 'max') or min of f from the grid and the slack."""
    covers = [ax.cover for ax in sw.axes]
    if sw.n_bad:
        return Bound(mode, Fraction(0), Fraction(0), "undecided",
                     f"{sw.n_bad} grid values could not be enclosed (an argument outside the kernels' proven "
                     f"range, e.g. m + v <= 0)", tuple(M) if M is not None else ())
    if cell_M is not None:
        if sense == "max":
            vals = [Fraction(h) + slack(m, covers) for h, m in zip(sw.hi, cell_M)]
            b = max(vals)
        else:
            vals = [Fraction(l_) - slack(m, covers) for l_, m in zip(sw.lo, cell_M)]
            b = min(vals)
        s = abs(b - Fraction(sw.max_upper if sense == "max" else sw.min_lower))
        Mx = tuple(float(np.max(cell_M[:, i])) for i in range(4))
    else:
        s = slack(M, widths if widths is not None else covers)
        b = Fraction(sw.max_upper) + s if sense == "max" else Fraction(sw.min_lower) - s
        Mx = tuple(M)
    status, reason = "undecided", ""
    if m_status != "proved":
        reason = m_reason or "derivative bounds not certified"
        if m_status == "disproved":
            reason = "a derivative bound is violated: " + reason
    elif threshold is None:
        status = "proved"   # a certified bound, nothing to compare
    else:
        T = Fraction(threshold)
        ok = b < T if sense == "max" else b > T
        status = "proved" if ok else "undecided"
        if not ok:
            reason = (f"grid {'max' if sense == 'max' else 'min'} + slack = {float(b):.10g} "
                      f"{'>=' if sense == 'max' else '<='} {threshold}")
    return Bound(mode, s, b, status, reason, Mx)


def counterexample(sw: Sweep, sense: str, threshold, expr: str, params: Params):
    """A grid point whose certified value violates the threshold, re-checked in Arb."""
    if threshold is None:
        return None
    T = Fraction(threshold)
    pt, mid, rad = sw.max_point() if sense == "max" else sw.min_point()
    if not (math.isfinite(mid) and math.isfinite(rad)):
        return None
    lower = Fraction(mid) - Fraction(rad) if sense == "max" else Fraction(mid) + Fraction(rad)
    if not (lower >= T if sense == "max" else lower <= T):
        return None
    from selu_theory import ball
    from selu_theory.evaluate import Evaluator
    from selu_theory.expr import parse
    val = Evaluator(parse(expr), params).point(pt)
    with ball.precision(80):
        bad = bool(val >= ball.exact(T)) if sense == "max" else bool(val <= ball.exact(T))
    return {"point": pt, "value": val.str(15)} if bad else None


# --------------------------------------------------------------------------------------
# certified global derivative bounds (box engine)


def _prove_parts(parts, params, workers, max_boxes):
    from verification import prove
    from verification.engine import Runner
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


def certify_abs_bounds(exprs, domain: Domain, bounds, params: Params, workers=1, max_boxes=400_000):
    """Prove |expr_i| < bounds_i on the domain: (status, detail, registry claims)."""
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
    return status, "; ".join(bad), used


def certified_max_abs(expr: str, domain: Domain, params: Params, workers=1, margin=0.01, max_boxes=400_000):
    """A certified M >= max |expr| on the domain, within ~margin of the float estimate."""
    from verification import search
    from verification.engine import _evaluator
    ev = _evaluator(expr, params, 80)
    est = 0.0
    for sign in (1, -1):
        p = search.best_point(ev.floats, sign, domain)
        est = max(est, abs(float(ev.point(p).mid())))
    M = est * (1 + margin) + 1e-12
    for _ in range(4):
        text = decimal_up(M, 4)
        status, _, _ = certify_abs_bounds([expr], domain, [text], params, workers, max_boxes)
        if status == "proved":
            return float(up(Fraction(text))), "proved"
        M *= 1.1
    return math.inf, "undecided"


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
    default_reading="both", default_domains=("omega", "wide-tau"),
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


def certify_paper_M(g: PaperGrid, domain: Domain, params: Params, workers=1, max_boxes=400_000):
    """Prove the paper's derivative bounds on the domain: (status, detail, claims reused)."""
    if g.id == "lemma43":
        for v in VARS:  # the printed bounds are the products of the factors
            prod = 2 * Fraction(LEMMA43_FACTORS["mu_tilde"]) * Fraction(LEMMA43_FACTORS[f"dmu_d{v}"])
            if prod > Fraction(g.M[v]):
                return "undecided", f"2*0.289324*{LEMMA43_FACTORS[f'dmu_d{v}']} > {g.M[v]}", []
        exprs = list(LEMMA43_FACTORS)
        return certify_abs_bounds(exprs, domain, [LEMMA43_FACTORS[e] for e in exprs], params, workers, max_boxes)
    exprs = [g.deriv_exprs[v] for v in VARS]
    return certify_abs_bounds(exprs, domain, [g.M[v] for v in VARS], params, workers, max_boxes)


@dataclass
class ReadingResult:
    domain_key: str
    reading: str
    sweep: Sweep
    bounds: list
    counterexample: dict = None
    float_check: tuple = None


@dataclass
class PaperRun:
    grid: PaperGrid
    params: Params
    scale: str
    results: list
    paper_M_status: dict      # domain key -> (status, detail, claims)
    certified_M: dict         # domain key -> tuple of M or None
    seconds: float


def run_paper_grid(g: PaperGrid, params: Params = None, readings=None, domain_keys=None, scale="1",
                   cells=None, threads=None, workers=1, per_cell=True, certified=True, max_boxes=400_000,
                   progress_factory=None, log=None) -> PaperRun:
    params = params or Params()
    readings = list(readings or ([g.default_reading] if g.default_reading != "all" else READINGS))
    domain_keys = list(domain_keys or g.default_domains)
    steps = scaled_steps(g, scale)
    t0 = time.perf_counter()
    log = log or (lambda msg: None)
    results, m_status, cert_M = [], {}, {}
    for dk in domain_keys:
        dom = g.domains[dk]
        log(f"certifying the paper's derivative bounds on {g.domain_text[dk]}")
        m_status[dk] = certify_paper_M(g, dom, params, workers, max_boxes)
        cert_M[dk] = None
        if certified:
            log(f"certifying max |d{g.expr}/dx| on {g.domain_text[dk]} (to ~1%)")
            Ms = [certified_max_abs(g.deriv_exprs[v], dom, params, workers, max_boxes=max_boxes) for v in VARS]
            cert_M[dk] = tuple(m for m, _ in Ms)
        for rd in readings:
            axes = tuple(make_axis(v, lo, hi, steps[v], rd) for v, (lo, hi) in zip(VARS, dom.bounds))
            npts = int(np.prod([a.n for a in axes], dtype=object))
            log(f"sweeping {npts:,} points ({g.domain_text[dk]}, reading {rd!r})")
            prog = progress_factory(f"{g.id} {dk} {rd}", npts) if progress_factory else None
            if prog:
                with prog as tick:
                    sw = sweep(axes, g.expr, params, cells, threads, tick)
            else:
                sw = sweep(axes, g.expr, params, cells, threads)
            bounds = []
            st, detail, _ = m_status[dk]
            M_paper = [Fraction(g.M[v]) for v in VARS]
            # sum M_i Delta_i is a valid slack when every point is within Delta_i of the
            # grid on each axis; float rounding of the coordinates could break that by
            # an ulp, so take max(Delta_i, h_i)
            widths = [max(Fraction(steps[v]), ax.cover) for v, ax in zip(VARS, axes)]
            bounds.append(decide(sw, "max", g.threshold, "paper", M_paper, widths, m_status=st, m_reason=detail))
            if cert_M[dk] is not None:
                ok = all(math.isfinite(m) for m in cert_M[dk])
                bounds.append(decide(sw, "max", g.threshold, "certified", cert_M[dk], None,
                                     m_status="proved" if ok else "undecided"))
            if per_cell:
                boxes = cell_boxes(sw)
                log(f"per-cell gradient enclosures on {len(boxes)} cells")
                cm = cell_gradients(g.expr, params, boxes, workers)
                bounds.append(decide(sw, "max", g.threshold, "per-cell", cell_M=cm))
            cex = counterexample(sw, "max", g.threshold, g.expr, params)
            for b in bounds:
                if cex is not None:
                    b.status, b.reason = "disproved", f"grid point {cex['point']} has {g.expr} = {cex['value']}"
            results.append(ReadingResult(dk, rd, sw, bounds, cex))
    return PaperRun(g, params, str(scale), results, m_status, cert_M, time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# reporting


def fmt(q, digits=10, direction=0) -> str:
    """A decimal for a Fraction/float: rounded up (direction > 0), down (< 0) or nearest."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN
    from verification.report import _dec
    if isinstance(q, float) and not math.isfinite(q):
        return str(q)
    mode = ROUND_CEILING if direction > 0 else (ROUND_FLOOR if direction < 0 else ROUND_HALF_EVEN)
    return _dec(Fraction(q), digits, mode)


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
        "seconds": f"{sw.seconds:.1f} ({sw.points / max(sw.seconds, 1e-9) / 1e6:.1f} M points/s, {sw.threads} threads)",
    }
    for b in r.bounds:
        label = {"paper": "slack (paper: sum M_i*Delta_i)", "certified": "slack (certified M_i, h_i)",
                 "per-cell": "slack (per-cell M_i, h_i)"}[b.mode]
        rows[label] = fmt(b.slack, 8, 1)
        rows[f"bound ({b.mode})"] = f"{fmt(b.bound, 10, 1)}  {b.status}" + (f": {b.reason}" if b.reason else "")
        if b.mode == "certified":
            rows["derivative bounds (certified)"] = ", ".join(f"{m:.5g}" for m in b.M)
        if b.mode == "per-cell":
            rows["derivative bounds (max per-cell)"] = ", ".join(f"{m:.5g}" for m in b.M)
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
             "slack (per-cell M_i, h_i)", "bound (per-cell)", "reproduces the paper's max?", "seconds")


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
    """Proved if every (domain, reading) is proved by the paper's method (paper mode)."""
    st = [b.status for r in run.results for b in r.bounds if b.mode == "paper"]
    if "disproved" in st:
        return "disproved"
    return "proved" if st and all(s == "proved" for s in st) else "undecided"


def to_json(run: PaperRun) -> dict:
    g = run.grid
    out = {"grid": g.id, "expr": g.expr, "threshold": g.threshold, "params": run.params.describe(),
           "scale": run.scale, "seconds": round(run.seconds, 3), "status": status_of(run),
           "paper": paper_column(g, run.scale), "results": []}
    for r in run.results:
        sw = r.sweep
        pt, mid, rad = sw.max_point()
        out["results"].append({
            "domain": r.domain_key, "domain_text": g.domain_text[r.domain_key], "reading": r.reading,
            "points": sw.points, "axes": [a.n for a in sw.axes], "steps": [str(a.step) for a in sw.axes],
            "covers": [float(up(a.cover)) for a in sw.axes],
            "max_mid": mid, "max_upper": sw.max_upper, "max_point": list(pt), "max_error_bound": sw.max_rad,
            "bad_points": sw.n_bad, "seconds": round(sw.seconds, 3), "threads": sw.threads,
            "paper_M": run.paper_M_status[r.domain_key][0],
            "bounds": [{"mode": b.mode, "slack": float(up(b.slack)), "bound": float(up(b.bound)),
                        "status": b.status, "reason": b.reason, "M": list(b.M)} for b in r.bounds],
            "counterexample": r.counterexample,
        })
    return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
