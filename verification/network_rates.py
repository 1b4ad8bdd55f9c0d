"""Dropout rate tables: per rate, the certified fixed point of the composed layer map
(activation -> dropout -> affine correction), its certified Jacobian entries and S
there, and whether it is stable (``selu-verify network --rates``, ``api.network_rates``).

Each rate is an exact constant in the expressions of ``network.expressions`` (the rate
is not a domain variable here; that is the ``dropout`` command's claim over a range of
rates).  Per rate one claim, proved, sealed and replayed by the checker through
``verification.certify``, on a tight interval [a, b] (relative half-width ``TIGHT``)
around the float fixed point x* of the one-dimensional map h (the paper's nu -> N(nu),
or the ensemble's xi -> X(xi), see ``network``):

* the sign change of h(x) - x at the two ends, each a one-point domain (h(a) > a and
  h(b) < b for a stable fixed point, the reverse for an unstable one): by the
  intermediate value theorem a fixed point lies in [a, b];
* min and max over [a, b] of M (so mu*), of J12 = dM/dnu and J22 = dN/dnu (the Jacobian's
  second column; at omega = 0 the paper's first column is 0, and the ensemble's is
  2 mu* times the second), of S (the spectral norm: paper sqrt(J12^2 + J22^2); ensemble
  that times sqrt(1 + 4 mu*^2), the Jacobian having rank 1) and of the stability factor
  rho (paper J22, the triangular Jacobian's nonzero eigenvalue; ensemble X' = dX/dxi).

Every value of a function at the fixed point lies between its certified min and max over
[a, b].  ``stable`` is True when |rho| < 1 on all of [a, b] (then the fixed point is the
only one in [a, b] and attracts the iteration near it), False when |rho| > 1 there, None
when the enclosure straddles 1.

Where the float iteration finds no fixed point (or one too close to 0 for a tight
interval), one claim certifies h(x)/x > 1 (or < 1) on NO_FP_RANGE = [1e-6, 1e6]: no
fixed point there, the variance grows (shrinks) at every step (standard dropout above a
rate of 1 - lambda^2/2 = 0.448 for SELU).  Outside that range nothing is claimed.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

from selu_theory import dropout as dropout_mod
from selu_theory.initialisers import Initialiser
from selu_theory.numbers import NumberError, parse, text_of
from selu_theory.params import Params
from verification import claims as C
from verification import network as NW
from verification.engine import Runner

__all__ = ["RateRow", "RateTable", "rate_table", "parse_rates", "MAX_RATES", "TIGHT"]

MAX_RATES = 200
TIGHT = NW.TIGHT
NO_FIXED_POINT = "no fixed point"
NO_FP_RANGE = (Fraction(1, 10 ** 6), Fraction(10 ** 6))   # where "no fixed point" is certified


def _check_rate(r: Fraction) -> Fraction:
    if r < 0:
        raise NW.NetworkError(f"a dropout rate must be >= 0; got {float(r):.4g}")
    if r >= 1:
        raise NW.NetworkError(f"a dropout rate must be below 1 (the drop probability); got {float(r):.4g}")
    return r


def parse_rates(text) -> tuple:
    """``LO:HI:STEP`` (exact decimals, 0 <= LO <= HI < 1, STEP > 0: LO, LO + STEP, ...
    up to HI) or a comma list ``0.05,0.1``: the rates as Fractions.  NW.NetworkError
    (one line) otherwise."""
    if isinstance(text, (list, tuple)):
        items = [str(x) for x in text]
    elif isinstance(text, str):
        items = None
    else:
        raise NW.NetworkError(f"rates must be text such as 0:0.2:0.02; got {type(text).__name__}")
    try:
        if items is None and ":" in text:
            bits = text.split(":")
            if len(bits) != 3:
                raise NW.NetworkError(f"rates {text.strip()[:40]!r}: write LO:HI:STEP, e.g. 0:0.2:0.02")
            lo, hi, step = (parse(b, w) for b, w in zip(bits, ("lowest rate", "highest rate", "rate step")))
            lo, hi = _check_rate(lo), _check_rate(hi)
            if step <= 0:
                raise NW.NetworkError(f"the rate step must be > 0; got {float(step):.4g}")
            if hi < lo:
                raise NW.NetworkError(f"the highest rate {text_of(hi)} is below the lowest {text_of(lo)}")
            if (hi - lo) / step > MAX_RATES:
                raise NW.NetworkError(f"at most {MAX_RATES} rates; {text.strip()[:40]} gives more")
            rates = [lo + k * step for k in range(math.floor((hi - lo) / step) + 1)]
        else:
            rates = [_check_rate(parse(b, "rate")) for b in (items if items is not None else text.split(","))]
    except NumberError as exc:
        raise NW.NetworkError(str(exc)) from None
    if not rates or len(rates) > MAX_RATES:
        raise NW.NetworkError(f"give between 1 and {MAX_RATES} rates")
    return tuple(rates)


def _kind(dropout) -> str:
    k = (dropout or "").strip().lower().partition(":")[0] if isinstance(dropout, str) else ""
    if k not in ("alpha", "standard"):
        raise NW.NetworkError("a rate table needs --dropout alpha or --dropout standard (the kind; "
                              "the rates come from --rates)")
    return k


@dataclass
class RateRow:
    """One rate's certified numbers; enclosures are (lo, hi) floats rounded outward."""
    rate: Fraction
    status: str = "not run"          # "proved" (a fixed point), NO_FIXED_POINT (certified on
                                     # NO_FP_RANGE), "no fixed point (float)", or the pipeline's
    float_fixed: float = None        # float nu* (paper) or xi* (ensemble)
    fixed: tuple = None              # (a, b) Fractions holding the fixed point
    mu_star: tuple = None
    nu_star: tuple = None
    j12: tuple = None
    j22: tuple = None
    s: tuple = None
    rho: tuple = None
    stable: bool = None
    reason: str = ""
    certificate: str = None

    ratio: tuple = None              # with NO_FIXED_POINT: enclosure of min or max of h(x)/x

    @property
    def certified(self) -> bool:
        """The row's statement is certified: a fixed point with its numbers, or none."""
        return self.status in ("proved", NO_FIXED_POINT)

    @property
    def has_fixed_point(self) -> bool:
        """A fixed point and its numbers are certified (status "proved")."""
        return self.status == "proved"

    def to_dict(self) -> dict:
        fr = lambda p: None if p is None else [str(p[0]), str(p[1])]
        fl = lambda p: None if p is None else [p[0], p[1]]
        return {"rate": text_of(self.rate), "status": self.status, "certified": self.certified,
                "float_fixed_point": self.float_fixed, "fixed_interval": fr(self.fixed),
                "mu_star": fl(self.mu_star), "nu_star": fl(self.nu_star),
                "J12": fl(self.j12), "J22": fl(self.j22), "S": fl(self.s), "rho": fl(self.rho),
                "stable": self.stable, "reason": self.reason, "certificate": self.certificate,
                "no_fixed_point_range": ([str(NO_FP_RANGE[0]), str(NO_FP_RANGE[1])]
                                         if self.status == NO_FIXED_POINT else None),
                "ratio_bound": fl(self.ratio)}


