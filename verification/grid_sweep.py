"""The grid method's mechanics: axes, the sweep of the rigorous float kernels, per-cell
gradient enclosures, and the mean-value bound.  No search and no box engine: this module
is shared by the grid commands and by the replay of grid certificates
(``verification.grid_certificate``), which must re-derive every number from the same
kernels.  See ``verification/paper_grid.py`` for the method and the paper's grids.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction

import numba
import numpy as np
from flint import arb

from selu_theory import ball
from selu_theory import grid_kernels as gk
from selu_theory.evaluate import Evaluator
from selu_theory.expr import ExprError, parse
from selu_theory.numbers import NumberError
from selu_theory.numbers import parse as parse_number
from selu_theory.params import DEFAULT_ACTIVATION, Params
from verification import worker_pool
from verification.domain import Domain, down, up

VARS = ("mu", "omega", "nu", "tau")
READINGS = ("start", "end", "both", "linspace", "centred")
PAPER_READINGS = READINGS[:4]   # "all" of a paper grid: the four readings of its text
READING_TEXT = {
    "start": "lo + k*step, k = 0..floor((hi-lo)/step)  (hi only if hit)",
    "end": "hi - k*step  (lo only if hit)",
    "both": "lo + k*step, plus hi",
    "linspace": "ceil((hi-lo)/step) + 1 equally spaced points, both ends",
    "centred": "c +- k*step around the centre c = (lo+hi)/2, plus lo and hi",
}


def float_above(x: arb) -> float:
    """The smallest float >= every point of the ball (inf for NaN or unbounded balls)."""
    if not x.is_finite():
        return math.inf
    u = x.upper()
    f = float(u.mid())
    return f if bool(arb(f) >= u) else math.nextafter(f, math.inf)


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
MAX_GRID_POINTS = 10 ** 11   # ~1 hour at the S kernel's speed on 2 cores
MAX_CELLS = 10 ** 7          # per-cell state is 10 floats a cell: <= 1 GB


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
        elif reading == "centred":
            # mirrored about the centre point by point (exactly, in rationals; and in
            # floats when the centre is 0, since round-to-nearest commutes with negation):
            # what lets the sweep use the grid's (mu, omega) symmetry
            c, k = (lo + hi) / 2, math.floor(span / 2 / step)
            pts = [lo] + [c + i * step for i in range(-k, k + 1)] + [hi]
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


def axis_count(lo, hi, step, reading: str) -> int:
    """The number of points ``make_axis`` would build (at most one more), without
    building them: for validating a grid before any work."""
    lo, hi = Fraction(lo), Fraction(hi)
    if lo == hi:
        return 1
    span = hi - lo
    k = math.floor(span / Fraction(step))
    if reading == "centred":
        return 2 * math.floor(span / 2 / Fraction(step)) + 3
    return k + 2 if reading in ("both", "linspace") else k + 1


def parse_axis_numbers(text: str, what: str, **limits) -> dict:
    """'mu=0.01,omega=0.001,...' -> {axis: Fraction}, each number read by the one user-number
    parser with ``limits``; GridError (one line) for a malformed item or a repeated axis."""
    out = {}
    for item in filter(None, (s.strip() for s in str(text or "").split(","))):
        name, eq, val = item.partition("=")
        name = name.strip()
        if not eq or name not in VARS:
            raise GridError(f"{what} item {item!r} is not name={what} with name in {', '.join(VARS)}")
        if name in out:
            raise GridError(f"{what}: {name} given twice")
        try:
            out[name] = parse_number(val, f"{what} of {name}", **limits)
        except NumberError as exc:
            raise GridError(str(exc)) from None
    return out


def parse_steps(text: str, domain: Domain) -> dict:
    """'mu=0.01,omega=0.001,...': the step of every axis with a non-degenerate range."""
    out = parse_axis_numbers(text, "step", positive=True)
    for name, (lo, hi) in zip(VARS, domain.bounds):
        if lo != hi and name not in out:
            raise GridError(f"--steps is missing {name}")
    return out


# --------------------------------------------------------------------------------------
# expressions -> kernels


class _Tape:
    """Builds the grid kernels' program (``gk.sweep_tape``) while ``Expr.evaluate`` walks
    the parsed expression: the expression language is interpreted in one place only, and
    this class is the 'ops' that writes instructions instead of computing numbers."""

    def __init__(self):
        self.code, self.consts = [], []

    def emit(self, op, a=0, b=0) -> "_Register":
        self.code.append((op, len(self.code), a, b))
        return _Register(self, len(self.code) - 1)

    def load(self, name) -> "_Register":
        return self.emit(gk.OP_LOAD, gk.Q_NAMES.index(name))

    # the ops interface of Expr.evaluate
    def const(self, q) -> "_Register":
        self.consts.append(gk.frac_pair(Fraction(q)))
        return self.emit(gk.OP_CONST, len(self.consts) - 1)

    def sqrt(self, x):
        return self.emit(gk.OP_SQRT, x.index)

    def exp(self, x):
        return self.emit(gk.OP_EXP, x.index)

    def ipow(self, x, n):
        if n == 0:
            return self.const(1)
        if n < 0:
            return self.const(1) / self.ipow(x, -n)
        result, base = None, x
        while n:   # binary powering: n <= 16 takes at most 7 multiplications
            if n & 1:
                result = base if result is None else result * base
            n >>= 1
            if n:
                base = self.emit(gk.OP_SQR, base.index)
        return result


@dataclass(frozen=True)
class _Register:
    tape: _Tape
    index: int

    def _binary(self, op, other):
        if op == gk.OP_MUL and other.index == self.index:
            return self.tape.emit(gk.OP_SQR, self.index)
        return self.tape.emit(op, self.index, other.index)

    def __add__(self, other):
        return self._binary(gk.OP_ADD, other)

    def __sub__(self, other):
        return self._binary(gk.OP_SUB, other)

    def __mul__(self, other):
        return self._binary(gk.OP_MUL, other)

    def __truediv__(self, other):
        return self._binary(gk.OP_DIV, other)

    def __neg__(self):
        return self.tape.emit(gk.OP_NEG, self.index)


def compile_expr(expr_text: str, activation: str = DEFAULT_ACTIVATION):
    """(kind, tape, const mids, const rads, registers) for the grid kernels."""
    try:
        e = parse(expr_text, activation)
    except ExprError as exc:
        raise GridError(str(exc)) from None
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
    tape = _Tape()
    env = {name: tape.load(name) for name in sorted(e.names, key=gk.Q_NAMES.index)}
    res = e.evaluate(env, tape)
    if res.index != len(tape.code) - 1:   # the result must be the last instruction's register
        tape.emit(gk.OP_ADD, res.index, tape.const(0).index)
    tape_arr = np.array(tape.code, dtype=np.int64).reshape(-1, 4)
    cm = np.array([c[0] for c in tape.consts] or [0.0])
    cr = np.array([c[1] for c in tape.consts] or [0.0])
    return kind, tape_arr, cm, cr, len(tape.code)


# --------------------------------------------------------------------------------------
# symmetry: sweep one point of each orbit
#
# S (Lemma 12) and mu~^2 (Lemma 43) are EVEN under sigma: (mu, omega) -> (-mu, -omega).
# mu~ and xi~ depend on (m, v) = (mu omega, nu tau) only, so mu~^2 is unchanged and the
# Jacobian's columns become (-J11, -J21), (J12, J22): J D with D = diag(-1, 1) orthogonal,
# the same singular values, the same S.  mu~^2 is moreover SYMMETRIC under
# swap: (mu, omega) -> (omega, mu) (m is unchanged).  When the grid is invariant under
# such a map, the true values at a point and at its image are EQUAL, so the true grid
# extreme is the extreme over one point of each orbit; each kept point's enclosure
# encloses the true value of its whole orbit.  The grid is invariant when the axes are:
#   mirror: the mu and omega axes are each exactly symmetric as float arrays,
#           x[i] == -x[n-1-i] (compared as values; -0.0 == 0.0 is the same real), and
#           so are their domain ends (lo == -hi), so the per-cell regions
#           {x : nearest grid point p} map onto each other too;
#   swap:   the mu and omega axes are the same float array on the same range.
# Kept points, per mu index i (rows jlo[i] <= j < jhi[i] of omega indices):
#   mirror: mu >= 0 (i >= n//2), all omega; on the row mu = 0 (n odd) omega >= 0 only;
#   swap:   j >= i;
#   mirror+swap: |omega| <= mu: i >= n//2, n-1-i <= j <= i.
# ``symmetry_rows`` builds the rows and ``check_cover`` re-verifies, independently of
# how they were built, that every grid point or one of its images is kept.  The grid
# certificate records the symmetry; its replay re-checks the axes before it accepts it.

SYMMETRIES = ("mirror", "swap", "mirror+swap")
# expressions (by grid kind) with their proven invariances
EVEN = {gk.KIND_S: ("mirror",), gk.KIND_MU2: ("mirror", "swap", "mirror+swap")}


def _axis_symmetric(ax: Axis) -> bool:
    x = ax.points
    return ax.lo == -ax.hi and bool(np.all(x == -x[::-1]))


def symmetries(axes, kind) -> tuple:
    """The symmetries the grid (its exact float axes and domain) and the expression's kind
    admit, checked here on the arrays themselves."""
    allowed = EVEN.get(kind, ())
    mu, om = axes[0], axes[1]
    mirror = _axis_symmetric(mu) and _axis_symmetric(om)
    swap = mu.lo == om.lo and mu.hi == om.hi and mu.n == om.n and bool(np.all(mu.points == om.points))
    have = {"mirror": mirror, "swap": swap, "mirror+swap": mirror and swap}
    return tuple(s for s in SYMMETRIES if s in allowed and have[s])


def best_symmetry(axes, kind):
    """The symmetry keeping the fewest points (None: none applies)."""
    avail = symmetries(axes, kind)
    for s in ("mirror+swap", "mirror", "swap"):
        if s in avail:
            return s
    return None


def symmetry_rows(n0: int, n1: int, symmetry) -> tuple:
    """(jlo, jhi): per mu index the kept omega index range [jlo, jhi)."""
    i = np.arange(n0, dtype=np.int64)
    jlo = np.zeros(n0, np.int64)
    jhi = np.full(n0, n1, np.int64)
    if symmetry is None:
        return jlo, jhi
    if symmetry not in SYMMETRIES:
        raise GridError(f"unknown grid symmetry {symmetry!r}")
    if symmetry in ("swap", "mirror+swap") and n0 != n1:
        raise GridError(f"the {symmetry} symmetry needs equal mu and omega axes")
    if symmetry == "mirror":
        jhi[i < n0 // 2] = 0
        if n0 % 2:
            jlo[n0 // 2] = n1 // 2
    elif symmetry == "swap":
        jlo = i.copy()
    else:
        keep = i >= n0 // 2
        jlo = np.where(keep, n0 - 1 - i, 0)
        jhi = np.where(keep, i + 1, 0)
    return jlo.astype(np.int64), jhi.astype(np.int64)


def check_cover(n0: int, n1: int, symmetry, jlo, jhi) -> None:
    """GridError unless every (mu, omega) index pair is kept or has a kept image under the
    symmetry (index images: mirror (n0-1-i, n1-1-j), swap (j, i); valid once the axes
    were checked by ``symmetries``)."""
    j = np.arange(n1)[None, :]
    kept = (j >= np.asarray(jlo)[:, None]) & (j < np.asarray(jhi)[:, None])
    cover = kept.copy()
    if symmetry in ("mirror", "mirror+swap"):
        cover |= kept[::-1, ::-1]
    if symmetry in ("swap", "mirror+swap"):
        cover |= kept.T
    if symmetry == "mirror+swap":
        cover |= kept[::-1, ::-1].T
    if not cover.all():
        raise GridError(f"the {symmetry} rows do not cover the grid")


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
    reused: bool = False  # a copy of the same sweep made earlier in this process (see ``sweep``)
    symmetry: str = None  # the symmetry whose orbits were swept once each (None: every point)
    evaluated: int = 0    # points evaluated (< points under a symmetry)

    @property
    def points(self) -> int:
        return int(np.prod([a.n for a in self.axes], dtype=object))

    def point(self, idx) -> tuple:
        return tuple(float(a.points[int(i)]) for a, i in zip(self.axes, idx))

    def speed_text(self) -> str:
        """'N M points/s, T threads' of the points evaluated, and the symmetry if one
        reduced them (for the reports)."""
        ev = self.evaluated or self.points
        txt = f"{ev / max(self.seconds, 1e-9) / 1e6:.1f} M points/s, {self.threads} threads"
        if self.symmetry is not None:
            txt += f"; {self.symmetry} symmetry: {ev:,} of {self.points:,} points evaluated"
        return txt

    @property
    def empty_cells(self) -> np.ndarray:
        """Cells in which no point was evaluated (under a symmetry): no value, no NaN."""
        return (self.hi == -np.finfo(np.float64).max) & (self.bad == 0)

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


def cell_index_bounds(n: int, c: int) -> np.ndarray:
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


# Grids with fewer points to evaluate run the serial twins of the S / mu~^2 sweeps (same
# results; compiled ~3 s faster on a first run): a fifth of a second of work or less.
SERIAL_POINTS = 1_000_000

# The sweeps made in this process, by the exact inputs of the kernel call (see ``sweep``).
_MEMO: "OrderedDict[str, Sweep]" = OrderedDict()
MEMO_SIZE = 8
MEMO_CELLS = 100_000


def _memo_key(ks, kind, tape, cm, cr, nreg, K, xs, bnds) -> str:
    """sha256 of everything the kernels' output depends on: the activation's kernels, the
    program, the parameters' (mid, rad) floats, every grid coordinate and cell boundary."""
    h = hashlib.sha256(f"{ks.activation}|{ks.kernels_hash}|{kind}|{nreg}|{len(K)}".encode())
    for a in (tape, cm, cr, np.array(K, dtype=np.float64), *xs, *bnds):
        a = np.ascontiguousarray(a)
        h.update(f"|{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _copy(sw: "Sweep", reused: bool) -> "Sweep":
    return Sweep(sw.axes, sw.cells, sw.bounds, sw.hi.copy(), sw.lo.copy(), sw.amax.copy(), sw.imax.copy(),
                 sw.amin.copy(), sw.imin.copy(), sw.rad.copy(), sw.bad.copy(), sw.seconds, sw.threads, reused,
                 sw.symmetry, sw.evaluated)


def sweep(axes, expr_text: str, params: Params, cells=None, threads: int = None, progress=None,
          batch_points: int = None, on_compile=None, reuse: bool = True, symmetry="auto") -> Sweep:
    """Evaluate the expression at every grid point; stream per-cell maxima and minima.

    ``symmetry``: "auto" (default) sweeps one point of each orbit of the best symmetry the
    expression and the exact axes admit (see ``symmetries``), None every point, or a name
    from SYMMETRIES (GridError unless the axes admit it).  The per-cell results are then
    those of the kept points (a cell may keep none: hi = -inf): every grid point's true
    value equals that of a kept point, and the cells' regions are mapped onto each other.

    The kernel is compiled (or read from numba's cache) on an empty range first, outside
    the timed sweep, so ``seconds`` and the throughput are the sweep's own;
    ``on_compile(message)`` is told when that happens in this process.

    The kernels are deterministic (every reduction is in a fixed cell order, the thread
    count changes nothing), so a sweep of exactly the same inputs made earlier in this
    process -- same kernels, program, parameter floats, coordinates and cells, compared
    by a sha256 of their bytes -- is that sweep's result: ``reuse`` returns a copy of it
    (``Sweep.reused``) instead of computing it again.  This is what lets a grid
    certificate's replay right after the grid run cost no second sweep; a replay in
    another process (``selu-verify check``) sweeps in full."""

    kind, tape, cm, cr, nreg = compile_expr(expr_text, params.activation)
    K = gk.constants(params)
    ks = gk.kernels_for(params.activation)   # the sweeps compiled from this activation's kernels
    cells = tuple(cells) if cells else default_cells(axes)
    bnds = tuple(cell_index_bounds(ax.n, c) for ax, c in zip(axes, cells))
    cells = tuple(len(b) - 1 for b in bnds)
    ncell = int(np.prod(cells))
    xs = tuple(np.ascontiguousarray(ax.points) for ax in axes)
    if symmetry == "auto":
        symmetry = best_symmetry(axes, kind)
    elif symmetry is not None and symmetry not in symmetries(axes, kind):
        raise GridError(f"the grid of {expr_text} does not admit the {symmetry!r} symmetry "
                        f"(its mu/omega axes are not exactly mirrored/equal, or the expression is not invariant)")
    jlo, jhi = symmetry_rows(axes[0].n, axes[1].n, symmetry)
    check_cover(axes[0].n, axes[1].n, symmetry, jlo, jhi)
    per_row = np.clip(np.minimum(jhi, axes[1].n) - np.maximum(jlo, 0), 0, None)
    evaluated = int(per_row.sum()) * axes[2].n * axes[3].n
    key = _memo_key(ks, kind, tape, cm, cr, nreg, K, xs, bnds + (jlo, jhi))
    if reuse and key in _MEMO:
        _MEMO.move_to_end(key)
        done = _MEMO[key]
        if progress:
            progress(done.points)
        return _copy(done, True)
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
    serial = kind in (gk.KIND_S, gk.KIND_MU2) and (evaluated < SERIAL_POINTS or nthreads == 1)
    if serial:
        nthreads = 1
        run = {gk.KIND_S: ks.sweep_S_serial, gk.KIND_MU2: ks.sweep_mu2_serial}[kind]
    else:
        run = {gk.KIND_S: ks.sweep_S, gk.KIND_MU2: ks.sweep_mu2}.get(kind)
    kernel = run or ks.sweep_tape
    if not kernel.signatures:
        if on_compile:
            on_compile("preparing the grid kernels (compiled once, then cached by numba)")
        t_c = time.perf_counter()
        tail = (tape, cm, cr, nreg) if kind not in (gk.KIND_S, gk.KIND_MU2) else (jlo, jhi)
        kernel(*xs, *bnds, 0, 0, K, *tail, state[0:0], imax[0:0], imin[0:0])
        if on_compile:
            on_compile(f"kernels ready in {time.perf_counter() - t_c:.1f} s")
    t0 = time.perf_counter()
    try:
        for c0 in range(0, ncell, batch):
            c1 = min(ncell, c0 + batch)
            st, i_max, i_min = state[c0:c1], imax[c0:c1], imin[c0:c1]
            if run is not None:
                run(*xs, *bnds, c0, c1, K, jlo, jhi, st, i_max, i_min)
            else:
                ks.sweep_tape(*xs, *bnds, c0, c1, K, tape, cm, cr, nreg, st, i_max, i_min)
            if progress:
                progress(min(total, (c1 * total) // ncell))
    finally:
        numba.set_num_threads(old_threads)
    secs = time.perf_counter() - t0
    hi = np.nextafter(state[:, 0], np.inf)   # fl(mid + rad) is within half an ulp
    lo = np.nextafter(state[:, 1], -np.inf)
    out = Sweep(tuple(axes), cells, bnds, hi, lo, state[:, 2].copy(), imax, state[:, 3].copy(), imin,
                state[:, 4].copy(), state[:, 5].astype(np.int64), secs, nthreads, False, symmetry,
                evaluated if kind in (gk.KIND_S, gk.KIND_MU2) else total)
    if ncell <= MEMO_CELLS:   # per-point sweeps (grid_values) are not kept
        _MEMO[key] = _copy(out, False)
    while len(_MEMO) > MEMO_SIZE:
        _MEMO.popitem(last=False)
    return out


def sweep_float_max(axes, kind_expr: str, params: Params, cells=None, threads=None) -> tuple:
    """The bare float sweep (glibc erfc/exp, no error bound): (max, point, seconds)."""
    kind = gk.KIND_S if kind_expr == "S" else gk.KIND_MU2
    ks = gk.kernels_for(params.activation)
    if ks.sweep_float is None:
        raise gk.GridUnavailable(f"{params.activation!r} has no float (numba) kernels for the bare float sweep")
    P = params.floats()   # a tuple of the activation's arity: numba specialises on its length
    cells = tuple(cells) if cells else default_cells(axes)
    bnds = tuple(cell_index_bounds(ax.n, c) for ax, c in zip(axes, cells))
    ncell = int(np.prod([len(b) - 1 for b in bnds]))
    amax = np.zeros(ncell)
    imax = np.zeros((ncell, 4), np.int64)
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads or numba.config.NUMBA_NUM_THREADS), numba.config.NUMBA_NUM_THREADS)))
    t0 = time.perf_counter()
    try:
        ks.sweep_float(kind, *(ax.points for ax in axes), *bnds, 0, ncell, P, amax, imax)
    finally:
        numba.set_num_threads(old)
    secs = time.perf_counter() - t0
    c = int(np.argmax(amax))
    return float(amax[c]), tuple(float(ax.points[i]) for ax, i in zip(axes, imax[c])), secs


