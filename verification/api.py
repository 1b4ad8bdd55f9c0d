"""The public Python API (what the notebooks and scripts use).  Every selu-verify
command has a twin here; every result prints itself in one line (``repr``), as a table
in Jupyter (``_repr_html_``) and as JSON-ready data (``to_dict()``).

    from verification import api
    res = api.prove("thm1-contraction")           # certified, certificate replayed
    res.enclosures["S.max"], res.verdicts
    api.bound("S", "nu=0.8:1.5", sense="max")      # your own expression and domain
    api.value("S", (0, 0, 1, 1))                   # an Arb ball at an exact point
    api.floats("S", mu, omega, nu, tau)            # float64 arrays, for plots only
    api.params((0, 1))                             # alpha, lambda for a fixed point
    api.theorems((0.1, 1.2))                       # Theorems 1-3 around it
    api.domain(resolution=4)                       # the largest certified domains
    api.atlas("-0.2:0.2:3", "0.5:2:3")             # parameters over many fixed points
    api.grid("S", "", {"mu": "0.05", ...}, threshold=1)   # the grid method

Commands and twins: all/claim -> prove (and theorems for new parameters), bound -> bound,
grid -> grid, params -> params, theorems -> theorems, domain -> domain, atlas -> atlas,
names -> names.  The result types (Proof, BoundResult, ParamsResult, Theorems,
DomainReport, AtlasResult, GridResult) are public and documented below.
"""
from __future__ import annotations

import html as _html
import math as _math
import pathlib as _pathlib
import tempfile as _tempfile
from dataclasses import dataclass
from fractions import Fraction as _Fraction

import numpy as _np

from selu_theory import quantities as _quantities
from selu_theory.ball import fraction_bounds as _fraction_bounds
from selu_theory.evaluate import Evaluator as _Evaluator
from selu_theory.expr import parse as _parse
from selu_theory.initialisers import initialiser as _initialiser
from selu_theory.numbers import parse as _parse_number
from selu_theory.numbers import text_of as _text_of
from selu_theory.params import DEFAULT_ACTIVATION as _SELU
from selu_theory.params import Params
from verification import atlas as _atlas
from verification import certify as _certify
from verification import checker as _checker
from verification import claims as _C
from verification import domain_search as _DS
from verification import grid_certificate as _grid_certificate
from verification import grid_sweep as _gs
from verification import prove as _prove
from verification import replay_files as _replay_files
from verification import report as _report
from verification import scaled_claims as _SC
from verification import compare as _compare
from verification import network as _network
from verification import network_rates as _network_rates
from verification import dropout_claims as _dropout_claims
from verification.domain import Domain
from verification.engine import Runner as _Runner
from verification.engine import default_workers

claims = _C.CLAIMS

# ----------------------------------------------------------------------------- rendering
# One look for every result: a one-line repr, an HTML table for Jupyter, a JSON-ready dict.

_REPR_MAX = 300


