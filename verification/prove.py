"""Run a claim: decide each part, collect enclosures, build the typed certificate parts."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb

from selu_theory import ball, constants
from selu_theory.expr import parse
from selu_theory.fixed_point import FixedPointError, solve_parameters
from selu_theory.moment_map import reducible_pairs
from selu_theory.numbers import NumberError, text_of
from selu_theory.numbers import parse as parse_number
from selu_theory.params import DEFAULT_ACTIVATION, Params, activation_parameters
from verification import claims as C
from verification import symmetry
from verification.certificate import Counterexample, ExtremumPart, FixedPointPart, PointPart, Witness
from verification.engine import (Objective, Runner, drive, enclose_steps, float_down, float_up, hexf,
                                 objective_point)
from verification.verdicts import paper_verdicts

DEFAULT_BITS = ball.DEFAULT_PREC


@dataclass
class PartResult:
    key: str
    status: str  # proved | disproved | undecided
    enclosure: tuple  # (lo, hi) floats, the certified quantity
    record: object  # its typed certificate part (ExtremumPart, PointPart, FixedPointPart) or None
    boxes: int = 0
    counterexample: dict = None
    detail: str = ""
    required: bool = True  # False for an alternative reading of the paper
    solution: object = None  # a fixed-point part's FixedPointSolution, for display
    exception: Exception = None  # a fixed-point part's FixedPointError (Unreachable kept apart)

    @property
    def certificate(self):
        """The certificate part as JSON (None for a part recorded with another)."""
        return None if self.record is None else self.record.to_json()


@dataclass
class ClaimResult:
    claim: C.Claim
    status: str
    parts: list
    enclosures: dict  # key -> (lo, hi)
    seconds: float
    boxes: int
    verdicts: list = field(default_factory=list)
    certificate_path: str = None

    @property
    def counterexample(self):
        for p in sorted(self.parts, key=lambda p: not p.required):
            if p.counterexample:
                return dict(p.counterexample, key=p.key, required=p.required)
        return None


def _fr(q) -> str:
    return str(Fraction(q))


def _pt_json(pt):
    return tuple(_fr(x) for x in pt)


def _ends(lo: float, hi: float) -> tuple:
    """An enclosure's ends as exact hex floats; None for an unbounded end."""
    return tuple(hexf(x) if math.isfinite(x) else None for x in (lo, hi))


def run_extremum(part: C.Extremum, params: Params, runner: Runner, bits: int, on_done=None,
                 max_boxes: int = 400_000) -> PartResult:
    return drive([extremum_steps(part, params, bits, max_boxes)], runner, on_done)[0]


def extremum_steps(part: C.Extremum, params: Params, bits: int, max_boxes: int = 400_000):
    """Step generator (see ``engine.drive``) deciding one extremum part."""
    obj = Objective(part.expr, params, part.sign, bits, part.domain.names)
    th = None
    if part.threshold is not None:
        th = Fraction(part.threshold) * part.sign
    # A pair seen only through its product (m = mu*omega, v = nu*tau) is searched as that
    # product: in the 4-D box the level sets of such functions are hyperbolas, which a
    # box subdivision can only cover finely along their whole length.
    pairs = reducible_pairs(parse(part.expr, params.activation).names, params.activation)
    reduced = any(pairs)
    search_domain = part.domain.reduced(pairs) if reduced else part.domain
    mirror = _half_domain(part, params, pairs)
    if mirror is not None:
        search_domain = symmetry.half(search_domain)
    out = yield from enclose_steps(obj, search_domain, part.tol, threshold=th, max_boxes=max_boxes)
    b = out.bound
    s = part.sign

    def orig(pt):
        return part.domain.preimage(pt, pairs) if reduced else pt
    if b.counterexample is not None:
        b.counterexample = (orig(b.counterexample[0]), b.counterexample[1])
    out.witness = orig(out.witness)
    lo, hi = (out.lo, out.hi) if s > 0 else (-out.hi, -out.lo)
    wval = out.witness_value if s > 0 else -out.witness_value
    cex = None
    if b.status == "disproved" and b.counterexample is not None:
        cpt, cval = b.counterexample
        cval = cval if s > 0 else -cval
        cex = Counterexample(_pt_json(cpt), _ends(float_down(cval), float_up(cval)), cval.str(12, radius=False))
    cert = ExtremumPart(
        key=part.key, expr=part.expr, sense=part.sense,
        domain=tuple((str(a), str(z)) for a, z in part.domain.bounds),
        reduced=tuple(pairs) if reduced else False,
        box=tuple((hexf(a), hexf(z)) for a, z in search_domain.outward()),
        threshold=part.threshold, objective_sign=s,
        target=hexf(b.target) if math.isfinite(b.target) else None, strict=b.strict,
        status=b.status, enclosure=_ends(lo, hi),
        witness=Witness(_pt_json(out.witness), _ends(float_down(wval), float_up(wval))),
        counterexample=cex, tree=b.tree, variables=part.domain.names, mirror=mirror)
    cex = None if cex is None else cex.to_json()
    return PartResult(part.key, b.status, (lo, hi), cert, b.boxes, cex, detail=b.reason, required=C.required(part))


