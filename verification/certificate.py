"""The certificate schema: one JSON file per claim, sealed with a sha256 of its canonical form.

This module is the format's only home.  The prover builds the typed parts below
(``ExtremumPart``, ``PointPart``, ``FixedPointPart``) and ``build`` seals them into a
``Certificate``; the checker reads a ``Certificate`` that ``loads``/``load``/``from_json``
produced.  Those loaders are strict: anything that is not exactly what ``to_json`` writes
is refused with one ``CertificateError`` line -- duplicate keys, JSON floats and the
NaN/Infinity tokens, non-finite or non-canonical hex floats, numbers the user-number
parser refuses (``1e-999999999``), wrong types, unknown or missing fields, short tree
nodes, files that are too large or nested too deep, and bytes that are not the
canonical serialization.  So the checker never meets a malformed value.

The body holds everything the checker needs and nothing that varies between runs
(no timings, no worker counts), so 1 and N workers write byte-identical files.
"""
from __future__ import annotations

import hashlib
from importlib import metadata
import json
import math
import pathlib
import re
from dataclasses import dataclass

import flint
import numpy

from selu_theory import __version__
from selu_theory import numbers
from selu_theory.kernel_loader import generator_input_hash, spec_text
from selu_theory.params import DEFAULT_ACTIVATION
from selu_theory.params import NAMED as NAMED_PARAMS
from selu_theory.quantities import BASE_VARS, EXTRA_VARS, domain_variables
from verification.files import write_atomic

FORMAT = "selu-theory-certificate/1"
MAX_BYTES = 64 * 2**20   # the largest certificate file read (the 17 claims' largest is a few MB)
MAX_DEPTH = 16           # JSON nesting of a valid certificate is at most 7
MAX_TEXT = 20_000        # characters of any one string field
VARS = BASE_VARS   # an extremum part's domain may add extra variables (EXTRA_VARS) after these
STATUSES = ("proved", "disproved", "undecided")
LEAF_REASONS = ("enclosure", "mvf", "enclosure2", "mvf2", "taylor", "face")
RELATIONS = ("==", "<", ">")
MAX_FIXED_POINT_BITS = 20_000
MAX_DIGITS = 1000


class CertificateError(ValueError):
    """A certificate that is unreadable or malformed; the message is one line."""


def versions() -> dict:
    # Read from the installed metadata: importing sympy just for its version would cost
    # every command a third of a second of start-up.
    return {"selu-theory": __version__, "python-flint": flint.__version__, "sympy": metadata.version("sympy"),
            "mpmath": metadata.version("mpmath"), "numpy": numpy.__version__}


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def digest(body: dict) -> str:
    body = {k: v for k, v in body.items() if k != "sha256"}
    return hashlib.sha256(canonical(body)).hexdigest()


def seal(body: dict) -> dict:
    body = {k: v for k, v in body.items() if k != "sha256"}
    body["sha256"] = digest(body)
    return body


def verify_seal(cert: dict) -> bool:
    claimed = cert.get("sha256")
    return isinstance(claimed, str) and digest(cert) == claimed


# --------------------------------------------------------------------------- field readers

def _line(x) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:40] + "..." + s[-10:]


def _expect(cond: bool, where: str, what: str, x=None):
    if not cond:
        raise CertificateError(f"{where}: {what}" + ("" if x is None else f"; got {_line(x)}"))


def _text(x, where: str, limit: int = MAX_TEXT) -> str:
    _expect(isinstance(x, str), where, "must be text", x)
    _expect(len(x) <= limit, where, f"longer than {limit} characters")
    return x


def _int(x, where: str, lo: int, hi: int) -> int:
    _expect(type(x) is int and lo <= x <= hi, where, f"must be an integer in [{lo}, {hi}]", x)
    return x


def _bool(x, where: str) -> bool:
    _expect(type(x) is bool, where, "must be true or false", x)
    return x


def _choice(x, where: str, options) -> str:
    _expect(isinstance(x, str) and x in options, where, f"must be one of {', '.join(options)}", x)
    return x


def _hex(x, where: str) -> str:
    """A finite float written exactly as ``float.hex`` writes it."""
    _expect(isinstance(x, str) and len(x) <= 40, where, "must be a hex float", x)
    try:
        f = float.fromhex(x)
    except (ValueError, OverflowError):
        raise CertificateError(f"{where}: not a hex float; got {_line(x)}") from None
    _expect(math.isfinite(f), where, "must be a finite number", x)
    _expect(f.hex() == x, where, "hex float not in canonical form", x)
    return x


