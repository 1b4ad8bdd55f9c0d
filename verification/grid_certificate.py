"""Grid certificates (kind "grid"): what a grid bound rests on, and its replay.

A grid result is *proved* only when its certificate replays.  The certificate holds the
grid's definition (expression, sense, threshold, exact domain, per-axis step and reading,
cells, parameters), the error model of the kernels, the derivative bounds the mean-value
step relied on, and the numbers found (points, covering radii, grid extreme, slack, bound).

``replay`` trusts none of the numbers: it rebuilds the axes from the exact definition,
checks a recorded symmetry (``grid.symmetry``: one point of each orbit of the (mu, omega)
mirror/swap was swept, see ``grid_sweep.symmetries``) against the rebuilt float axes and
the expression, re-runs the sweep with the same kernels (``selu_theory.grid_kernels``), recomputes the
per-cell gradient enclosures in Arb when the method needs them, re-checks every global
derivative bound (against those enclosures, exactly; or through extremum parts replayed by
``verification.checker.check_extremum``, whose expressions must be a known factorisation of
the derivative), re-derives the bound and the status with exact rationals, and accepts the
file only if every recorded number equals the replayed one.  It imports the kernels, the
checker and the grid mechanics, never the box engine's search.

API:
    build(expr, sense, threshold, domain, params, reading, steps, cells, method, sweep, bound) -> dict
    replay(cert: dict, workers=1) -> (ok: bool, status: str, messages: list[str])
    write(cert, path), load(path): as ``verification.certificate`` (same sealing)

``method`` is ``{"mode": "per-cell"}`` or ``{"mode": "global", "widths": "covers" | "steps",
"derivatives": [one dict per axis]}``; an axis dict is ``{"axis": v, "M": "q",
"certified_by": "per-cell"}`` or ``{"axis": v, "M": "q", "certified_by": "extremum",
"coefficient": "c", "factors": [{"expr": e, "bound": "b", "parts": [max part, min part]}]}``
(then |d f/d v| <= c * prod |e_k| <= c * prod b_k <= M; each b_k is accepted when both
parts replay as proved and b_k >= the max part's enclosure end, -b_k <= the min part's).
"""
from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np

from selu_theory import ball, user_activation
from selu_theory import grid_kernels as gk
from selu_theory import mr_arith as mr
from selu_theory.kernel_loader import KernelsNotFound, generator_input_hash, spec_text
from selu_theory.numbers import NumberError, text_of
from selu_theory.numbers import parse as parse_number
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params
from selu_theory.user_activation import UserActivationError
from verification import certificate as cert_io
from verification import checker
from verification.domain import Domain, DomainError
from verification.grid_sweep import (MAX_AXIS_POINTS, MAX_CELLS, MAX_GRID_POINTS, READINGS, SYMMETRIES, VARS,
                                     GridError, axis_count, cell_boxes, cell_gradients, compile_expr, decide,
                                     make_axis, sweep, symmetries)

KIND = "grid"
CLAIM = "grid"


class GridRejected(Exception):
    """A grid certificate that does not replay (one line: why)."""


def error_model(activation: str = DEFAULT_ACTIVATION) -> dict:
    """The kernels' error-model constants and a hash of their Arb-proven tables: a
    certificate made with other kernels (or another activation's) is not replayed with
    these."""
    tables = hashlib.sha256()
    for arr in (mr.ERFCX_COEF, mr.ERFCX_ERR, mr.EXP_TAB, mr.EXP_COEF):
        tables.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
    return {"unit_roundoff": float(mr.U).hex(), "tiny": float(mr.TINY).hex(), "radius_factor": float(mr.C_INF).hex(),
            "lip_erfc": float(mr.LIP_ERFC).hex(), "lip_gauss": float(mr.LIP_GAUSS).hex(),
            "exp_max_arg": float(mr.EXP_MAX_ARG).hex(), "eps_exp": float(mr.EPS_EXP).hex(),
            "tables_sha256": tables.hexdigest(),
            # the generated midpoint-radius kernels: a certificate from other kernels is not replayed
            "kernels_input_sha256": generator_input_hash(activation)}


