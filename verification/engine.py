"""The adaptive box engine: prove sign*f <= target on a domain, or find a counterexample.

Per box: the jet gives enclosures of f and of its gradient over the box.  The box passes
  * 'enclosure' when the value enclosure is already below the target, or
  * 'mvf' (mean-value form with monotone faces): every coordinate whose partial has a
    certain sign is moved to the end where f is larger; at that point c,
    f(X) <= f(c) + sum_i grad_i(X) (X_i - c_i)
    which for a box whose partials all have certain signs is the value at a vertex.
For expressions whose second-order evaluation is available (``taylor_usable``) the
value and gradient come from ``taylor.second_order`` -- the jets' enclosures met with
their centred forms about the box's midpoint, from a Hessian enclosure -- and the leaf
kinds are 'enclosure2' and 'mvf2', then
  * 'taylor': f(c) + g(c).d + d^T H(X) d / 2 over the box restricted to its monotone
    faces, each coordinate's quadratic maximised exactly (``taylor_bound``);
  * 'face': the monotone face itself evaluated again (thinner, so tighter), and its
    own monotone face, down to FACE_LEVELS times (``face_bound``).
Otherwise the point value c is a counterexample if it is certainly above the target,
else the box is split across the coordinate contributing most to the bound.

The output tree is Flyspeck-style: a preorder list of ["s", dim, split] and leaf nodes
["l", reason, box, upper] / ["u", box] (undecided), with every number an exact hex float.
The top levels are expanded breadth first, one work item per box (``bound_steps``); the
subtrees below them are independent work items: 1 or N worker processes give the same
tree, since every decision is a function of its box alone.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb

from selu_theory import ball, taylor
from selu_theory.evaluate import Evaluator, cached_evaluator
from selu_theory.params import Params
from verification import search, worker_pool
from verification.domain import VARS, Domain, down

FORCED_DEPTH = 5  # the progress estimate's subtrees (``top_boxes``)
TOP_LEVELS = 5  # levels expanded breadth first before the subtrees (``bound_steps``)
MIN_REL_WIDTH = 2.0 ** -44
# Early stop for degenerate objectives (S/0, sqrt(-1-S), a domain where the kernels give
# NaN): a box containing a point where the objective has no finite value can never become
# a leaf, and boxes whose enclosures are NaN or unbounded this many times in a row (about
# 12 halvings of each side down one branch) will not get finite ones: such boxes are left
# undecided at once, with the reason, instead of being split until the budget is spent.
NONFINITE_STREAK = 48


def hexf(x: float) -> str:
    return float(x).hex()


def float_up(x: arb) -> float:
    """A float >= every point of the ball, with the margin of ``padded`` (inf for NaN or
    unbounded balls)."""
    if not x.is_finite():
        return math.inf
    u = padded(x).upper()
    f = float(u.mid())
    return math.nextafter(f, math.inf) if not (arb(f) >= u) else f


def float_down(x: arb) -> float:
    """A float <= every point of the ball, with the margin of ``padded``."""
    if not x.is_finite():
        return -math.inf
    return -float_up(-x)


@dataclass(frozen=True)
class Objective:
    """sign * expr, for proving upper bounds (sign=+1) or lower bounds (sign=-1)."""

    expr: str
    params: Params
    sign: int
    bits: int = ball.DEFAULT_PREC
    variables: tuple = VARS  # the domain's variables: (mu, omega, nu, tau) and any extra ones

    def evaluator(self) -> Evaluator:
        return evaluator(self.expr, self.params, self.bits, self.variables)


evaluator = cached_evaluator  # the engine's name for it (domain_search uses it too)


def objective_point(obj: Objective, pt) -> arb:
    v = obj.evaluator().point(pt)
    return v if obj.sign > 0 else -v


def objective_box(obj: Objective, bx):
    j = obj.evaluator().box(bx)
    if obj.sign > 0:
        return j.val, j.grad
    return -j.val, tuple(-g for g in j.grad)


def _ok(u: arb, target: float, strict: bool) -> bool:
    return bool(u < target) if strict else bool(u <= target)


def padded(u: arb) -> arb:
    """u widened upward by 2^-16 of its radius.  Arb rounds radii to 30 bits, so the same
    bound recomputed at another precision (the checker's) can come out higher by ~2^-29
    of the radius; a leaf must pass with this margin so that its replay passes too."""
    return u + u.rad() * (2.0 ** -16)


def forced_split_dim(splits, domain_widths) -> int:
    """Domain-only rule for the top splits: the side split fewest times so far (so the
    widest relative to the domain), the first such in (mu, omega, nu, tau) order."""
    free = [i for i, w in enumerate(domain_widths) if w > 0]
    return min(free, key=lambda i: (splits[i], i)) if free else None


def split_box(bx, dim):
    lo, hi = bx[dim]
    mid = lo + (hi - lo) / 2
    left = list(bx)
    right = list(bx)
    left[dim] = (lo, mid)
    right[dim] = (mid, hi)
    return mid, tuple(left), tuple(right)


def mvf_bound(obj: Objective, domain: Domain, bx, val, grad):
    """(upper bound on the box, the point c used, value at c) of the monotone mean-value form."""
    c, faces = [], []
    for i, (lo, hi) in enumerate(bx):
        g = grad[i]
        if lo == hi:
            c.append(lo)
            faces.append((lo, hi))
        elif g > 0:
            c.append(hi)
            faces.append((hi, hi))
        elif g < 0:
            c.append(lo)
            faces.append((lo, lo))
        else:
            mid = lo + (hi - lo) / 2
            c.append(mid)
            faces.append((lo, hi))
    cq = domain.clamp(c)
    fc = objective_point(obj, cq)
    ub = fc
    for i, (lo, hi) in enumerate(faces):
        ci = ball.exact(cq[i])
        dev = ball.interval(lo, hi) - ci
        if not dev.is_zero():
            ub = ub + grad[i] * dev
    return ub, cq, fc


# Second-order (Taylor) forms after the mean-value form fails; off: the first-order
# engine alone (the benchmark's "before").  Forked workers inherit the setting.
TAYLOR = True


def use_taylor(on: bool) -> None:
    global TAYLOR
    TAYLOR = bool(on)


# The highest derivative order of the moment map an expression may need for the
# second-order evaluation to be used.  Second derivatives of S (order 2) take their
# Hessian from the order-4 partials on V in pieces (``taylor.pieces``; since SELU's
# order-5 kernels, centred forms: Lemmas 10-11 10,188 -> 5,108 boxes): measured on the
# eight Omega parts of Lemmas 10-11 to 1e-10, 4510 boxes against ~9,000 with the
# first-order jet (the mean-value form's gradient of dS needs the same order-4 kernels,
# only times the box once instead of twice).
TAYLOR_MAX_ORDER = 2


def taylor_usable(obj: Objective) -> bool:
    ev = obj.evaluator()
    return (all(o <= TAYLOR_MAX_ORDER for o in ev.needs.values())
            and taylor.available(ev.needs, ev.params.activation))


def quad_upper(g: arb, h: arb, d: arb) -> arb:
    """A ball whose upper end bounds g t + h' t^2 / 2 over t in d, every h' in h."""
    if not (h.is_finite() and g.is_finite() and d.is_finite()):
        return arb.nan()
    # h's upper end, raised by 2^-12 of h's radius and kept as a ball that wide: the
    # checker recomputes h at its own precision, and its upper end may come out higher
    # by ~2^-29 of h's radius; a narrow ball here would let ``padded`` (2^-16 of the
    # final radius) miss that, and a correct leaf would be rejected on replay.
    hu = h.upper().union(h.upper() + h.rad() * (2.0 ** -12))
    a, b = d.lower(), d.upper()
    out = (g * a + hu * a * a / 2).union(g * b + hu * b * b / 2)
    if hu < 0:
        t = -g / hu
        if not (t < a or t > b):  # the vertex may lie inside: its value bounds the max
            out = out.union(-ball.sqr(g) / (2 * hu))
    return out


def taylor_bound(obj: Objective, bx, forms) -> arb:
    """Upper bound on the box of the second-order form about the midpoint c, with
    monotone faces: a coordinate whose partial has a certain sign over the box is
    restricted to the face it points to (X' below), and for x in X'
        f(x) <= f(c) + sum_i max_t [g_i(c) t + H_ii(X) t^2 / 2] + sum_{i<j} H_ij(X) d_i d_j
    with t, d_i ranging over X'_i - c_i.  ``forms``: ``taylor.second_order``, in the
    objective's sign."""
    spans = []
    for (lo, hi), g in zip(bx, forms.grad):
        if lo < hi and g > 0:
            lo = hi
        elif lo < hi and g < 0:
            hi = lo
        spans.append((lo, hi))
    with ball.precision(obj.bits):
        ub = forms.f_mid
        d = [ball.interval(lo, hi) - ball.exact(c) for (lo, hi), c in zip(spans, forms.mid)]
        free = [i for i in range(len(d)) if not d[i].is_zero()]
        for i in free:
            ub = ub + quad_upper(forms.g_mid[i], forms.hess[taylor.hidx(i, i)], d[i])
        for k, i in enumerate(free):
            for j in free[k + 1:]:
                ub = ub + forms.hess[taylor.hidx(i, j)] * d[i] * d[j]
    return ub


# Faces: a box where some partial has a certain sign has its maximum on the face that
# partial points to, and the face -- thinner, so its (m, v) image is (the kernels'
# overestimate with it) -- is evaluated again, down to 4 times.  Measured on the Lemma
# 10-11 parts: see ``face_bound``.
FACE_LEVELS = 4
FACES = True


def monotone_face(bx, grad):
    """The face of the box where sign*f is largest along every side whose partial has a
    certain sign (the box itself if none has)."""
    out = []
    for (lo, hi), g in zip(bx, grad):
        if lo < hi and g > 0:
            lo = hi
        elif lo < hi and g < 0:
            hi = lo
        out.append((lo, hi))
    return tuple(out)


def face_bound(obj: Objective, domain: Domain, bx, forms):
    """Leaf kind 'face': the least of the value enclosure, the mean-value and the
    Taylor form, each on the monotone faces found by re-evaluating every face (at most
    ``FACE_LEVELS``); None if no partial has a certain sign on the box.  The checker
    replays the same chain (``checker._face_upper``)."""
    ev, best = obj.evaluator(), None
    for _ in range(FACE_LEVELS):
        face = monotone_face(bx, forms.grad)
        if face == tuple(bx):
            break
        bx = face
        forms = taylor.second_order(ev, bx, domain=domain)
        forms = forms if obj.sign > 0 else -forms
        if not forms.val.is_finite():
            break
        ub_mvf, _, _ = mvf_bound(obj, domain, bx, forms.val, forms.grad)
        for u in (forms.val, ub_mvf, taylor_bound(obj, bx, forms)):
            if u.is_finite() and (best is None or u.upper() < best.upper()):
                best = u
    return best


# Second-order boxes split where the Taylor form loses most (947 against 975 boxes
# for max dS/dmu to 1e-10; no change on S < 1).
SPLIT_BY_TAYLOR = True


def _taylor_split(bx, forms, domain_widths):
    """The side contributing most to the second-order form's excess over f(c):
    w_i (|g_i(c)| + sum_j |H_ij(X)| w_j / 2)."""
    free = [i for i, (lo, hi) in enumerate(bx)
            if domain_widths[i] > 0 and hi - lo > MIN_REL_WIDTH * domain_widths[i]]
    if not free:
        return None
    w = [hi - lo for lo, hi in bx]
    try:
        scores = [w[i] * (float(forms.g_mid[i].abs_upper().mid()) +
                          sum(float(forms.hess[taylor.hidx(i, j)].abs_upper().mid()) * w[j] for j in range(len(w))) / 2)
                  for i in free]
    except (ValueError, OverflowError):
        scores = [math.inf]
    if all(math.isfinite(x) for x in scores) and max(scores) > 0:
        return free[scores.index(max(scores))]
    return _choose_split(bx, forms.grad, domain_widths)


def _choose_split(bx, grad, domain_widths):
    """The side whose term |grad_i| * width_i of the mean-value form is largest; the
    widest side relative to the domain when the gradient enclosure is unbounded."""
    free = [i for i, (lo, hi) in enumerate(bx)
            if domain_widths[i] > 0 and hi - lo > MIN_REL_WIDTH * domain_widths[i]]
    if not free:
        return None
    if all(grad[i].is_finite() for i in free):
        scores = [float(grad[i].abs_upper().mid()) * (bx[i][1] - bx[i][0]) for i in free]
        if max(scores) > 0:
            return free[scores.index(max(scores))]
    return _unbounded_split(bx, free, domain_widths)


# The variables pair up as m = mu*omega and v = nu*tau, through which the kernels see
# them: an enclosure that is unbounded on a box is (nearly always) so because the image
# of the box in (m, v) is too wide for the kernels, so such a box is split across the
# side that widens that image most (w_mu |omega|, w_omega |mu|, w_nu |tau|, w_tau |nu|).
# Measured on max dS/dmu over Omega to 1e-10: 355 boxes against 947 by the widest side
# relative to the domain; S < 1 on Omega: 179 against 675.
PARTNER = (1, 0, 3, 2)


def _unbounded_split(bx, free, domain_widths):
    """The side whose width, times the largest |partner|, is largest; the widest side
    relative to the domain if that is 0 everywhere."""
    if len(bx) == len(PARTNER):
        spans = [(hi - lo) * max(abs(bx[PARTNER[i]][0]), abs(bx[PARTNER[i]][1])) for i, (lo, hi) in enumerate(bx)]
        if max(spans[i] for i in free) > 0:
            return max(free, key=lambda i: (spans[i], -i))
    rel = [(bx[i][1] - bx[i][0]) / domain_widths[i] for i in free]
    return free[rel.index(max(rel))]


@dataclass
class SubResult:
    nodes: list = field(default_factory=list)
    leaves: int = 0
    undecided: int = 0
    max_upper: float = -math.inf
    best_lower: float = -math.inf
    best_point: tuple = None
    counterexample: tuple = None  # (point, certified lower end): floats pickle, balls do not
    boxes: int = 0
    stop: bool = False  # the last box decided has a counterexample
    split: tuple = None  # a box decided alone (max_boxes 0): (dim, mid, left, right) or None
    reason: str = ""  # why boxes were left undecided early (degenerate objective)
    nonfinite: int = 0  # boxes in a row (down one branch) whose value enclosure is NaN or unbounded


def decide_box(obj: Objective, domain: Domain, b, target: float, strict: bool, widths, res: SubResult,
               stop_on_counterexample: bool = True):
    """Decide one box: a leaf or an undecided box is recorded in ``res`` (None is
    returned), a counterexample is noted in ``res`` (with ``stop_on_counterexample`` the
    box is then 'u' and ``res.stop`` set); otherwise the split (dim, mid, left, right).
    'u' also for a box that cannot be split further."""
    second = TAYLOR and taylor_usable(obj)
    enc = [[hexf(lo), hexf(hi)] for lo, hi in b]
    if second:  # the second-order evaluation: its value and gradient, and Taylor forms
        forms = taylor.second_order(obj.evaluator(), b, domain=domain)  # domain: mvf_bound's clamped corner
        forms = forms if obj.sign > 0 else -forms
        val, grad = forms.val, forms.grad
    else:
        val, grad = objective_box(obj, b)
    res.nonfinite = 0 if val.is_finite() else res.nonfinite + 1
    if res.nonfinite >= NONFINITE_STREAK or (res.nonfinite and res.reason):
        # left undecided, not split.  After one such streak (or a point without a finite
        # value, below) the subtree cannot be proved, so none of its boxes with a
        # non-finite enclosure is split any more; boxes with finite enclosures still are
        # (a counterexample may lie there)
        res.reason = res.reason or (f"the enclosures of {obj.expr} are NaN or unbounded on "
                                    f"{NONFINITE_STREAK} nested boxes in a row")
        res.nodes.append(["u", enc])
        res.undecided += 1
        return None

    def leaf(reason, u):
        # float_up pads once: the recorded bound is the one the test accepted
        res.nodes.append(["l", reason, enc, hexf(float_up(u))])
        res.leaves += 1
        res.max_upper = max(res.max_upper, float_up(u))
    if _ok(padded(val), target, strict):
        leaf("enclosure2" if second else "enclosure", val)
        return None
    ub, cq, fc = mvf_bound(obj, domain, b, val, grad)
    if not fc.is_finite():  # no subdivision of this box can close it
        res.reason = res.reason or nonfinite_reason(obj, cq)
        res.nodes.append(["u", enc])
        res.undecided += 1
        return None
    lo_c = float_down(fc)
    if lo_c > res.best_lower:
        res.best_lower, res.best_point = lo_c, cq
    if _ok(padded(ub), target, strict):
        leaf("mvf2" if second else "mvf", ub)
        return None
    if second:
        ub2 = taylor_bound(obj, b, forms)
        if _ok(padded(ub2), target, strict):
            leaf("taylor", ub2)
            return None
        if FACES:
            ub3 = face_bound(obj, domain, b, forms)
            if ub3 is not None and _ok(padded(ub3), target, strict):
                leaf("face", ub3)
                return None
    if (fc > target) if not strict else (fc >= target):
        if res.counterexample is None or lo_c > res.counterexample[1]:
            res.counterexample = (cq, lo_c)
        if stop_on_counterexample:
            res.nodes.append(["u", enc])
            res.undecided += 1
            res.stop = True
            return None
    dim = _choose_split(b, grad, widths) if not (second and SPLIT_BY_TAYLOR) else _taylor_split(b, forms, widths)
    if dim is None:
        res.nodes.append(["u", enc])
        res.undecided += 1
        return None
    return (dim,) + split_box(b, dim)


def _undecided(res: SubResult, boxes):
    res.nodes.extend(["u", [[hexf(lo), hexf(hi)] for lo, hi in s]] for s in boxes)
    res.undecided += len(boxes)


def prove_upper(obj: Objective, domain: Domain, bx, target: float, strict: bool,
                max_boxes: int, stop_on_counterexample: bool = True, streak: int = 0) -> SubResult:
    """Depth-first over the subtree rooted at ``bx``; the node list comes out in preorder.
    ``max_boxes`` 0: decide ``bx`` alone, its split (if any) in ``res.split``.  ``streak``:
    the non-finite streak (``NONFINITE_STREAK``) of the boxes above ``bx``."""
    res = SubResult(nonfinite=streak)
    widths = [float(hi - lo) for lo, hi in domain.bounds]
    if max_boxes == 0:
        res.boxes = 1
        res.split = decide_box(obj, domain, bx, target, strict, widths, res, stop_on_counterexample)
        return res
    stack = [bx]
    boxes = 0
    while stack:
        b = stack.pop()
        boxes += 1
        if boxes > max_boxes:
            _undecided(res, [b])
            continue
        sp = decide_box(obj, domain, b, target, strict, widths, res, stop_on_counterexample)
        if res.stop:
            _undecided(res, stack[::-1])
            stack.clear()
            break
        if sp is None:
            continue
        dim, mid, left, right = sp
        res.nodes.append(["s", dim, hexf(mid)])
        stack.append(right)
        stack.append(left)
    res.boxes = boxes
    return res


def nonfinite_reason(obj: Objective, pt) -> str:
    where = ", ".join(f"{float(x):.6g}" for x in pt)
    return f"{obj.expr} has no finite value at ({', '.join(obj.variables)}) = ({where})"


def top_boxes(domain: Domain):
    """A domain-only top of 2^FORCED_DEPTH boxes: (preorder nodes with None for each
    subtree, subboxes); progress bars count its boxes as their units."""
    widths = [float(hi - lo) for lo, hi in domain.bounds]
    nodes, subs = [], []

    def rec(b, splits):
        dim = forced_split_dim(splits, widths) if sum(splits) < FORCED_DEPTH else None
        if dim is None:
            nodes.append(None)
            subs.append(b)
            return
        mid, left, right = split_box(b, dim)
        nodes.append(["s", dim, hexf(mid)])
        more = list(splits)
        more[dim] += 1
        rec(left, more)
        rec(right, more)

    rec(domain.outward(), [0] * len(widths))
    return nodes, subs


def _work(args):
    obj, domain, bx, target, strict, max_boxes, stop, streak = args
    with ball.precision(obj.bits):
        return prove_upper(obj, domain, bx, target, strict, max_boxes, stop, streak)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class Runner:
    """Runs the independent subtrees, in-process or in a pool of worker processes."""

    def __init__(self, workers: int = 1, progress=None):
        self.workers = max(1, int(workers))
        self.progress = progress
        self._pool = None

    def __enter__(self):
        if self.workers > 1:
            self._pool = worker_pool.pool(self.workers)
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        return False

    def map(self, items, on_done=None):
        if self._pool is None:
            out = []
            for it in items:
                out.append(_work(it))
                if on_done:
                    on_done()
            return out
        futs = [self._pool.submit(_work, it) for it in items]
        out = []
        for f in futs:
            out.append(f.result())
            if on_done:
                on_done()
        return out


@dataclass
class BoundOutcome:
    status: str  # proved | disproved | undecided
    target: float
    strict: bool
    tree: list
    leaves: int
    undecided: int
    boxes: int
    max_upper: float
    witness: tuple  # exact point with the best certified value
    witness_value: arb
    counterexample: tuple = None
    reason: str = ""  # why it stopped early as undecided (degenerate objective)


def bound_steps(obj: Objective, domain: Domain, target: float, strict: bool, max_boxes: int = 400_000,
                stop_on_counterexample: bool = True):
    """Step generator (see ``drive``) proving sign*f <= target on the domain.

    The top ``TOP_LEVELS`` levels of the tree are expanded breadth first, each open box
    decided alone (one work item each), so a box that a single enclosure decides is not
    split; the boxes still open below them (at most 2^TOP_LEVELS) are independent
    subtrees, proved depth first with equal shares of the box budget.  Every decision
    is a function of the box, so 1 or N workers give the same tree."""
    root = domain.outward()
    kids, done = {}, {}  # node id -> (dim, mid, left id, right id); node id -> SubResult
    boxes = {0: root}
    streak = {0: 0}  # node id -> non-finite streak of its ancestors (decided alone above)
    level, stopped = [0], False
    for _ in range(TOP_LEVELS):
        if not level:
            break
        if len(done) + len(level) > max_boxes:
            stopped = True
            break
        results = yield [(obj, domain, boxes[i], target, strict, 0, stop_on_counterexample, streak[i])
                         for i in level]
        nxt = []
        for i, r in zip(level, results):
            done[i] = r
            if r.split is not None:
                dim, mid, left, right = r.split
                a, z = len(boxes), len(boxes) + 1
                boxes[a], boxes[z] = left, right
                streak[a] = streak[z] = r.nonfinite
                kids[i] = (dim, mid, a, z)
                nxt += [a, z]
        level = nxt
        if stop_on_counterexample and any(done[i].stop for i in done):
            stopped = True
            break
    if stopped:
        for i in level:
            done[i] = SubResult()
            _undecided(done[i], [boxes[i]])
    elif level:
        per = max(1, -(-(max_boxes - len(done)) // len(level)))
        results = yield [(obj, domain, boxes[i], target, strict, per, stop_on_counterexample, streak[i])
                         for i in level]
        done.update(zip(level, results))
    tree = []

    def emit(i):  # preorder
        if i in kids:
            dim, mid, a, z = kids[i]
            tree.append(["s", dim, hexf(mid)])
            emit(a)
            emit(z)
        else:
            tree.extend(done[i].nodes)
    emit(0)
    return _outcome(obj, tree, list(done.values()), target, strict)


def _outcome(obj: Objective, tree, results, target: float, strict: bool) -> BoundOutcome:
    leaves = sum(r.leaves for r in results)
    und = sum(r.undecided for r in results)
    boxes = sum(r.boxes for r in results)
    cexs = [r.counterexample for r in results if r.counterexample is not None]
    # the best counterexample, by its lower end; its value is re-evaluated here as a ball
    cex = max(cexs, key=lambda c: c[1]) if cexs else None
    if cex is not None:
        cex = (cex[0], objective_point(obj, cex[0]))
    best = max((r for r in results if r.best_point is not None), key=lambda r: r.best_lower, default=None)
    witness = best.best_point if best else None
    wval = objective_point(obj, witness) if witness else arb.nan()
    if cex is not None:
        status = "disproved"
    elif und:
        status = "undecided"
    else:
        status = "proved"
    mx = max((r.max_upper for r in results), default=-math.inf)
    reason = next((r.reason for r in results if getattr(r, "reason", "")), "") if status == "undecided" else ""
    return BoundOutcome(status, target, strict, tree, leaves, und, boxes, mx, witness, wval, cex, reason)


def undecided_outcome(domain: Domain, point, value: arb, reason: str) -> BoundOutcome:
    """Nothing to prove with: every subtree of the forced top left undecided, no target."""
    top, subs = top_boxes(domain)
    it = iter(subs)
    tree = [n if n is not None else ["u", [[hexf(lo), hexf(hi)] for lo, hi in next(it)]] for n in top]
    return BoundOutcome("undecided", math.nan, False, tree, 0, len(subs), len(top), math.nan, point, value,
                        None, reason)


def run_bound(obj: Objective, domain: Domain, target: float, strict: bool, runner: Runner,
              max_boxes: int = 400_000, stop_on_counterexample: bool = True, on_done=None) -> BoundOutcome:
    return drive([bound_steps(obj, domain, target, strict, max_boxes, stop_on_counterexample)], runner, on_done)[0]


def drive(steps, runner: Runner, on_done=None) -> list:
    """Run several step generators (see ``enclose_steps``) together: each yields its
    batch of work items and receives their results; batches of all generators go to the
    workers at once, so one claim's parts keep every worker busy.  Results are a
    function of each generator alone, whatever the batching."""
    outs = [None] * len(steps)
    pending = {}
    for i, g in enumerate(steps):
        try:
            pending[i] = next(g)
        except StopIteration as done:
            outs[i] = done.value
    while pending:
        order = sorted(pending)
        results = runner.map([it for i in order for it in pending[i]], on_done)
        nxt, pos = {}, 0
        for i in order:
            n = len(pending[i])
            try:
                nxt[i] = steps[i].send(results[pos:pos + n])
            except StopIteration as done:
                outs[i] = done.value
            pos += n
        pending = nxt
    return outs


@dataclass
class ExtremumOutcome:
    """Enclosure [lo, hi] of sup(sign*f) over the domain, in the objective's sign."""

    bound: BoundOutcome
    lo: float
    hi: float
    witness: tuple
    witness_value: arb


def enclose_steps(obj: Objective, domain: Domain, tol: float, threshold: Fraction = None,
                  max_boxes: int = 400_000, attempts: int = 6):
    """Certified enclosure of max(sign*f) to width ~tol, and with ``threshold`` a proof
    that max(sign*f) < threshold (or a counterexample), as a step generator for ``drive``.

    The float search proposes the maximiser p; f(p) in Arb is the lower end.  The tree
    then proves sign*f <= T = f(p) + tol/2 everywhere; a point found above T restarts
    the proof from that point.  Search and tree are deterministic functions of the
    expression, domain and tolerance: the number of workers does not enter.
    """
    ev = obj.evaluator()
    p = search.best_point(ev.floats, obj.sign, domain)
    val = objective_point(obj, p)
    if not val.is_finite():  # a box containing p never becomes a leaf: no proof can finish
        b = undecided_outcome(domain, p, val, nonfinite_reason(obj, p))
        return ExtremumOutcome(b, -math.inf, math.inf, p, val)
    with ball.precision(obj.bits):
        th = None if threshold is None else ball.exact(threshold)
    b = None
    for _ in range(attempts):
        if th is not None and val >= th:
            b = BoundOutcome("disproved", math.nan, True, [], 0, 0, 0, math.nan, p, val, (p, val))
            return ExtremumOutcome(b, float_down(val), math.inf, p, val)
        with ball.precision(obj.bits):
            target = float_up(val + arb(tol) / 2)
        strict = False
        if th is not None and not (arb(target) < th):
            target = down(threshold)
            strict = Fraction(target) == threshold
        if not math.isfinite(target):  # leaves record float bounds: none can stand below this
            b = undecided_outcome(domain, p, val, f"{obj.expr} takes values beyond the float range ("
                                                  f"{val.str(3, radius=False)}) at the search's best "
                                                  f"point; certificates record bounds as floats")
            return ExtremumOutcome(b, float_down(val), math.inf, p, val)
        b = yield from bound_steps(obj, domain, target, strict, max_boxes, True)
        if b.counterexample is not None and not (th is not None and b.counterexample[1] >= th):
            p, val = b.counterexample  # a better point than the search found: start again
            continue
        if b.status == "disproved":
            b.witness, b.witness_value = b.counterexample
            return ExtremumOutcome(b, float_down(b.counterexample[1]), math.inf, *b.counterexample)
        b.witness, b.witness_value = p, val
        return ExtremumOutcome(b, float_down(val), b.max_upper if b.status == "proved" else math.inf, p, val)
    b.status = "undecided"
    return ExtremumOutcome(b, float_down(val), math.inf, p, val)


def enclose_max(obj: Objective, domain: Domain, tol: float, runner: Runner, threshold: Fraction = None,
                max_boxes: int = 400_000, on_done=None, attempts: int = 6) -> ExtremumOutcome:
    """``enclose_steps`` run on its own."""
    return drive([enclose_steps(obj, domain, tol, threshold, max_boxes, attempts)], runner, on_done)[0]
