"""The independent checker: replays a certificate in Arb and accepts it or says why not.

It imports the certificate schema, the mathematics (the expression language, the moment
map, the generated ball kernels, the Krawczyk solver) and the claims registry -- never
the engine or the search.  Its leaf tests are its own, run at a higher precision than the
engine's, and it trusts nothing in the file but the tree's shape: every leaf box is
re-derived from the domain and the split points and every bound is recomputed.

What a certificate proves is decided here, not read from it:
  * a registered claim id must match the registry exactly -- parameters (named constant
    or rational value), every part's expression, sense, domain and threshold as values --
    or the certificate is rejected;
  * any other certificate (a user 'bound', a claim id with '@') is replayed on its own
    terms and reported by what it proves, the statement rebuilt from the verified parts;
  * the ``statement`` text in the file must be that registered or rebuilt statement;
  * recorded enclosures must contain what the replay computes.

Leaves are replayed box by box (``_plan``, ``_check_leaves``): every part (and, in
``check_many``, every certificate) with a leaf on a box is judged there by one worker,
the base functions' enclosures computed once for all of them and for the boxes with the
same (m, v) rectangle (``selu_theory.box_memo``), each expression evaluated once for
both senses, and an 'enclosure' leaf from a value enclosure without a gradient.  Every
leaf is still judged by its own bound; a certificate's first failing leaf in tree order
is the one reported.
"""
from __future__ import annotations

import ast
import math
import os
import pathlib
from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb

from selu_theory import ball, base_enclosures, box_memo, constants, moment_map, numbers, user_activation
from selu_theory.evaluate import Evaluator, cached_evaluator
from selu_theory.expr import ExprError, parse
from selu_theory.jets import BallOps
from selu_theory.fixed_point import FixedPointError, solve_alpha_lambda, solve_parameters
from selu_theory.kernel_loader import KernelsNotFound, generator_input_hash
from selu_theory.params import NAMED as NAMED_PARAMS
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params, activation_parameters
from selu_theory.taylor import hidx, second_order
from selu_theory.user_activation import UserActivationError
from verification import certificate as cert_io
from verification import claims as C
from verification import worker_pool
from verification.certificate import Certificate, CertificateError, ExtremumPart, FixedPointPart, PointPart
from verification.domain import Domain, DomainError, contains_box

# The checker's precision policy: every leaf, witness and point is replayed at CHECK_BITS,
# above the prover's 80, so a bound the prover reached is reached again whatever the
# rounding.  It costs nothing measurable: 112 bits is two limbs like 80, and a leaf's
# replay is Python's work on the generated kernels' ~10^3 ball operations, not Arb's
# (measured on 1,003 leaves of the 17 certificates: 2.52 s at 112 bits, 2.43 s at 64,
# 2.25 s at 53, and 53 bits loses 13 leaves).  Cheaper replays come from computing
# less (``METHODS``, ``box_memo``), not from fewer bits.
CHECK_BITS = 112
# 'thm1-contraction@mu*=..,nu*=..': a registered theorem re-centred or re-parametrised;
# its certificate is replayed on its own terms, like a 'bound', and never reported under
# the registered name.
CUSTOM_ID_SEPARATOR = "@"
GRID_ID = "grid"  # grid certificates (verification.grid_certificate), replayed by their own module
USER_BOUND_ID = "bound"
# Krawczyk replays of a fixed point, in bits above the prover's: a replay ball must lie
# inside the recorded enclosure, and a finer one does when the true value is inside.
FIXED_POINT_EXTRA_BITS = (32, 96, 224)


class Rejected(Exception):
    pass


@dataclass
class CheckResult:
    ok: bool
    claim: str
    status: str  # the status the certificate proves: proved | disproved | undecided
    messages: list = field(default_factory=list)
    leaves: int = 0
    registered: bool = False  # the claim id is a registered claim, matched exactly
    proves: str = ""  # what the replayed parts state, rebuilt from their verified fields
    params: tuple = ()  # (alpha, lambda) as written: named constants or rationals

    @property
    def label(self) -> str:
        if self.registered:
            return f"claim {self.claim}"
        if self.claim == USER_BOUND_ID:
            return "user bound"
        if self.claim == GRID_ID:
            return "grid bound"
        return f"unregistered claim {self.claim!r}"


def _q(text: str) -> Fraction:
    """A rational text the schema has already read through the user-number parser."""
    return numbers.parse(text)


def _hex(s: str) -> float:
    return float.fromhex(s)


def _box(b) -> tuple:
    return tuple((_hex(lo), _hex(hi)) for lo, hi in b)


def _point(texts) -> tuple:
    return tuple(_q(x) for x in texts)


def _domain(part) -> Domain:
    try:
        return Domain(tuple((_q(lo), _q(hi)) for lo, hi in part.domain), part.variables)
    except DomainError as exc:
        raise Rejected(f"part {part.key}: bad domain: {exc}") from None


def _expr(part, activation: str):
    try:
        return parse(part.expr, activation)
    except ExprError as exc:
        raise Rejected(f"part {part.key}: bad expression: {exc}") from None


def _in_domain(pt, domain: Domain) -> bool:
    return all(lo <= x <= hi for x, (lo, hi) in zip(pt, domain.bounds))


def same_param(a: str, b: str) -> bool:
    """Parameters as values: a named constant is only itself; rationals compare exactly."""
    if a in NAMED_PARAMS or b in NAMED_PARAMS:
        return a == b
    return _q(a) == _q(b)


def _ends(enclosure) -> tuple:
    lo, hi = enclosure
    return (-math.inf if lo is None else _hex(lo)), (math.inf if hi is None else _hex(hi))


def _inside(x: arb, lo: Fraction, hi: Fraction) -> bool:
    """Every point of the ball x lies in [lo, hi] (exact comparison of the ends)."""
    if not x.is_finite():
        return False
    xlo, xhi = ball.fraction_bounds(x)
    return lo <= xlo and xhi <= hi


# --------------------------------------------------------------------------- the registry