def derivative_forms(expr: str, var: str) -> set:
    """Accepted factorisations (coefficient, factor expressions) with
    |d expr / d var| = coefficient * prod |factor|: the identities the paper's grids use.
    Any other expression can only use per-cell certified bounds."""
    src = "".join(expr.split())
    if src == "S":
        return {(Fraction(1), (f"dS_d{var}",))}
    if src in ("mu_tilde**2", "mu_tilde*mu_tilde"):
        return {(Fraction(2), ("mu_tilde", f"dmu_d{var}")), (Fraction(1), (f"2*mu_tilde*dmu_d{var}",))}
    return set()


def statement(expr: str, sense: str, threshold, domain: Domain, bound: Fraction, params: Params = None) -> str:
    """What a grid certificate proves, derived from the verified fields (never trusted).
    Another activation than SELU is named with its parameters (SELU's text is unchanged)."""
    where = f"on {domain.describe()}"
    if params is not None and params.activation != DEFAULT_ACTIVATION:
        where += f" ({params.describe()})"
    if threshold is not None:
        return f"{expr} {'<' if sense == 'max' else '>'} {text_of(threshold)} {where}"
    return f"{sense} of {expr} {'<=' if sense == 'max' else '>='} {text_of(bound)} {where}"


def build(expr: str, sense: str, threshold, domain: Domain, params: Params, reading: str, steps: dict,
          cells, method: dict, sw, bound) -> dict:
    """The sealed certificate of one grid bound (``sw`` the sweep, ``bound`` the decisive
    ``grid_sweep.Bound``)."""
    th = None if threshold is None else Fraction(threshold)
    grid = {"expr": expr, "sense": sense, "threshold": None if th is None else text_of(th),
            "domain": domain.to_json(), "reading": reading,
            "steps": {v: (None if steps.get(v) is None else text_of(Fraction(steps[v]))) for v in VARS},
            "cells": [int(c) for c in sw.cells]}
    if sw.symmetry is not None:
        # one point of each orbit was swept (grid_sweep.symmetries); the replay re-checks
        # the axes before it accepts the reduction (absent: every point was swept)
        grid["symmetry"] = sw.symmetry
    result = {"points": sw.points, "axes": [a.n for a in sw.axes], "covers": [text_of(a.cover) for a in sw.axes],
              "grid_extreme": float(sw.max_upper if sense == "max" else sw.min_lower).hex(),
              "bad_points": sw.n_bad, "slack": text_of(bound.slack), "bound": text_of(bound.bound),
              "status": bound.status}
    body = {
        "format": cert_io.FORMAT, "kind": KIND, "claim": CLAIM,
        "statement": statement(expr, sense, th, domain, bound.bound, params),
        "params": params.labelled_specs(), "versions": cert_io.versions(),
        "grid": grid, "error_model": error_model(params.activation), "method": method, "result": result,
    }
    if params.activation != DEFAULT_ACTIVATION:
        # which kernels replay it (SELU's certificates carry no record: byte-identical to
        # those written before other activations had grid kernels)
        body["activation"] = cert_io.activation_record(params.activation, generator_input_hash(params.activation),
                                                       spec_text(params.activation) or "")
    return cert_io.seal(body)


write = cert_io.write


def load(path) -> dict:
    """A grid certificate's JSON object, read as strictly as every certificate."""
    obj = cert_io.read_json(cert_io.read_bytes(path), str(path))
    if obj.get("kind") != KIND:
        raise cert_io.CertificateError(f"{path} is not a grid certificate")
    return obj


# --------------------------------------------------------------------------------------
# replay


def _field(d, key, kind, where):
    if not isinstance(d, dict) or key not in d or not isinstance(d[key], kind):
        raise GridRejected(f"malformed grid certificate: {where}.{key}")
    return d[key]