def _half_domain(part: C.Extremum, params: Params, pairs):
    """The part's ``mirror`` record when it is proved on its half domain mu >= 0 (an even
    expression on a mirror-symmetric domain: ``symmetry``), else None."""
    if not symmetry.halves(part, params.activation, pairs):
        return None
    return ("even", (_fr(0), _fr(part.domain.bounds[0][1])))


def mirrored_result(part: C.Extremum, ref: PartResult) -> PartResult:
    """The part proved as the mirror of ``ref`` (``symmetry.mirrored_parts``: an odd
    expression, the opposite sense, the same symmetric domain, mirror-opposite
    thresholds): min f = -max f, the enclosure negated, the witness and counterexample
    mirrored, ``ref``'s status and target; no tree of its own."""
    r = ref.record
    lo, hi = ref.enclosure
    witness = Witness(_pt_json(symmetry.mirror_point(r.witness.point)), _negated_ends(r.witness.value))
    cex = None
    if r.counterexample is not None:
        c = r.counterexample
        cex = Counterexample(_pt_json(symmetry.mirror_point(c.point)), _negated_ends(c.value),
                             c.value_text[1:] if c.value_text.startswith("-") else "-" + c.value_text)
    cert = ExtremumPart(
        key=part.key, expr=part.expr, sense=part.sense, domain=r.domain, reduced=False,
        box=tuple((hexf(a), hexf(z)) for a, z in part.domain.outward()),
        threshold=part.threshold, objective_sign=part.sign, target=r.target, strict=r.strict,
        status=r.status, enclosure=_negated_ends(r.enclosure),
        witness=witness, counterexample=cex, tree=(), variables=r.variables, mirror=("odd", ref.key))
    return PartResult(part.key, ref.status, (-hi, -lo), cert, 0, None if cex is None else cex.to_json(),
                      detail=ref.detail, required=C.required(part))


def _negated_ends(ends) -> tuple:
    """(lo, hi) of hex floats (either may be None: unbounded) -> (-hi, -lo): exact."""
    lo, hi = ends
    return tuple(None if x is None else hexf(-float.fromhex(x)) for x in (hi, lo))


def run_point(part: C.PointCheck, params: Params, bits: int) -> PartResult:
    obj = Objective(part.expr, params, 1, bits)
    pt = tuple(Fraction(x) for x in part.point)
    with ball.precision(bits):
        val = objective_point(obj, pt)
        c = ball.exact(Fraction(part.value))
        if part.relation == "==":
            ok, bad = val.is_exact() and bool(val == c), not val.contains(c)
        elif part.relation == ">":
            ok, bad = bool(val > c), bool(val <= c)
        else:
            ok, bad = bool(val < c), bool(val >= c)
    status = "proved" if ok else ("disproved" if bad else "undecided")
    enc = (float_down(val), float_up(val))
    cert = PointPart(part.key, part.expr, _pt_json(pt), part.relation, part.value, status, _ends(*enc), val.repr())
    cex = {"point": list(_pt_json(pt)), "value": list(_ends(*enc))} if status == "disproved" else None
    return PartResult(part.key, status, enc, cert, 0, cex)


def fixed_point_bits(digits: int) -> int:
    return max(256, int(digits * 3.33) + 64)


def _bounds(x: arb, wp: int) -> tuple:
    """Exact rational ends of x; ``fraction_bounds`` reads them at max(precision, 1024)
    bits, which would widen a ball of more than 1024 bits (digits above ~300)."""
    with ball.precision(max(wp + 64, 1024)):
        return ball.fraction_bounds(x)


