"""The independent checker: replays a certificate in Arb and accepts it or says why not.

It shares only the mathematics with the search (the expression language, the moment
map, the generated ball kernels); the leaf tests below are its own, run at a higher
precision than the engine's, and it trusts nothing in the file but the tree's shape:
every leaf box is re-derived from the domain and the split points, every bound is
recomputed, and the domain must be the registered one.
"""
from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb

from selu_theory import ball
from selu_theory.evaluate import Evaluator
from selu_theory.expr import ExprError, parse
from selu_theory.moment_map import reducible_pairs
from selu_theory.params import ParamError, Params
from verification import certificate as cert_io
from verification import claims as C
from verification.domain import Domain, DomainError, contains_box

CHECK_BITS = 112
# 'thm1-contraction@mu*=..,nu*=..': a registered theorem re-centred on another fixed
# point; its domains are its own, so it is checked like a 'bound'.
CUSTOM_ID_SEPARATOR = "@"


class Rejected(Exception):
    pass


@dataclass
class CheckResult:
    ok: bool
    claim: str
    status: str  # the status the certificate proves: proved | disproved | undecided
    messages: list = field(default_factory=list)
    leaves: int = 0


def _hex(s) -> float:
    try:
        return float.fromhex(s)
    except (TypeError, ValueError):
        raise Rejected(f"not a hex float: {s!r}") from None


def _box(j):
    try:
        b = tuple((_hex(lo), _hex(hi)) for lo, hi in j)
    except (TypeError, ValueError):
        raise Rejected("malformed box") from None
    if len(b) != 4 or any(not (lo <= hi) for lo, hi in b):
        raise Rejected("malformed box")
    return b


def _point(j):
    try:
        pt = tuple(Fraction(x) for x in j)
    except (TypeError, ValueError, ZeroDivisionError):
        raise Rejected("malformed point") from None
    if len(pt) != 4:
        raise Rejected("malformed point")
    return pt


def _in_domain(pt, domain: Domain) -> bool:
    return all(lo <= x <= hi for x, (lo, hi) in zip(pt, domain.bounds))


def _leaf_upper(ev: Evaluator, sign: int, domain: Domain, bx, reason: str) -> arb:
    """Upper bound of sign*f on the box, by the method the leaf names."""
    jet = ev.box(bx)
    val = jet.val if sign > 0 else -jet.val
    grad = jet.grad if sign > 0 else tuple(-g for g in jet.grad)
    if reason == "enclosure":
        return val
    if reason != "mvf":
        raise Rejected(f"unknown leaf reason {reason!r}")
    # Mean-value form about the corner the certain signs of the partials point to.
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


def _walk(tree, root):
    """Yield (node, box) for the leaves, checking the split structure covers ``root``."""
    stack = [root]
    for node in tree:
        if not stack:
            raise Rejected("tree has nodes beyond its leaves")
        bx = stack.pop()
        if not isinstance(node, list) or not node:
            raise Rejected("malformed tree node")
        if node[0] == "s":
            if len(node) != 3 or node[1] not in (0, 1, 2, 3):
                raise Rejected("malformed split node")
            dim, x = node[1], _hex(node[2])
            lo, hi = bx[dim]
            if not (lo < x < hi):
                raise Rejected(f"split point {node[2]} outside its box")
            left, right = list(bx), list(bx)
            left[dim], right[dim] = (lo, x), (x, hi)
            stack.append(tuple(right))
            stack.append(tuple(left))
        elif node[0] in ("l", "u"):
            stored = _box(node[2] if node[0] == "l" else node[1])
            if stored != bx:
                raise Rejected("a leaf box does not match the tree's splits")
            yield node, bx
        else:
            raise Rejected(f"unknown tree node {node[0]!r}")
    if stack:
        raise Rejected("tree does not cover the domain (boxes missing)")


def _registered_part(claim, key):
    if claim is None:
        return None
    for p in claim.parts:
        if getattr(p, "key", None) == key:
            return p
    raise Rejected(f"part {key!r} is not part of claim {claim.id}")


LEAF_CHUNK = 64


def _check_leaves(args):
    """Replay a chunk of leaves; (first failure or None, number replayed)."""
    (expr, params, sign, domain, target, strict, hi_s), leaves = args
    ev = Evaluator(parse(expr), params, CHECK_BITS)
    with ball.precision(CHECK_BITS):
        for bx, reason in leaves:
            try:
                u = _leaf_upper(ev, sign, domain, bx, reason)
            except Rejected as exc:
                return str(exc), 0
            ok = (u < target) if strict else (u <= target)
            if not (ok and (u <= hi_s or math.isinf(hi_s))):
                return f"leaf {bx} not below its bound ({u.str(10)} vs {hi_s!r})", 0
    return None, len(leaves)


def _map(fn, items, workers):
    """Leaves are independent: replay them in worker processes when asked to."""
    if workers <= 1 or len(items) <= 1:
        for it in items:
            yield fn(it)
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        yield from pool.map(fn, items)