@dataclass
class RateTable:
    params: Params
    init: Initialiser
    kind: str                        # "alpha" or "standard"
    convention: str                  # "ensemble" or "paper"
    rows: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def certified(self) -> bool:
        return all(r.certified for r in self.rows)

    def to_dict(self) -> dict:
        return {"activation": self.params.activation, "params": self.params.labelled_specs(),
                "initialiser": self.init.spec, "fan_in": self.init.fan_in, "tau": self.init.tau_text(),
                "dropout": self.kind, "convention": self.convention,
                "variable": "nu" if self.convention == "paper" else "xi = nu + mu^2",
                "jacobian": ("paper: J = [[0, J12], [0, J22]] at omega = 0" if self.convention == "paper"
                             else "ensemble: J = [[2 mu* J12, J12], [2 mu* J22, J22]]"),
                "certified": self.certified, "seconds": self.seconds,
                "rows": [r.to_dict() for r in self.rows]}


def _exprs(d, activation: str, convention: str) -> dict:
    e = NW.expressions(d, activation)
    if convention == "ensemble":
        # J = (J12, J22)^T (2 mu, 1) has rank 1: ||J||_2 = |(J12, J22)| |(2 mu, 1)|
        e["S"] = f"sqrt((({e['dM']})**2 + ({e['dN']})**2)*(1 + 4*({e['M']})**2))"
        e["rho"] = e["dX"]
        e["h"] = e["X"]
    else:
        e["rho"] = e["dN"]
        e["h"] = e["N"]
    return e