def _opt_hex(x, where: str):
    return None if x is None else _hex(x, where)


def _rational(x, where: str) -> str:
    """Exact rational text, read by the user-number parser (which refuses hostile
    exponents by their spelling before building any Fraction)."""
    _expect(isinstance(x, str), where, "must be a number as text", x)
    try:
        numbers.parse(x, where)
    except numbers.NumberError as exc:
        raise CertificateError(str(exc)) from None
    return x


def _list(x, where: str, n: int = None) -> list:
    _expect(isinstance(x, list), where, "must be a list", x)
    if n is not None:
        _expect(len(x) == n, where, f"must have {n} entries", x)
    return x


def _fields(d, where: str, keys) -> dict:
    _expect(isinstance(d, dict), where, "must be an object", d)
    missing, extra = set(keys) - set(d), set(d) - set(keys)
    _expect(not missing, where, f"missing field(s) {', '.join(sorted(missing))}")
    _expect(not extra, where, f"unknown field(s) {', '.join(sorted(map(str, extra)))}")
    return d


def _point(x, where: str, n: int = len(VARS)) -> tuple:
    return tuple(_rational(v, f"{where}[{i}]") for i, v in enumerate(_list(x, where, n)))


def _pair(x, where: str, read) -> tuple:
    lo, hi = _list(x, where, 2)
    return read(lo, f"{where}[0]"), read(hi, f"{where}[1]")


def _box(x, where: str, n: int = len(VARS)) -> tuple:
    out = []
    for i, side in enumerate(_list(x, where, n)):
        lo, hi = _pair(side, f"{where}[{i}]", _hex)
        _expect(float.fromhex(lo) <= float.fromhex(hi), f"{where}[{i}]", "lower end above upper end", side)
        out.append((lo, hi))
    return tuple(out)


_LITERAL = re.compile(r"(?<![\w.])(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?")


def _expression(x, where: str) -> str:
    """Expression text; its number literals must pass the user-number parser, so that an
    exponent like 1e-999999999 is refused here and not while the checker evaluates."""
    _text(x, where, 10_000)
    for lit in _LITERAL.findall(x):
        try:
            numbers.parse(lit.replace("_", ""), f"{where}: literal")
        except numbers.NumberError as exc:
            raise CertificateError(str(exc)) from None
    return x


def _tuples(x):
    """JSON lists for tuples, recursively (``to_json``)."""
    if isinstance(x, tuple):
        return [_tuples(v) for v in x]
    if isinstance(x, dict):
        return {k: _tuples(v) for k, v in x.items()}
    return x


# --------------------------------------------------------------------------- parts

@dataclass(frozen=True)
class Witness:
    """A point of the domain and an enclosure [lo, hi] of the quantity there (None: unbounded)."""

    point: tuple
    value: tuple

    def to_json(self) -> dict:
        return {"point": list(self.point), "value": list(self.value)}

    @classmethod
    def from_json(cls, d, where: str, n: int = len(VARS)) -> "Witness":
        _fields(d, where, ("point", "value"))
        return cls(_point(d["point"], f"{where}.point", n), _pair(d["value"], f"{where}.value", _opt_hex))


@dataclass(frozen=True)
class Counterexample:
    point: tuple
    value: tuple
    value_text: str

    def to_json(self) -> dict:
        return {"point": list(self.point), "value": list(self.value), "value_text": self.value_text}

    @classmethod
    def from_json(cls, d, where: str, n: int = len(VARS)) -> "Counterexample":
        _fields(d, where, ("point", "value", "value_text"))
        return cls(_point(d["point"], f"{where}.point", n), _pair(d["value"], f"{where}.value", _opt_hex),
                   _text(d["value_text"], f"{where}.value_text", 200))


def read_tree(tree, where: str, n: int = len(VARS)) -> tuple:
    """Preorder nodes ("s", dim, split) / ("l", reason, box, upper) / ("u", box), each
    checked for its shape and exact hex floats (boxes of ``n`` sides, dims below ``n``);
    returned as tuples of the JSON texts."""
    out = []
    for i, node in enumerate(_list(tree, where)):
        at = f"{where}[{i}]"
        _expect(isinstance(node, list) and node and isinstance(node[0], str), at, "malformed tree node", node)
        tag = node[0]
        if tag == "s":
            _list(node, at, 3)
            out.append(("s", _int(node[1], f"{at}[1]", 0, n - 1), _hex(node[2], f"{at}[2]")))
        elif tag == "l":
            _list(node, at, 4)
            out.append(("l", _choice(node[1], f"{at}[1]", LEAF_REASONS), _box(node[2], f"{at}[2]", n),
                        _hex(node[3], f"{at}[3]")))
        elif tag == "u":
            _list(node, at, 2)
            out.append(("u", _box(node[1], f"{at}[1]", n)))
        else:
            raise CertificateError(f"{at}: unknown tree node {_line(tag)}")
    return tuple(out)