def _registry_mismatch(cert: Certificate, claim: C.Claim):
    """Why the certificate is not exactly the registered claim, or None."""
    if cert.activation != claim.params.activation:
        return f"activation {cert.activation!r} is not the registered claim's ({claim.params.activation!r})"
    if not (same_param(cert.alpha, claim.params.alpha) and same_param(cert.lam, claim.params.lam)):
        return (f"parameters alpha={cert.alpha}, lambda={cert.lam} are not the registered claim's "
                f"({claim.params.describe()})")
    if cert.statement != claim.statement:
        return "statement differs from the registered claim's"
    want = {p.key: p for p in claim.parts}
    have = [p.key for p in cert.parts]
    if sorted(have) != sorted(want):
        return f"parts {sorted(set(want) ^ set(have)) or have} missing, unexpected or repeated"
    for p in cert.parts:
        reg = want[p.key]
        if isinstance(reg, C.Extremum) and isinstance(p, ExtremumPart):
            dom = _domain(p)
            th = None if p.threshold is None else _q(p.threshold)
            reg_th = None if reg.threshold is None else _q(reg.threshold)
            if (p.expr, p.sense, dom, th) != (reg.expr, reg.sense, reg.domain, reg_th):
                return f"part {p.key}: expression, sense, domain or threshold differ from the registered claim"
        elif isinstance(reg, C.PointCheck) and isinstance(p, PointPart):
            if (p.expr, _point(p.point), p.relation, _q(p.value)) != \
                    (reg.expr, _point(reg.point), reg.relation, _q(reg.value)):
                return f"part {p.key}: differs from the registered claim"
        elif isinstance(reg, C.FixedPoint) and isinstance(p, FixedPointPart):
            if p.error is None and ((_q(p.mu_star), _q(p.nu_star), _q(p.omega), _q(p.tau), p.digits) !=
                                    (_q(reg.mu_star), _q(reg.nu_star), _q(reg.omega), _q(reg.tau), reg.digits)):
                return "fixed-point target differs from the registered claim"
        else:
            return f"part {p.key}: kind {p.kind} is not the registered part's"
    return None


# --------------------------------------------------------------------------- extremum parts

def _quadratic_max(g: arb, h: arb, d: arb) -> arb:
    """Upper end >= max of g t + h' t^2 / 2 over t in the ball d and h' in the ball h:
    a convex parabola peaks at an end of d; a concave one at its vertex -g/h if that
    may lie in d."""
    if not (g.is_finite() and h.is_finite() and d.is_finite()):
        return arb.nan()
    top = h.upper()
    ends = [g * t + top * t * t / 2 for t in (d.lower(), d.upper())]
    out = ends[0].union(ends[1])
    if top < 0:
        vertex = -g / top
        if vertex.overlaps(d.lower().union(d.upper())):
            out = out.union(-(g * g) / (2 * top))
    return out


def _taylor_upper(forms, bx) -> arb:
    """Second-order form about the box's midpoint c (value and gradient at c, Hessian
    over the box), after restricting every coordinate whose partial has a certain sign
    to the face it points to."""
    with ball.precision(CHECK_BITS):
        ub = forms.f_mid
        dev = []
        for (lo, hi), g, c in zip(bx, forms.grad, forms.mid):
            if lo < hi and g > 0:
                lo = hi
            elif lo < hi and g < 0:
                hi = lo
            dev.append(ball.interval(lo, hi) - ball.exact(c))
        moving = [i for i, d in enumerate(dev) if not d.is_zero()]
        for i in moving:
            ub = ub + _quadratic_max(forms.g_mid[i], forms.hess[hidx(i, i)], dev[i])
        for a, i in enumerate(moving):
            for j in moving[a + 1:]:
                ub = ub + forms.hess[hidx(i, j)] * dev[i] * dev[j]
    return ub


def _mean_value_upper(ev: Evaluator, sign: int, domain: Domain, bx, grad) -> arb:
    """Mean-value form about the corner the certain signs of the partials point to."""
    corner = []
    for (lo, hi), g in zip(bx, grad):
        corner.append(hi if (lo < hi and g > 0) else lo if (lo < hi and g < 0) else lo + (hi - lo) / 2)
    corner = domain.clamp(corner)
    fc = ev.point(corner)
    with ball.precision(CHECK_BITS):
        ub = fc if sign > 0 else -fc
        for (lo, hi), g, c in zip(bx, grad, corner):
            if g > 0:
                lo = hi
            elif g < 0:
                hi = lo
            dev = ball.interval(lo, hi) - ball.exact(c)
            if not dev.is_zero():
                ub = ub + g * dev
    return ub


FACE_LEVELS = 4  # as the engine's: a deeper chain than the prover's only lowers the bound


def _signed_forms(ev: Evaluator, sign: int, bx, domain: Domain):
    forms = second_order(ev, bx, domain=domain)  # domain: the mean-value form's clamped corner
    return forms if sign > 0 else -forms


def _face_upper(ev: Evaluator, sign: int, domain: Domain, bx, forms=None, enough=None) -> arb:
    """Leaf kind 'face': a side whose partial has a certain sign over the box is moved
    to the end it points to (the maximum of sign*f lies on that face), the face is
    evaluated again, and so on; the least of the value enclosure, the mean-value form and
    the Taylor form over the faces met bounds the box (NaN if none is finite).
    ``forms``: the box's own second-order forms (``second_order``, sense +1), if made;
    ``enough(u)``: u proves the leaf, so the first such bound is returned (the faces
    below it are not evaluated)."""
    best = arb.nan()
    if forms is None:
        forms = _signed_forms(ev, sign, bx, domain)
    elif sign < 0:
        forms = -forms
    for _ in range(FACE_LEVELS):
        face = []
        for (lo, hi), g in zip(bx, forms.grad):
            if lo < hi and g > 0:
                lo = hi
            elif lo < hi and g < 0:
                hi = lo
            face.append((lo, hi))
        if tuple(face) == tuple(bx):
            break
        bx = tuple(face)
        forms = _signed_forms(ev, sign, bx, domain)
        if not forms.val.is_finite():
            break
        for bound in (lambda: forms.val, lambda: _mean_value_upper(ev, sign, domain, bx, forms.grad),
                      lambda: _taylor_upper(forms, bx)):
            u = bound()
            if u.is_finite() and (not best.is_finite() or u.upper() < best.upper()):
                best = u
                if enough is not None and enough(u):
                    return u
    return best