def check_extremum(part: dict, params: Params, reg, progress=None, workers: int = 1):
    try:
        domain = Domain.from_json(part["domain"])
        expr = parse(part["expr"])
    except (KeyError, TypeError, DomainError, ExprError, ValueError) as exc:
        raise Rejected(f"malformed extremum part: {exc}") from None
    sense = part.get("sense")
    if sense not in ("max", "min"):
        raise Rejected("sense must be max or min")
    sign = 1 if sense == "max" else -1
    if reg is not None:
        if (reg.expr, reg.sense, reg.domain, reg.threshold) != (part["expr"], sense, domain, part.get("threshold")):
            raise Rejected(f"part {part['key']}: expression, domain or threshold differ from the registered claim")
    # The tree may live on the (m, v) rectangle of the domain when the expression is a
    # function of m = mu*omega and v = nu*tau alone; leaves are then judged there.
    reduced = part.get("reduced") or False
    if reduced:
        if not (isinstance(reduced, list) and len(reduced) == 2 and all(isinstance(x, bool) for x in reduced)):
            raise Rejected("malformed 'reduced' field")
        allowed = reducible_pairs(expr.names)
        if any(r and not a for r, a in zip(reduced, allowed)):
            raise Rejected("a variable pair was reduced to its product but the expression sees it otherwise")
    tree_domain = domain.reduced(tuple(reduced)) if reduced else domain
    root = _box(part["box"])
    if not contains_box(root, tree_domain):
        raise Rejected("the root box does not cover the domain")
    status = part.get("status")
    lo, hi = (_hex(x) for x in part["enclosure"])
    lo_s, hi_s = (lo, hi) if sign > 0 else (-hi, -lo)
    threshold = part.get("threshold")
    th_s = None if threshold is None else Fraction(threshold) * sign
    ev = Evaluator(expr, params, CHECK_BITS)

    if status == "disproved":
        cex = part.get("counterexample") or {}
        pt = _point(cex.get("point"))
        if not _in_domain(pt, domain):
            raise Rejected("counterexample lies outside the domain")
        if th_s is None:
            raise Rejected("a disproof needs a threshold")
        with ball.precision(CHECK_BITS):
            v = ev.point(pt) * sign
            if not (v >= ball.exact(th_s)):
                raise Rejected("the counterexample does not violate the threshold")
        return "disproved", 0

    target = _hex(part["target"])
    strict = bool(part.get("strict"))
    leaves, undecided = [], 0
    for node, bx in _walk(part["tree"], root):
        if node[0] == "u":
            undecided += 1
        else:
            leaves.append((bx, node[1]))
    job = (part["expr"], params, sign, tree_domain, target, strict, hi_s)
    chunks = [leaves[i:i + LEAF_CHUNK] for i in range(0, len(leaves), LEAF_CHUNK)]
    for failure, n in _map(_check_leaves, [(job, c) for c in chunks], workers):
        if failure:
            raise Rejected(failure)
        if progress:
            for _ in range(n):
                progress()
    leaves = len(leaves)
    if status == "proved" and undecided:
        raise Rejected("certificate says proved but has undecided leaves")
    if not undecided and not (hi_s <= target):
        raise Rejected("enclosure upper end above the proved target")
    w = part["witness"]
    wpt = _point(w["point"])
    if not _in_domain(wpt, domain):
        raise Rejected("witness point lies outside the domain")
    with ball.precision(CHECK_BITS):
        wv = ev.point(wpt) * sign
        if not (wv >= lo_s):
            raise Rejected("witness value does not reach the enclosure's lower end")
    if status == "proved" and th_s is not None and not (Fraction(hi_s) < th_s):
        raise Rejected("enclosure does not prove the threshold")
    return ("proved" if not undecided else "undecided"), leaves


def check_point(part: dict, params: Params, reg):
    try:
        expr = parse(part["expr"])
        pt = _point(part["point"])
        c = Fraction(part["value"])
    except (KeyError, TypeError, ExprError, ValueError, ZeroDivisionError) as exc:
        raise Rejected(f"malformed point part: {exc}") from None
    if reg is not None and (reg.expr, tuple(Fraction(x) for x in reg.point), reg.relation, Fraction(reg.value)) != \
            (part["expr"], pt, part["relation"], c):
        raise Rejected(f"part {part['key']} differs from the registered claim")
    ev = Evaluator(expr, params, CHECK_BITS)
    with ball.precision(CHECK_BITS):
        v = ev.point(pt)
        cb = ball.exact(c)
        rel = part["relation"]
        if rel == "==":
            ok, bad = v.is_exact() and bool(v == cb), not v.contains(cb)
        elif rel == ">":
            ok, bad = bool(v > cb), bool(v <= cb)
        elif rel == "<":
            ok, bad = bool(v < cb), bool(v >= cb)
        else:
            raise Rejected(f"unknown relation {rel!r}")
    return "proved" if ok else "disproved" if bad else "undecided", 0


