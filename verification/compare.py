"""Which activations self-normalize?  One certified row per activation, computed like the atlas.

For every activation (a built-in id, or the user's own spec, registered through
``selu_theory.user_activation``) and the target fixed point
(mu*, nu*) = (0, 1) under the paper's weights omega = 0, tau = 1, one row of

* the parameters that make (0, 1) a fixed point (Krawczyk in Arb; "unreachable" with the
  solver's one-line reason when the activation cannot hit the target, e.g. one-parameter
  elu), and a certificate that the parameters used below (exact decimals inside the
  Krawczyk balls) map (0, 1) to itself within 1e-15 and give the spectral norm S of the
  Jacobian there (S < 1: stable, the paper's contraction criterion); the Krawczyk proof
  itself is a FixedPoint part of that certificate, replayed by the checker;
* Theorem 1's largest certified domains around the fixed point: the paper's Omega, centred
  and scaled (``scaled_claims``), blown up by the largest certified factor s, and the
  widest certified nu-range with the other ranges at Omega's (``domain_search``, with a
  coarse grid so the whole table runs in minutes);
* Theorems 2 and 3 around it: the certified extremum of nu~ - nu on the centred and scaled
  Omega+ (Theorem 2: max < 0) and on the two Theorem 3 domains (min > 0), each enclosed to
  ``tol`` (``scaled_claims.thm2_parts``, ``thm3_parts``), and whether the theorem holds.

Every number reported as certified comes from a certificate written under the output
folder by ``certify`` and replayed by the independent checker (one acceptance rule).

Execution, as in ``atlas``: one task per (activation, part), a pure function of its
inputs and the configuration; a row's params task runs first and hands its certified
parameters to the row's Theorem tasks (one solve per row); ``mode="dask"`` submits them to a Dask cluster (a local
one of single-threaded worker processes by default), ``mode="inprocess"`` runs them here.
Each finished task is appended to ``compare.jsonl`` (flushed, fsynced); a rerun with the
same configuration skips the tasks already there whose certificates still replay.
Certificates are written by the workers under ``out``: a remote scheduler needs ``out``
on a filesystem the workers share.
"""
from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import math
import pathlib
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction

from selu_theory import fixed_point as FP
from selu_theory import kernel_loader, user_activation
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params, activation_parameters, registered_activations
from selu_theory.user_cache import UserActivationError
from verification import atlas as A
from verification import checker
from verification import claims as C
from verification import domain_search as DS
from verification import scaled_claims as SC
from verification.certify import certify_claim
from verification.domain import VARS, Domain
from verification.engine import Runner

F = Fraction

# The built-in family, in the order of the table (those with generated kernels are used).
BUILTINS = ("selu", "serlu", "celu", "relu", "elu")
TARGET = ("0", "1", "0", "1")  # (mu*, nu*, omega, tau)
PARTS = ("params", "thm1-scale", "thm1-nu", "thm2", "thm3a", "thm3b")
RESULTS_FILE = "compare.jsonl"
FIXED_POINT_EPS = "1e-15"  # |mu~ - mu*|, |nu~ - nu*| at the rounded parameters, certified below this
PARAM_DIGITS = 32  # digits of the exact decimals used for the theorems
# A coarse grid (steps 0.1 of Omega's scale and of nu*) and a modest box budget per
# decision: the five built-ins in a few minutes on two cores.
DEFAULT_CONFIG = {"resolution": "10", "max_boxes": 24_000, "tol": "0.01", "variance_max_boxes": 200_000}
VARIANCE_SHAPES = {"thm2": SC.OMEGA_PLUS_SHAPE, "thm3a": SC.THM3A_SHAPE, "thm3b": SC.THM3B_SHAPE}
_LOCK = threading.Lock()


class CompareInputError(ValueError):
    """Invalid input to the comparison (the CLI reports it on one line, exit 2)."""


# --------------------------------------------------------------------------- activations and configuration

def _has_kernels(activation: str) -> bool:
    try:
        kernel_loader.activation_info(activation)
    except kernel_loader.KernelsNotFound:
        return False
    return True


def known_activations() -> tuple:
    """Activation ids generated into the package: the built-ins first, in table order."""
    found = registered_activations()
    order = [a for a in BUILTINS if a in found] + [a for a in found if a not in BUILTINS]
    return tuple(a for a in order if _has_kernels(a))


def parse_activations(spec=None) -> tuple:
    """'selu,serlu' (or a list) -> ids, in the order given, without repeats; None or ''
    -> every known activation.  An item with a ':' is the user's own activation in the
    grammar of ``selu_theory.activation_grammar`` (it has no commas), registered (its
    kernels generated into the user cache on first use).  CompareInputError, one line,
    naming the known ones."""
    known = known_activations()
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return known
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    items = [s for s in items if s]
    if not items:
        return known
    ids = []
    for s in items:
        if ":" in s:
            try:
                ids.append(user_activation.resolve(s))
            except UserActivationError as exc:
                raise CompareInputError(f"activation {s[:40]!r}: {exc}") from None
        elif s in known or (user_activation.is_user_id(s) and _has_kernels(s)):  # a registered user id
            ids.append(s)
        else:
            shown = s if len(s) <= 40 else s[:37] + "..."
            raise CompareInputError(f"unknown activation {shown!r}; known: {', '.join(known)} "
                                    f"(or your own, e.g. 'x>=0: lam*x; x<0: lam*alpha*x*exp(x)')")
    return tuple(dict.fromkeys(ids))


