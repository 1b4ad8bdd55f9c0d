"""Weight initialisers as the theory sees them: (omega, tau) of one layer.

The theorems speak of omega = sum_i w_i and tau = sum_i w_i^2 over a unit's fan_in
incoming weights.  For a zero-mean initialiser drawn i.i.d. the layer-mean convention
takes their expectations: omega = 0 and tau = fan_in * Var(w).  Per unit j, the drawn
tau_j = sum_i w_ij^2 is within O(1/sqrt(fan_in)) of tau, but omega_j = sum_i w_ij is
NOT small: it has mean 0 and variance fan_in Var(w) = tau.  So omega = 0 describes the
layer on average, not each unit; the statistics pooled over a layer's units follow the
"ensemble" map (z ~ N(0, (nu + mu^2) tau)), which equals the paper's map with omega = 0
where mu = 0 (see network_sim, dropout.layer_map).

Every framework initialiser below is one of three distributions, fixed by one squared
scale ``scale2`` that is an exact rational (gains enter squared: 3/4 -> 9/16):

    normal(std)               Var(w) = std^2                scale2 = std^2
    uniform(-limit, limit)    Var(w) = limit^2 / 3          scale2 = limit^2
    truncated normal          Var(w) = std^2 * V2           scale2 = std^2 (before
      (std, cut at +-2 std)                                          truncation)

with V2 = Var(Z | |Z| <= 2) for a standard normal Z.  For the cut at +-a,
E[Z^2 ; |Z| <= a] = P(|Z| <= a) - 2 a phi(a), so

    V2 = 1 - 2 a phi(a) / erf(a / sqrt 2) = 1 - 4 e^-2 / (sqrt(2 pi) erf(sqrt 2))
       = 0.77374130354992324718...

irrational, so a truncated normal's tau is an Arb ball; the others are exact Fractions.

Keras (``VarianceScaling``, which lecun_*, glorot_*, he_* are) draws its truncated normal
with std = sqrt(scale / n) / 0.87962566103423978, the constant meant to be sqrt(V2) so
that the variance after truncation is scale / n.  It is not sqrt(V2) exactly:
sqrt(V2) = 0.8796256610342397504..., the constant is larger by 2.96e-17, so Keras'
lecun_normal has tau = V2 / 0.87962566103423978^2 = 1 - 6.727e-17 (not exactly 1;
far below anything a float32 weight can express).  We take the constant as the decimal
written in the source; with the double it becomes, 0x1.c25e4b6dba981p-1, tau = 1 -
6.912e-17; the float32 weights frameworks draw carry their own 6e-8 rounding (not
modelled).

Sources (the formulas, each as the framework documents it):
- Keras VarianceScaling, LecunNormal/Uniform, GlorotNormal/Uniform, HeNormal/Uniform:
  https://github.com/keras-team/keras/blob/master/keras/src/initializers/random_initializers.py
  (``stddev = math.sqrt(scale) / 0.87962566103423978`` with scale /= n; uniform limit
  sqrt(3 scale / n); n = fan_in, fan_out or (fan_in + fan_out) / 2), docs
  https://keras.io/api/layers/initializers/ ; the cut at two standard deviations:
  https://www.tensorflow.org/api_docs/python/tf/keras/random/truncated_normal
  ("discarding and re-drawing any samples that are more than two standard deviations
  from the mean") and tf.keras.initializers.TruncatedNormal (same wording).
- PyTorch torch.nn.init: https://docs.pytorch.org/docs/stable/nn.init.html
  calculate_gain: linear/conv/sigmoid 1, tanh 5/3, relu sqrt 2, leaky_relu
  sqrt(2 / (1 + slope^2)), selu 3/4 (with the docs' warning to use 'linear' for SNNs);
  kaiming_normal_: std = gain / sqrt(fan_mode); kaiming_uniform_: bound =
  gain * sqrt(3 / fan_mode); xavier_normal_: std = gain sqrt(2 / (fan_in + fan_out));
  xavier_uniform_: bound = gain sqrt(6 / (fan_in + fan_out)).  Kaiming's default is
  a = 0, nonlinearity 'leaky_relu', so gain sqrt 2.
- PyTorch nn.Linear's default (reset_parameters: kaiming_uniform_(a=sqrt 5), gain^2 =
  2 / (1 + 5) = 1/3, bound = 1/sqrt(fan_in)); the docs state U(-sqrt k, sqrt k), k =
  1/in_features: https://docs.pytorch.org/docs/stable/generated/torch.nn.Linear.html
  -> Var(w) = 1 / (3 fan_in), tau = 1/3.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from selu_theory.ball import exact, precision
from selu_theory.numbers import NumberError, parse, text_of

__all__ = ["Initialiser", "InitialiserError", "initialiser", "parse_initialiser", "table",
           "tau_versus_one", "FRAMEWORK_DEFAULTS",
           "truncated_variance", "KERAS_TRUNCATION_CONSTANT", "MAX_FAN", "KNOWN"]

# Keras' correction, as written in its source (the std of N(0,1) cut at +-2, to 17 digits).
KERAS_TRUNCATION_CONSTANT = Fraction("0.87962566103423978")
TRUNCATION = 2            # Keras and TF cut a truncated normal at two standard deviations
MAX_FAN = 10 ** 9         # larger fans are not a layer anyone builds; refuse them
MAX_SCALE = 10 ** 6       # |std| or |limit| of a user's normal/uniform

KERAS_SOURCE = ("https://github.com/keras-team/keras/blob/master/keras/src/"
                "initializers/random_initializers.py")
TORCH_SOURCE = "https://docs.pytorch.org/docs/stable/nn.init.html"
TORCH_LINEAR_SOURCE = "https://docs.pytorch.org/docs/stable/generated/torch.nn.Linear.html"
TRUNC_SOURCE = "https://www.tensorflow.org/api_docs/python/tf/keras/random/truncated_normal"

DISTRIBUTIONS = ("normal", "uniform", "truncated_normal")


class InitialiserError(ValueError):
    """An initialiser name or fan that cannot be read; the message is one line."""


def truncated_variance(bits: int = 256, cut: int = TRUNCATION) -> arb:
    """V = Var(Z | |Z| <= cut), Z ~ N(0, 1): 1 - 2 cut phi(cut) / erf(cut / sqrt 2)."""
    with precision(bits + 20):
        a = arb(cut)
        phi = (-(a * a) / 2).exp() / (2 * arb.pi()).sqrt()
        val = 1 - 2 * a * phi / (a / arb(2).sqrt()).erf()
    return val


@dataclass(frozen=True)
class Initialiser:
    """One zero-mean i.i.d. initialiser at a given fan: its distribution and exact
    squared scale, and the (omega, tau) it implies in the layer-mean convention."""
    spec: str            # canonical name ("pytorch:kaiming_normal:selu:fan_in")
    distribution: str    # one of DISTRIBUTIONS
    scale2: Fraction     # std^2 (normal; truncated normal before the cut) or limit^2
    fan_in: int
    fan_out: int | None
    formula: str         # how tau follows, one line
    source: str          # the documentation the formula is taken from

    @property
    def omega(self) -> Fraction:
        return Fraction(0)

    @property
    def exact(self) -> bool:
        """tau is an exact rational (False: an Arb ball around an irrational)."""
        return self.distribution != "truncated_normal"

    @property
    def variance(self) -> Fraction | None:
        """Var(w) exactly, or None when it is irrational (see ``variance_ball``)."""
        if self.distribution == "normal":
            return self.scale2
        if self.distribution == "uniform":
            return self.scale2 / 3
        return None

    @property
    def tau(self) -> Fraction | None:
        """tau = fan_in Var(w) exactly, or None for a truncated normal."""
        v = self.variance
        return None if v is None else self.fan_in * v

    def variance_ball(self, bits: int = 256) -> arb:
        with precision(bits + 20):
            if self.exact:
                return exact(self.variance)
            return exact(self.scale2) * truncated_variance(bits)

    def tau_ball(self, bits: int = 256) -> arb:
        """tau as an Arb ball (exact when tau is rational)."""
        with precision(bits + 20):
            return self.fan_in * self.variance_ball(bits)

    @property
    def tau_float(self) -> float:
        return float(self.tau) if self.exact else float(self.tau_ball(64).mid())

    @property
    def scale_float(self) -> float:
        """std (normal, truncated normal before the cut) or limit (uniform), a float."""
        return float(exact(self.scale2).sqrt().mid()) if self.scale2 else 0.0

    def tau_text(self, digits: int = 20) -> str:
        if self.exact:
            return text_of(self.tau)
        return self.tau_ball().str(digits, radius=False)


# --- the framework tables ----------------------------------------------------------

# PyTorch calculate_gain, squared (exact): the docs' table.
TORCH_GAIN2 = {
    "linear": Fraction(1), "identity": Fraction(1), "sigmoid": Fraction(1),
    "conv1d": Fraction(1), "conv2d": Fraction(1), "conv3d": Fraction(1),
    "tanh": Fraction(25, 9), "relu": Fraction(2), "selu": Fraction(9, 16),
}
# Keras VarianceScaling arguments of the named initialisers: (scale, mode, distribution).
KERAS = {
    "lecun_normal": (1, "fan_in", "truncated_normal"),
    "lecun_uniform": (1, "fan_in", "uniform"),
    "glorot_normal": (1, "fan_avg", "truncated_normal"),
    "glorot_uniform": (1, "fan_avg", "uniform"),
    "he_normal": (2, "fan_in", "truncated_normal"),
    "he_uniform": (2, "fan_in", "uniform"),
}
TORCH_NAMES = ("kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform",
               "default")
KNOWN = ("normal:STD", "uniform:LIMIT", "truncated_normal:STD",
         "keras:{lecun,glorot,he}_{normal,uniform}",
         "pytorch:kaiming_{normal,uniform}[:NONLINEARITY][:fan_in|fan_out]",
         "pytorch:xavier_{normal,uniform}", "pytorch:default")


def _known_line() -> str:
    return "known: " + ", ".join(KNOWN)


def _brief(q) -> str:
    """A number for a one-line message: exact when short, else 4 significant digits."""
    t = text_of(q)
    return t if len(t) <= 24 else f"{float(q):.4g}"


def check_fan(value, what: str = "fan-in") -> int:
    """A fan as a positive integer up to MAX_FAN; InitialiserError (one line) if not."""
    if isinstance(value, bool):
        raise InitialiserError(f"{what} must be a positive integer; got {value!r}")
    try:
        q = parse(value, what)
    except NumberError as exc:
        raise InitialiserError(str(exc)) from None
    if q.denominator != 1:
        raise InitialiserError(f"{what} must be a whole number of units; got {_brief(q)}")
    if q < 1:
        raise InitialiserError(f"{what} must be at least 1; got {_brief(q)}")
    if q > MAX_FAN:
        raise InitialiserError(f"{what} must be at most {MAX_FAN}; got {_brief(q)}")
    return int(q)


def _scale(text: str, name: str) -> Fraction:
    try:
        q = parse(text, f"{name} scale", positive=True)
    except NumberError as exc:
        raise InitialiserError(str(exc)) from None
    if q > MAX_SCALE:
        raise InitialiserError(f"{name} scale must be at most {MAX_SCALE}; got {_brief(q)}")
    return q


def _need_fan_out(fan_out, spec: str, why: str) -> int:
    if fan_out is None:
        raise InitialiserError(f"{spec} needs a fan-out ({why})")
    return check_fan(fan_out, "fan-out")


def _torch_gain2(text: str, spec: str) -> tuple[Fraction, str]:
    """(gain^2, canonical nonlinearity) of PyTorch's calculate_gain; for kaiming the
    leaky_relu slope is the argument a (default 0), so 'leaky_relu' alone has gain sqrt 2."""
    if text in TORCH_GAIN2:
        return TORCH_GAIN2[text], text
    if text == "leaky_relu" or text.startswith("leaky_relu="):
        slope = Fraction(0)
        if "=" in text:
            try:
                slope = parse(text.partition("=")[2], "leaky_relu slope", limit=1000)
            except NumberError as exc:
                raise InitialiserError(str(exc)) from None
        return Fraction(2) / (1 + slope * slope), f"leaky_relu={text_of(slope)}"
    raise InitialiserError(
        f"{spec}: unknown nonlinearity {text!r}; known: "
        + ", ".join(sorted(TORCH_GAIN2)) + ", leaky_relu[=SLOPE]")


def _keras(name: str, spec: str, fan_in: int, fan_out) -> Initialiser:
    scale, mode, dist = KERAS[name]
    if mode == "fan_avg":
        fo = _need_fan_out(fan_out, spec, "it scales by (fan_in + fan_out) / 2")
        n = Fraction(fan_in + fo, 2)
        form = f"tau = fan_in * {scale} / ((fan_in + fan_out)/2)"
    else:
        fo, n = fan_out, Fraction(fan_in)
        form = f"tau = fan_in * {scale} / fan_in"
    if dist == "uniform":
        scale2 = 3 * Fraction(scale) / n          # limit = sqrt(3 scale / n)
    else:
        scale2 = Fraction(scale) / n / KERAS_TRUNCATION_CONSTANT ** 2
        form += " * V2 / 0.87962566103423978^2 (cut at +-2 std)"
    return Initialiser(spec, dist, scale2, fan_in, fo, form, KERAS_SOURCE)


def _torch(parts: list, spec: str, fan_in: int, fan_out) -> Initialiser:
    name, rest = parts[0], parts[1:]
    if name == "default":
        if rest:
            raise InitialiserError(f"{spec}: pytorch:default takes no options")
        # kaiming_uniform_(a = sqrt 5): gain^2 = 2 / (1 + 5) = 1/3, bound^2 = gain^2 3 / fan_in
        return Initialiser("pytorch:default", "uniform", Fraction(1, fan_in), fan_in, fan_out,
                           "nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), tau = 1/3",
                           TORCH_LINEAR_SOURCE)
    if name in ("xavier_normal", "xavier_uniform"):
        if rest:
            raise InitialiserError(f"{spec}: {name} takes no options (gain 1)")
        fo = _need_fan_out(fan_out, spec, "it scales by fan_in + fan_out")
        if name == "xavier_normal":
            return Initialiser(f"pytorch:{name}", "normal", Fraction(2, fan_in + fo), fan_in, fo,
                               "std^2 = 2/(fan_in + fan_out), tau = 2 fan_in/(fan_in + fan_out)",
                               TORCH_SOURCE)
        return Initialiser(f"pytorch:{name}", "uniform", Fraction(6, fan_in + fo), fan_in, fo,
                           "bound^2 = 6/(fan_in + fan_out), tau = 2 fan_in/(fan_in + fan_out)",
                           TORCH_SOURCE)
    # kaiming_normal / kaiming_uniform [:nonlinearity] [:mode]
    mode = "fan_in"
    if rest and rest[-1] in ("fan_in", "fan_out"):
        mode = rest.pop()
    if len(rest) > 1:
        raise InitialiserError(f"{spec}: expected pytorch:{name}[:NONLINEARITY][:fan_in|fan_out]")
    gain2, nonlin = _torch_gain2(rest[0] if rest else "leaky_relu", spec)
    if mode == "fan_out":
        fo = _need_fan_out(fan_out, spec, "mode fan_out scales by it")
        fan = fo
    else:
        fo, fan = fan_out, fan_in
    canon = f"pytorch:{name}:{nonlin}:{mode}"
    if name == "kaiming_normal":
        return Initialiser(canon, "normal", gain2 / fan, fan_in, fo,
                           f"std^2 = gain^2/{mode} = {text_of(gain2)}/{mode}", TORCH_SOURCE)
    return Initialiser(canon, "uniform", 3 * gain2 / fan, fan_in, fo,
                       f"bound^2 = 3 gain^2/{mode} = 3*{text_of(gain2)}/{mode}", TORCH_SOURCE)


def initialiser(spec: str, fan_in, fan_out=None) -> Initialiser:
    """The initialiser named ``spec`` at the given fans; InitialiserError (one line) for
    an unknown name, a bad fan, or a fan-out missing where the formula needs it.

    Names: ``normal:STD``, ``uniform:LIMIT``, ``truncated_normal:STD`` (Keras'
    TruncatedNormal, cut at +-2 STD, no correction), ``keras:lecun_normal`` (and
    lecun_uniform, glorot_*, he_*), ``pytorch:kaiming_normal:selu`` (nonlinearity and
    mode optional, PyTorch's defaults: leaky_relu with a = 0, fan_in),
    ``pytorch:xavier_normal``/``xavier_uniform``, ``pytorch:default`` (nn.Linear)."""
    if not isinstance(spec, str) or not spec.strip():
        raise InitialiserError("initialiser: give a name; " + _known_line())
    text = spec.strip()
    if len(text) > 200:
        raise InitialiserError("initialiser: name longer than 200 characters")
    fan_in = check_fan(fan_in, "fan-in")
    parts = [p.strip() for p in text.lower().split(":")]
    head, rest = parts[0], parts[1:]
    if head in ("normal", "uniform", "truncated_normal"):
        if len(rest) != 1 or not rest[0]:
            word = "LIMIT" if head == "uniform" else "STD"
            raise InitialiserError(f"initialiser {text!r}: write {head}:{word}, e.g. {head}:0.05")
        s = _scale(rest[0], head)
        fo = None if fan_out is None else check_fan(fan_out, "fan-out")
        canon = f"{head}:{text_of(s)}"
        if head == "uniform":
            return Initialiser(canon, "uniform", s * s, fan_in, fo,
                               "tau = fan_in * limit^2 / 3", TORCH_SOURCE)
        if head == "normal":
            return Initialiser(canon, "normal", s * s, fan_in, fo,
                               "tau = fan_in * std^2", TORCH_SOURCE)
        return Initialiser(canon, "truncated_normal", s * s, fan_in, fo,
                           "tau = fan_in * std^2 * V2 (cut at +-2 std)", TRUNC_SOURCE)
    if head in ("keras", "tf.keras", "tensorflow", "tf"):
        if len(rest) != 1 or rest[0] not in KERAS:
            raise InitialiserError(f"unknown initialiser {text!r}; " + _known_line())
        return _keras(rest[0], f"keras:{rest[0]}", fan_in, fan_out)
    if head in ("pytorch", "torch"):
        if not rest or rest[0].rstrip("_") not in TORCH_NAMES:
            raise InitialiserError(f"unknown initialiser {text!r}; " + _known_line())
        rest[0] = rest[0].rstrip("_")      # kaiming_normal_ as PyTorch spells it
        return _torch(rest, text, fan_in, fan_out)
    raise InitialiserError(f"unknown initialiser {text!r}; " + _known_line())


parse_initialiser = initialiser


# The framework settings the docs and the ``network`` command walk through.
FRAMEWORK_DEFAULTS = (
    "pytorch:kaiming_normal:linear", "pytorch:kaiming_normal:selu",
    "pytorch:kaiming_uniform:linear", "pytorch:kaiming_uniform:selu",
    "pytorch:kaiming_normal", "pytorch:default",
    "pytorch:xavier_normal", "pytorch:xavier_uniform",
    "keras:lecun_normal", "keras:lecun_uniform", "keras:glorot_normal",
    "keras:glorot_uniform", "keras:he_normal", "keras:he_uniform",
)


def tau_versus_one(init: Initialiser, bits: int = 256) -> str:
    """'= 1 exactly', or tau's certified side of 1 and the gap, e.g.
    '< 1 by 6.727e-17 (certified)' for Keras' lecun_normal."""
    if init.exact:
        if init.tau == 1:
            return "= 1 exactly"
        side = "<" if init.tau < 1 else ">"
        return f"{side} 1 (exact {text_of(init.tau)})"
    t = init.tau_ball(bits)
    with precision(bits + 20):
        gap = t - 1
        if gap < 0:
            return f"< 1 by {(-gap).mid().str(4, radius=False)} (certified)"
        if gap > 0:
            return f"> 1 by {gap.mid().str(4, radius=False)} (certified)"
    return "undecided at this precision"


def table(fan_in, fan_out=None, specs=FRAMEWORK_DEFAULTS, bits: int = 256) -> list:
    """Rows (spec, distribution, tau text, tau versus 1) for the docs; initialisers
    needing a fan-out are skipped when none is given."""
    rows = []
    for spec in specs:
        try:
            init = initialiser(spec, fan_in, fan_out)
        except InitialiserError:
            if fan_out is None:
                continue
            raise
        rows.append((init.spec, init.distribution, init.tau_text(), tau_versus_one(init, bits)))
    return rows