def _digits_ok(x: arb, digits: int) -> bool:
    return bool(x.rad() < arb(10) ** (-digits) * abs(x.mid()))


def run_fixed_point(part: C.FixedPoint, params: Params, bits: int, solve_bits: int = None) -> list:
    """The parameters for the part's target fixed point, solved at ``solve_bits`` (default
    ``fixed_point_bits``).  SELU keeps its original certificate encoding (alpha_bounds,
    lambda_bounds; byte-identical certificates); every other activation, and SELU with
    parameters held fixed, the generic one."""
    wp = solve_bits or fixed_point_bits(part.digits)
    if params.activation != DEFAULT_ACTIVATION or part.fixed:
        return _run_fixed_point_generic(part, params, wp)
    try:
        # SELU's answer from solve_parameters is solve_alpha_lambda's own (``.selu``)
        sol = solve_parameters(DEFAULT_ACTIVATION, part.mu_star, part.nu_star, part.omega, part.tau, bits=wp)
        fp = sol.selu
    except FixedPointError as exc:
        cert = FixedPointPart(part.key, "undecided", error=str(exc))
        return [PartResult("alpha", "undecided", (math.nan, math.nan), cert, detail=str(exc), exception=exc)]
    digits_ok = all(_digits_ok(x, part.digits) for x in (fp.alpha, fp.lam))
    closed = (part.mu_star, part.nu_star, part.omega, part.tau) == ("0", "1", "0", "1")
    agree = True
    if closed:
        agree = fp.alpha.overlaps(constants.alpha01(wp)) and fp.lam.overlaps(constants.lambda01(wp))
    status = "proved" if (fp.unique and digits_ok and agree) else "undecided"
    cert = FixedPointPart(part.key, status, part.mu_star, part.nu_star, part.omega, part.tau, bits=wp,
                          digits=part.digits,
                          alpha_bounds=tuple(str(q) for q in _bounds(fp.alpha, wp)),
                          lambda_bounds=tuple(str(q) for q in _bounds(fp.lam, wp)),
                          alpha_text=fp.alpha.str(part.digits + 5), lambda_text=fp.lam.str(part.digits + 5),
                          unique=fp.unique, closed_forms_agree=agree if closed else None)
    # Exact rational ends: a float would hide the 30 digits being compared.
    return [PartResult("alpha", status, _bounds(fp.alpha, wp), cert,
                       detail=fp.alpha.str(part.digits + 3), solution=sol),
            PartResult("lambda", status, _bounds(fp.lam, wp), None,
                       detail=fp.lam.str(part.digits + 3), solution=sol)]


def outward_decimals(lo: Fraction, hi: Fraction, sig: int) -> tuple:
    """[lo, hi] rounded outward to decimals of ``sig`` significant digits (as text):
    a shorter enclosure of the same value, readable, and far below the 1000-character
    limit of a certificate number that a dyadic end of a 1000-bit ball would exceed."""
    big = max(abs(lo), abs(hi))
    if big == 0:
        return "0", "0"
    e = math.floor(math.log10(big)) if big < 10 ** 300 else len(str(int(big))) - 1
    scale = Fraction(10) ** (sig - 1 - e)
    down = Fraction(math.floor(lo * scale)) / scale
    up = Fraction(math.ceil(hi * scale)) / scale
    return text_of(down), text_of(up)


def widened_bounds(x: arb, wp: int) -> tuple:
    """Exact rational ends of the ball mid -+ 3 rad: an enclosure of x's value that also
    holds every ball about that value with radius <= rad (what a replay at a higher
    precision computes), so the checker's containment test does not hinge on rounding."""
    lo, hi = _bounds(x, wp)
    r = (hi - lo) / 2
    return lo - 2 * r, hi + 2 * r