SECOND_ORDER = ("enclosure2", "mvf2", "taylor")
# How a leaf of each kind is replayed, cheapest first, until one bound holds (any
# enclosure below the target proves the leaf; the method the leaf names is the last
# resort and decides).  'value': the first-order jet's value enclosure computed without
# the gradient (the same base enclosures; it rounds a/b where the jet has a * (1/b));
# 'jet': the first-order jet; 'second': the second-order forms.  Measured on the 17
# certificates: the value alone holds on every 'enclosure' leaf and on ~880 of the 2,862
# 'enclosure2' leaves (12% less replay CPU), on no 'mvf2' or 'taylor' leaf.
# A 'face' leaf starts from the box's second-order forms, which the other parts'
# leaves on the box (and its other sense) share.
METHODS = {"enclosure": ("value", "jet"), "mvf": ("jet",), "enclosure2": ("value", "second"),
           "mvf2": ("second",), "taylor": ("second",), "face": ("second",)}


def _box_value(ev: Evaluator, bx):
    """The first-order jet's value enclosure over the box without its gradient: the
    base functions' enclosures to one order more than the expression needs (centred
    forms, as the jet), then the expression in balls.  None for a domain with extra
    variables (the jet handles those)."""
    if getattr(ev, "extra", ()) or len(bx) != 4:
        return None
    with ball.precision(ev.bits):
        pars = ev.params.balls(ev.bits + 20)
        xs = [ball.interval(lo, hi) for lo, hi in bx]
        m, v = xs[0] * xs[1], xs[2] * xs[3]
        base = {f: base_enclosures.over_box(f, m, v, pars, o + 1, activation=ev.activation)
                for f, o in ev.needs.items()}
        env = moment_map.quantities(*xs, base, BallOps, ev.expr.names, activation=ev.activation)
        env.update(ev.params.ball_env(ev.bits + 20))
        env["pi"] = arb.pi()
        return ev.expr.evaluate(env, BallOps)


def _evaluation(ev: Evaluator, bx, method: str, domain: Domain):
    """What a replay method needs of f on the box, whatever the sense: its value
    ('value'), the first-order jet ('jet': value and gradient enclosures) or the
    second-order forms ('second'; jets over the sides ``taylor.moving`` names for the
    box in ``domain``).  The parts replayed on one box share it."""
    if method == "value":
        return _box_value(ev, bx)
    return second_order(ev, bx, domain=domain) if method == "second" else ev.box(bx)


def _leaf_upper(ev: Evaluator, sign: int, domain: Domain, bx, reason: str, evaluation=None, enough=None) -> arb:
    """Upper bound of sign*f on the box: from a value enclosure alone (``evaluation``
    a ball), else by the method the leaf names: the first-order jet ('enclosure',
    'mvf') or the second-order evaluation ('enclosure2', 'mvf2', 'taylor', and on
    monotone faces 'face');
    ``evaluation``: what ``_evaluation`` made for it (default: the named method's);
    ``enough``: for 'face', stop at the first bound that proves the leaf."""
    if evaluation is None:
        evaluation = _evaluation(ev, bx, METHODS[reason][-1], domain)
    if reason == "face":  # from the box's forms; the faces are evaluated there
        return _face_upper(ev, sign, domain, bx, evaluation, enough)
    if isinstance(evaluation, arb):  # a value enclosure alone ('enclosure')
        return evaluation if sign > 0 else -evaluation
    if reason in SECOND_ORDER:
        forms = evaluation if sign > 0 else -evaluation
        val, grad = forms.val, forms.grad
        if reason == "taylor":
            return _taylor_upper(forms, bx)
    else:
        jet = evaluation
        val = jet.val if sign > 0 else -jet.val
        grad = jet.grad if sign > 0 else tuple(-g for g in jet.grad)
    if reason in ("enclosure", "enclosure2"):
        return val
    return _mean_value_upper(ev, sign, domain, bx, grad)


def _walk(tree, root):
    """Yield (node, box) for the leaves, checking the split structure covers ``root``."""
    stack = [root]
    for node in tree:
        if not stack:
            raise Rejected("tree has nodes beyond its leaves")
        bx = stack.pop()
        if node[0] == "s":
            dim, x = node[1], _hex(node[2])
            lo, hi = bx[dim]
            if not (lo < x < hi):
                raise Rejected(f"split point {node[2]} outside its box")
            left, right = list(bx), list(bx)
            left[dim], right[dim] = (lo, x), (x, hi)
            stack.append(tuple(right))
            stack.append(tuple(left))
        else:
            if _box(node[2] if node[0] == "l" else node[1]) != bx:
                raise Rejected("a leaf box does not match the tree's splits")
            yield node, bx
    if stack:
        raise Rejected("tree does not cover the domain (boxes missing)")


# Leaves per job sent to a worker.  A job holds whole boxes: every leaf of every part
# (and certificate) on one box is replayed by one worker, in one ``box_memo.scope``.
LEAF_CHUNK = 64
# What a malformed value raises; as in ``check`` it rejects its certificate, never
# crashes the batch.
MALFORMED = (ArithmeticError, ValueError, TypeError, IndexError, KeyError, RecursionError, MemoryError)


def _leaf_failure(job, bx, reason, shared):
    """Why the leaf on ``bx`` does not hold for ``job`` (its part), or None.  ``shared``:
    the evaluations already made on this box, by expression, variables and method."""
    expr, params, sign, domain, target, strict, hi_s = job
    ev = cached_evaluator(expr, params, CHECK_BITS, domain.names)  # once per process, not per leaf
    u = None

    def holds(u):
        return ((u < target) if strict else (u <= target)) and u <= hi_s
    for method in METHODS[reason]:
        key = (expr, params, domain.names, domain.bounds, method)
        if key not in shared:
            shared[key] = _evaluation(ev, bx, method, domain)
        if shared[key] is None:
            continue
        u = _leaf_upper(ev, sign, domain, bx, reason, shared[key], holds)
        if holds(u):
            return None
    return f"leaf {bx} not below its bound ({u.str(10)} vs {hi_s!r})"