def _short(text: str, n: int = _REPR_MAX) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _html_table(rows, head=None, caption=None) -> str:
    esc = _html.escape
    out = ["<table>"]
    if caption:
        out.append(f"<caption style='text-align:left'>{esc(str(caption))}</caption>")
    if head:
        out.append("<thead><tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td style='text-align:left'>{esc(str(c))}</td>" for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _enc(lo, hi, width: int = 26) -> str:
    try:
        if not (_math.isfinite(float(lo)) and _math.isfinite(float(hi))):
            return f"[{float(lo):g}, {float(hi):g}]"
    except (TypeError, ValueError, OverflowError):
        return str((lo, hi))
    return _report.fmt_short(lo, hi, width, 12)


def _ball_text(b, digits: int = 12) -> str:
    """An Arb ball as [lo, hi], rounded outward."""
    lo, hi = _ball_ends(b)
    return _report.fmt_enclosure(lo, hi, digits)


def _ball_ends(b) -> tuple:
    return _fraction_bounds(b)


def _json_ends(lo, hi) -> list:
    return [str(x) if isinstance(x, _Fraction) else (x if _math.isfinite(x) else str(x)) for x in (lo, hi)]


class _Result:
    """What every API result shares: ``__repr__`` (one line), ``_repr_html_`` (a table)
    and ``to_dict()`` (JSON-serialisable)."""

    def _summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _rows(self) -> list:
        return []

    def _head(self):
        return None

    def __repr__(self) -> str:
        return _short(f"<{type(self).__name__} {self._summary()}>")

    def _repr_html_(self) -> str:
        return _html_table(self._rows(), self._head(), caption=self._summary())

    def to_dict(self) -> dict:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


# ----------------------------------------------------------------------------- prove


@dataclass(repr=False)
class Proof(_Result):
    """A claim's result, its sealed certificate and the checker's verdict on it.

    ``status`` is the accepted status ("proved" only when the checker replayed the
    certificate with the same result); ``enclosures`` {quantity: (lo, hi)};
    ``verdicts`` the paper's numbers judged against them; ``certificate`` the sealed
    certificate (a dict); ``check`` the checker's result."""

    result: _prove.ClaimResult
    certificate: dict
    check: _checker.CheckResult

    @property
    def id(self) -> str:
        return self.result.claim.id

    @property
    def claim(self):
        return self.result.claim

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

    @property
    def boxes(self) -> int:
        return self.result.boxes

    @property
    def seconds(self) -> float:
        return self.result.seconds

    @property
    def counterexample(self):
        return self.result.counterexample

    def part(self, key: str):
        for p in self.result.parts:
            if p.key == key:
                return p
        raise KeyError(key)

    def witness(self, key: str):
        """The certified point where an extremum part attains its enclosure's lower end."""
        for p in self.certificate["parts"]:
            if p.get("key") == key and p.get("kind") == "extremum":
                return tuple(float(_Fraction(x)) for x in p["witness"]["point"])
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

    def _summary(self) -> str:
        h = _report.headline(self.result)
        head = f", {h[0]} in {_enc(h[1], h[2], 30)}" if h else ""
        counts = _report.fmt_counts(_report.verdict_counts(self.verdicts))
        chk = "checker accepted" if self.check.ok else "checker REJECTED"
        return (f"{self.id}: {self.status}{head}, paper {counts}, {self.boxes} boxes, "
                f"{self.seconds:.1f} s, {chk}")

    def _head(self):
        return ("quantity", "certified", "paper", "verdict")

    def _rows(self) -> list:
        return [(r["key"], r["certified"], r["paper"] or "—", r["verdict"] or "—")
                for r in _report.claim_rows(self.result)]

    def to_dict(self, certificate: bool = False) -> dict:
        """The claim's entry of report.json; with ``certificate`` the sealed certificate too."""
        d = _report.to_json([self.result], {self.id: self.check})["claims"][0]
        if certificate:
            d["certificate_body"] = self.certificate
        return d


def _claim(claim) -> _C.Claim:
    return _C.get(claim) if isinstance(claim, str) else claim


def prove(claim, workers: int = 1, params: Params = None) -> Proof:
    """Certify a registered claim (id or Claim) and replay its certificate."""
    claim = _claim(claim)
    params = params or claim.params
    with _Runner(workers) as r:
        res, done = _certify.certify_claim(claim, r, params=params)
    return Proof(res, done.certificate.to_json(), done.check)


# ----------------------------------------------------------------------------- bound


def parse_domain(text: str, defaults: Domain = _C.OMEGA) -> Domain:
    """A domain from text like 'nu=0.8:1.5,tau=1' (missing variables: ``defaults``, Omega)."""
    return Domain.parse(text, defaults=defaults)


def names(activation: str = _SELU) -> tuple:
    """Every name the expression language accepts (``meaning(name)`` says what it is)."""
    return _quantities.names(activation)


def meaning(name: str, activation: str = _SELU) -> str:
    """What a name of the expression language means (the quantity table's row)."""
    q = _quantities.lookup(name, activation)
    if q is None:
        raise KeyError(f"unknown name {name!r}")
    return q.meaning


@dataclass(repr=False)
class BoundResult(_Result):
    """A certified max/min of an expression on a domain (``api.bound``).

    ``status``: proved / disproved / undecided (proved only if the checker replayed the
    certificate); ``enclosure`` (lo, hi) of the extremum; ``counterexample`` (exact point
    and value, for a disproved threshold); ``boxes``; ``certificate`` the part's
    certificate section; ``check`` the checker's result; ``part`` the prover's result."""

    part: _prove.PartResult
    expr: str
    domain: Domain
    sense: str
    threshold: str | None
    params: Params
    check: _checker.CheckResult = None
    reason: str = ""

    @property
    def status(self) -> str:
        return self.part.status

    @property
    def enclosure(self) -> tuple:
        return self.part.enclosure

    @property
    def boxes(self) -> int:
        return self.part.boxes

    @property
    def counterexample(self):
        return self.part.counterexample

    @property
    def detail(self) -> str:
        return self.part.detail

    @property
    def record(self):
        return self.part.record

    @property
    def certificate(self):
        return self.part.certificate

    def _goal(self) -> str:
        if self.threshold is None:
            return f"{self.sense} {self.expr}"
        return f"{self.expr} {'<' if self.sense == 'max' else '>'} {self.threshold}"

    def _summary(self) -> str:
        lo, hi = self.enclosure
        cex = ""
        if self.counterexample:
            cex = f", counterexample at (mu, omega, nu, tau) ≈ {_report.fmt_point(self.counterexample['point'], 6)}"
        return (f"{self._goal()} on {self.domain.describe()}: {self.status}, {self.sense} in {_enc(lo, hi)}"
                f"{cex}, {self.boxes} boxes")

    def _rows(self) -> list:
        lo, hi = self.enclosure
        rows = [("goal", self._goal()), ("domain", self.domain.describe()), ("parameters", self.params.describe()),
                ("status", self.status), (f"{self.sense} enclosure", _enc(lo, hi, 40)), ("boxes", self.boxes)]
        if self.counterexample:
            c = self.counterexample
            rows.append(("counterexample", f"{_report.fmt_point(c['point'])}: value {c.get('value_text', '')}"))
        if self.check is not None:
            rows.append(("checker", "accepted" if self.check.ok else "REJECTED: " + "; ".join(self.check.messages)))
        if self.reason:
            rows.append(("note", self.reason))
        return rows

    def to_dict(self) -> dict:
        lo, hi = self.enclosure
        return {"expr": self.expr, "sense": self.sense, "threshold": self.threshold,
                "domain": self.domain.to_json(), "params": self.params.labelled_specs(),
                "activation": self.params.activation, "status": self.status, "enclosure": _json_ends(lo, hi),
                "counterexample": self.counterexample, "boxes": self.boxes,
                "checked": None if self.check is None else self.check.ok, "reason": self.reason}


def bound(expr: str, dom="", sense: str = "max", threshold=None, tol: float = None,
          params: Params = None, workers: int = 1) -> BoundResult:
    """Certified max/min of an expression on a domain (text like 'nu=0.8:1.5' or Domain);
    with ``threshold``, a proof that max < threshold (min > threshold) or a counterexample
    (and, with ``tol`` too, the extremum enclosed to that width).
    The certificate is replayed by the checker; a rejected replay makes it 'undecided'."""
    d = dom if isinstance(dom, Domain) else parse_domain(dom)
    params = params or Params()
    part = _C.Extremum("bound", _parse(expr, params.activation).source, sense, d,
                       threshold=None if threshold is None else str(threshold),
                       tol=tol if tol is not None else (_C.DEFAULT_TOL if threshold is None else _C.NO_TOL))
    with _Runner(workers) as r:
        res, done = _certify.certify_part(part, params, r)
    return BoundResult(res, part.expr, d, sense, part.threshold, params, done.check, done.reason or "")


def value(expr: str, point, params: Params = None, bits: int = 128):
    """Arb ball of the expression at an exact point (mu, omega, nu, tau)."""
    params = params or Params()
    return _Evaluator(_parse(expr, params.activation), params, bits).point(point)


def floats(expr: str, mu, omega, nu, tau, params: Params = None):
    """Float64 values on broadcastable arrays: for plots, never for proofs."""
    arrs = _np.broadcast_arrays(*(_np.asarray(x, dtype=float) for x in (mu, omega, nu, tau)))
    params = params or Params()
    ev = _Evaluator(_parse(expr, params.activation), params)
    return ev.floats(*(a.ravel() for a in arrs)).reshape(arrs[0].shape)


# ----------------------------------------------------------------------------- params


@dataclass(repr=False)
class ParamsResult(_Result):
    """Certified parameters for a target fixed point (``api.params``): ``balls``
    {parameter: Arb ball}, ``params`` exact decimals inside them (a Params), ``S`` the
    spectral norm at the fixed point and ``stable`` (S < 1), ``unique`` /
    ``globally_unique`` (Krawczyk), and ``solution`` the solver's full result.
    ``status`` is "proved" only when the checker replayed and accepted the certificate
    (``certified``: the pipeline's verdict, ``certificate``: the sealed certificate)."""

    solution: object
    certified: object = None

    def __getattr__(self, name):  # the solver's fields: balls, params, S, stable, unique, ...
        if name in ("solution", "certified"):
            raise AttributeError(name)
        return getattr(self.solution, name)

    @property
    def status(self) -> str:
        return self.certified.status

    @property
    def certificate(self):
        return self.certified.certificate

    def _summary(self) -> str:
        s = self.solution
        vals = ", ".join(f"{k} in {_ball_text(b, 12)}" for k, b in s.balls.items())
        st = {True: "stable", False: "NOT stable", None: "stability undecided"}[s.stable]
        return (f"{self.status}: {s.activation} at (mu*, nu*) = ({_SC.dec(s.mu_star)}, {_SC.dec(s.nu_star)}), "
                f"omega = {_SC.dec(s.omega)}, tau = {_SC.dec(s.tau)}: "
                f"{vals}; S in {_ball_text(s.S, 6)} ({st})")

    def _rows(self) -> list:
        s = self.solution
        rows = [("status", self.status + ("" if self.certified.proved else f" ({self.certified.reason})"))]
        rows += [(k, _ball_text(b, 20)) for k, b in s.balls.items()]
        rows += [("S (spectral norm)", _ball_text(s.S, 12)),
                 ("stable (S < 1)", {True: "yes", False: "no", None: "undecided"}[s.stable]),
                 ("unique", s.uniqueness if getattr(s, "uniqueness", "") else str(s.unique)),
                 ("convention", s.convention)]
        return rows

    def to_dict(self) -> dict:
        s = self.solution
        return {"status": self.status, "reason": self.certified.reason,
                "activation": s.activation, "mu_star": str(s.mu_star), "nu_star": str(s.nu_star),
                "omega": str(s.omega), "tau": str(s.tau),
                "balls": {k: [str(x) for x in _ball_ends(b)] for k, b in s.balls.items()},
                "floats": {k: float(b.mid()) for k, b in s.balls.items()},
                "params": s.params.labelled_specs(), "S": [str(x) for x in _ball_ends(s.S)],
                "stable": s.stable, "unique": s.unique, "globally_unique": s.globally_unique,
                "convention": s.convention}


def params(fixed_point=(0, 1), omega=0, tau=1, *, activation: str = _SELU, fixed: dict = None,
           bits: int = 256, digits: int = None) -> ParamsResult:
    """The parameters of ``activation`` making (mu*, nu*) = ``fixed_point`` a fixed point
    under weights (omega, tau), proved and certified through ``verification.certify``
    (``selu-verify params --fixed-point MU NU``): ``status`` "proved" only when the
    checker accepted the certificate.  ``fixed``: {parameter: value} held fixed for
    activations with more than two.  ``digits`` of the enclosures (default: what ``bits``
    gives, at least 30).  FixedPointError (Unreachable included) when no solution is found."""
    mu, nu = fixed_point
    if digits is None:
        digits = max(30, int((bits - 64) / 3.33))
    sol, done = _certify.certify_fixed_point(activation, mu, nu, omega, tau, digits=digits, fixed=fixed)
    return ParamsResult(sol, done)


# ----------------------------------------------------------------------------- theorems


@dataclass(repr=False)
class Theorems(_Result):
    """Theorems 1-3 around a fixed point (``api.theorems``): ``proofs`` (one Proof per
    claim), ``target`` (the parameters and the centre of the domains); ``status`` is
    "proved" when every claim is."""

    proofs: list
    target: object

    @property
    def status(self) -> str:
        return "proved" if self.proofs and all(p.status == "proved" for p in self.proofs) else "not proved"

    def __iter__(self):
        return iter(self.proofs)

    def __len__(self):
        return len(self.proofs)

    def __getitem__(self, i):
        return self.proofs[i]

    def _summary(self) -> str:
        return (f"{self.target.params.describe()} around {self.target.centre.describe()}: "
                + _report.tally([p.result for p in self.proofs]))

    def _head(self):
        return ("claim", "status", "headline", "certified", "boxes", "s")

    def _rows(self) -> list:
        rows = []
        for p in self.proofs:
            h = _report.headline(p.result)
            rows.append((p.id, p.status, h[0] if h else "—", _enc(h[1], h[2], 40) if h else "—", p.boxes,
                         f"{p.seconds:.1f}"))
        return rows

    def to_dict(self) -> dict:
        data = _report.to_json([p.result for p in self.proofs], {p.id: p.check for p in self.proofs})
        data["target"] = {"lines": self.target.lines(), "params": self.target.params.labelled_specs(),
                          "activation": self.target.params.activation,
                          "centre": {k: str(getattr(self.target.centre, k)) for k in ("mu", "nu", "omega", "tau")}}
        return data


def _target(fixed_point=None, params: Params = None, omega=0, tau=1, activation: str = _SELU):
    if (fixed_point is None) == (params is None):
        raise ValueError("give a fixed_point (mu*, nu*) or params, not both")
    if params is not None:
        return _SC.resolve_target(None, None, None, str(omega), str(tau), activation=params.activation,
                                  values=dict(params.specs))
    return _SC.resolve_target(None, None, tuple(str(x) for x in fixed_point), str(omega), str(tau),
                              activation=activation)


def theorems(fixed_point=None, *, params: Params = None, omega=0, tau=1, activation: str = _SELU,
             workers: int = 1, max_boxes: int = 400_000) -> Theorems:
    """Theorems 1-3 with the paper's domains centred on a fixed point
    (``selu-verify theorems``): give ``fixed_point`` (mu*, nu*) and the parameters are
    solved for, or ``params`` and their fixed point is located."""
    target = _target(fixed_point, params, omega, tau, activation)
    proofs = []
    with _Runner(workers) as r:
        for claim in _SC.theorem_claims(target.params, target.centre):
            res, done = _certify.certify_claim(claim, r, max_boxes=max_boxes)
            proofs.append(Proof(res, done.certificate.to_json(), done.check))
    return Theorems(proofs, target)


# ----------------------------------------------------------------------------- domain


@dataclass(repr=False)
class DomainReport(_Result):
    """The largest certified domains (``api.domain``): ``result`` the search's
    DomainResult (per-variable intervals, the Omega blow-up, the Theorem 2/3 variance
    ends, the certified claims); ``text()`` the command's summary, ``plot(path)``."""

    result: object

    def text(self) -> str:
        return _DS.format_result(self.result)

    def plot(self, path):
        """Draw the certified domains (matplotlib) to ``path``; returns the path."""
        return _DS.plot(self.result, path)

    @property
    def status(self) -> str:
        c = self.result.certified
        return "proved" if c and all(x.status == "proved" and x.checker_ok for x in c) else "not proved"

    def _summary(self) -> str:
        c = self.result.centre
        return (f"{self.result.params.describe()} around {c.describe()}: {self.status}, "
                f"{len(self.result.certified)} certified domains, {self.result.seconds:.1f} s")

    def _repr_html_(self) -> str:
        return (f"<p>{_html.escape(self._summary())}</p><pre>{_html.escape(self.text())}</pre>")

    def to_dict(self) -> dict:
        return self.result.to_json()


def domain(params: Params = None, fixed_point=None, *, activation: str = _SELU, omega=0, tau=1, theorems="123",
           variables=_DS.THM1_VARS, scale: bool = True, resolution: float = 1.0, tol: float = None,
           max_boxes: int = _DS.DECISION_MAX_BOXES, workers: int = 1, out=None, log=None) -> DomainReport:
    """The largest certified domains around a fixed point (``selu-verify domain``):
    Theorem 1 widened variable by variable and Omega blown up, Theorems 2-3's variance
    ends.  Default: alpha01, lambda01 around the paper's (0, 1) (another ``activation``:
    its parameters solved for (0, 1)).  ``out``: where the
    certificates go (default: a temporary folder)."""
    if params is None and fixed_point is None and str(omega) == "0" and str(tau) == "1" and activation == _SELU:
        p, centre = Params(), _SC.PAPER_CENTRE
    else:
        if params is None and fixed_point is None:
            fixed_point = (0, 1)  # another activation: solved for the paper's fixed point
        t = _target(fixed_point, params, omega, tau, params.activation if params is not None else activation)
        p, centre = t.params, t.centre
    out = _pathlib.Path(out) if out is not None else _pathlib.Path(_tempfile.mkdtemp(prefix="selu-domain-"))
    th = str(theorems)
    with _Runner(workers) as r:
        res = _DS.search(p, centre, r, variables=tuple(variables) if "1" in th else (), scale="1" in th and scale,
                         thm2="2" in th, thm3="3" in th, resolution=resolution, max_boxes=max_boxes, certify=True,
                         tol=tol, out=out, log=log)
    return DomainReport(res)


# ----------------------------------------------------------------------------- atlas


@dataclass(repr=False)
class AtlasResult(_Result):
    """Parameters (and certified domain sizes) over a grid of fixed points
    (``api.atlas``): ``run`` the atlas run (``run.ordered()`` the results, one dict per
    point), ``rows()`` those dicts, ``heatmaps(path)`` the picture."""

    run: object

    def rows(self) -> list:
        return self.run.ordered()

    def heatmaps(self, path):
        return _atlas.heatmaps(self.run, path)

    def _summary(self) -> str:
        solved = sum(r.get("status") == "solved" for r in self.rows())
        return (f"{len(self.run.points)} fixed points, {solved} solved ({len(self.run.computed)} computed, "
                f"{len(self.run.reused)} reused) in {self.run.seconds:.1f} s")

    def _head(self):
        return ("mu*", "nu*") + _atlas.labels(self.run.config) + ("S", "domain scale")

    def _rows(self) -> list:
        out, names = [], _atlas.labels(self.run.config)
        for r in self.rows():
            if r.get("status") != "solved":
                out.append((r["mu"], r["nu"], "no solution") + ("",) * (len(names) + 1))
            else:
                out.append((r["mu"], r["nu"]) + tuple(f"{r[n]:.10g}" if isinstance(r.get(n), float) else
                                                      str(r.get(n, "—")) for n in names)
                           + (f"{r['S']:.4f}", r.get("scale_text", "—")))
        return out

    def to_dict(self) -> dict:
        return {"points": self.rows(), "computed": len(self.run.computed), "reused": len(self.run.reused),
                "seconds": round(self.run.seconds, 3), "mode": self.run.mode, "config": self.run.config}


def atlas(mu="-0.2:0.2:5", nu="0.5:2:4", omega="0", tau="1", *, activation: str = _SELU, domain: bool = False,
          variance: bool = False, scale_step="0.25", max_boxes: int = _DS.DECISION_MAX_BOXES,
          mode: str = "inprocess", workers: int = 2, scheduler: str = None, out=None,
          on_result=None) -> AtlasResult:
    """alpha, lambda, S (and with ``domain`` the certified domain size) over a grid of
    fixed points (``selu-verify atlas``); ranges as 'LO:HI:N'.  ``mode``: "inprocess"
    (default here: no cluster) or "dask" (a quiet local cluster of ``workers``
    processes, or ``scheduler``).  ``out``: the results store (default: a temporary
    folder; the same folder resumes an interrupted atlas)."""
    points = _atlas.grid(mu, nu, omega, tau)
    cfg = _atlas.config_with(domain=domain, variance=variance, scale_step=scale_step, max_boxes=max_boxes,
                             activation=activation)
    out = _pathlib.Path(out) if out is not None else _pathlib.Path(_tempfile.mkdtemp(prefix="selu-atlas-"))
    return AtlasResult(_atlas.run(points, out, cfg, mode=mode, scheduler=scheduler, n_workers=workers,
                                  on_result=on_result))


# ----------------------------------------------------------------------------- grid


@dataclass(repr=False)
class GridResult(_Result):
    """A grid bound (``api.grid``): the sweep's extreme with rigorous float error bounds
    plus the per-cell mean-value slack; ``status`` proved only when the grid
    certificate replayed; ``bound`` the certified bound; ``certificate`` its path."""

    expr: str
    sense: str
    threshold: object
    domain: Domain
    status: str
    bound: object
    points: int
    seconds: float
    certificate: str = None
    reason: str = ""
    counterexample: dict = None

    def _summary(self) -> str:
        goal = (f"{self.expr} {'<' if self.sense == 'max' else '>'} {self.threshold}" if self.threshold is not None
                else f"{self.sense} {self.expr}")
        rel = "<=" if self.sense == "max" else ">="
        b = "" if self.bound is None else f", {self.sense} {rel} {float(self.bound):.10g}"
        return f"{goal} on a grid of {self.points:,} points: {self.status}{b}, {self.seconds:.1f} s"

    def _rows(self) -> list:
        return [("expression", self.expr), ("domain", self.domain.describe()), ("status", self.status),
                ("bound", "—" if self.bound is None else str(float(self.bound))), ("points", f"{self.points:,}"),
                ("certificate", self.certificate or "—"), ("note", self.reason or "—")]

    def to_dict(self) -> dict:
        return {"expr": self.expr, "sense": self.sense,
                "threshold": None if self.threshold is None else str(self.threshold),
                "domain": self.domain.to_json(), "status": self.status,
                "bound": None if self.bound is None else str(self.bound), "points": self.points,
                "seconds": round(self.seconds, 3), "certificate": self.certificate, "reason": self.reason,
                "counterexample": self.counterexample}


def grid(expr: str, dom="", steps: dict = None, sense: str = "max", threshold=None, *, params: Params = None,
         reading: str = "both", cells=None, threads: int = None, workers: int = 1, out=None) -> GridResult:
    """The grid method on your own grid (``selu-verify grid``, per-cell slack): the
    expression on every grid point with rigorous float error bounds, plus the mean-value
    slack from certified per-cell derivative bounds; ``steps`` {variable: spacing}.
    Proved only when the written grid certificate replays."""
    d = dom if isinstance(dom, Domain) else parse_domain(dom)
    if d.extra:   # the grid's axes are (mu, omega, nu, tau); extra variables need bound
        raise ValueError(f"the grid method runs on mu, omega, nu, tau only; for {', '.join(d.extra)} use bound")
    params = params or Params()
    source = _parse(expr, params.activation).source
    step_map = {k: _Fraction(str(v)) for k, v in (steps or {}).items()}
    axes = tuple(_gs.make_axis(v, lo, hi, step_map.get(v), reading) for v, (lo, hi) in zip(_gs.VARS, d.bounds))
    th = None if threshold is None else _Fraction(str(threshold))
    sw = _gs.sweep(axes, source, params, cells, threads)
    cell_M = _gs.cell_gradients(source, params, _gs.cell_boxes(sw), workers)
    decisive = _gs.decide(sw, sense, th, "per-cell", cell_M=cell_M)
    npts = int(_np.prod([a.n for a in axes], dtype=object))
    cex = _gs.counterexample(sw, sense, th, source, params)
    path, reason = None, decisive.reason
    if cex is not None:
        status = "disproved"
    elif decisive.status == "proved":
        cert = _grid_certificate.build(source, sense, th, d, params, reading, step_map, sw.cells,
                                       {"mode": "per-cell"}, sw, decisive)
        folder = _pathlib.Path(out) if out is not None else _pathlib.Path(_tempfile.mkdtemp(prefix="selu-grid-"))
        path = str(_grid_certificate.write(cert, folder / f"grid-{cert['sha256'][:10]}.json"))
        status, why = _certify.accept("proved", _certify.check_grid(cert, workers))
        reason = why or reason
    else:
        status = "undecided"
    return GridResult(source, sense, th, d, status, decisive.bound, npts, sw.seconds, path, reason or "", cex)


# ----------------------------------------------------------------------------- tables


def interval(lo, hi=None, digits: int = 17) -> str:
    """'[lo, hi]' rounded outward to ``digits`` significant digits (``lo`` may be a
    (lo, hi) pair): the printed interval still contains the certified one."""
    if hi is None:
        lo, hi = lo
    try:
        if not (_math.isfinite(float(lo)) and _math.isfinite(float(hi))):
            return f"[{float(lo):g}, {float(hi):g}]"
    except (TypeError, ValueError, OverflowError):
        return f"[{lo}, {hi}]"
    return _report.fmt_enclosure(lo, hi, digits)


@dataclass(repr=False)
class Table(_Result):
    """Rows under a header: an HTML table in Jupyter, aligned text with ``print``."""

    head: tuple
    rows: list
    caption: str = ""

    def _summary(self) -> str:
        return f"{len(self.rows)} rows: {', '.join(map(str, self.head))}"

    def _head(self):
        return self.head

    def _rows(self) -> list:
        return self.rows

    def _repr_html_(self) -> str:
        return _html_table(self.rows, self.head, caption=self.caption or None)

    def __str__(self) -> str:
        cells = [tuple(map(str, self.head))] + [tuple(map(str, r)) for r in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.caption] if self.caption else []) + lines)

    def to_dict(self) -> dict:
        return {"head": [str(h) for h in self.head], "rows": [[str(c) for c in r] for r in self.rows]}


