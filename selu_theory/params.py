"""An activation's parameters as exact specifications: (activation, {parameter: value}).

A parameter value is either a named constant ("alpha01", "lambda01", computed from its
closed form at whatever precision is asked) or an exact rational given as text (decimal,
p/q or hex float, read by ``selu_theory.numbers.parse``).  Keeping the specification
rather than a float lets every evaluation, and the certificate checker, rebuild the same
ball at its own precision.

Two ``Params`` are equal when they mean the same values: "1.0507" equals "1.05070", but
"lambda01" does not equal any decimal (a named constant is irrational).  The text a
value was given as is kept (``spec``) for certificates and messages.

Which parameters an activation has, their labels, defaults and named constants, and the
structure its moments declare, are read from its generated kernels' metadata
(``kernel_loader.activation_info``), written from its spec (``selu_theory.activations``)
by the generator: there is no second list here.
"""
from __future__ import annotations

import functools
import pathlib
from dataclasses import dataclass

from flint import arb

from selu_theory import constants
from selu_theory.kernel_loader import KernelsNotFound, activation_info
from selu_theory.numbers import NumberError, parse

@dataclass(frozen=True)
class Parameter:
    name: str        # the name in expressions and in ``Params`` ("lam")
    label: str       # the name in messages and certificates ("lambda")
    default: str     # a named constant or exact decimal
    meaning: str     # one line, for the quantity table and the docs


@dataclass(frozen=True)
class ActivationParameters:
    activation: str
    parameters: tuple   # of Parameter, in positional order
    named: dict         # named constant -> function(bits) -> arb
    structure: dict | None = None   # {"scale": name or None, "shape_affine": name or None}
    formula: str = ""

    @property
    def names(self) -> tuple:
        return tuple(p.name for p in self.parameters)


DEFAULT_ACTIVATION = "selu"

# The SELU named constants (kept for callers that look them up by name).
NAMED = constants.NAMED


class ParamError(ValueError):
    """A parameter specification that is not a positive finite number or a named constant."""


@functools.cache
def activation_parameters(activation: str = DEFAULT_ACTIVATION) -> ActivationParameters:
    """The parameters of ``activation`` as its generated kernels declare them."""
    try:
        info = activation_info(activation)
    except KernelsNotFound as exc:
        raise ParamError(str(exc)) from None
    params = tuple(Parameter(*row) for row in info["PARAMETER_INFO"])
    named = {n: constants.NAMED[n] for n in info["NAMED_CONSTANTS"]}
    return ActivationParameters(activation, params, named, info["STRUCTURE"], info["FORMULA"])


def registered_activations() -> tuple:
    """The ids of the activations whose kernels are generated into the package (sorted,
    SELU first): the names ``--activation`` accepts."""
    root = pathlib.Path(__file__).resolve().parent / "_generated"
    ids = sorted(p.name for p in root.iterdir() if (p / "ball_kernels.py").is_file())
    return tuple(sorted(ids, key=lambda i: (i != DEFAULT_ACTIVATION, i)))


# The SELU spellings of two parameters (``--alpha``, ``--lambda``): they name the parameter
# of that name in any activation that has it, and are an error for one that has not.
SPELLINGS = {"alpha": "--alpha", "lam": "--lambda"}


def given_values(activation: str, assignments=(), spellings=None) -> dict:
    """{parameter name: specification text} from ``assignments`` ((name, value) pairs, e.g.
    from ``--param alpha=2.9``) and ``spellings`` ({"alpha": text or None, "lam": ...},
    from ``--alpha``/``--lambda``).  ParamError (one line, naming the activation's
    parameters) for an unknown name, a name given twice, or an invalid value."""
    ap = activation_parameters(activation)
    names = ap.names
    out = {}

    def put(name, value, how):
        if name not in names:
            raise ParamError(f"{activation} has no parameter {name!r} ({how}); its parameters: "
                             f"{', '.join(names) or '(none)'}")
        if name in out:
            raise ParamError(f"parameter {name!r} of {activation} given twice")
        label = next(p.label for p in ap.parameters if p.name == name)
        out[name] = check_spec(value, label, activation)

    for name, value in (spellings or {}).items():
        if value is not None:
            put(name, value, SPELLINGS.get(name, name))
    for name, value in assignments or ():
        put(str(name).strip(), value, f"--param {name}=...")
    return out


def parameter_names(activation: str = DEFAULT_ACTIVATION) -> tuple:
    """The parameter names an expression may use as constants for ``activation``."""
    return activation_parameters(activation).names


def _value(text: str, what: str, named: dict):
    """The value a specification means: the named id itself, or the exact Fraction."""
    if text in named:
        return text
    try:
        q = parse(text, what)
    except NumberError as exc:
        raise ParamError(f"{exc} (or one of {', '.join(named)})") from None
    if q <= 0:
        raise ParamError(f"{what} must be positive; got {text!r}")
    return q