@dataclass(frozen=True)
class ExtremumPart:
    """max (or min) of ``expr`` on ``domain``: a proof tree of sign*expr <= target, an
    enclosure [lo, hi] of the extremum (None: unbounded) and a witness point.

    The domain's variables are recorded as the keys of its ``domain`` object: mu, omega,
    nu, tau and any extra variables (``quantities.EXTRA_VARS``, e.g. a dropout rate);
    boxes, points and split dimensions follow their canonical order
    (``quantities.domain_variables``).  A 4-variable part is written exactly as before."""

    key: str
    expr: str
    sense: str
    domain: tuple  # ((lo, hi) rational texts) for each of ``variables``
    reduced: object  # False, or (bool, bool): the pairs searched as their products
    box: tuple  # the tree's root box, hex floats
    threshold: str  # None: enclose only
    objective_sign: int
    target: str  # hex float or None
    strict: bool
    status: str
    enclosure: tuple  # (lo, hi) hex floats or None
    witness: Witness
    counterexample: Counterexample  # or None
    tree: tuple
    variables: tuple = VARS  # the domain's variables, in their canonical order
    # None, or how the mirror (mu, omega) -> (-mu, -omega) was used (the checker verifies
    # it with its own parity analysis): ("even", (lo, hi)): the expression is even and the
    # tree covers the domain cut to mu in [lo, hi] = [0, a]; ("odd", key): the expression
    # is odd and this part is the mirror of part ``key`` (the opposite sense, same
    # domain): no tree of its own.  Written only when set, so other parts stay as before.
    mirror: tuple = None

    kind = "extremum"

    def to_json(self) -> dict:
        return {"kind": self.kind, "key": self.key, "expr": self.expr, "sense": self.sense,
                "domain": {v: list(r) for v, r in zip(self.variables, self.domain)},
                "reduced": list(self.reduced) if self.reduced else False, "box": _tuples(self.box),
                "threshold": self.threshold, "objective_sign": self.objective_sign, "target": self.target,
                "strict": self.strict, "status": self.status, "enclosure": list(self.enclosure),
                "witness": self.witness.to_json(),
                "counterexample": None if self.counterexample is None else self.counterexample.to_json(),
                "tree": _tuples(self.tree), **_mirror_json(self.mirror)}

    @classmethod
    def from_json(cls, d, where: str) -> "ExtremumPart":
        _fields(d, where, ("kind", "key", "expr", "sense", "domain", "reduced", "box", "threshold",
                           "objective_sign", "target", "strict", "status", "enclosure", "witness",
                           "counterexample", "tree") + (("mirror",) if isinstance(d, dict) and "mirror" in d else ()))
        dom = d["domain"]
        _expect(isinstance(dom, dict), f"{where}.domain", "must be an object", dom)
        extra = [v for v in dom if v not in VARS]
        _expect(all(v in EXTRA_VARS for v in extra), f"{where}.domain",
                f"unknown variable(s); the extra variables are {', '.join(EXTRA_VARS)}", extra)
        variables = domain_variables(dom) if all(v in EXTRA_VARS for v in extra) else VARS
        dom = _fields(dom, f"{where}.domain", variables)
        n = len(variables)
        reduced = d["reduced"]
        if reduced is not False:
            reduced = tuple(_bool(x, f"{where}.reduced") for x in _list(reduced, f"{where}.reduced", 2))
            _expect(any(reduced), f"{where}.reduced", "must be false or name a reduced pair", d["reduced"])
        sense = _choice(d["sense"], f"{where}.sense", ("max", "min"))
        sign = _int(d["objective_sign"], f"{where}.objective_sign", -1, 1)
        _expect(sign == (1 if sense == "max" else -1), f"{where}.objective_sign", "does not match the sense", sign)
        threshold = d["threshold"]
        cex = d["counterexample"]
        return cls(
            key=_text(d["key"], f"{where}.key", 300), expr=_expression(d["expr"], f"{where}.expr"), sense=sense,
            domain=tuple(_pair(dom[v], f"{where}.domain.{v}", _rational) for v in variables), reduced=reduced,
            box=_box(d["box"], f"{where}.box", n),
            threshold=None if threshold is None else _rational(threshold, f"{where}.threshold"),
            objective_sign=sign, target=_opt_hex(d["target"], f"{where}.target"),
            strict=_bool(d["strict"], f"{where}.strict"), status=_choice(d["status"], f"{where}.status", STATUSES),
            enclosure=_pair(d["enclosure"], f"{where}.enclosure", _opt_hex),
            witness=Witness.from_json(d["witness"], f"{where}.witness", n),
            counterexample=None if cex is None else Counterexample.from_json(cex, f"{where}.counterexample", n),
            tree=read_tree(d["tree"], f"{where}.tree", n), variables=variables,
            mirror=_read_mirror(d.get("mirror"), f"{where}.mirror"))