def table(head, rows, caption: str = "") -> Table:
    """A table of your own rows, rendered like the API's results."""
    return Table(tuple(head), [tuple(r) for r in rows], caption)


# ----------------------------------------------------------------------------- the surface
# Functions and result types added below this block (api.compare, ...) join dir(api) on
# their own (``__dir__``); list them in __all__ too.

__all__ = ["prove", "bound", "value", "floats", "params", "theorems", "domain", "atlas", "grid",
           "names", "meaning", "parse_domain", "claims", "default_workers", "interval", "table",
           "Proof", "BoundResult", "ParamsResult", "Theorems", "DomainReport", "AtlasResult", "GridResult", "Table",
           "Params", "Domain"]


def __dir__():
    """The public surface only (not the modules and helpers this module imports)."""
    own = {k for k, v in globals().items() if not k.startswith("_") and getattr(v, "__module__", None) == __name__}
    return sorted(set(__all__) | own)


def compare(activations=None, out="results/compare", mode: str = "inprocess", workers: int = 2,
            resolution=None, max_boxes: int = None, tol=None, scheduler: str = None,
            on_result=None, parts=None) -> _compare.Comparison:
    """Which activations self-normalize?  The certified comparison at the fixed point
    (0, 1) (``selu-verify compare``): for each activation (ids, or 'selu,serlu'; your
    own as a spec, 'x>=0: lam*x; x<0: lam*alpha*x*exp(x)'; default every built-in) its
    parameters, S there, the largest Theorem 1 domains and Theorems 2-3, each backed by
    a certificate under ``out`` replayed by the checker.  ``mode``: "inprocess" or
    "dask" (a local cluster of ``workers`` processes, or ``scheduler``).  Resumable: a
    rerun reuses finished tasks whose certificates replay.  ``parts``: a subset of
    ``compare.PARTS`` (default all).  The result has ``table()``, ``markdown()``,
    ``plot(path)``, ``to_dict()``, a short repr and an HTML table in Jupyter."""
    cfg = _compare.config_with(resolution=resolution, max_boxes=max_boxes, tol=tol)
    return _compare.run(_compare.parse_activations(activations), out, cfg, mode=mode, scheduler=scheduler,
                        n_workers=workers, on_result=on_result, parts=parts)