def _check_leaves(args):
    """Replay a job: ``(jobs, boxes)``, boxes = [(box, [(tag, job index, reason), ...])].
    The leaves of a job share the base functions' enclosures (``box_memo``: the parts
    on one box, and the boxes with the same (m, v) rectangle, which ``_plan`` puts
    together) and, for the two senses of one expression on a box, the whole
    evaluation.  Returns ([(tag, failure)], {owner: leaves replayed}), tag = (owner,
    leaf number in tree order)."""
    jobs, boxes = args
    failures, counts = [], {}
    with ball.precision(CHECK_BITS), box_memo.scope():
        for bx, leaves in boxes:
            shared = {}
            for tag, j, reason in leaves:
                try:
                    why = _leaf_failure(jobs[j], bx, reason, shared)
                except MALFORMED as exc:
                    why = f"malformed certificate: {type(exc).__name__}: {str(exc)[:200]}"
                if why:
                    failures.append((tag, why))
                counts[tag[0]] = counts.get(tag[0], 0) + 1
    return failures, counts


def _mv_key(bx):
    """The box's (m, v) = (mu*omega, nu*tau) rectangle, exactly, as the evaluators make
    it: boxes with the same one share the base functions' enclosures.  Only a
    schedule: a box it cannot key is its own group."""
    try:
        with ball.precision(CHECK_BITS):
            m = ball.interval(*bx[0]) * ball.interval(*bx[1])
            v = ball.interval(*bx[2]) * ball.interval(*bx[3])
            return tuple(int(k) for x in (m, v) for p in (x.mid(), x.rad()) for k in p.man_exp())
    except MALFORMED:
        return bx


def _plan(work) -> list:
    """The worker jobs for ``work`` = [(owner, part job, leaves)]: the leaves grouped by
    box, the boxes by their (m, v) rectangle (in order of first appearance), whole boxes
    cut into jobs of about ``LEAF_CHUNK`` leaves, each carrying only the part jobs it
    uses.  The order is only a schedule: every leaf is replayed, and failures are told
    by their place in the tree."""
    boxes, seq = {}, {}
    for owner, job, leaves in work:
        for bx, reason in leaves:
            n = seq.get(owner, 0)
            seq[owner] = n + 1
            boxes.setdefault(bx, []).append(((owner, n), job, reason))
    by_mv = {}
    for bx in boxes:
        by_mv.setdefault(_mv_key(bx), []).append(bx)
    plan, cur, size = [], [], 0
    for bx in (b for group in by_mv.values() for b in group):
        leaves = boxes[bx]
        cur.append((bx, leaves))
        size += len(leaves)
        if size >= LEAF_CHUNK:
            plan.append(cur)
            cur, size = [], 0
    if cur:
        plan.append(cur)
    out = []
    for chunk in plan:
        jobs, index = [], {}
        for _, leaves in chunk:
            for _, job, _ in leaves:
                if id(job) not in index:
                    index[id(job)] = len(jobs)
                    jobs.append(job)
        out.append((tuple(jobs), [(bx, [(tag, index[id(job)], r) for tag, job, r in leaves])
                                  for bx, leaves in chunk]))
    return out


def _first_failures(outcomes, ticks=None) -> dict:
    """{owner: its first failing leaf in tree order} from the jobs' outcomes (see
    ``_check_leaves``), for the owners with one.  ``ticks``: {owner: tick function}."""
    first = {}
    for failures, counts in outcomes:
        for (owner, n), why in failures:
            if owner not in first or n < first[owner][0]:
                first[owner] = (n, why)
        for owner, n in counts.items():
            tick = (ticks or {}).get(owner)
            for _ in range(n if tick else 0):
                tick()
    return {owner: why for owner, (_, why) in first.items()}


def _run_leaves(work, workers: int, ticks=None) -> dict:
    """Replay ``work`` (see ``_plan``) over the workers: ``_first_failures``."""
    return _first_failures(_map(_check_leaves, _plan(work), workers), ticks)


def _map(fn, items, workers):
    """Leaves are independent: replay them in worker processes when asked to (one pool
    per process and worker count, kept for the next part and certificate)."""
    if workers <= 1 or len(items) <= 1:
        for it in items:
            yield fn(it)
        return
    yield from _leaf_pool(workers).map(fn, items)


_POOLS = {}


def _leaf_pool(workers: int):
    """Starting a pool per part cost more than small parts' replay; a pool started once
    is reused (made by ``worker_pool``: its start method, workers that exit with their
    parent).  Workers receive every input of a job (expression, parameters, boxes) and
    keep nothing but evaluators keyed by those inputs (and the kernels they loaded: see
    ``_user_activation_kernels``)."""
    key = (os.getpid(), workers)  # a forked child must not use its parent's pool
    if key not in _POOLS:
        _POOLS[key] = worker_pool.pool(workers)
    return _POOLS[key]


def close_pools() -> None:
    """Shut the reused replay pools down (they are also shut at exit)."""
    for key in list(_POOLS):
        _POOLS.pop(key).shutdown()


# ``check_many`` collects the leaf replays of every certificate here instead of running
# them part by part, then runs them all at once: one batch keeps every worker busy, and
# the parts (and certificates) proved on the same boxes share their evaluation there.
_DEFERRED = None


def _replay_leaves(job, leaves, progress, workers):
    """Replay the leaves of one tree now, or defer them to ``check_many``'s batch."""
    if _DEFERRED is not None:
        _DEFERRED.append((job, leaves))
        return
    failures = _run_leaves([(0, job, leaves)], workers, {0: progress} if progress else None)
    if failures:
        raise Rejected(failures[0])


def check_extremum(part: ExtremumPart, params: Params, progress=None, workers: int = 1, siblings=()):
    """Replay an extremum part; ``siblings``: the other parts of its certificate (each
    replayed by the caller), which a part mirroring another refers to."""
    if part.mirror is not None:
        return check_mirrored(part, params, progress, workers, siblings)
    return _check_tree(part, params, progress, workers)