def _between(res, k):
    """(lo, hi) floats from parts k (min) and k + 1 (max): the range over [a, b]."""
    return (res.parts[k].enclosure[0], res.parts[k + 1].enclosure[1])


def _no_fixed_point(row, e, params, tau_rng, convention, runner, out, max_boxes, tag):
    """Certify h(x)/x > 1 (the variance grows) or < 1 (it collapses) on NO_FP_RANGE:
    then h has no fixed point there."""
    var = "nu" if convention == "paper" else "xi"
    dom = NW.domain_of(*NO_FP_RANGE, tau_rng)
    lo, hi = (text_of(v) for v in NO_FP_RANGE)
    reasons = []
    for sense, rel in (("min", "> 1"), ("max", "< 1")):
        part = C.Extremum(f"h/{var}.{sense}", f"({e['h']})/nu", sense, dom, threshold="1", tol=C.NO_TOL)
        res, done = NW.certify_parts(f"network-no-fixed-point@{tag},{sense}", [part], params, runner, out,
                                     max_boxes)
        if done.status == "proved":
            row.status, row.ratio = NO_FIXED_POINT, res.parts[0].enclosure
            row.certificate = None if done.path is None else str(done.path)
            row.reason = (f"h({var})/{var} {rel} on {var} in [{lo}, {hi}] (certified): the variance "
                          + ("grows" if sense == "min" else "shrinks") + " at every step there")
            return
        reasons.append(f"h/{var} {rel}: {done.status}")
    row.status = "not proved"
    row.reason = "no fixed point found, and neither " + " nor ".join(reasons)


def _row(rate, kind, params, init, tau_rng, convention, runner, out, max_boxes) -> RateRow:
    row = RateRow(rate)
    tag = (f"{params.activation},tau={text_of(tau_rng[0])},dropout={kind}:{text_of(rate)},"
           f"{convention}")
    d = dropout_mod.Dropout(kind, rate)
    e = _exprs(d, params.activation, convention)
    f = NW.FloatMap(params, e, init.tau_float)
    slope = "dN" if convention == "paper" else "dX"
    value = "N" if convention == "paper" else "X"
    x = NW.float_fixed_point(f, value, slope)
    r = None if x is None else TIGHT * (1 + x)
    if x is None or x - r <= NO_FP_RANGE[0]:
        _no_fixed_point(row, e, params, tau_rng, convention, runner, out, max_boxes, tag)
        if not row.certified:
            row.float_fixed = x
            row.reason = (f"the float fixed point {x:.3g} is too close to 0 for a tight interval; "
                          if x is not None else "the float iteration finds no fixed point "
                          "with positive variance below 1e6; ") + row.reason
        return row
    row.float_fixed = x
    a, b = NW.dec_down(x - r, 12), NW.dec_up(x + r, 12)
    dom = NW.domain_of(a, b, tau_rng)
    dom_a, dom_b = NW.domain_of(a, a, tau_rng), NW.domain_of(b, b, tau_rng)
    if f("rho", x) < 1:        # h(x) - x decreasing through x*: h(a) > a, h(b) < b
        ends = [C.Extremum("h(a)>a", e["h"], "min", dom_a, threshold=text_of(a), tol=C.NO_TOL),
                C.Extremum("h(b)<b", e["h"], "max", dom_b, threshold=text_of(b), tol=C.NO_TOL)]
    else:
        ends = [C.Extremum("h(a)<a", e["h"], "max", dom_a, threshold=text_of(a), tol=C.NO_TOL),
                C.Extremum("h(b)>b", e["h"], "min", dom_b, threshold=text_of(b), tol=C.NO_TOL)]
    parts = list(ends)
    for name in ("M", "dM", "dN", "S", "rho"):
        parts += [C.Extremum(f"{name}.min", e[name], "min", dom, tol=1e-12),
                  C.Extremum(f"{name}.max", e[name], "max", dom, tol=1e-12)]
    res, done = NW.certify_parts(f"network-rate@{tag}", parts, params, runner, out, max_boxes)
    row.certificate = None if done.path is None else str(done.path)
    row.status = done.status
    if done.status != "proved":
        row.reason = done.reason or "; ".join(f"{p.key} {p.status}" for p in res.parts if p.status != "proved")
        return row
    row.fixed = (a, b)
    row.mu_star = _between(res, 2)
    row.j12, row.j22, row.s, row.rho = (_between(res, k) for k in (4, 6, 8, 10))
    sec = NW.Section(convention, fixed=(a, b), mu_star=row.mu_star)
    row.nu_star = sec.nu_star
    lo, hi = row.rho
    row.stable = True if -1 < lo and hi < 1 else False if (lo > 1 or hi < -1) else None
    return row