MIRROR_PARITIES = ("even", "odd")


def _mirror_json(mirror) -> dict:
    if mirror is None:
        return {}
    parity, what = mirror
    return {"mirror": {"parity": parity, "half": list(what)} if parity == "even" else {"parity": parity, "of": what}}


def _read_mirror(m, where: str):
    """An extremum part's ``mirror`` object: {"parity": "even", "half": [lo, hi]} or
    {"parity": "odd", "of": key}; None when absent."""
    if m is None:
        return None
    _expect(isinstance(m, dict), where, "must be an object", m)
    parity = _choice(m.get("parity"), f"{where}.parity", MIRROR_PARITIES)
    if parity == "even":
        _fields(m, where, ("parity", "half"))
        return parity, _pair(m["half"], f"{where}.half", _rational)
    _fields(m, where, ("parity", "of"))
    return parity, _text(m["of"], f"{where}.of", 300)


@dataclass(frozen=True)
class PointPart:
    """``expr relation value`` at one exact point."""

    key: str
    expr: str
    point: tuple
    relation: str
    value: str
    status: str
    enclosure: tuple  # (lo, hi) hex floats or None
    ball: str  # the prover's Arb ball, for reading

    kind = "point"

    def to_json(self) -> dict:
        return {"kind": self.kind, "key": self.key, "expr": self.expr, "point": list(self.point),
                "relation": self.relation, "value": self.value, "status": self.status,
                "enclosure": list(self.enclosure), "ball": self.ball}

    @classmethod
    def from_json(cls, d, where: str) -> "PointPart":
        _fields(d, where, ("kind", "key", "expr", "point", "relation", "value", "status", "enclosure", "ball"))
        return cls(_text(d["key"], f"{where}.key", 300), _expression(d["expr"], f"{where}.expr"),
                   _point(d["point"], f"{where}.point"), _choice(d["relation"], f"{where}.relation", RELATIONS),
                   _rational(d["value"], f"{where}.value"), _choice(d["status"], f"{where}.status", STATUSES),
                   _pair(d["enclosure"], f"{where}.enclosure", _opt_hex), _text(d["ball"], f"{where}.ball", 2000))


UNIQUENESS = ("box", "global")
MAX_PARAMETERS = 20