def _check_tree(part: ExtremumPart, params: Params, progress=None, workers: int = 1, halved: bool = False):
    """The part's tree covers its domain (``halved``: the domain cut to mu >= 0, which
    ``check_mirrored`` has shown to be enough) and proves its enclosure."""
    domain, expr = _domain(part), _expr(part, params.activation)
    sign = part.objective_sign
    # The tree may live on the (m, v) rectangle of the domain when the expression is a
    # function of m = mu*omega and v = nu*tau alone; leaves are then judged there.
    if part.reduced:
        allowed = moment_map.reducible_pairs(expr.names, params.activation)
        if any(r and not a for r, a in zip(part.reduced, allowed)):
            raise Rejected("a variable pair was reduced to its product but the expression sees it otherwise")
    tree_domain = domain.reduced(tuple(part.reduced)) if part.reduced else domain
    if halved:
        tree_domain = _mirror_half(tree_domain)
    root = _box(part.box)
    if root != tree_domain.outward() or not contains_box(root, tree_domain):
        raise Rejected("the root box is not the domain's outward box")
    lo, hi = _ends(part.enclosure)
    lo_s, hi_s = (lo, hi) if sign > 0 else (-hi, -lo)
    th_s = None if part.threshold is None else _q(part.threshold) * sign
    ev = _extremum_evaluator(part, expr, params, domain)

    if part.status == "disproved":
        return _check_counterexample(part, ev, sign, domain, th_s)

    leaves, undecided = [], 0
    for node, bx in _walk(part.tree, root):
        if node[0] == "u":
            undecided += 1
        else:
            leaves.append((bx, node[1]))
    # A tree of undecided boxes only (a degenerate objective, stopped early) proves
    # nothing and needs no target; leaves are judged against one.
    if leaves and part.target is None:
        raise Rejected("a proof tree with leaves needs a target")
    target = _hex(part.target) if part.target is not None else math.nan
    job = (part.expr, params, sign, tree_domain, target, part.strict, hi_s)
    _replay_leaves(job, leaves, progress, workers)
    if part.status == "proved" and undecided:
        raise Rejected("certificate says proved but has undecided leaves")
    if not undecided and not (hi_s <= target):
        raise Rejected("enclosure upper end above the proved target")
    _witness_and_threshold(part, ev, sign, domain, lo_s, hi_s, th_s)
    return ("proved" if not undecided else "undecided"), len(leaves)


# --------------------------------------------------------------------------- the mirror symmetry
#
# The checker's own reading of the mirror sigma: (mu, omega) -> (-mu, -omega), the other
# variables kept (written apart from the prover's ``verification.symmetry``, which it
# never imports).  The kernels see (mu, omega) only through m = mu*omega, which sigma
# keeps: a name reducible to m is even.  mu, omega are odd; J11 = omega mu~_m, J21 =
# omega nu~_m and d q/d mu = omega q_m, d q/d omega = mu q_m (q = mu~, xi~, nu~) are odd
# times even.  S is even: negating J11 and J21 swaps the two square roots of its closed
# form.  Partials of the even S: in mu, omega odd (sigma is a diagonal linear map with
# -1 there), in nu, tau even.  Parities are signs: +1 even, -1 odd, 0 unknown.
_SIGMA_ODD = frozenset(["mu", "omega", "J11", "J21", "dS_dmu", "dS_domega"]
                       + [f"d{q}_d{x}" for q in ("mu", "xi", "nu") for x in ("mu", "omega")])
_SIGMA_EVEN = frozenset(["S", "dS_dnu", "dS_dtau"])
_PARITY_TEXT = {1: "even", -1: "odd"}


def _sigma_sign(node, activation: str) -> int:
    if isinstance(node, ast.Constant):
        return 1
    if isinstance(node, ast.Name):
        if node.id in _SIGMA_ODD:
            return -1
        if node.id in _SIGMA_EVEN or moment_map.reducible_pairs((node.id,), activation)[0]:
            return 1
        return 0
    if isinstance(node, ast.UnaryOp):
        return _sigma_sign(node.operand, activation)
    if isinstance(node, ast.Call):   # sqrt(g), exp(g): even for an even g, else unknown
        return 1 if _sigma_sign(node.args[0], activation) == 1 else 0
    if isinstance(node, ast.BinOp):
        a = _sigma_sign(node.left, activation)
        if isinstance(node.op, ast.Pow):   # g^n: sign^n
            return a ** (node._selu_power % 2) if a else 0
        b = _sigma_sign(node.right, activation)
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return a * b
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return a if a == b else 0
    return 0


def mirror_parity(expr, activation: str = DEFAULT_ACTIVATION) -> str:
    """"even", "odd" or "unknown": the checker's parity of a parsed expression (or its
    text) under the mirror (mu, omega) -> (-mu, -omega)."""
    e = parse(expr, activation) if isinstance(expr, str) else expr
    return _PARITY_TEXT.get(_sigma_sign(e.tree.body, activation), "unknown")


def _mirror_half(domain: Domain) -> Domain:
    b = list(domain.bounds)
    b[0] = (Fraction(0), b[0][1])
    return Domain(tuple(b), domain.names)