def _run_fixed_point_generic(part: C.FixedPoint, params: Params, wp: int) -> list:
    activation = params.activation
    labels = {p.name: p.label for p in activation_parameters(activation).parameters}
    fixed = dict(part.fixed)
    try:
        sol = solve_parameters(activation, part.mu_star, part.nu_star, part.omega, part.tau, bits=wp,
                               fixed=fixed)
    except FixedPointError as exc:  # Unreachable included: nothing certified to record here
        cert = FixedPointPart(part.key, "undecided", error=str(exc))
        first = labels[next(iter(labels))]
        return [PartResult(first, "undecided", (math.nan, math.nan), cert, detail=str(exc), exception=exc)]
    free = [n for n in sol.balls if n not in fixed]
    rows, held, why = [], [], []
    for n, b in sol.balls.items():
        if n in fixed:
            # the value given, exactly (its ball need not be exact: 0.1 is not a dyadic)
            try:
                q = parse_number(str(fixed[n]), labels[n])
                lo = hi = text_of(q)
            except NumberError:
                lo = hi = "0"
                why.append(f"{labels[n]} = {fixed[n]} held fixed is not an exact rational")
            held.append(labels[n])
        else:
            lo, hi = outward_decimals(*_bounds(b, wp), part.digits + 4)
            if not _digits_ok(b, part.digits):
                why.append(f"the enclosure of {labels[n]} is wider than {part.digits} digits")
        rows.append((labels[n], lo, hi, b.str(part.digits + 5)))
    if not sol.unique:  # pragma: no cover - the solver raises instead
        why.append("the Krawczyk test did not prove uniqueness")
    status = "undecided" if why else "proved"
    S = None if sol.S is None or not sol.S.is_finite() else outward_decimals(*widened_bounds(sol.S, wp), 40)
    cert = FixedPointPart(part.key, status, part.mu_star, part.nu_star, part.omega, part.tau, bits=wp,
                          digits=part.digits, unique=bool(sol.unique), parameters=tuple(rows), fixed=tuple(held),
                          uniqueness="global" if sol.globally_unique else "box", spectral_norm=S)
    out = []
    for i, n in enumerate(free):
        out.append(PartResult(labels[n], status, _bounds(sol.balls[n], wp), cert if i == 0 else None,
                              detail="; ".join(why) or sol.balls[n].str(part.digits + 3), solution=sol))
    return out


def derived_enclosure(d: C.Derived, enclosures: dict):
    if d.op == "absmax":
        # max(|min q|, |max q|) from enclosures [a, b] of min q and of max q
        def abs_range(a, b):
            return (0.0 if a <= 0 <= b else min(abs(a), abs(b))), max(abs(a), abs(b))
        ranges = [abs_range(*enclosures[key]) for key, _ in d.terms]
        return (max(r[0] for r in ranges), max(r[1] for r in ranges))
    lo = hi = 0.0
    for key, coef in d.terms:
        a, b = enclosures[key]
        if coef > 0:
            lo, hi = lo + coef * a, hi + coef * b
        else:
            lo, hi = lo + coef * b, hi + coef * a
    # float sums: widen by one ulp each way so the interval stays an enclosure
    return (math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf))


def run_claim(claim: C.Claim, runner: Runner, bits: int = ball.DEFAULT_PREC, on_done=None,
              params: Params = None, max_boxes: int = 400_000) -> ClaimResult:
    params = params or claim.params
    t0 = time.perf_counter()
    # All extremum parts run together, so their subtrees share the workers.
    extrema = [p for p in claim.parts if isinstance(p, C.Extremum)]
    # an odd expression's min part is the mirror of its max part (``symmetry``)
    mirrors = symmetry.mirrored_parts(extrema, params.activation)
    own = [p for p in extrema if p.key not in mirrors]
    done = dict(zip((p.key for p in own),
                    drive([extremum_steps(p, params, bits, max_boxes) for p in own], runner, on_done)))
    for p in extrema:
        if p.key in mirrors:
            done[p.key] = mirrored_result(p, done[mirrors[p.key]])
    parts = []
    for part in claim.parts:
        if isinstance(part, C.Extremum):
            parts.append(done[part.key])
        elif isinstance(part, C.PointCheck):
            parts.append(run_point(part, params, bits))
        elif isinstance(part, C.FixedPoint):
            parts.extend(run_fixed_point(part, params, bits))
        else:  # pragma: no cover - registry and runner are edited together
            raise TypeError(f"unknown part {part!r}")
    enclosures = {p.key: p.enclosure for p in parts}
    for d in claim.derived:
        enclosures[d.key] = derived_enclosure(d, enclosures)
    statuses = {p.status for p in parts if p.required}
    status = "disproved" if "disproved" in statuses else ("undecided" if "undecided" in statuses else "proved")
    res = ClaimResult(claim, status, parts, enclosures, time.perf_counter() - t0, sum(p.boxes for p in parts))
    res.verdicts = paper_verdicts(claim, enclosures)
    return res