@dataclass(frozen=True)
class FixedPointPart:
    """An activation's parameters with fixed point (mu*, nu*) under weights (omega, tau):
    exact rational enclosures, proved unique by Krawczyk.  When the prover failed,
    ``error`` says why and every other field but ``key`` and ``status`` (undecided) is None.

    Two encodings.  SELU's (``alpha_bounds``, ``lambda_bounds``, ...) is the original one,
    kept so that SELU certificates stay byte-identical.  Every other activation's is the
    generic one (``parameters`` is not None): ``parameters`` ((label, lower, upper, text),
    ...) in the activation's order, ``fixed`` the labels held fixed (lower == upper, the
    value given), ``uniqueness`` "box" (exactly one root in a Krawczyk box around the
    enclosures) or "global" (no other root with positive parameters), and
    ``spectral_norm`` (lower, upper) enclosing S at the fixed point (or None)."""

    key: str
    status: str
    mu_star: str = None
    nu_star: str = None
    omega: str = None
    tau: str = None
    bits: int = None
    digits: int = None
    alpha_bounds: tuple = None
    lambda_bounds: tuple = None
    alpha_text: str = None
    lambda_text: str = None
    unique: bool = None
    closed_forms_agree: bool = None
    error: str = None
    parameters: tuple = None
    fixed: tuple = None
    uniqueness: str = None
    spectral_norm: tuple = None

    kind = "fixed-point"
    FIELDS = ("mu_star", "nu_star", "omega", "tau", "bits", "digits", "alpha_bounds", "lambda_bounds",
              "alpha_text", "lambda_text", "unique", "closed_forms_agree")
    GENERIC_FIELDS = ("mu_star", "nu_star", "omega", "tau", "bits", "digits", "parameters", "fixed",
                      "uniqueness", "spectral_norm", "unique")

    @property
    def generic(self) -> bool:
        return self.parameters is not None

    @property
    def labels(self) -> tuple:
        return tuple(p[0] for p in self.parameters) if self.generic else ("alpha", "lambda")

    @property
    def bounds(self) -> dict:
        """{label: (lower, upper)} as written (text)."""
        if self.generic:
            return {p[0]: (p[1], p[2]) for p in self.parameters}
        return {"alpha": self.alpha_bounds, "lambda": self.lambda_bounds}

    def to_json(self) -> dict:
        d = {"kind": self.kind, "key": self.key, "status": self.status, "error": self.error}
        for f in (self.GENERIC_FIELDS if self.generic else self.FIELDS):
            d[f] = _tuples(getattr(self, f))
        return d

    @classmethod
    def from_json(cls, d, where: str) -> "FixedPointPart":
        if isinstance(d, dict) and "parameters" in d:
            return cls._generic_from_json(d, where)
        _fields(d, where, ("kind", "key", "status", "error") + cls.FIELDS)
        key = _text(d["key"], f"{where}.key", 300)
        status = _choice(d["status"], f"{where}.status", STATUSES)
        if d["error"] is not None:
            _text(d["error"], f"{where}.error", 2000)
            _expect(status == "undecided" and all(d[f] is None for f in cls.FIELDS), where,
                    "a failed fixed-point part has status undecided and no results")
            return cls(key, status, error=d["error"])
        agree = d["closed_forms_agree"]
        return cls(key, status, *(_rational(d[f], f"{where}.{f}") for f in ("mu_star", "nu_star", "omega", "tau")),
                   bits=_int(d["bits"], f"{where}.bits", 53, MAX_FIXED_POINT_BITS),
                   digits=_int(d["digits"], f"{where}.digits", 1, MAX_DIGITS),
                   alpha_bounds=_pair(d["alpha_bounds"], f"{where}.alpha_bounds", _rational),
                   lambda_bounds=_pair(d["lambda_bounds"], f"{where}.lambda_bounds", _rational),
                   alpha_text=_text(d["alpha_text"], f"{where}.alpha_text", 2000),
                   lambda_text=_text(d["lambda_text"], f"{where}.lambda_text", 2000),
                   unique=_bool(d["unique"], f"{where}.unique"),
                   closed_forms_agree=None if agree is None else _bool(agree, f"{where}.closed_forms_agree"))

    @classmethod
    def _generic_from_json(cls, d, where: str) -> "FixedPointPart":
        # a failed part always uses the original encoding: the generic one carries results
        _fields(d, where, ("kind", "key", "status", "error") + cls.GENERIC_FIELDS)
        key = _text(d["key"], f"{where}.key", 300)
        status = _choice(d["status"], f"{where}.status", STATUSES)
        _expect(d["error"] is None, f"{where}.error", "a part with parameters has no error")
        rows = _list(d["parameters"], f"{where}.parameters")
        _expect(1 <= len(rows) <= MAX_PARAMETERS, f"{where}.parameters",
                f"must list 1 to {MAX_PARAMETERS} parameters")
        params = []
        for i, row in enumerate(rows):
            w = f"{where}.parameters[{i}]"
            label, lo, hi, text = _list(row, w, 4)
            label = _text(label, f"{w}[0]", 40)
            _expect(bool(label), f"{w}[0]", "must be a parameter label", label)
            lo, hi = _rational(lo, f"{w}[1]"), _rational(hi, f"{w}[2]")
            _expect(numbers.parse(lo) <= numbers.parse(hi), w, "lower end above upper end", row)
            params.append((label, lo, hi, _text(text, f"{w}[3]", 2000)))
        labels = [p[0] for p in params]
        _expect(len(set(labels)) == len(labels), f"{where}.parameters", "repeated parameter label", labels)
        fixed = tuple(_text(x, f"{where}.fixed", 40) for x in _list(d["fixed"], f"{where}.fixed"))
        by_label = {p[0]: p for p in params}
        for lb in fixed:
            _expect(lb in by_label, f"{where}.fixed", "names a parameter that is not listed", lb)
            _expect(numbers.parse(by_label[lb][1]) == numbers.parse(by_label[lb][2]), f"{where}.fixed",
                    "a fixed parameter's lower and upper ends must be its value", lb)
        _expect(len(set(fixed)) == len(fixed), f"{where}.fixed", "repeated parameter label", fixed)
        s = d["spectral_norm"]
        if s is not None:
            s = _pair(s, f"{where}.spectral_norm", _rational)
            _expect(numbers.parse(s[0]) <= numbers.parse(s[1]), f"{where}.spectral_norm",
                    "lower end above upper end", s)
        return cls(key, status, *(_rational(d[f], f"{where}.{f}") for f in ("mu_star", "nu_star", "omega", "tau")),
                   bits=_int(d["bits"], f"{where}.bits", 53, MAX_FIXED_POINT_BITS),
                   digits=_int(d["digits"], f"{where}.digits", 1, MAX_DIGITS),
                   unique=_bool(d["unique"], f"{where}.unique"), parameters=tuple(params), fixed=fixed,
                   uniqueness=_choice(d["uniqueness"], f"{where}.uniqueness", UNIQUENESS), spectral_norm=s)