def check_fixed_point(part: dict, params: Params, reg):
    from selu_theory import constants
    from selu_theory.fixed_point import FixedPointError, solve_alpha_lambda

    if part.get("status") != "proved":
        return "undecided", 0
    try:
        bits = int(part["bits"]) + 32
        fp = solve_alpha_lambda(part["mu_star"], part["nu_star"], part["omega"], part["tau"], bits=bits)
        a_rec, l_rec = arb_from_bounds(part["alpha_bounds"]), arb_from_bounds(part["lambda_bounds"])
    except (KeyError, TypeError, ValueError, FixedPointError) as exc:
        raise Rejected(f"fixed point not replayed: {exc}") from None
    if reg is not None and (reg.mu_star, reg.nu_star, reg.omega, reg.tau) != \
            (part["mu_star"], part["nu_star"], part["omega"], part["tau"]):
        raise Rejected("fixed-point target differs from the registered claim")
    with ball.precision(bits):
        if not fp.unique or not (fp.alpha.overlaps(a_rec) and fp.lam.overlaps(l_rec)):
            raise Rejected("Krawczyk replay does not confirm the recorded alpha, lambda")
        digits = int(part["digits"])
        for x in (a_rec, l_rec):
            if not (x.rad() < arb(10) ** (-digits) * abs(x.mid())):
                raise Rejected("recorded enclosure is wider than the claimed digits")
        if (part["mu_star"], part["nu_star"], part["omega"], part["tau"]) == ("0", "1", "0", "1"):
            if not (constants.alpha01(bits).overlaps(a_rec) and constants.lambda01(bits).overlaps(l_rec)):
                raise Rejected("recorded alpha01, lambda01 disagree with the closed forms")
    return "proved", 0


def arb_from_bounds(pair) -> arb:
    lo, hi = Fraction(pair[0]), Fraction(pair[1])
    return ball.interval(lo, hi)


def check(path_or_cert, progress=None, workers: int = 1, claim=None) -> CheckResult:
    """Replay a certificate.  Its claim must be registered (its parts, domains and
    thresholds are compared with the registry), be a user 'bound', or be given as
    ``claim`` (for claims built in code, e.g. scaled to other parameters)."""
    cert = cert_io.load(path_or_cert) if not isinstance(path_or_cert, dict) else path_or_cert
    cid = str(cert.get("claim"))
    res = CheckResult(False, cid, "undecided")
    try:
        if not cert_io.verify_seal(cert):
            raise Rejected("sha256 does not match the contents (altered certificate)")
        try:
            params = Params(cert["params"]["alpha"], cert["params"]["lambda"])
        except (KeyError, TypeError, ParamError) as exc:
            raise Rejected(f"bad parameters: {exc}") from None
        if claim is not None and claim.id != cid:
            raise Rejected(f"certificate is for {cid!r}, not {claim.id!r}")
        claim = claim if claim is not None else C.REGISTRY.get(cid)
        if claim is not None and params != claim.params:
            claim = None  # a registered claim re-run for other (alpha, lambda): its own domains
        elif claim is None and cid != "bound" and CUSTOM_ID_SEPARATOR not in cid:
            raise Rejected(f"unknown claim {cid!r}")
        parts = cert.get("parts")
        if not isinstance(parts, list) or not parts:
            raise Rejected("certificate has no parts")
        if claim is not None:
            want = {p.key for p in claim.parts}
            have = {p.get("key") for p in parts if isinstance(p, dict)}
            if want != have:
                raise Rejected(f"parts {sorted(want ^ have)} missing or unexpected")
        statuses = []
        with ball.precision(CHECK_BITS):
            for part in parts:
                if not isinstance(part, dict):
                    raise Rejected("malformed part")
                reg = _registered_part(claim, part.get("key"))
                kind = part.get("kind")
                if kind == "extremum":
                    st, n = check_extremum(part, params, reg, progress, workers)
                elif kind == "point":
                    st, n = check_point(part, params, reg)
                elif kind == "fixed-point":
                    st, n = check_fixed_point(part, params, reg)
                else:
                    raise Rejected(f"unknown part kind {kind!r}")
                if st != part.get("status"):
                    raise Rejected(f"part {part.get('key')}: certificate says {part.get('status')}, replay gives {st}")
                if reg is None or C.required(reg):
                    statuses.append(st)
                res.leaves += n
        res.status = "disproved" if "disproved" in statuses else "undecided" if "undecided" in statuses else "proved"
        res.ok = True
        res.messages.append(f"{res.leaves} leaves replayed at {CHECK_BITS} bits")
    except Rejected as exc:
        res.ok = False
        res.messages.append(str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        res.ok = False
        res.messages.append(f"malformed certificate: {type(exc).__name__}: {exc}")
    return res