def grid_values(axes, expr_text: str, params: Params):
    """(mid, rad) arrays of shape (n_mu, n_omega, n_nu, n_tau): every grid value, from the
    same kernels as the sweep (one cell per point).  For tests and small grids only."""
    sw = sweep(axes, expr_text, params, cells=tuple(ax.n for ax in axes), threads=1, symmetry=None)
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
    ev = Evaluator(parse(expr, params.activation), params, bits)
    out = []
    with ball.precision(bits):
        for bx in boxes:
            j = ev.box(bx)
            out.append([float_above(g.abs_upper()) if g.is_finite() else math.inf for g in j.grad])
    return out


def cell_gradients(expr: str, params: Params, boxes, workers: int = 1, bits: int = 80, progress=None,
                   skip=None) -> np.ndarray:
    """Per cell, certified upper bounds of |d f / d x_i| over the cell (Arb jets).
    ``skip``: a mask of cells whose row is 0 without an enclosure -- the cells that keep
    no point under a symmetry (``Sweep.empty_cells``): their grid maximum is -inf, so no
    slack added to it matters; their regions are the images of kept cells' regions."""
    if skip is not None and np.any(skip):
        keep = np.nonzero(~np.asarray(skip))[0]
        out = np.zeros((len(boxes), 4))
        if keep.size:
            out[keep] = cell_gradients(expr, params, [boxes[i] for i in keep], workers, bits, progress)
        return out
    chunk = max(1, min(256, len(boxes) // max(1, 4 * workers) or 1))
    items = [(expr, params, bits, boxes[i:i + chunk]) for i in range(0, len(boxes), chunk)]
    rows = []
    if workers <= 1:
        for it in items:
            rows.extend(_gradient_chunk(it))
            if progress:
                progress(len(rows))
    else:
        with worker_pool.pool(workers) as pool:
            for res in pool.map(_gradient_chunk, items):
                rows.extend(res)
                if progress:
                    progress(len(rows))
    return np.array(rows, dtype=np.float64).reshape(len(boxes), 4)


def slack(M, widths) -> Fraction:
    """sum_i M_i w_i, exactly (a float M_i = inf or NaN gives 10^300: no bound)."""
    total = Fraction(0)
    for m, w in zip(M, widths):
        if w == 0:
            continue
        if isinstance(m, float) and not math.isfinite(m):   # exact M_i may exceed the float range
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
    val = Evaluator(parse(expr, params.activation), params).point(pt)
    with ball.precision(80):
        bad = bool(val >= ball.exact(T)) if sense == "max" else bool(val <= ball.exact(T))
    return {"point": pt, "value": val.str(15)} if bad else None