PART_KINDS = {cls.kind: cls for cls in (ExtremumPart, PointPart, FixedPointPart)}


def part_from_json(d, where: str = "part"):
    _expect(isinstance(d, dict), where, "must be an object", d)
    kind = d.get("kind")
    _expect(isinstance(kind, str) and kind in PART_KINDS, f"{where}.kind",
            f"must be one of {', '.join(PART_KINDS)}", kind)
    return PART_KINDS[kind].from_json(d, where)


# --------------------------------------------------------------------------- the certificate

def _param(x, where: str) -> str:
    """A parameter: a named constant (alpha01, lambda01) or a positive rational as text."""
    _expect(isinstance(x, str), where, "must be text", x)
    if x in NAMED_PARAMS:
        return x
    try:
        numbers.parse(x, where, positive=True)
    except numbers.NumberError as exc:
        raise CertificateError(str(exc)) from None
    return x


@dataclass(frozen=True)
class Certificate:
    claim: str
    statement: str
    params: tuple  # ((label, specification), ...) of the activation's parameters, in its order
    bits: int
    versions: tuple  # ((name, version), ...) sorted
    parts: tuple
    sha256: str
    activation: str = DEFAULT_ACTIVATION  # the activation id whose kernels the parts were proved with
    kernels: str = ""  # the hash of the generator's input for those kernels (spec + generator version)
    spec: str = ""     # a user activation's canonical spec text (its id is a hash of it); "" for a built-in

    # SELU's parameters by their labels (None for an activation without them)
    @property
    def alpha(self):
        return dict(self.params).get("alpha")

    @property
    def lam(self):
        return dict(self.params).get("lambda")

    def body(self) -> dict:
        """The JSON object without its seal."""
        return {"format": FORMAT, "claim": self.claim, "statement": self.statement,
                "activation": activation_record(self.activation, self.kernels, self.spec),
                "params": dict(self.params), "bits": self.bits,
                "versions": dict(self.versions), "parts": [p.to_json() for p in self.parts]}

    def to_json(self) -> dict:
        return dict(self.body(), sha256=self.sha256)

    def to_bytes(self) -> bytes:
        return canonical(self.to_json()) + b"\n"

    def extrema(self):
        return [p for p in self.parts if isinstance(p, ExtremumPart)]

    @classmethod
    def from_json(cls, d) -> "Certificate":
        """The typed certificate; ``CertificateError`` (one line) for anything malformed,
        including a seal that does not match the contents."""
        _fields(d, "certificate", ("format", "claim", "statement", "activation", "params", "bits", "versions",
                                   "parts", "sha256"))
        act = _activation_fields(d["activation"])
        _expect(d["format"] == FORMAT, "certificate", f"format is not {FORMAT}", d["format"])
        params = d["params"]
        _expect(isinstance(params, dict) and 1 <= len(params) <= 20, "params",
                "must be an object of the activation's parameters", params)
        vers = d["versions"]
        _expect(isinstance(vers, dict) and len(vers) <= 20, "versions", "must be an object", vers)
        for k, v in vers.items():
            _text(v, f"versions.{k}", 100)
        parts = _list(d["parts"], "parts")
        _expect(bool(parts), "parts", "the certificate has no parts")
        sha = _text(d["sha256"], "sha256", 64)
        cert = cls(claim=_text(d["claim"], "claim", 300), statement=_text(d["statement"], "statement"),
                   params=tuple((_text(k, "params", 40), _param(v, f"params.{k}")) for k, v in params.items()),
                   bits=_int(d["bits"], "bits", 16, 4096), versions=tuple(sorted(vers.items())),
                   parts=tuple(part_from_json(p, f"parts[{i}]") for i, p in enumerate(parts)), sha256=sha,
                   activation=_text(act["id"], "activation.id", 100),
                   kernels=_text(act["kernels_input_sha256"], "activation.kernels_input_sha256", 64),
                   spec=_spec_text(act.get("spec")))
        if digest(d) != sha:
            raise CertificateError("sha256 does not match the contents (altered certificate)")
        return cert