def _number(x, what, **kw) -> Fraction:
    if not isinstance(x, str):
        raise GridRejected(f"malformed grid certificate: {what} is not a number string")
    try:
        return parse_number(x, what, **kw)
    except NumberError as exc:
        raise GridRejected(f"malformed grid certificate: {exc}") from None


def _domain(d) -> Domain:
    """A domain from its JSON, every end read by the number parser (a hostile exponent
    is refused by its spelling, not computed)."""
    try:
        ends = [d[v] for v in VARS]
        if not all(isinstance(e, list) and len(e) == 2 for e in ends):
            raise GridRejected("malformed grid certificate: domain")
        return Domain(tuple((_number(lo, f"{v} lower end"), _number(hi, f"{v} upper end")) for v, (lo, hi)
                            in zip(VARS, ends)))
    except (KeyError, TypeError) as exc:
        raise GridRejected(f"malformed grid certificate: domain: {exc}") from None
    except DomainError as exc:
        raise GridRejected(f"malformed grid certificate: domain: {exc}") from None


def _definition(cert, activation: str = DEFAULT_ACTIVATION):
    grid = _field(cert, "grid", dict, "certificate")
    expr = _field(grid, "expr", str, "grid")
    sense = grid.get("sense")
    if sense not in ("max", "min"):
        raise GridRejected("malformed grid certificate: sense must be max or min")
    th = grid.get("threshold")
    threshold = None if th is None else _number(th, "threshold")
    domain = _domain(_field(grid, "domain", dict, "grid"))
    reading = grid.get("reading")
    if reading not in READINGS:
        raise GridRejected("malformed grid certificate: unknown reading")
    steps_json = _field(grid, "steps", dict, "grid")
    cells = _field(grid, "cells", list, "grid")
    if len(cells) != 4 or not all(type(c) is int and c >= 1 for c in cells) or math.prod(cells) > MAX_CELLS:
        raise GridRejected("malformed grid certificate: cells")
    steps, axes = {}, []
    for v, (lo, hi) in zip(VARS, domain.bounds):
        s = steps_json.get(v)
        steps[v] = None if s is None else _number(s, f"step of {v}", positive=True)
        if lo != hi and steps[v] is None:
            raise GridRejected(f"malformed grid certificate: no step for {v}")
    # a hostile file must not make the replay sweep for days: count before building
    counts = [axis_count(lo, hi, steps[v], reading) for v, (lo, hi) in zip(VARS, domain.bounds)]
    if max(counts) > MAX_AXIS_POINTS or math.prod(counts) > MAX_GRID_POINTS:
        raise GridRejected("the grid is larger than any grid command makes")
    for v, (lo, hi) in zip(VARS, domain.bounds):
        try:
            axes.append(make_axis(v, lo, hi, steps[v], reading))
        except GridError as exc:
            raise GridRejected(f"grid cannot be rebuilt: {exc}") from None
    try:
        kind = compile_expr(expr, activation)[0]
    except GridError as exc:
        raise GridRejected(f"grid expression: {exc}") from None
    symmetry = _symmetry(grid, kind, axes)
    return expr, sense, threshold, domain, reading, steps, tuple(cells), tuple(axes), symmetry


def _symmetry(grid: dict, kind, axes):
    """The recorded symmetry (None: every point was swept), accepted only when the
    expression is invariant under it and the rebuilt float axes are exactly mirrored /
    equal (checked here, on the arrays; never taken from the file)."""
    if "symmetry" not in grid:
        return None
    sym = grid["symmetry"]
    if sym not in SYMMETRIES:
        raise GridRejected("malformed grid certificate: unknown symmetry")
    if sym not in symmetries(axes, kind):
        raise GridRejected(f"the grid claims the {sym} symmetry, which its axes or expression do not have "
                           f"(the mu/omega axes are not exactly mirrored/equal, or the expression is not invariant)")
    return sym


# Parts replayed (and proved) in this process, by a sha256 of their canonical JSON and the
# parameters: the grids of one paper-grid run share their derivative parts, and each part
# is re-checked once, not once per grid.  Only a replay that proved adds an entry.
_REPLAYED: set = set()