def check_mirrored(part: ExtremumPart, params: Params, progress=None, workers: int = 1, siblings=()):
    """A part proved through the mirror: its domain must be exactly mirror-symmetric
    (mu in [-a, a], a > 0, omega in [-b, b]) and its expression of the parity it claims
    by the checker's own analysis.  Even: its tree must cover the domain cut to mu in
    [0, a] (every other point is the mirror of one there, with the same value).  Odd:
    the part it mirrors must be in ``siblings`` with the same expression, variables and
    domain and the opposite sense, proved by a tree of its own; sign*f(x) =
    -sign*f(sigma x) bounds this part by that part's bound."""
    domain, expr = _domain(part), _expr(part, params.activation)
    (mlo, mhi), (olo, ohi) = domain.bounds[0], domain.bounds[1]
    if not (mlo == -mhi and mhi > 0 and olo == -ohi):
        raise Rejected(f"part {part.key}: mirror claimed on a domain that is not mirror-symmetric "
                       "(mu in [-a, a], omega in [-b, b])")
    claimed, what = part.mirror
    have = mirror_parity(expr, params.activation)
    if have != claimed:
        raise Rejected(f"part {part.key}: mirror claims an {claimed} expression; the checker finds it {have}")
    if claimed == "even":
        if part.reduced and part.reduced[0]:
            raise Rejected(f"part {part.key}: a half domain with mu*omega searched as a product")
        if (_q(what[0]), _q(what[1])) != (Fraction(0), mhi):
            raise Rejected(f"part {part.key}: the half domain is not mu in [0, {mhi}]")
        return _check_tree(part, params, progress, workers, halved=True)
    refs = [p for p in siblings if isinstance(p, ExtremumPart) and p.key == what and p is not part]
    if len(refs) != 1:
        raise Rejected(f"part {part.key}: the part it mirrors ({what!r}) is not in the certificate once")
    ref = refs[0]
    if ref.mirror is not None or ref.sense == part.sense or ref.expr != part.expr \
            or ref.variables != part.variables or _domain(ref) != domain:
        raise Rejected(f"part {part.key}: {what!r} is not a tree-proved part of the same expression and "
                       "domain with the opposite sense")
    if part.tree or part.reduced or _box(part.box) != domain.outward():
        raise Rejected(f"part {part.key}: a mirrored part has no tree and the domain's outward box")
    sign = part.objective_sign
    lo_s, hi_s = _ends(part.enclosure) if sign > 0 else tuple(-x for x in reversed(_ends(part.enclosure)))
    ref_lo, ref_hi = _ends(ref.enclosure)
    ref_hi_s = ref_hi if ref.objective_sign > 0 else -ref_lo
    th_s = None if part.threshold is None else _q(part.threshold) * sign
    ev = _extremum_evaluator(part, expr, params, domain)
    if part.status == "disproved":
        return _check_counterexample(part, ev, sign, domain, th_s)
    if ref.status == "disproved":
        raise Rejected(f"part {part.key}: the part it mirrors is disproved, so its tree proves nothing")
    if (part.target, part.strict) != (ref.target, ref.strict) or not (hi_s >= ref_hi_s):
        raise Rejected(f"part {part.key}: its target or enclosure is not its mirror's")
    undecided = any(node[0] == "u" for node in ref.tree)
    if not undecided and not (ref.target is not None and hi_s <= _hex(ref.target)):
        raise Rejected("enclosure upper end above the proved target")
    _witness_and_threshold(part, ev, sign, domain, lo_s, hi_s, th_s)
    return ("proved" if not undecided else "undecided"), 0


def _witness_and_threshold(part: ExtremumPart, ev: Evaluator, sign: int, domain: Domain, lo_s, hi_s, th_s):
    """The enclosure's lower end is reached at the witness (in the domain, evaluated
    here), and a proved part's upper end is below its threshold (sign-adjusted ends)."""
    wpt = _point(part.witness.point)
    if not _in_domain(wpt, domain):
        raise Rejected("witness point lies outside the domain")
    if math.isfinite(lo_s):
        with ball.precision(CHECK_BITS):
            if not (ev.point(wpt) * sign >= lo_s):
                raise Rejected("witness value does not reach the enclosure's lower end")
    if part.status == "proved" and th_s is not None and not (math.isfinite(hi_s) and Fraction(hi_s) < th_s):
        raise Rejected("enclosure does not prove the threshold")


def _check_counterexample(part: ExtremumPart, ev: Evaluator, sign: int, domain: Domain, th_s):
    """A disproof stands on its own counterexample: in the domain, evaluated here, and
    at or past the threshold (sign-adjusted ``th_s``)."""
    if part.counterexample is None:
        raise Rejected("a disproof needs a counterexample")
    pt = _point(part.counterexample.point)
    if not _in_domain(pt, domain):
        raise Rejected("counterexample lies outside the domain")
    if th_s is None:
        raise Rejected("a disproof needs a threshold")
    with ball.precision(CHECK_BITS):
        if not (ev.point(pt) * sign >= ball.exact(th_s)):
            raise Rejected("the counterexample does not violate the threshold")
    return "disproved", 0


def _extremum_evaluator(part: ExtremumPart, expr, params: Params, domain: Domain) -> Evaluator:
    """The part's evaluator over its domain's variables: an expression naming an extra
    variable (a rate) the domain does not carry is rejected, not evaluated."""
    try:
        return Evaluator(expr, params, CHECK_BITS, domain.names)
    except ValueError as exc:
        raise Rejected(f"part {part.key}: {exc}") from None


# --------------------------------------------------------------------------- point and fixed-point parts

def check_point(part: PointPart, params: Params):
    ev = Evaluator(_expr(part, params.activation), params, CHECK_BITS)
    lo, hi = _ends(part.enclosure)
    with ball.precision(CHECK_BITS):
        v = ev.point(_point(part.point))
        cb = ball.exact(_q(part.value))
        if not (v >= lo and v <= hi):
            raise Rejected(f"part {part.key}: the recorded enclosure does not contain the replayed value")
        if part.relation == "==":
            ok, bad = v.is_exact() and bool(v == cb), not v.contains(cb)
        elif part.relation == ">":
            ok, bad = bool(v > cb), bool(v <= cb)
        else:
            ok, bad = bool(v < cb), bool(v >= cb)
    return "proved" if ok else "disproved" if bad else "undecided", 0


def _replay_contained(part: FixedPointPart, bounds):
    """Krawczyk replays at rising precision until each ball lies inside its recorded
    enclosure (the true value is in the ball, hence in the enclosure); None if none does."""
    target = [str(_q(x)) for x in (part.mu_star, part.nu_star, part.omega, part.tau)]
    for extra in FIXED_POINT_EXTRA_BITS:
        bits = part.bits + extra
        try:
            fp = solve_alpha_lambda(*target, bits=bits)
        except FixedPointError as exc:
            raise Rejected(f"fixed point not replayed: {exc}") from None
        if not fp.unique:
            raise Rejected("Krawczyk replay does not prove the fixed point unique")
        if all(_inside(x, lo, hi) for x, (lo, hi) in zip((fp.alpha, fp.lam), bounds)):
            return bits
    return None