# --------------------------------------------------------------------------- user activations
# A user activation (id "u" + 12 hex of sha256 of its spec text) records its canonical spec
# text, so that a checker on another machine can regenerate its kernels; the checker also
# checks that the text hashes to the id.  A built-in activation's record has no "spec" key,
# so its certificates are byte-identical to those written before user activations existed.
MAX_SPEC = 2000   # characters of a spec text (the grammar's own limit)


def activation_record(activation: str, kernels: str, spec: str = "") -> dict:
    record = {"id": activation, "kernels_input_sha256": kernels}
    if spec:
        record["spec"] = spec
    return record


def _activation_fields(d) -> dict:
    keys = ("id", "kernels_input_sha256", "spec") if isinstance(d, dict) and "spec" in d \
        else ("id", "kernels_input_sha256")
    return _fields(d, "activation", keys)


def _spec_text(x) -> str:
    if x is None:
        return ""
    _text(x, "activation.spec", MAX_SPEC)
    _expect(bool(x) and all(" " <= ch <= "~" for ch in x), "activation.spec",
            "must be non-empty printable ASCII text", x)
    return x


def _domain_text(domain, variables=VARS) -> str:
    return ", ".join(f"{v}={_num(lo)}" if _num(lo) == _num(hi) else f"{v} in [{_num(lo)}, {_num(hi)}]"
                     for v, (lo, hi) in zip(variables, domain))


def _num(text: str) -> str:
    return numbers.text_of(numbers.parse(text))


def part_statement(part) -> str:
    """What a part proves when it is replayed, rebuilt from its verified fields alone."""
    if isinstance(part, ExtremumPart):
        if part.threshold is None:
            what = f"{part.sense} of {part.expr} enclosed"
        else:
            what = f"{part.expr} {'<' if part.sense == 'max' else '>'} {_num(part.threshold)}"
        return f"{what} on {_domain_text(part.domain, part.variables)}"
    if isinstance(part, PointPart):
        return f"{part.expr} {part.relation} {_num(part.value)} at (mu, omega, nu, tau) = " \
               f"({', '.join(_num(x) for x in part.point)})"
    if part.error is not None:
        return "(alpha, lambda) for a fixed point: not found"
    if part.generic:
        free = [p[0] for p in part.parameters if p[0] not in part.fixed]
        held = "".join(f", {p[0]} = {_num(p[1])} held fixed" for p in part.parameters if p[0] in part.fixed)
        scope = "globally unique (positive parameters)" if part.uniqueness == "global" else "unique near its enclosure"
        s_text = "" if part.spectral_norm is None else ", with its spectral norm S enclosed"
        return (f"({', '.join(free)}) giving the fixed point (mu, nu) = ({_num(part.mu_star)}, {_num(part.nu_star)}) "
                f"at (omega, tau) = ({_num(part.omega)}, {_num(part.tau)}){held} is {scope}, "
                f"enclosed to {part.digits} digits{s_text}")
    return (f"(alpha, lambda) giving the fixed point (mu, nu) = ({_num(part.mu_star)}, {_num(part.nu_star)}) "
            f"at (omega, tau) = ({_num(part.omega)}, {_num(part.tau)}) is unique near its enclosure, "
            f"enclosed to {part.digits} digits")