def _replayed_key(part: dict, params: Params) -> str:
    body = {"part": part, "params": params.labelled_specs(), "activation": params.activation,
            "bits": checker.CHECK_BITS}
    return hashlib.sha256(cert_io.canonical(body)).hexdigest()


def note_replayed(part: dict, params: Params) -> None:
    """Record that the checker of this process has replayed ``part`` (its JSON exactly as a
    grid certificate embeds it) as proved, at CHECK_BITS: a paper grid's derivative claim
    is accepted through ``certify`` (the checker replays its certificate, every part proved)
    right before the grid certificates that embed its parts are replayed, which then need
    not replay them a second time.  Only for a claim the checker accepted as proved."""
    _REPLAYED.add(_replayed_key(part, params))


def _replay_part(part: dict, expr: str, params: Params, workers: int, siblings=()):
    """The typed part after the checker replayed it as proved (GridRejected otherwise).
    ``siblings``: the other parts of the factor (each replayed here too), which a part
    proved as the mirror of another (``checker.check_mirrored``) refers to.  Such a part
    holds only if its partner does, which the caller replays after it: it is not cached
    here (its own replay is one point)."""
    try:
        typed = cert_io.part_from_json(part, f"part for |{expr}|")
        others = tuple(cert_io.part_from_json(p, f"part for |{expr}|") for p in siblings if p is not part)
    except cert_io.CertificateError as exc:
        raise GridRejected(f"malformed part for {expr}: {exc}") from None
    key = _replayed_key(part, params)
    if key in _REPLAYED:
        return typed
    try:
        with ball.precision(checker.CHECK_BITS):
            status, _ = checker.check_extremum(typed, params, workers=workers, siblings=others)
    except checker.Rejected as exc:
        raise GridRejected(f"part {part.get('key')!r} rejected by the checker: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise GridRejected(f"malformed part for {expr}: {exc}") from None
    if status != "proved":
        raise GridRejected(f"part {part.get('key')!r} replays as {status}")
    if typed.mirror is None or typed.mirror[0] != "odd":
        _REPLAYED.add(key)
    return typed


def _end(hex_text, what) -> Fraction:
    x = None if hex_text is None else float.fromhex(hex_text)
    if x is None or not math.isfinite(x):
        raise GridRejected(f"{what} has no finite enclosure")
    return Fraction(x)


def _factor_bound(factor: dict, params: Params, domain: Domain, workers: int) -> Fraction:
    """A certified b >= max |factor expr| on (a domain containing) the grid's domain: one
    max part and one min part of the expression, each replayed as proved by the checker
    (every leaf of its tree is then below its enclosure's end), with b >= the max part's
    upper end and -b <= the min part's lower end.  (A part proving a threshold has its
    end below the threshold, so the threshold itself is such a b.)"""
    expr = _field(factor, "expr", str, "factor")
    b = _number(factor.get("bound"), f"bound of |{expr}|", nonnegative=True)
    parts = _field(factor, "parts", list, "factor")
    senses = set()
    for part in parts:
        if not isinstance(part, dict) or part.get("kind") != "extremum" or part.get("expr") != expr:
            raise GridRejected(f"the parts for |{expr}| are not extremum parts of {expr}")
        pdom = _domain(part.get("domain"))
        if not all(plo <= lo and hi <= phi for (plo, phi), (lo, hi) in zip(pdom.bounds, domain.bounds)):
            raise GridRejected(f"the part for {expr} does not cover the grid's domain")
        typed = _replay_part(part, expr, params, workers, parts)
        if typed.sense == "max":
            end = _end(typed.enclosure[1], f"the max part of {expr}")
            if end > b:
                raise GridRejected(f"|{expr}| <= {text_of(b)} is below the certified max ({float(end):.10g})")
        else:
            end = _end(typed.enclosure[0], f"the min part of {expr}")
            if end < -b:
                raise GridRejected(f"|{expr}| <= {text_of(b)} is below minus the certified min ({float(end):.10g})")
        senses.add(typed.sense)
    if senses != {"max", "min"} or len(parts) != 2:
        raise GridRejected(f"|{expr}| needs one max part and one min part")
    return b


def _global_bounds(method, expr, params, domain, axes, cell_M, workers):
    """Per axis the certified M_i (axes of zero covering radius need none)."""
    entries = {}
    for d in _field(method, "derivatives", list, "method"):
        v = _field(d, "axis", str, "derivative")
        if v not in VARS or v in entries:
            raise GridRejected(f"malformed derivative bound for axis {v!r}")
        entries[v] = d
    M = []
    for i, (v, ax) in enumerate(zip(VARS, axes)):
        d = entries.get(v)
        if ax.cover == 0:
            M.append(Fraction(0) if d is None else _number(d.get("M"), f"M of {v}", nonnegative=True))
            continue
        if d is None:
            raise GridRejected(f"no derivative bound for {v}, whose covering radius is {text_of(ax.cover)} > 0")
        m = _number(d.get("M"), f"M of {v}", nonnegative=True)
        how = d.get("certified_by")
        if how == "per-cell":
            worst = Fraction(float(np.max(cell_M[:, i])))
            if not np.all(np.isfinite(cell_M[:, i])) or m < worst:
                raise GridRejected(f"the bound {text_of(m)} on |d/d{v}| is below the per-cell enclosures "
                                   f"(max {float(worst):.6g})")
        elif how == "extremum":
            coef = _number(d.get("coefficient"), f"coefficient of {v}", nonnegative=True)
            factors = _field(d, "factors", list, "derivative")
            form = (coef, tuple(f.get("expr") if isinstance(f, dict) else None for f in factors))
            if form not in derivative_forms(expr, v):
                raise GridRejected(f"{form[0]} * {' * '.join(map(str, form[1]))} is not a known form of "
                                   f"|d({expr})/d{v}|")
            prod = coef
            for f in factors:
                prod *= _factor_bound(f, params, domain, workers)
            if prod > m:
                raise GridRejected(f"the certified factors give {text_of(prod)} > M = {text_of(m)} for {v}")
        else:
            raise GridRejected(f"unknown certification {how!r} of the bound on |d/d{v}|")
        M.append(m)
    return tuple(M)


def _activation(cert) -> str:
    """The activation whose kernels replay the certificate: SELU without a record; else the
    record's id, whose kernels must be those the certificate was made with (a user
    activation's from its recorded spec text, which must hash to its id)."""
    if "activation" not in cert:
        return DEFAULT_ACTIVATION
    rec = cert["activation"]
    if not isinstance(rec, dict) or not set(rec) <= {"id", "kernels_input_sha256", "spec"} \
            or not isinstance(rec.get("id"), str) or not isinstance(rec.get("kernels_input_sha256"), str):
        raise GridRejected("malformed grid certificate: activation")
    act, spec = rec["id"], rec.get("spec")
    if act == DEFAULT_ACTIVATION:
        raise GridRejected("malformed grid certificate: SELU's grid certificates carry no activation record")
    if user_activation.is_user_id(act):
        if not isinstance(spec, str) or not spec:
            raise GridRejected(f"user activation {act} without its spec text: cannot be replayed")
        try:
            user_activation.ensure(spec, act)
            if generator_input_hash(act) != rec["kernels_input_sha256"] and not user_activation.fresh(act):
                user_activation.regenerate(spec, act)   # cached by another generator
        except UserActivationError as exc:
            raise GridRejected(f"user activation {act}: {exc}") from None
        except KernelsNotFound as exc:
            raise GridRejected(str(exc)) from None
    elif spec is not None:
        raise GridRejected(f"the built-in activation {act!r} carries a spec text")
    try:
        kernels = generator_input_hash(act)
    except KernelsNotFound:
        raise GridRejected(f"unknown activation {act!r}") from None
    if rec["kernels_input_sha256"] != kernels:
        raise GridRejected(f"made with other kernels for {act!r} (generator input "
                           f"{rec['kernels_input_sha256'][:12]}..., these are {kernels[:12]}...)")
    return act


def _compare(recorded: dict, replayed: dict):
    for key, value in replayed.items():
        if recorded.get(key) != value:
            raise GridRejected(f"recorded {key} {recorded.get(key)!r} differs from the replay's {value!r}")


def replay(cert: dict, workers: int = 1):
    """Re-run a grid certificate: (ok, status, messages).  ``ok`` is True only when every
    recorded number equals the replayed one; ``status`` is the replayed status (proved,
    disproved or undecided)."""
    try:
        if not isinstance(cert, dict) or cert.get("format") != cert_io.FORMAT or cert.get("kind") != KIND:
            raise GridRejected("not a grid certificate")
        if not cert_io.verify_seal(cert):
            raise GridRejected("sha256 does not match the contents (altered certificate)")
        activation = _activation(cert)
        try:
            params = Params.from_labels(activation, _field(cert, "params", dict, "certificate"))
        except (KeyError, TypeError, ParamError) as exc:
            raise GridRejected(f"bad parameters: {exc}") from None
        try:
            gk.require_activation(activation)
        except gk.GridUnavailable as exc:
            raise GridRejected(str(exc)) from None
        if cert.get("error_model") != error_model(activation):
            raise GridRejected("the certificate's error model differs from these kernels'")
        expr, sense, threshold, domain, reading, steps, cells, axes, symmetry = _definition(cert, activation)
        method = _field(cert, "method", dict, "certificate")
        mode = method.get("mode")
        if mode not in ("per-cell", "global"):
            raise GridRejected(f"unknown grid method {mode!r}")
        sw = sweep(axes, expr, params, cells=cells, symmetry=symmetry)
        if tuple(sw.cells) != cells:
            raise GridRejected("the recorded cells cannot be built on this grid")
        res = _field(cert, "result", dict, "certificate")
        _compare(res, {"points": sw.points, "axes": [a.n for a in axes], "covers": [text_of(a.cover) for a in axes],
                       "grid_extreme": float(sw.max_upper if sense == "max" else sw.min_lower).hex(),
                       "bad_points": sw.n_bad})   # before the costly gradients: a changed grid fails fast
        need_cells = mode == "per-cell" or any(
            isinstance(d, dict) and d.get("certified_by") == "per-cell" for d in method.get("derivatives") or [])
        cell_M = cell_gradients(expr, params, cell_boxes(sw), workers, skip=sw.empty_cells) if need_cells else None
        if mode == "per-cell":
            bound = decide(sw, sense, threshold, "per-cell", cell_M=cell_M)
        else:
            M = _global_bounds(method, expr, params, domain, axes, cell_M, workers)
            w = method.get("widths")
            if w == "covers":
                widths = [a.cover for a in axes]
            elif w == "steps":
                widths = [a.cover if s is None else max(s, a.cover) for a, s in zip(axes, (steps[v] for v in VARS))]
            else:
                raise GridRejected("unknown slack widths")
            bound = decide(sw, sense, threshold, "global", M, widths)
        _compare(res, {"slack": text_of(bound.slack), "bound": text_of(bound.bound), "status": bound.status})
        if set(res) != {"points", "axes", "covers", "grid_extreme", "bad_points", "slack", "bound", "status"}:
            raise GridRejected("unexpected fields in the grid result")
        stmt = statement(expr, sense, threshold, domain, bound.bound, params)
        if cert.get("statement") != stmt:
            raise GridRejected("the statement does not match what the grid proves")
        named = "" if activation != DEFAULT_ACTIVATION else f" ({params.describe()})"   # else in stmt
        msgs = [f"{stmt}{named}: {bound.status}",
                f"{sw.points:,} grid points, reading {reading}, {mode} derivative bounds, "
                f"bound {float(bound.bound):.12g}"]
        if bound.reason:
            msgs.append(bound.reason)
        return True, bound.status, msgs
    except GridRejected as exc:
        return False, "undecided", [str(exc)]