Comparison = _compare.Comparison
__all__ += ["compare", "Comparison"]


# ----------------------------------------------------------------------------- network


@dataclass(repr=False)
class NetworkReport(_Result):
    """Is my network self-normalizing? (``api.network``, ``selu-verify network``):
    ``result`` the analysis (``verification.network.NetworkResult``: the initialiser's
    (omega, tau), the paper's and the ensemble map's certified sections, the float
    trajectory and simulation); ``verdict`` one line; ``certified`` whether everything
    the verdict rests on is certified (through ``verification.certify``)."""

    result: object

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def certified(self) -> bool:
        return self.result.certified

    def _summary(self) -> str:
        r = self.result
        return f"{r.init.spec}, tau = {r.init.tau_text(8)}, dropout {r.dropout.spec}: {r.verdict}"

    def _head(self):
        return ("item", "value")

    def _rows(self) -> list:
        r = self.result
        rows = [("initialiser", f"{r.init.spec} ({r.init.formula})"),
                ("omega, tau", f"0, {r.init.tau_text(20)}"), ("dropout", r.dropout.spec)]
        for s in (r.paper, r.ensemble):
            rows.append((f"{s.convention} map", "certified" if s.certified else
                         f"not certified ({s.reason})"))
            if s.mu_star is not None:
                rows.append((f"{s.convention} fixed point", f"mu* in {_enc(*s.mu_star)}, "
                             f"nu* in {_enc(*s.nu_star)}"))
        rows.append(("verdict", r.verdict))
        rows += [("not certified", e) for e in r.estimated]
        return rows

    def to_dict(self) -> dict:
        return self.result.to_dict()