def rate_table(params: Params, init: Initialiser, dropout: str, rates, *, convention: str = "ensemble",
               out=None, workers: int = 1, max_boxes: int = 20_000, on_row=None) -> RateTable:
    """The rate table (module doc) for ``dropout`` "alpha" or "standard" at ``rates``
    (a ``parse_rates`` text or a sequence of rates).  ``out``: a folder for the
    certificates (None: checked in memory).  ``on_row(row)`` is called as rows finish."""
    kind = _kind(dropout)
    if convention not in NW.CONVENTIONS:
        raise NW.NetworkError(f"convention must be one of {', '.join(NW.CONVENTIONS)}; got {convention!r}")
    rs = parse_rates(rates)
    if kind == "alpha":
        NW.expressions(dropout_mod.Dropout("alpha", Fraction(1, 2)), params.activation)  # known f(-inf)?
    tau_rng = NW.tau_range_of(init)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    table = RateTable(params, init, kind, convention)
    t0 = time.perf_counter()
    with Runner(workers) as runner:
        for rate in rs:
            row = _row(rate, kind, params, init, tau_rng, convention, runner, out, max_boxes)
            table.rows.append(row)
            if on_row is not None:
                on_row(row)
    table.seconds = time.perf_counter() - t0
    return table


# --------------------------------------------------------------------------- printing

def _decimal_text(v: Fraction, exp10: int) -> str:
    """The exact decimal v (a multiple of 10^exp10) in positional notation."""
    places = max(0, -exp10)
    sign = "-" if v < 0 else ""
    n = abs(v) * 10 ** places
    assert n.denominator == 1
    digits = str(n.numerator).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def short(lo, hi, digits: int = 8) -> str:
    """An enclosure [lo, hi] as one decimal v with as many significant digits (at most
    ``digits``) as keep [lo, hi] inside v +- one unit of its last digit; '0+-r' when it
    contains 0 (r rounded up).  The JSON keeps the exact bounds."""
    lo, hi = Fraction(lo), Fraction(hi)
    if lo <= 0 <= hi:
        r = max(-lo, hi)
        return "0" if r == 0 else "0±" + f"{_up(float(r)):.0e}".replace("e-0", "e-")
    mid = (lo + hi) / 2
    e = math.floor(math.log10(abs(mid)))
    for d in range(digits, 0, -1):
        k = e - d + 1
        unit = Fraction(10) ** k
        v = round(mid / unit) * unit
        if v - unit <= lo and hi <= v + unit:
            return _decimal_text(v, k) if e >= -3 else f"{float(v):.{d - 1}e}"
    return f"[{float(lo):.3g}, {float(hi):.3g}]"


def _up(x: float) -> float:
    """x rounded up to one significant digit."""
    if x <= 0:
        return 0.0
    e = math.floor(math.log10(x))
    return math.ceil(x / 10 ** e) * 10 ** e


def table_lines(t: RateTable, digits: int = 7) -> list:
    """The table, at most 80 columns: one row per rate."""
    var = "nu*" if t.convention == "paper" else "nu*"
    head = ("rate", "mu*", var, "J12", "J22", "S", "rho", "stable")
    rows = []
    for r in t.rows:
        if r.status == NO_FIXED_POINT:
            v = "nu" if t.convention == "paper" else "xi"
            rows.append((text_of(r.rate), f"no fixed point with {v} in [1e-6, 1e6] (certified)"))
            continue
        if not r.certified:
            rows.append((text_of(r.rate), r.status if r.status != "not run" else "-"))
            continue
        rows.append((text_of(r.rate), short(*r.mu_star, digits), short(*r.nu_star, digits),
                     short(*r.j12, digits), short(*r.j22, digits), short(*r.s, digits),
                     short(*r.rho, digits), {True: "yes", False: "no", None: "?"}[r.stable]))
    widths = [max([len(head[i])] + [len(x[i]) for x in rows if len(x) == len(head)]) for i in range(len(head))]
    fmt = lambda cells: " ".join(c.rjust(w) for c, w in zip(cells, widths))
    out = [fmt(head)]
    for x in rows:
        out.append(fmt(x) if len(x) == len(head) else f"{x[0].rjust(widths[0])} {x[1]}")
    return out
