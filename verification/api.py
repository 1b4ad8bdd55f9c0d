"""The public Python API (what the notebooks and scripts use).

    from verification import api
    res = api.prove("thm1-contraction")           # certified, certificate replayed
    res.enclosures["S.max"], res.verdicts
    api.bound("S", "nu=0.8:1.5", sense="max")      # your own expression and domain
    api.value("S", (0, 0, 1, 1))                   # an Arb ball at an exact point
    api.floats("S", mu, omega, nu, tau)            # float64 arrays, for plots only
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from selu_theory.evaluate import Evaluator
from selu_theory.expr import known_names, parse
from selu_theory.params import Params
from verification import certify as _certify
from verification import checker, prove as _prove
from verification import claims as C
from verification import compare as _compare
from verification.domain import Domain
from verification.engine import Runner, default_workers

claims = C.CLAIMS


@dataclass
class Proof:
    """A claim's result, its sealed certificate and the checker's verdict on it."""

    result: _prove.ClaimResult
    certificate: dict
    check: checker.CheckResult

    @property
    def status(self) -> str:
        """The accepted status (``certify.accept``: checker accepted and replayed the same)."""
        return self.result.status

    @property
    def enclosures(self) -> dict:
        return self.result.enclosures

    @property
    def verdicts(self) -> list:
        return self.result.verdicts

    @property
    def parts(self) -> list:
        return self.result.parts

    def part(self, key: str):
        for p in self.result.parts:
            if p.key == key:
                return p
        raise KeyError(key)

    def witness(self, key: str):
        """The certified point where an extremum part attains its enclosure's lower end."""
        for p in self.certificate["parts"]:
            if p.get("key") == key and p.get("kind") == "extremum":
                return tuple(float(Fraction(x)) for x in p["witness"]["point"])
        raise KeyError(key)

    def leaves(self, key: str):
        """The leaf boxes of an extremum part: [(box, reason, certified upper bound)].

        Boxes are in the coordinates the engine searched: ``axes(key)`` names them
        (a pair seen only through its product is searched as (product, 1))."""
        for p in self.certificate["parts"]:
            if p.get("key") == key and p.get("kind") == "extremum":
                return [(tuple((float.fromhex(a), float.fromhex(b)) for a, b in n[2]), n[1], float.fromhex(n[3]))
                        for n in p["tree"] if n[0] == "l"]
        raise KeyError(key)

    def axes(self, key: str) -> tuple:
        """Names of the four coordinates of ``leaves(key)``."""
        for p in self.certificate["parts"]:
            if p.get("key") == key and p.get("kind") == "extremum":
                red = p.get("reduced") or [False, False]
                return (("m=mu*omega", "1") if red[0] else ("mu", "omega")) + \
                       (("v=nu*tau", "1") if red[1] else ("nu", "tau"))
        raise KeyError(key)


def _claim(claim) -> C.Claim:
    return C.get(claim) if isinstance(claim, str) else claim


def prove(claim, workers: int = 1, params: Params = None) -> Proof:
    """Certify a registered claim (id or Claim) and replay its certificate."""
    claim = _claim(claim)
    params = params or claim.params
    with Runner(workers) as r:
        res, done = _certify.certify_claim(claim, r, params=params)
    return Proof(res, done.certificate.to_json(), done.check)


def domain(text: str, defaults: Domain = C.OMEGA) -> Domain:
    return Domain.parse(text, defaults=defaults)


def names() -> tuple:
    """Every name the expression language accepts."""
    return known_names()


def bound(expr: str, dom="", sense: str = "max", threshold=None, tol: float = None,
          params: Params = None, workers: int = 1) -> _prove.PartResult:
    """Certified max/min of an expression on a domain (text like 'nu=0.8:1.5' or Domain);
    with ``threshold``, a proof that max < threshold (min > threshold) or a counterexample
    (and, with ``tol`` too, the extremum enclosed to that width).
    The certificate is replayed by the checker; a rejected replay makes it 'undecided'."""
    d = dom if isinstance(dom, Domain) else domain(dom)
    params = params or Params()
    part = C.Extremum("bound", parse(expr, params.activation).source, sense, d,
                      threshold=None if threshold is None else str(threshold),
                      tol=tol if tol is not None else (C.DEFAULT_TOL if threshold is None else C.NO_TOL))
    with Runner(workers) as r:
        res, _ = _certify.certify_part(part, params, r)
    return res


def value(expr: str, point, params: Params = None, bits: int = 128):
    """Arb ball of the expression at an exact point (mu, omega, nu, tau)."""
    params = params or Params()
    return Evaluator(parse(expr, params.activation), params, bits).point(point)


def floats(expr: str, mu, omega, nu, tau, params: Params = None):
    """Float64 values on broadcastable arrays: for plots, never for proofs."""
    arrs = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (mu, omega, nu, tau)))
    params = params or Params()
    ev = Evaluator(parse(expr, params.activation), params)
    return ev.floats(*(a.ravel() for a in arrs)).reshape(arrs[0].shape)


__all__ = ["prove", "bound", "value", "floats", "domain", "names", "claims", "Proof", "Params", "Domain",
           "default_workers"]


def compare(activations=None, out="results/compare", mode: str = "inprocess", workers: int = 2,
            resolution=None, max_boxes: int = None, tol=None, scheduler: str = None,
            on_result=None, parts=None) -> _compare.Comparison:
    """Which activations self-normalize?  The certified comparison at the fixed point
    (0, 1) (``selu-verify compare``): for each activation (ids, or 'selu,serlu'; your own
    as a spec, 'x>=0: lam*x; x<0: lam*alpha*x*exp(x)'; default every built-in) its parameters, S there, the largest Theorem 1 domains and
    Theorems 2-3, each backed by a certificate under ``out`` replayed by the checker.
    ``mode``: "inprocess" or "dask" (a local cluster of ``workers`` processes, or
    ``scheduler``).  Resumable: a rerun reuses finished tasks whose certificates replay.
    ``parts``: a subset of ``compare.PARTS`` (default all).  The result has ``table()``, ``markdown()``, ``plot(path)``, ``to_dict()``."""
    cfg = _compare.config_with(resolution=resolution, max_boxes=max_boxes, tol=tol)
    return _compare.run(_compare.parse_activations(activations), out, cfg, mode=mode, scheduler=scheduler,
                        n_workers=workers, on_result=on_result, parts=parts)


Comparison = _compare.Comparison
__all__ += ["compare", "Comparison"]