def network(init: str, fan_in, *, fan_out=None, activation: str = _SELU, params: Params = None,
            dropout: str = "none", input=(0, 1), depth: int = 64, simulate: bool = False,
            width: int = None, batch: int = 256, seed: int = 0, out=None,
            workers: int = 1, largest_domain: bool = False) -> NetworkReport:
    """``selu-verify network``: the initialiser's (omega, tau), the certified fixed point
    and contraction of the layer map (activation -> dropout -> affine), one verdict, the
    float mean-field trajectory over ``depth`` layers from ``input`` (mu, nu) and, with
    ``simulate``, a numpy network against it; ``largest_domain`` grows the certified
    interval as far as the proofs go.  ``out``: a folder for the certificates
    (None: checked in memory).  InitialiserError, DropoutError, NetworkError on bad input."""
    p = params or Params(activation=activation)
    mu, nu = input
    res = _network.analyse(p, _initialiser(init, fan_in, fan_out), dropout,
                           _parse_number(mu, "input mean"), _parse_number(nu, "input variance"), depth,
                           simulate=simulate, width=width, batch=batch, seed=seed,
                           out=None if out is None else _pathlib.Path(out), workers=workers,
                           largest=largest_domain)
    return NetworkReport(res)


__all__ += ["network", "NetworkReport"]