def label(activation: str) -> str:
    """The activation's name in the table's first column (10 characters)."""
    return activation if len(activation) <= 10 else activation[:9] + "~"


def config_with(**over) -> dict:
    """The default configuration with ``over`` (None values ignored), validated."""
    cfg = dict(DEFAULT_CONFIG)
    cfg.update({k: v for k, v in over.items() if v is not None})
    for k in ("resolution", "tol"):
        cfg[k] = str(cfg[k])
        try:
            q = F(cfg[k])
        except (ValueError, ZeroDivisionError):
            raise CompareInputError(f"{k} must be a number; got {cfg[k]!r}") from None
        if not (0 < q <= 100):
            raise CompareInputError(f"{k} must be in (0, 100]; got {cfg[k]}")
    for k in ("max_boxes", "variance_max_boxes"):
        try:
            cfg[k] = int(cfg[k])
        except (TypeError, ValueError):
            raise CompareInputError(f"{k} must be a whole number; got {cfg[k]!r}") from None
        if not 1 <= cfg[k] <= 10_000_000:
            raise CompareInputError(f"{k} must be between 1 and 10000000; got {cfg[k]}")
    return cfg


def config_hash(cfg: dict) -> str:
    return hashlib.sha256(json.dumps({"target": TARGET, **cfg}, sort_keys=True).encode()).hexdigest()[:12]


def task_key(activation: str, part: str, cfg: dict, given: dict = None) -> str:
    """The store key: a Theorem task's key also names the parameters it was given."""
    key = f"{activation}|{part}|{config_hash(cfg)}"
    if given is not None:
        key += "|" + hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()[:12]
    return key


# --------------------------------------------------------------------------- solving for the parameters