def _digits_within(lo: Fraction, hi: Fraction, digits: int) -> bool:
    """The claimed digits, exactly: half-width < 10^-digits * |midpoint|."""
    return lo <= hi and (hi - lo) / 2 < Fraction(1, 10 ** digits) * abs(lo + hi) / 2


def check_fixed_point(part: FixedPointPart, params: Params):
    if part.generic:
        if params.activation == DEFAULT_ACTIVATION and not part.fixed:
            # one encoding per statement: SELU's (with its closed-form check) is the original
            raise Rejected("SELU's fixed-point part uses its original encoding (alpha_bounds, lambda_bounds)")
        return _check_fixed_point_generic(part, params)
    if part.error is None and params.activation != DEFAULT_ACTIVATION:
        # alpha_bounds / lambda_bounds are SELU's encoding, replayed by SELU's solver only
        raise Rejected(f"a fixed-point part with alpha_bounds, lambda_bounds is SELU's; "
                       f"{params.activation} needs the parameters encoding")
    if part.status != "proved":
        return "undecided", 0
    if part.unique is not True:
        raise Rejected("a proved fixed point must be recorded as unique")
    bounds = [(_q(a), _q(b)) for a, b in (part.alpha_bounds, part.lambda_bounds)]
    for lo, hi in bounds:
        if not _digits_within(lo, hi, part.digits):
            raise Rejected("recorded enclosure is wider than the claimed digits")
    bits = _replay_contained(part, bounds)
    if bits is None:
        raise Rejected("the recorded alpha, lambda enclosures do not contain the Krawczyk replay")
    if tuple(_q(x) for x in (part.mu_star, part.nu_star, part.omega, part.tau)) == (0, 1, 0, 1):
        with ball.precision(bits):
            closed = (constants.alpha01(bits), constants.lambda01(bits))
            if not all(_inside(x, lo, hi) for x, (lo, hi) in zip(closed, bounds)):
                raise Rejected("recorded alpha01, lambda01 enclosures do not contain the closed forms")
    return "proved", 0


def _check_fixed_point_generic(part: FixedPointPart, params: Params):
    """Any activation's parameters: the labels must be the activation's, in its order;
    a Krawczyk replay (``solve_parameters`` at a higher precision, the fixed parameters
    held at their recorded values) must land inside every recorded enclosure (and S's),
    and certify global uniqueness when the part claims it."""
    spec = activation_parameters(params.activation).parameters
    want = tuple(p.label for p in spec)
    if part.labels != want:
        raise Rejected(f"fixed-point parameters {', '.join(part.labels)} are not {params.activation}'s "
                       f"({', '.join(want)}, in that order)")
    if part.status != "proved":
        return "undecided", 0
    if part.unique is not True:
        raise Rejected("a proved fixed point must be recorded as unique")
    name_of = {p.label: p.name for p in spec}
    bounds = {name_of[lb]: (_q(lo), _q(hi)) for lb, lo, hi, _ in part.parameters}
    fixed = {name_of[lb]: str(bounds[name_of[lb]][0]) for lb in part.fixed}
    free = [n for n in bounds if n not in fixed]
    if len(free) != 2:
        raise Rejected(f"a proved fixed point solves for two parameters; this part frees {len(free)}")
    for n in free:
        if not _digits_within(*bounds[n], part.digits):
            raise Rejected(f"recorded enclosure of {n} is wider than the claimed digits")
    s_bounds = None if part.spectral_norm is None else tuple(_q(x) for x in part.spectral_norm)
    target = [str(_q(x)) for x in (part.mu_star, part.nu_star, part.omega, part.tau)]
    for extra in FIXED_POINT_EXTRA_BITS:
        try:
            sol = solve_parameters(params.activation, *target, bits=part.bits + extra, fixed=fixed)
        except FixedPointError as exc:
            raise Rejected(f"fixed point not replayed: {exc}") from None
        if not sol.unique:
            raise Rejected("Krawczyk replay does not prove the fixed point unique")
        if part.uniqueness == "global" and not sol.globally_unique:
            raise Rejected("the replay does not certify the global uniqueness the part claims")
        inside = all(_inside(sol.balls[n], *bounds[n]) for n in free)
        if inside and (s_bounds is None or _inside(sol.S, *s_bounds)):
            return "proved", 0
    raise Rejected("the recorded parameter (or S) enclosures do not contain the Krawczyk replay")


# --------------------------------------------------------------------------- the certificate

def _typed(source) -> Certificate:
    """The typed certificate from a path, bytes, its JSON object or itself (CertificateError if malformed)."""
    if isinstance(source, Certificate):
        if cert_io.digest(source.to_json()) != source.sha256:
            raise CertificateError("sha256 does not match the contents (altered certificate)")
        return source
    if isinstance(source, dict):
        return Certificate.from_json(source)
    if isinstance(source, (bytes, bytearray)):
        return cert_io.loads(bytes(source))
    if isinstance(source, (str, pathlib.Path)):
        return cert_io.load(source)
    raise CertificateError(f"not a certificate: {type(source).__name__}")


def _user_activation_kernels(cert: Certificate):
    """A user activation's kernels, from the certificate's own record: its spec text must
    hash to its id (else the record was forged or altered); when the cache lacks the
    kernels (another machine) or holds them from another generator, they are regenerated
    from the text.  A built-in activation's certificate must carry no spec text."""
    if not user_activation.is_user_id(cert.activation):
        if cert.spec:
            raise Rejected(f"the built-in activation {cert.activation!r} carries a spec text")
        return
    if not cert.spec:
        raise Rejected(f"user activation {cert.activation} without its spec text: cannot be replayed")
    try:
        if not user_activation.fresh(cert.activation):
            # kernels may be (re)generated below: reused replay workers must not keep the
            # modules (and evaluators) they loaded before
            close_pools()
        user_activation.ensure(cert.spec, cert.activation)
        if generator_input_hash(cert.activation) != cert.kernels and not user_activation.fresh(cert.activation):
            user_activation.regenerate(cert.spec, cert.activation)   # cached by another generator
    except UserActivationError as exc:
        raise Rejected(f"user activation {cert.activation}: {exc}") from None
    except KernelsNotFound as exc:
        raise Rejected(str(exc)) from None