@dataclass(repr=False)
class RateTableReport(_Result):
    """A dropout rate table (``api.network_rates``, ``selu-verify network --rates``):
    ``result`` the ``verification.network_rates.RateTable`` (per rate the certified
    fixed point, Jacobian entries J12, J22, S and the stability factor rho);
    ``rows`` its rows (``row.has_fixed_point``: its numbers are certified;
    ``row.certified`` also when the row certifies that there is none); ``lines()`` the
    table as the command prints it (80 columns)."""

    result: object

    @property
    def rows(self) -> list:
        return self.result.rows

    @property
    def certified(self) -> bool:
        return self.result.certified

    def lines(self) -> list:
        return _network_rates.table_lines(self.result)

    def _summary(self) -> str:
        t = self.result
        ok = sum(r.certified for r in t.rows)
        return (f"{t.kind} dropout, {t.init.spec}, {t.convention} map: {ok} of {len(t.rows)} "
                "rates certified")

    def _head(self):
        return ("rate", "mu*", "nu*", "J12", "J22", "S", "rho", "stable")

    def _rows(self) -> list:
        s = _network_rates.short
        out = []
        for r in self.result.rows:
            if not r.has_fixed_point:
                out.append((_text_of(r.rate), r.status, "", "", "", "", "", ""))
                continue
            out.append((_text_of(r.rate), s(*r.mu_star), s(*r.nu_star), s(*r.j12), s(*r.j22), s(*r.s),
                        s(*r.rho), {True: "yes", False: "no", None: "?"}[r.stable]))
        return out

    def to_dict(self) -> dict:
        return self.result.to_dict()