class Unsolved(Exception):
    """No certified parameters for the target: ``kind`` is "unreachable" or "no solution"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class Solved:
    """Certified parameters for the target and what the theorems use."""

    params: Params  # exact decimals inside the certified balls (or SELU's named constants)
    balls: dict  # parameter name -> arb holding the exact root
    unique: bool
    globally_unique: bool
    S: object  # arb: the spectral norm at the fixed point for the exact root
    stable: object  # True | False | None


def _labels(activation: str) -> dict:
    return {p.name: p.label for p in activation_parameters(activation).parameters}


def solve(activation: str, mu="0", nu="1", omega="0", tau="1", bits: int = 256) -> Solved:
    """The activation's certified parameters for the fixed point (mu, nu) (the generic
    solver ``fixed_point.solve_parameters``), or Unsolved with its one-line reason."""
    try:
        r = FP.solve_parameters(activation, mu, nu, omega, tau, bits=bits)
    except FP.Unreachable as exc:
        raise Unsolved("unreachable", str(exc)) from None
    except FP.FixedPointError as exc:
        raise Unsolved("no solution", str(exc)) from None
    return Solved(r.params, dict(r.balls), bool(r.unique), bool(r.globally_unique), r.S, r.stable)


def _locate_default(activation: str) -> dict:
    """Where the fixed point is at the activation's default parameters (Krawczyk), for a
    row whose target is unreachable; {"params", "error"} if it cannot be located."""
    try:
        p = Params(activation=activation)
        lf = SC.locate_fixed_point(p)
    except (SC.NoFixedPoint, ParamError, SC.DesignInputError, ValueError, ArithmeticError) as exc:
        return {"params": Params(activation=activation).labelled_specs(), "error": str(exc)}
    return {"params": p.labelled_specs(), "mu": lf.mu.str(10), "nu": lf.nu.str(10),
            "mu_float": lf.mu_float, "nu_float": lf.nu_float,
            "S": lf.spectral_norm.str(10), "S_float": float(lf.spectral_norm.mid()), "stable": lf.stable}


def centre() -> SC.Centre:
    return SC.Centre(*(F(x) for x in TARGET))


def _ball_json(x, digits: int = 20) -> dict:
    return {"text": x.str(digits), "float": float(x.mid())}


def _cid(kind: str, activation: str) -> str:
    return f"compare-{kind}@activation={activation},{centre().tag()}"


def _cert_json(done, path) -> dict:
    return {"id": done.certificate.claim, "path": None if path is None else str(path),
            "status": done.status, "checker": bool(done.check.ok), "reason": done.reason}


# --------------------------------------------------------------------------- the tasks

def given_of(params_result: dict):
    """What a Theorem task takes from its row's params task: {"params": {name: spec},
    "stable": certified S < 1 at the fixed point}; None when no parameters were certified."""
    if params_result.get("status") != "solved" or not params_result.get("fixed_point_certified"):
        return None
    return {"params": params_result["used_names"], "stable": params_result["stable"]}


def compare_task(activation: str, part: str, cfg: dict, out_dir, given: dict = None) -> dict:
    """One part of one row (module doc): a pure function of its arguments, which writes
    its certificates under ``out_dir/<activation>/certificates``.  A Theorem part uses
    the parameters ``given`` (``given_of`` the params task's result), or solves for
    them.  JSON-ready; ``seconds`` is the only field that varies between runs.  An
    unexpected error is reported as the row's status, never raised (one activation must
    not stop the table)."""
    with _LOCK:  # python-flint: precision is process-global and it is not thread-safe
        t0 = time.perf_counter()
        try:
            out = _task(activation, part, cfg, pathlib.Path(out_dir) / activation, given)
        except Exception as exc:  # noqa: BLE001 - reported in the table, with its type
            out = {"status": "error", "message": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
        out.update(activation=activation, part=part)
        # paths relative to out_dir: a moved or copied output folder still resumes
        out["certificates"] = [{**c, "path": _relative(c.get("path"), out_dir)} for c in out.get("certificates", [])]
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out


def _relative(path, out_dir):
    if not path:
        return None
    p, base = pathlib.Path(path).resolve(), pathlib.Path(out_dir).resolve()
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        return str(p)


def _task(activation: str, part: str, cfg: dict, out: pathlib.Path, given: dict = None) -> dict:
    if part not in PARTS:
        raise CompareInputError(f"unknown part {part!r}")
    if given is not None and part != "params":
        sol = Solved(Params(activation=activation, **given["params"]), {}, False, False, None, given["stable"])
        return _thm1_part(activation, part, sol, cfg, out) if part.startswith("thm1") else \
            _variance_part(activation, part, sol, cfg, out)
    try:
        sol = solve(activation, *TARGET)
    except Unsolved as exc:
        res = {"status": exc.kind, "message": str(exc)}
        if part == "params":
            res["default_fixed_point"] = _locate_default(activation)
        return res
    if part == "params":
        return _params_part(activation, sol, out)
    if part.startswith("thm1"):
        return _thm1_part(activation, part, sol, cfg, out)
    return _variance_part(activation, part, sol, cfg, out)


def _params_part(activation: str, sol: Solved, out: pathlib.Path) -> dict:
    c = centre()
    pt = c.point()
    eps = FIXED_POINT_EPS
    parts = []
    # the Krawczyk proof of the exact parameters, replayed by the checker for every
    # activation (SELU's part keeps its key and encoding)
    labels = _labels(activation)
    key = "alpha,lambda" if activation == DEFAULT_ACTIVATION else ",".join(labels.values())
    parts.append(C.FixedPoint(key, *TARGET, digits=30))
    # ... and the decimals used below (inside those enclosures) map (0, 1) to itself within eps
    parts += [C.PointCheck("mu_tilde.lo", f"mu_tilde - {TARGET[0]}", pt, ">", "-" + eps),
              C.PointCheck("mu_tilde.hi", f"mu_tilde - {TARGET[0]}", pt, "<", eps),
              C.PointCheck("nu_tilde.lo", f"nu_tilde - {TARGET[1]}", pt, ">", "-" + eps),
              C.PointCheck("nu_tilde.hi", f"nu_tilde - {TARGET[1]}", pt, "<", eps),
              C.PointCheck("S", "S", pt, "<", "1")]
    claim = C.Claim(id=_cid("params", activation), title=f"{activation}: parameters for the fixed point (0, 1)",
                    statement=f"{activation} with {sol.params.describe()} maps (mu, nu) = (0, 1) to itself "
                              f"within {eps}; S < 1 there", reference="selu-verify compare",
                    parts=tuple(parts), params=sol.params, group="compare")
    path = out / "certificates" / "params.json"
    with Runner(1) as runner:
        res, done = certify_claim(claim, runner, path)
    by_key = {p.key: p for p in res.parts}
    krawczyk = [p for p in res.parts if p.record is not None and p.record.kind == "fixed-point"]
    fp_ok = all(by_key[k].status == "proved" for k in ("mu_tilde.lo", "mu_tilde.hi", "nu_tilde.lo", "nu_tilde.hi")) \
        and bool(krawczyk) and all(p.status == "proved" for p in krawczyk)
    s_part = by_key["S"]
    accepted = done.status != "undecided" or done.prover_status == "undecided"
    stable = {"proved": True, "disproved": False}.get(s_part.status) if accepted else None
    return {
        "status": "solved",
        "parameters": {labels.get(k, k): _ball_json(v) for k, v in sol.balls.items()},
        "used": sol.params.labelled_specs(),
        "used_names": dict(sol.params.specs),
        "unique": sol.unique, "globally_unique": sol.globally_unique,
        "krawczyk_S": _ball_json(sol.S, 12),
        "fixed_point_certified": bool(fp_ok and accepted),
        "S": [s_part.enclosure[0], s_part.enclosure[1]],
        "stable": stable,
        "claim_status": done.status,
        "certificates": [_cert_json(done, path)],
    }


def _thm1_part(activation: str, part: str, sol: Solved, cfg: dict, out: pathlib.Path) -> dict:
    if sol.stable is not True:
        return {"status": "unstable", "message": "S >= 1 at the fixed point: no domain containing it is a "
                                                 "contraction (Theorem 1 cannot hold)"}
    c = centre()
    with Runner(1) as runner:
        res = DS.search(sol.params, c, runner, variables=("nu",) if part == "thm1-nu" else (),
                        scale=part == "thm1-scale", thm2=False, thm3=False, resolution=float(F(cfg["resolution"])),
                        max_boxes=int(cfg["max_boxes"]), certify=True, out=out)
    certified = [x for x in res.certified if x.name == part]
    base = {"steps": {k: SC.dec(v) for k, v in res.steps.items() if k in ("thm1.scale", "thm1.nu")},
            "decisions": res.decisions, "boxes": res.boxes}
    if not certified:
        axes = [res.scale] if part == "thm1-scale" else [a for v in res.variables for a in (v.lo, v.hi)]
        bad = next((a.bad for a in axes if a is not None and a.bad is not None and not a.bad.proved), None)
        why = "" if bad is None else f" (the smallest one tried: {bad.describe()})"
        return {"status": "none", "message": f"no domain of this family certified{why}",
                "failed": None if bad is None else bad.failed, **base}
    x = certified[0]
    one_step = [{"axis": a, "status": d.status, "failed": d.failed} for a, _, d in x.enlarged]
    r = {"status": x.status, "domain": x.domain.to_json(), "checker": x.checker_ok,
         "one_step_larger": one_step, "maximal": all(o["status"] != "proved" for o in one_step),
         "enclosures": {k: [_num(a), _num(b)] for k, (a, b) in x.enclosures.items()},
         "certificates": [{"id": DS.domain_claim(x.name, "thm1", x.domain, sol.params, c).id,
                           "path": x.certificate or None, "status": x.status, "checker": x.checker_ok,
                           "reason": ""}], **base}
    if part == "thm1-scale":
        r["scale"] = SC.dec(res.scale.scale(res.scale.good_k))
    else:
        lo, hi = x.domain.bounds[VARS.index("nu")]
        r["nu"] = [SC.dec(lo), SC.dec(hi)]
    return r


def _num(x):
    if isinstance(x, Fraction):
        return float(x)
    return x if math.isfinite(x) else str(x)


def _variance_part(activation: str, part: str, sol: Solved, cfg: dict, out: pathlib.Path) -> dict:
    c = centre()
    domain = VARIANCE_SHAPES[part].domain(c)
    tol = float(F(cfg["tol"]))
    parts = SC.thm2_parts(domain, tol) if part == "thm2" else SC.thm3_parts(domain, tol)
    what = "nu~ < nu" if part == "thm2" else "nu~ > nu"
    claim = C.Claim(id=_cid(part, activation), title=f"{activation}: {part} around (0, 1)",
                    statement=f"{what} on {SC.describe(domain)}", reference="selu-verify compare",
                    parts=parts, params=sol.params, group="compare")
    path = out / "certificates" / f"{part}.json"
    with Runner(1) as runner:
        res, done = certify_claim(claim, runner, path, max_boxes=int(cfg["variance_max_boxes"]))
    p = res.parts[0]
    holds = {"proved": True, "disproved": False}.get(done.status)
    lo, hi = p.enclosure
    return {"status": done.status, "holds": holds, "sense": parts[0].sense, "expr": parts[0].expr,
            "domain": domain.to_json(), "enclosure": [_num(lo), _num(hi)],
            "counterexample": res.counterexample, "boxes": res.boxes,
            "certificates": [_cert_json(done, path)]}


def comparable(result: dict) -> dict:
    """A result without its timing and paths (what must agree between runs and executors)."""
    out = {k: v for k, v in result.items() if k != "seconds"}
    out["certificates"] = [{k: v for k, v in x.items() if k != "path"} for x in result.get("certificates", [])]
    return out


# --------------------------------------------------------------------------- the store

def load(path) -> dict:
    """key -> result of every complete line (a torn last line from a crash is ignored)."""
    return A.load(path)


def replays(result: dict, out_dir) -> bool:
    """Every certificate the result names is on disk (paths relative to ``out_dir``),
    accepted by the checker, and replays to the recorded status."""
    for c in result.get("certificates", []):
        if not c.get("path"):
            return False
        p = pathlib.Path(out_dir) / c["path"]
        if not p.is_file():
            return False
        try:
            chk = checker.check(p.read_bytes())
        except Exception:  # noqa: BLE001 - any failure to replay means: compute again
            return False
        if not chk.ok or (c.get("status") != "undecided" and chk.status != c.get("status")):
            return False
    return True


# --------------------------------------------------------------------------- running

@dataclass
class Comparison:
    """The comparison table: ``rows()`` (one dict per activation), ``table()`` (80
    columns), ``markdown()``, ``plot(path)``, ``to_dict()``; ``results`` holds each task's
    result keyed by (activation, part)."""

    activations: tuple
    config: dict
    out: pathlib.Path = None
    parts: tuple = PARTS  # the parts computed (the others show as "—")
    results: dict = field(default_factory=dict)
    computed: list = field(default_factory=list)  # (activation, part) computed in this run
    reused: list = field(default_factory=list)  # read back from the store (certificates replayed)
    seconds: float = 0.0
    mode: str = ""
    workers: int = 0

    # ---- reading
    def row(self, activation: str) -> dict:
        r = {"activation": activation}
        info = _info(activation)
        r.update(name=info.get("ACTIVATION_NAME", activation), formula=info.get("FORMULA", ""),
                 spec=user_activation.spec_text(activation) if user_activation.is_user_id(activation) else None)
        for part in PARTS:
            r[part.replace("-", "_")] = self.results.get((activation, part))
        return r

    def rows(self) -> list:
        return [self.row(a) for a in self.activations]

    def certificates(self) -> list:
        """Every certificate written for the table: {id, path, status, checker, reason}
        (paths joined to ``out``)."""
        out = []
        for a in self.activations:
            for p in PARTS:
                for c in (self.results.get((a, p)) or {}).get("certificates", []):
                    path = c.get("path")
                    out.append({**c, "path": None if not path or self.out is None else str(self.out / path)})
        return out

    @property
    def complete(self) -> bool:
        return all((a, p) in self.results for a in self.activations for p in self.parts)

    def to_dict(self) -> dict:
        return {"target": dict(zip(("mu_star", "nu_star", "omega", "tau"), TARGET)), "config": self.config,
                "activations": list(self.activations), "rows": self.rows(), "certificates": self.certificates(),
                "computed": len(self.computed), "reused": len(self.reused), "seconds": round(self.seconds, 3),
                "mode": self.mode, "workers": self.workers, "out": None if self.out is None else str(self.out)}

    def table(self, width: int = 80) -> str:
        return format_table(self, width)

    def markdown(self) -> str:
        return table_markdown(self)

    def plot(self, path):
        return plot(self, path)

    def __repr__(self):
        cells = []
        for row in self.rows():
            p = row["params"] or {}
            st = p.get("stable")
            cells.append(f"{row['activation']}: " + (
                "S {:.4f} {}".format(p["S"][1], "stable" if st else "unstable" if st is False else "?")
                if p.get("status") == "solved" else (p.get("status") or "pending")))
        return f"<Comparison at (0, 1): {'; '.join(cells)}>"

    def _repr_html_(self):
        return table_html(self)


def _info(activation: str) -> dict:
    try:
        return kernel_loader.activation_info(activation)
    except kernel_loader.KernelsNotFound:
        return {}


def parse_parts(spec=None) -> tuple:
    """'params,thm2' (or a list) -> parts in table order; None -> all (CompareInputError)."""
    if spec is None:
        return PARTS
    items = {s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()}
    bad = sorted(items - set(PARTS))
    if bad or not items:
        raise CompareInputError(f"unknown part {bad[0] if bad else ''!r}; parts: {', '.join(PARTS)}")
    return tuple(p for p in PARTS if p in items)


def run(activations, out_dir, cfg: dict = None, mode: str = "inprocess", scheduler: str = None,
        n_workers: int = 2, on_result=None, connect_timeout: float = 10.0, parts=None) -> Comparison:
    """Compute the table for ``activations`` (ids; see ``parse_activations``), saving each
    task's result under ``out_dir`` as it arrives and skipping the tasks an earlier run
    finished whose certificates replay.  ``on_result(activation, part, result, reused)``
    is called for each result (progress; raising from it interrupts the run, with
    everything finished so far kept)."""
    activations = parse_activations(list(activations) if not isinstance(activations, str) else activations)
    cfg = config_with(**(cfg or {}))
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = out_dir / RESULTS_FILE
    done = load(store)
    parts = parse_parts(parts)
    cmp_ = Comparison(activations, cfg, out_dir, parts, mode=mode)
    t0 = time.perf_counter()
    torn = store.exists() and store.stat().st_size > 0 and not store.read_bytes().endswith(b"\n")
    with open(store, "a") as fh:
        if torn:  # a crash in mid-write left a partial line: end it, so the next record starts clean
            fh.write("\n")

        def save(task, given, r):
            A.append(fh, task_key(*task, cfg, given), r)
            cmp_.results[task] = r
            cmp_.computed.append(task)
            if on_result:
                on_result(*task, r, False)

        def reuse(task, given) -> bool:
            r = done.get(task_key(*task, cfg, given))
            if r is None or not replays(r, out_dir):
                return False
            cmp_.results[task] = r
            cmp_.reused.append(task)
            if on_result:
                on_result(*task, r, True)
            return True

        def followers(activation: str) -> list:
            """The Theorem tasks of a row whose params task is done: (task, given) to compute."""
            if "params" in parts:
                pr = cmp_.results.get((activation, "params"), {})
            else:  # the parameters come from a params task run earlier, or are solved per task
                pr = next((r for k, r in done.items() if k.startswith(f"{activation}|params|{config_hash(cfg)}")), {})
            given = given_of(pr) if pr else None
            todo = []
            for p in parts:
                if p == "params":
                    continue
                if pr and given is None:  # no certified parameters: nothing to prove around them
                    cmp_.results[(activation, p)] = {"status": "skipped", "activation": activation, "part": p,
                                                     "message": "no certified parameters for (0, 1)",
                                                     "certificates": []}
                elif not reuse((activation, p), given):
                    todo.append(((activation, p), given))
            return todo

        heads = [a for a in activations if "params" in parts and not reuse((a, "params"), None)]
        ready = [t for a in activations if a not in heads for t in followers(a)]
        if not heads and not ready:
            pass
        elif mode == "inprocess":
            cmp_.workers = 1
            for a in heads:
                save((a, "params"), None, compare_task(a, "params", cfg, str(out_dir)))
                ready += followers(a)
            for task, given in sorted(ready, key=lambda t: -_COST[t[0][1]]):
                save(task, given, compare_task(*task, cfg, str(out_dir), given))
        elif mode == "dask":
            _run_dask(heads, ready, followers, cfg, str(out_dir), save, scheduler, n_workers, connect_timeout, cmp_)
        else:
            raise CompareInputError(f"unknown mode {mode!r} (dask or inprocess)")
    cmp_.seconds = time.perf_counter() - t0
    return cmp_


# Scheduling priority only (no effect on results): the domain searches are the slow tasks.
_COST = {"thm1-scale": 3, "thm1-nu": 3, "thm2": 3, "thm3a": 2, "thm3b": 2, "params": 0}


def _run_dask(heads, ready, followers, cfg, out_dir, save, scheduler, n_workers, connect_timeout, cmp_):
    """The params tasks first; each row's Theorem tasks are submitted as its params task
    finishes (they are given its certified parameters)."""
    from distributed import Client, as_completed  # optional and slow to import: only in Dask mode

    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout=connect_timeout))
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise CompareInputError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
        else:
            # CRITICAL: a worker's heartbeat racing the scheduler's shutdown logs an ERROR
            # with a traceback, which is noise at the end of a finished table
            cluster = stack.enter_context(A.local_cluster(n_workers, silence_logs=logging.CRITICAL))
            client = stack.enter_context(Client(cluster))
        cmp_.workers = len(client.scheduler_info().get("workers", {}))
        futures = {}

        def submit(task, given):
            f = client.submit(compare_task, *task, cfg, out_dir, given, key=f"compare-{task_key(*task, cfg, given)}",
                              pure=False, priority=_COST[task[1]])
            futures[f] = (task, given)
            return f

        pending = as_completed([submit((a, "params"), None) for a in heads] +
                               [submit(t, g) for t, g in ready])
        try:
            for fut in pending:
                task, given = futures[fut]
                save(task, given, fut.result())
                if task[1] == "params":
                    for t, g in followers(task[0]):
                        pending.add(submit(t, g))
        finally:
            client.cancel([f for f in futures if not f.done()])


# --------------------------------------------------------------------------- text

def _params_text(p: dict) -> str:
    if not p:
        return "—"
    if p.get("status") != "solved":
        return p.get("status", "?")
    return " ".join(f"{k}={v['float']:.10g}" for k, v in p["parameters"].items())


def _stable_text(p: dict) -> str:
    return {True: "yes", False: "no"}.get((p or {}).get("stable"), "?")


def _s_text(p: dict) -> str:
    if not p or p.get("status") != "solved":
        return "—"
    lo, hi = p["S"]
    return f"{hi:.8f}" if p.get("stable") else f"{lo:.8f}"


def _thm1_text(r: dict, key: str) -> str:
    if not r:
        return "—"
    if r.get("status") == "proved":
        return r["scale"] if key == "scale" else f"[{r['nu'][0]}, {r['nu'][1]}]"
    return {"unstable": "no (S>1)", "none": "none"}.get(r.get("status"), r.get("status", "?"))


def _var_text(r: dict) -> str:
    """The certified bound that decides the theorem: max's upper end, min's lower end."""
    if not r:
        return "—"
    if r.get("status") in ("proved", "disproved"):
        if r.get("counterexample"):  # the certified value at a point where the theorem fails
            return f"{float(r['counterexample'].get('value_text') or 'nan'):+.4f} no"
        lo, hi = r["enclosure"]
        v = hi if r["sense"] == "max" else lo
        return f"{v:+.4f} {'yes' if r['holds'] else 'no'}"
    return r.get("status", "?")


def format_table(cmp_: Comparison, width: int = 80) -> str:
    lines = ["Which activations self-normalize?  Target fixed point (mu*, nu*) = (0, 1),",
             "omega = 0, tau = 1.  Every S, domain and theorem bound is certified: its",
             "certificate is written under the output folder and replayed by the",
             "independent checker.", ""]
    lines.append(f"{'activation':10} {'parameters for (0, 1) (Krawczyk)':43} {'S at (0, 1)':11} {'stable':6}")
    notes = [f"{row['activation']}: your activation {row['spec']}" for row in cmp_.rows() if row.get("spec")]
    for row in cmp_.rows():
        p = row["params"] or {}
        lines.append(f"{label(row['activation']):10} {_params_text(p)[:43]:43} {_s_text(p):11} "
                     f"{_stable_text(p) if p.get('status') == 'solved' else '—':6}")
        if p.get("status") not in (None, "solved"):
            notes.append(f"{row['activation']}: {p.get('message', '')}")
            d = p.get("default_fixed_point")
            if d and d.get("error"):
                notes.append(f"{row['activation']} at {', '.join(f'{k}={v}' for k, v in d['params'].items())}: "
                             f"no fixed point with nu > 0 certified ({d['error']})")
            elif d:
                notes.append(f"{row['activation']} at {', '.join(f'{k}={v}' for k, v in d['params'].items())}: "
                             f"fixed point (mu*, nu*) = ({d['mu_float']:.6g}, {d['nu_float']:.6g}) (Krawczyk), "
                             f"S = {d['S_float']:.6g}"
                             + {True: " (stable)", False: " (not stable)"}.get(d["stable"], ""))
        elif p.get("status") == "solved" and not p.get("fixed_point_certified"):
            notes.append(f"{row['activation']}: the fixed point at the rounded parameters is NOT certified "
                         f"({p.get('claim_status')})")
    lines.append("")
    lines.append("Around the fixed point (the paper's domains, centred and scaled):")
    lines.append(f"{'activation':10} {'Omega x s':9} {'widest nu':14} {'Thm 2 max':13} {'Thm 3a min':13} "
                 f"{'Thm 3b min':13}")
    for row in cmp_.rows():
        p = row["params"] or {}
        if p and p.get("status") not in ("solved",):
            lines.append(f"{label(row['activation']):10} {'—':9} {'—':14} {'—':13} {'—':13} {'—':13}")
            continue
        lines.append(f"{label(row['activation']):10} {_thm1_text(row['thm1_scale'], 'scale')[:9]:9} "
                     f"{_thm1_text(row['thm1_nu'], 'nu')[:14]:14} {_var_text(row['thm2'])[:13]:13} "
                     f"{_var_text(row['thm3a'])[:13]:13} {_var_text(row['thm3b'])[:13]:13}")
        for part in PARTS:
            r = row[part.replace("-", "_")] or {}
            if r.get("status") == "error" or (part == "thm1-scale" and r.get("status") in ("none", "unstable")) \
                    or (part == "thm1-nu" and r.get("status") == "none"):
                notes.append(f"{row['activation']} {part}: {r.get('message')}")
            elif part.startswith("thm") and r.get("status") in ("proved", "disproved") and r.get("counterexample"):
                pt = ", ".join(f"{float(F(x)):.4g}" for x in r["counterexample"]["point"])
                notes.append(f"{row['activation']} {part} fails at (mu, omega, nu, tau) = ({pt})")
    steps = {}
    for r in cmp_.results.values():
        steps.update(r.get("steps", {}))
    lines += ["",
              "parameters: Krawczyk enclosures of the exact solution, certified (the",
              "checker replays the Krawczyk proof); the certificate also proves that the",
              f"decimals used, inside them, map (0, 1) to itself within {FIXED_POINT_EPS}.",
              "S: certified spectral norm of the Jacobian of (mu, nu) -> (mu~, nu~) at (0, 1)",
              "(upper end when stable, lower end otherwise).  Omega x s: the paper's Omega",
              "blown up by s about the fixed point, Theorem 1 (S < 1 and self-map) proved;",
              "widest nu: Theorem 1 with mu, omega, tau as in Omega"
              + (f" (grid {steps.get('thm1.scale', '?')}, {steps.get('thm1.nu', '?')})." if steps else "."),
              "Thm 2 max: certified upper bound of max(nu~ - nu) on Omega+ (holds if < 0);",
              "Thm 3a/b min: certified lower bound of min(nu~ - nu) on the Theorem 3",
              "domains (holds if > 0).  'no': the certified value at a counterexample."]
    if notes:
        lines.append("")
        lines += _wrap(notes, width)
    certs = cmp_.certificates()
    ok = sum(1 for c in certs if c.get("checker"))
    lines.append("")
    lines.append(f"{len(certs)} certificates, {ok} accepted by the checker.")
    lines.append(f"{len(cmp_.computed)} tasks computed, {len(cmp_.reused)} reused (certificates replayed); "
                 f"{cmp_.seconds:.1f} s")
    return "\n".join(_wrap(lines, width))


def _wrap(lines, width: int) -> list:
    out = []
    for line in lines:
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            cut = cut if cut > width // 2 else width
            out.append(line[:cut])
            line = "  " + line[cut:].lstrip()
        out.append(line)
    return out


def table_markdown(cmp_: Comparison) -> str:
    head = ["activation", "parameters (certified)", "S at (0, 1)", "stable", "Omega x s", "widest nu",
            "Thm 2: max(nu~ - nu)", "Thm 3a: min(nu~ - nu)", "Thm 3b: min(nu~ - nu)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in cmp_.rows():
        p = row["params"] or {}
        if p.get("status") != "solved":
            lines.append("| " + " | ".join([row["activation"], f"{p.get('status', '—')}: "
                                             f"{p.get('message', '')}"] + ["—"] * 7) + " |")
            continue
        params = ", ".join(f"{k} = {v['text']}" for k, v in p["parameters"].items())
        lines.append("| " + " | ".join([
            row["activation"], params, f"[{p['S'][0]:.10f}, {p['S'][1]:.10f}]", _stable_text(p),
            _thm1_text(row["thm1_scale"], "scale"), _thm1_text(row["thm1_nu"], "nu"),
            _var_md(row["thm2"]), _var_md(row["thm3a"]), _var_md(row["thm3b"])]) + " |")
    return "\n".join(lines)


def _var_md(r) -> str:
    if not r or r.get("status") not in ("proved", "disproved"):
        return (r or {}).get("status", "—")
    if r.get("counterexample"):
        pt = ", ".join(f"{float(F(x)):.4g}" for x in r["counterexample"]["point"])
        return f"fails: ν̃ − ν = {r['counterexample'].get('value_text', '?')} at ({pt})"
    lo, hi = r["enclosure"]
    return f"in [{lo:.6f}, {hi:.6f}]: {'holds' if r['holds'] else 'fails'}"


def table_html(cmp_: Comparison) -> str:
    md = table_markdown(cmp_).splitlines()
    rows = [[html.escape(c.strip()) for c in line.strip("|").split("|")] for line in md if not line.startswith("|---")]
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])
    return (f"<table><caption>Certified comparison at the fixed point (0, 1)</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


# --------------------------------------------------------------------------- the figure

def plot(cmp_: Comparison, path) -> pathlib.Path:
    """Left: the certified Theorem 1 domains in the (mu, nu) plane, overlaid, with the
    paper's Omega; right: S at the fixed point per activation (certified enclosures)."""
    import matplotlib  # optional and slow to import: only when plotting
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    om = SC.OMEGA_SHAPE.domain(centre())
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def rect(d: Domain, **kw):
        (x0, x1), (y0, y1) = (float(v) for v in d.bounds[0]), (float(v) for v in d.bounds[2])
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, **kw))

    rect(om, color="black", lw=2, label=r"paper's $\Omega$")
    for i, row in enumerate(cmp_.rows()):
        col = colours[i % len(colours)]
        sc, nr = row["thm1_scale"] or {}, row["thm1_nu"] or {}
        if sc.get("status") == "proved":
            rect(Domain.from_json(sc["domain"]), color=col, lw=1.6,
                 label=rf"{row['activation']}: $\Omega\times{sc['scale']}$")
        if nr.get("status") == "proved":
            rect(Domain.from_json(nr["domain"]), color=col, lw=1.2, ls="--",
                 label=rf"{row['activation']}: $\nu\in[{nr['nu'][0]}, {nr['nu'][1]}]$")
    ax.plot([0], [1], "k*", ms=10, label="fixed point (0, 1)")
    ax.set_xlabel(r"$\mu$")
    ax.set_ylabel(r"$\nu$")
    ax.autoscale_view()
    ax.margins(0.1)
    ax.set_title(r"certified Theorem 1 domains ($\mathcal{S}<1$, self-map)", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))

    names, vals, errs, cols = [], [], [], []
    for i, row in enumerate(cmp_.rows()):
        p = row["params"] or {}
        if p.get("status") == "solved":
            lo, hi = p["S"]
            names.append(row["activation"])
            vals.append((lo + hi) / 2)
            errs.append((hi - lo) / 2)
            cols.append(colours[i % len(colours)])
    if names:
        bx.bar(names, vals, yerr=errs, color=cols)
        for j, v in enumerate(vals):
            bx.text(j, v, f"{v:.4f}", ha="center", va="bottom", fontsize=8)
    bx.axhline(1.0, color="black", ls=":", lw=1)
    bx.text(0.02, 1.0, r"$\mathcal{S}=1$", transform=bx.get_yaxis_transform(), va="bottom", fontsize=8)
    bx.set_ylabel(r"$\mathcal{S}$ at $(\mu^*, \nu^*)=(0, 1)$")
    bx.set_title(r"spectral norm of the Jacobian (certified)", fontsize=10)
    bx.set_ylim(0, max([1.1] + [v * 1.1 for v in vals]))
    fig.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