def _replay(cert: Certificate, res: CheckResult, progress, workers):
    _user_activation_kernels(cert)
    # The kernels the parts were proved with must be the ones replaying them: same
    # activation, generated from the same spec by the same generator.
    try:
        kernels = generator_input_hash(cert.activation)
    except KernelsNotFound:
        raise Rejected(f"unknown activation {cert.activation!r}") from None
    if cert.kernels != kernels:
        raise Rejected(f"proved with other kernels for {cert.activation!r} (generator input "
                       f"{cert.kernels[:12]}..., these are {kernels[:12]}...)")
    try:
        params = Params.from_labels(cert.activation, dict(cert.params))
    except ParamError as exc:
        raise Rejected(f"bad parameters: {exc}") from None
    reg = C.REGISTRY.get(cert.claim)
    if reg is not None:
        why = _registry_mismatch(cert, reg)
        if why:
            raise Rejected(f"not the registered claim {cert.claim}: {why}")
        res.registered = True
    elif cert.claim != USER_BOUND_ID and CUSTOM_ID_SEPARATOR not in cert.claim:
        raise Rejected(f"unknown claim {cert.claim!r}")
    elif cert.statement != res.proves:
        raise Rejected("statement is not what the parts prove (it is rebuilt from them, not trusted)")
    required = {p.key: C.required(p) for p in reg.parts} if reg is not None else {}
    statuses = []
    with ball.precision(CHECK_BITS):
        for part in cert.parts:
            if isinstance(part, ExtremumPart):
                st, n = check_extremum(part, params, progress, workers, cert.parts)
            elif isinstance(part, PointPart):
                st, n = check_point(part, params)
            else:
                st, n = check_fixed_point(part, params)
            if st != part.status:
                raise Rejected(f"part {part.key}: certificate says {part.status}, replay gives {st}")
            if required.get(part.key, True):
                statuses.append(st)
            res.leaves += n
    return "disproved" if "disproved" in statuses else "undecided" if "undecided" in statuses else "proved"


def check(source, progress=None, workers: int = 1, claim=None) -> CheckResult:
    """Replay a certificate (a path, its bytes, its JSON object, or a ``Certificate``).

    ``claim``: when given, the certificate must carry this claim's id.  Malformed
    input is a rejection here; callers that must tell it apart (``selu-verify check``:
    exit 2) load the file with ``certificate.load`` first."""
    return check_many([source], None if progress is None else (lambda i: progress), workers, claim)[0]


def check_later(source, workers: int = 1, claim=None):
    """``check``, its leaf replays left running in the worker pool: returns
    ``finish(progress=None) -> CheckResult``, which waits for them.  The caller may
    prove the next claim meanwhile (``selu-verify all``).  Everything that uses Arb's
    process-wide precision runs here, before this returns (the certificate's reading,
    tree, registry, witness and fixed-point checks); the pool's workers set their own.
    With one worker, or one job, the leaves are replayed here and now."""
    global _DEFERRED
    _DEFERRED = []
    try:
        res = _check_deferred(source, claim)
    finally:
        batch, _DEFERRED = _DEFERRED, None
    plan = _plan([(0, job, leaves) for job, leaves in batch] if res.ok else [])
    if workers <= 1 or len(plan) <= 1:
        outcomes = [_check_leaves(job) for job in plan]
    else:
        pool = _leaf_pool(workers)
        outcomes = [pool.submit(_check_leaves, job) for job in plan]

    def finish(progress=None) -> CheckResult:
        done = (f.result() if hasattr(f, "result") else f for f in outcomes)
        failure = _first_failures(done, {0: progress} if progress else None).get(0)
        if failure:
            res.ok, res.status, res.messages = False, "undecided", [failure]
        return res
    return finish


def _check_deferred(source, claim=None) -> CheckResult:
    """``check`` up to the leaves: everything but the leaf replays, which go to
    ``_DEFERRED`` (see ``check_many``)."""
    res = CheckResult(False, "?", "undecided")
    try:
        cert = _typed(source)
    except CertificateError as exc:
        res.messages.append(str(exc))
        return res
    res.claim, res.params = cert.claim, tuple(v for _, v in cert.params)
    try:
        res.proves = cert_io.rebuilt_statement(cert.params, cert.parts, cert.activation)
        if claim is not None and claim.id != cert.claim:
            raise Rejected(f"certificate is for {cert.claim!r}, not {claim.id!r}")
        res.status = _replay(cert, res, None, 1)
        res.ok = True
        res.messages.append(f"{res.leaves} leaves replayed at {CHECK_BITS} bits")
    except Rejected as exc:
        res.messages.append(str(exc))
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, RecursionError, MemoryError) as exc:
        # the schema admits only well-formed values; this is the last line, not the plan
        res.messages.append(f"malformed certificate: {type(exc).__name__}: {str(exc)[:200]}")
    if not res.ok:
        res.status = "undecided"
    return res


def check_many(sources, progress=None, workers: int = 1, claim=None) -> list:
    """``check`` of several certificates, their leaves replayed in one batch over the
    workers (parallel over certificates as well as over leaves).  Each certificate is
    judged as ``check`` judges it: its tree, registry and witness checks first, then
    its leaves; the first failing leaf (in tree order) rejects it.  ``check`` is this
    for one certificate.
    ``progress(i)``: a tick function for the i-th certificate, or None; ``claim``: see
    ``check``."""
    global _DEFERRED
    results, work = [], []
    for i, src in enumerate(sources):
        _DEFERRED = []
        try:
            res = _check_deferred(src, claim)
        finally:
            batch, _DEFERRED = _DEFERRED, None
        results.append(res)
        if res.ok:
            work.extend((i, job, leaves) for job, leaves in batch)
    ticks = {i: progress(i) for i in range(len(results))} if progress else None
    for i, failure in _run_leaves(work, workers, ticks).items():
        res = results[i]
        res.ok, res.status, res.messages = False, "undecided", [failure]
    return results