def network_rates(init: str, fan_in, dropout: str, rates, *, fan_out=None, activation: str = _SELU,
                  params: Params = None, convention: str = "ensemble", out=None,
                  workers: int = 1) -> RateTableReport:
    """``selu-verify network --rates``: for ``dropout`` "alpha" or "standard" and each
    rate of ``rates`` ("0:0.2:0.01", "0.05,0.1" or a list), the certified fixed point of
    the composed layer map, its Jacobian entries, S and whether it is stable, each rate
    one claim replayed by the checker.  ``convention``: "ensemble" (what a network
    follows) or "paper".  NetworkError, InitialiserError on bad input."""
    p = params or Params(activation=activation)
    return RateTableReport(_network_rates.rate_table(
        p, _initialiser(init, fan_in, fan_out), dropout, rates, convention=convention,
        out=None if out is None else _pathlib.Path(out), workers=workers))


__all__ += ["network_rates", "RateTableReport"]
# ----------------------------------------------------------------------------- dropout (rate as a variable)


@dataclass(repr=False)
class DropoutResult(_Result):
    """Alpha dropout with the rate as a domain variable (``api.dropout``, ``selu-verify
    dropout``): ``report`` the claims' outcomes (``verification.dropout_claims``:
    restoration of (0, 1) and its false twin, the Theorem 1 analogue, the largest rate
    range and the largest Omega); ``certified`` whether every claim asked for is
    certified (and the false twin is not)."""

    report: object
    rate: tuple
    scale: object

    @property
    def certified(self) -> bool:
        return self.report.certified

    def _summary(self) -> str:
        r = self.report
        bits = [f"rate in [{_interval_text(*self.rate)}]"]
        if r.restoration is not None:
            bits.append(f"restoration {r.restoration.status}")
        if r.false_twin is not None:
            bits.append(f"false twin {r.false_twin.status}")
        if r.contraction is not None:
            bits.append(f"Theorem 1 analogue {r.contraction.status}")
        if r.rate_search is not None and r.rate_search.good is not None:
            bits.append(f"rates [0, {r.rate_search.good}] certified")
        for k, v in r.scale_searches.items():
            bits.append(f"Omega x {v.good} at rate {k}")
        return ", ".join(bits) + (": certified" if self.certified else ": not all certified")

    def _head(self):
        return ("claim", "status", "numbers")

    def _rows(self) -> list:
        r = self.report
        rows = []
        for label, o in (("restoration (E[d] + b/a, Var(d) - a^-2)", r.restoration),
                         ("false twin (a x 1.000001)", r.false_twin),
                         (f"Theorem 1 analogue, Omega x {self.scale}", r.contraction)):
            if o is not None:
                rows.append((label, o.status, "; ".join(f"{k} in {_enc(*e)}" for k, e in o.enclosures.items())
                             or o.reason))
        if r.rate_search is not None:
            s = r.rate_search
            rows.append(("largest rate range [0, r]", "proved" if s.good is not None else "undecided",
                         f"r = {s.good}; next step {s.bad} {s.bad_status}".strip()))
        for rate, o in r.table or ():
            e = o.enclosures
            rows.append((f"J and S at (0, 1), rate {rate}", o.status,
                         "; ".join(f"{k} in {_enc(e[k + '.min'][0], e[k + '.max'][1])}" for k in ("J12", "J22", "S"))))
        for k, s in r.scale_searches.items():
            rows.append((f"largest Omega x s, rate {k}", "proved" if s.good is not None else "undecided",
                         f"s = {s.good}; {s.bad} {s.bad_status}; float limit {s.float_limit:.4f}"))
        return rows

    def to_dict(self) -> dict:
        return self.report.to_dict()