def check_spec(text, what: str, activation: str = DEFAULT_ACTIVATION) -> str:
    """The stripped specification text; ParamError unless it is a named constant of the
    activation or a positive finite number."""
    t = str(text).strip()
    _value(t, what, activation_parameters(activation).named)
    return t


class Params:
    """(activation, {parameter: value}) as exact specifications; immutable, compared by value.

    ``Params()`` is SELU at alpha01, lambda01; ``Params("1.8", "1.05")`` and
    ``Params(alpha="1.8", lam="1.05")`` give the parameters in the activation's order or by
    name; a missing or None value takes the default."""

    def __init__(self, *args, activation: str = DEFAULT_ACTIVATION, **kwargs):
        spec = activation_parameters(activation)
        if len(args) > len(spec.parameters):
            raise ParamError(f"{activation} has {len(spec.parameters)} parameters; got {len(args)} values")
        given = dict(zip(spec.names, args))
        for k, val in kwargs.items():
            if k not in spec.names:
                raise ParamError(f"{activation} has no parameter {k!r}; its parameters: {', '.join(spec.names)}")
            if k in given:
                raise ParamError(f"parameter {k!r} given twice")
            given[k] = val
        specs, values = {}, {}
        for p in spec.parameters:
            raw = given.get(p.name)
            t = p.default if raw is None else str(raw).strip()
            values[p.name] = _value(t, p.label, spec.named)
            specs[p.name] = t
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "specs", specs)
        object.__setattr__(self, "values", values)

    def __setattr__(self, name, value):
        raise AttributeError("Params is immutable")

    def __reduce__(self):  # pickling (worker processes) rebuilds from the specifications
        return (_rebuild, (self.activation, tuple(self.specs.items())))

    # ---- identity: by value, never by spelling
    def _key(self):
        return (self.activation, tuple(self.values[n] for n in self._spec.names))

    def same_values(self, other) -> bool:
        """Whether ``other`` means the same activation and parameter values."""
        return isinstance(other, Params) and self._key() == other._key()

    def __eq__(self, other):
        if not isinstance(other, Params):
            return NotImplemented
        return self.same_values(other)

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.specs.items())
        extra = "" if self.activation == DEFAULT_ACTIVATION else f", activation={self.activation!r}"
        return f"Params({inner}{extra})"

    # ---- reading
    @property
    def names(self) -> tuple:
        """The parameter names, in order: the expression language's constants."""
        return self._spec.names

    @property
    def structure(self) -> dict:
        """The moment structure the activation declares: {"scale": parameter or None,
        "shape_affine": parameter or None} (see ``activations.spec.Structure``)."""
        return dict(self._spec.structure or {})

    def spec(self, name: str) -> str:
        return self.specs[name]

    @property
    def alpha(self) -> str:
        return self.specs["alpha"]

    @property
    def lam(self) -> str:
        return self.specs["lam"]

    def _ball(self, name: str, bits: int) -> arb:
        v = self.values[name]
        if isinstance(v, str):
            return self._spec.named[v](bits)
        return arb(v.numerator) / arb(v.denominator)

    def balls(self, bits: int) -> tuple:
        """The parameters as Arb balls, in order (named constants to ``bits`` bits;
        rationals divided at the current working precision)."""
        return tuple(self._ball(n, bits) for n in self._spec.names)

    def ball_env(self, bits: int) -> dict:
        """{parameter name: ball}, for an expression's environment."""
        return dict(zip(self._spec.names, self.balls(bits)))

    def floats(self) -> tuple:
        return tuple(float(b.mid()) for b in self.balls(128))

    def labelled_specs(self) -> dict:
        """{label: specification text}, e.g. {"alpha": "alpha01", "lambda": "lambda01"}."""
        return {p.label: self.specs[p.name] for p in self._spec.parameters}

    def describe(self) -> str:
        text = ", ".join(f"{k}={v}" for k, v in self.labelled_specs().items())
        return text if self.activation == DEFAULT_ACTIVATION else f"{self.activation}: {text}"

    @classmethod
    def from_labels(cls, activation: str, labelled: dict) -> "Params":
        """The Params of {label: specification} (a certificate's "params" object): every
        parameter of the activation, by its label, and nothing else."""
        spec = activation_parameters(activation)
        by_label = {p.label: p.name for p in spec.parameters}
        unknown = sorted(set(labelled) - set(by_label))
        missing = [lb for lb in by_label if lb not in labelled]
        if unknown or missing:
            raise ParamError(f"{activation} has the parameters {', '.join(by_label)}; got "
                             f"{', '.join(map(str, labelled)) or 'none'}")
        return cls(activation=activation, **{by_label[k]: v for k, v in labelled.items()})


def _rebuild(activation, items):
    return Params(activation=activation, **dict(items))