def rebuilt_statement(labelled, parts, activation: str = DEFAULT_ACTIVATION) -> str:
    """The statement of a certificate that is not a registered claim: its parts' statements
    and the parameters ({label: spec}, or its items), after the activation's id unless it
    is SELU.  The checker compares a certificate's ``statement`` with this."""
    text = ", ".join(f"{k}={v}" for k, v in dict(labelled).items())
    return "; ".join(part_statement(p) for p in parts) + \
        (f" ({text})" if activation == DEFAULT_ACTIVATION else f" ({activation}: {text})")


def seal_parts(claim_id: str, statement: str, params, bits: int, parts) -> Certificate:
    """Seal typed parts (None entries skipped) into a certificate."""
    parts = tuple(p for p in parts if p is not None)
    kernels = generator_input_hash(params.activation)
    spec = spec_text(params.activation) or ""
    body = {"format": FORMAT, "claim": claim_id, "statement": statement,
            "activation": activation_record(params.activation, kernels, spec),
            "params": params.labelled_specs(), "bits": bits,
            "versions": versions(), "parts": [p.to_json() for p in parts]}
    return Certificate(claim_id, statement, tuple(params.labelled_specs().items()), bits,
                       tuple(sorted(body["versions"].items())),
                       parts, digest(body), params.activation, kernels, spec)


def build(claim, params, bits: int, parts) -> dict:
    """The sealed JSON body for ``claim`` (its id and statement as given; the checker
    decides whether they are honest).  Parts are typed parts or their JSON objects."""
    typed = [p if not isinstance(p, dict) else part_from_json(p) for p in parts if p is not None]
    return seal_parts(claim.id, claim.statement, params, bits, typed).to_json()


# --------------------------------------------------------------------------- bytes and files

def _reject_constant(token):
    raise CertificateError(f"non-finite number {token} in the certificate")


def _reject_float(token):
    raise CertificateError("the certificate holds a JSON float; numbers are written as text")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise CertificateError(f"duplicate key {_line(k)} in the certificate")
        out[k] = v
    return out


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting of JSON text, counted without parsing it (so a hostile
    file nested 10^6 deep costs a scan, not a recursion)."""
    brackets = numpy.frombuffer(_STRING.sub(b'""', data).translate(None, _NOT_BRACKETS), dtype=numpy.uint8)
    if not brackets.size:
        return 0
    steps = numpy.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(numpy.cumsum(steps).max())


def read_json(data: bytes, source: str = "certificate") -> dict:
    """The JSON object of a certificate of any kind (claim parts or a grid), read
    strictly: size, ASCII, nesting depth, no duplicate keys, no JSON floats or non-finite
    constants, the format tag, and exactly the canonical bytes."""
    if len(data) > MAX_BYTES:
        raise CertificateError(f"{source} is larger than {MAX_BYTES >> 20} MiB")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise CertificateError(f"{source} is not a JSON certificate (not ASCII text)") from None
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise CertificateError(f"{source} is nested {depth} deep (a certificate is at most {MAX_DEPTH})")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant,
                         parse_float=_reject_float)
    except CertificateError as exc:
        raise CertificateError(f"{source}: {exc}") from None
    except (ValueError, RecursionError):
        raise CertificateError(f"{source} is not a JSON certificate") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CertificateError(f"{source} is not a {FORMAT} certificate")
    if canonical(obj) + b"\n" != data:
        raise CertificateError(f"{source}: bytes are not the canonical serialization")
    return obj


def from_object(obj: dict, source: str = "certificate") -> Certificate:
    """The typed certificate of claim parts in a JSON object read by ``read_json``."""
    try:
        return Certificate.from_json(obj)
    except CertificateError as exc:
        raise CertificateError(f"{source}: {exc}") from None


def loads(data: bytes, source: str = "certificate") -> Certificate:
    """The certificate of claim parts in ``data``, which must be exactly the canonical
    serialization."""
    return from_object(read_json(data, source), source)


def read_bytes(path) -> bytes:
    """At most MAX_BYTES + 1 bytes of the file: a device like /dev/zero ends at the limit."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CertificateError(f"cannot read certificate {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise CertificateError(f"{path} is larger than {MAX_BYTES >> 20} MiB")
    return data


def load(path) -> Certificate:
    return loads(read_bytes(path), str(path))


def write(cert, path) -> pathlib.Path:
    """Write a certificate (typed, its JSON object or its bytes) atomically (temporary file
    in the same folder, then a rename: a reader never sees half a certificate)."""
    if isinstance(cert, bytes):
        data = cert
    else:
        data = cert.to_bytes() if isinstance(cert, Certificate) else canonical(cert) + b"\n"
    return write_atomic(path, data)