def _interval_text(lo, hi) -> str:
    return f"{_Fraction(lo)}, {_Fraction(hi)}"


def dropout(rate=("0", "0.2"), scale="1", *, restoration: bool = True, contraction: bool = True,
            largest_rate: bool = False, largest_omega=(), eps=None, out=None, workers: int = 1,
            max_boxes: int = 50_000, steps: int = 6, table: bool = False) -> DropoutResult:
    """``selu-verify dropout``: alpha dropout with the rate as a fifth domain variable.
    The paper's a, b restore (0, 1) for every rate in ``rate`` (and a false twin does
    not); the composed map's Theorem 1 analogue on Omega x ``scale``; with
    ``largest_rate`` the largest certified range [0, r]; ``largest_omega`` (rates) the
    largest certified Omega x s at each rate; ``table``: J and S of the composed map
    at (0, 1) for rates 0, 0.025, ..., 0.2.  ``out``: a folder for the certificates
    (None: checked in memory).  DropoutClaimError on bad input."""
    lo, hi = (_parse_number(str(x), "rate") for x in rate)
    sc = _parse_number(str(scale), "scale")
    rates = [_parse_number(str(x), "rate") for x in largest_omega]
    e = _dropout_claims.RESTORATION_EPS if eps is None else _parse_number(str(eps), "eps")
    with _Runner(workers) as runner:
        rep = _dropout_claims.analyse(runner, (lo, hi), sc, restoration=restoration, false_twin=restoration,
                                      contraction=contraction, largest_rate_search=largest_rate,
                                      omega_rates=rates, eps=e, max_boxes=max_boxes, steps=steps, table=table,
                                      out=None if out is None else _pathlib.Path(out))
    return DropoutResult(rep, (lo, hi), sc)


__all__ += ["dropout", "DropoutResult"]


# ----------------------------------------------------------------------------- check


@dataclass(repr=False)
class Checked(_Result):
    """The independent checker's verdict on certificate files (``selu-verify check``).

    ``files``: one ``replay_files.Replayed`` per file (a folder stands for its *.json
    files): ``path``, ``result`` (the checker's ``CheckResult``: ``ok``, ``status``,
    ``proves``, ``messages``) or ``error`` for a file that could not be read.  ``ok``:
    every file read and accepted."""

    files: list

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.files if r.result is not None and r.result.ok)

    @property
    def ok(self) -> bool:
        return bool(self.files) and self.accepted == len(self.files)

    def _summary(self) -> str:
        n = len(self.files)
        bad = sum(1 for r in self.files if r.result is None)
        return (f"{self.accepted}/{n} certificate{'s' if n != 1 else ''} accepted"
                + (f", {bad} unreadable" if bad else ""))

    def _head(self):
        return ("file", "verdict", "what it proves / why not")

    def _rows(self) -> list:
        rows = []
        for r in self.files:
            if r.result is None:
                rows.append((r.path, "unreadable", r.error))
            elif r.result.ok:
                rows.append((r.path, f"accepted: {r.result.status}", r.result.proves))
            else:
                rows.append((r.path, "REJECTED", "; ".join(r.result.messages)))
        return rows

    def to_dict(self) -> dict:
        return {"accepted": self.accepted, "files": [
            {"path": r.path, "error": r.error or None,
             "ok": None if r.result is None else r.result.ok,
             "status": None if r.result is None else r.result.status,
             "proves": None if r.result is None else r.result.proves,
             "messages": [] if r.result is None else list(r.result.messages)} for r in self.files]}


def check(*paths, workers: int = 1) -> Checked:
    """Replay certificate files with the independent checker (``selu-verify check``):
    ``check("results/certificates")`` (a folder: its *.json files) or named files.
    Nothing raises for a bad file: it is listed as unreadable with the reason."""
    if len(paths) == 1 and isinstance(paths[0], (list, tuple)):
        paths = tuple(paths[0])
    return Checked(_replay_files.replay([str(p) for p in paths], workers))


__all__ += ["check", "Checked"]
