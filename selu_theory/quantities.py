"""The quantity table: every name an expression may use, with what it means.

One row per name: its meaning (one line, µ̃/ν̃ notation), its kind (for the docs), the
kernel family that computes it and the derivative order that family needs at a point, and
whether it sees (mu, omega) and (nu, tau) only through their products m = mu*omega and
v = nu*tau.  The expression language (``selu_theory.expr``), the moment map's
requirements (``selu_theory.moment_map``), the engine's domain reduction (through
``reducible_pairs``) and the catalogue (``verification.catalogue``) all read this table;
no other list of names exists.

Reducibility is on the proof path: an expression that sees a pair only through its product
is proved on a domain where the pair is replaced by (product, 1).  So the table FAILS
CLOSED: a ``Quantity`` built without saying otherwise sees both pairs, and a name that is
not in the table makes ``reducible_pairs`` answer (False, False).

To add a quantity: compute it in ``moment_map.quantities`` and add its row here (in
``_moment_rows`` or as a sub-function family); ``tests/test_quantities.py`` checks that
every row parses, evaluates, and that its reducibility flags agree with a numeric test.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from selu_theory import partials
from selu_theory.params import DEFAULT_ACTIVATION, activation_parameters

# THE variables of a domain, the one list every module reads.  The base variables are
# the paper's (mu, omega, nu, tau), always the first four coordinates of a domain; the
# kernels see them through m = mu*omega and v = nu*tau.  A domain may carry extra
# variables after them, in the order of ``EXTRA_VARS``: they enter an expression only
# through the expression language (e.g. a dropout rate), never the kernels.
BASE_VARS = ("mu", "omega", "nu", "tau")
VARS = BASE_VARS   # the name most modules use for the base variables


@dataclass(frozen=True)
class ExtraVariable:
    """A domain variable beyond the base four: its meaning and the closed interval
    [lo, hi] its values must lie in (``hi_open``: hi itself excluded)."""

    name: str
    meaning: str
    lo: int
    hi: int
    hi_open: bool = False

    def admits(self, lo, hi) -> bool:
        return self.lo <= lo and (hi < self.hi if self.hi_open else hi <= self.hi)

    def range_text(self) -> str:
        return f"[{self.lo}, {self.hi}{')' if self.hi_open else ']'}"


# Extra variables, in their canonical order (a domain lists them in this order).
EXTRA_VARS = {
    "rate": ExtraVariable("rate", "the dropout rate (drop probability), an extra domain variable: "
                          "give its range, e.g. --domain rate=0:0.1", 0, 1, hi_open=True),
    "q": ExtraVariable("q", "the dropout keep probability 1 − rate, an extra domain variable: "
                       "give its range, e.g. --domain q=0.9:1", 0, 1),
}
MAX_VARS = len(BASE_VARS) + len(EXTRA_VARS)


def domain_variables(names) -> tuple:
    """The variables of a domain holding ``names``: the base four, then the extra ones
    among ``names`` in their canonical order (ValueError for an unknown name)."""
    names = set(names)
    unknown = names - set(BASE_VARS) - set(EXTRA_VARS)
    if unknown:
        raise ValueError(f"unknown domain variable(s) {', '.join(sorted(unknown))}; use "
                         f"{', '.join(BASE_VARS + tuple(EXTRA_VARS))}")
    return BASE_VARS + tuple(v for v in EXTRA_VARS if v in names)


MOMENTS = "moments"                 # the kernel family of mu~ and xi~
SUB_FAMILIES = ("sub", "rm")        # the appendix's sub-functions (x = v = nu*tau, y = m = mu*omega)

GREEK = {"mu": "µ", "omega": "ω", "nu": "ν", "tau": "τ", "xi": "ξ"}
TILDE = {"mu": "µ̃ (the mean)", "xi": "ξ̃ (the second moment)", "nu": "ν̃ (the variance)"}
_CHAIN = {"mu": "ω ∂/∂m", "omega": "µ ∂/∂m", "nu": "τ ∂/∂v", "tau": "ν ∂/∂v"}
_PAIR = {"mu": "mu_omega", "omega": "mu_omega", "nu": "nu_tau", "tau": "nu_tau"}


@dataclass(frozen=True)
class Quantity:
    """A row of the table.  ``product_mu_omega`` (``product_nu_tau``): the quantity sees
    mu and omega (nu and tau) only through m = mu*omega (v = nu*tau).  Both default to
    False, the safe answer."""

    name: str
    kind: str                    # "variable", "constant", "moment map", "Jacobian", "partial", "sub-function"
    meaning: str
    family: str | None = None    # kernel family computing it; None for variables and constants
    order: int = 0               # derivative order of the family needed at a point
    product_mu_omega: bool = False
    product_nu_tau: bool = False


def _seen(x: str) -> dict:
    """The flags of a quantity that sees variable ``x`` directly (and the other pair only
    through its product)."""
    return {"product_mu_omega": _PAIR[x] != "mu_omega", "product_nu_tau": _PAIR[x] != "nu_tau"}


REDUCED = {"product_mu_omega": True, "product_nu_tau": True}   # a function of (m, v) alone
NEITHER = {"product_mu_omega": False, "product_nu_tau": False}


def _variable_rows():
    meanings = {"mu": "µ: the mean of the incoming activations xᵢ",
                "omega": "ω = Σ wᵢ: n times the mean weight",
                "nu": "ν: the variance of the incoming activations xᵢ",
                "tau": "τ = Σ wᵢ²: n times the second moment of the weights"}
    # extra variables never reach the kernels: both pairs stay reducible
    return [Quantity(x, "variable", meanings[x], **_seen(x)) for x in VARS] + \
        [Quantity(v.name, "variable", v.meaning, **REDUCED) for v in EXTRA_VARS.values()]


def _constant_rows(activation: str):
    rows = [Quantity(p.name, "constant", p.meaning, **REDUCED)
            for p in activation_parameters(activation).parameters]
    return rows + [Quantity("pi", "constant", "π, as a ball", **REDUCED)]


def _moment_rows(activation: str):
    f = activation  # E[selu(z)], E[elu(z)], ... (a user activation: its id)
    rows = [
        Quantity("mu_tilde", "moment map", f"µ̃(µ, ω, ν, τ) = E[{f}(z)] with z ~ N(µω, ντ): the mean after "
                 "the layer (paper Eq. 4)", MOMENTS, 0, **REDUCED),
        Quantity("xi_tilde", "moment map", f"ξ̃ = E[{f}(z)²]: the second moment after the layer",
                 MOMENTS, 0, **REDUCED),
        Quantity("nu_tilde", "moment map", "ν̃ = ξ̃ − µ̃²: the variance after the layer (paper Eq. 5)",
                 MOMENTS, 0, **REDUCED),
        # J11 = omega mu~_m and J21 = omega nu~_m see omega; J12, J22 see tau.
        Quantity("J11", "Jacobian", "∂µ̃/∂µ = ω ∂µ̃/∂m", MOMENTS, 1, **_seen("omega")),
        Quantity("J12", "Jacobian", "∂µ̃/∂ν = τ ∂µ̃/∂v", MOMENTS, 1, **_seen("tau")),
        Quantity("J21", "Jacobian", "∂ν̃/∂µ = ω ∂ν̃/∂m", MOMENTS, 1, **_seen("omega")),
        Quantity("J22", "Jacobian", "∂ν̃/∂ν = τ ∂ν̃/∂v", MOMENTS, 1, **_seen("tau")),
        Quantity("S", "Jacobian", "the spectral norm (largest singular value) of J = [[J11, J12], [J21, J22]], "
                 "in closed form (√((J11+J22)² + (J21−J12)²) + √((J11−J22)² + (J21+J12)²)) / 2",
                 MOMENTS, 1, **NEITHER),
    ]
    for q in ("mu", "xi", "nu"):
        sym = TILDE[q].split(" ")[0]
        rows.append(Quantity(f"d{q}_dm", "partial", f"∂{sym}/∂m: partial in the reduced variable m = µω",
                             MOMENTS, 1, **REDUCED))
        rows.append(Quantity(f"d{q}_dv", "partial", f"∂{sym}/∂v: partial in the reduced variable v = ντ",
                             MOMENTS, 1, **REDUCED))
        for x in VARS:  # chain rule: d/dmu = omega d/dm etc. sees the pair of x
            rows.append(Quantity(f"d{q}_d{x}", "partial", f"∂{sym}/∂{GREEK[x]} = {_CHAIN[x]} of {TILDE[q]}",
                                 MOMENTS, 1, **_seen(x)))
    for x in VARS:
        rows.append(Quantity(f"dS_d{x}", "partial", f"∂S/∂{GREEK[x]}, from the closed form of S (undefined "
                             "where one of its two square roots is 0)", MOMENTS, 2, **NEITHER))
    return rows


def _sub_rows(activation: str):
    rows = []
    for fam in SUB_FAMILIES:
        if not partials.has_family(fam, activation):
            continue
        for b in partials.bases(fam, activation):  # functions of (m, v) alone, like their partials
            rows += [Quantity(b, "sub-function", f"{b}(x, y), a base function of the appendix lemmas 44–47 "
                              "(x = v = ντ, y = m = µω)", fam, 1, **REDUCED),
                     Quantity(b + "_x", "sub-function", f"∂{b}/∂x, the partial in x = v = ντ", fam, 1, **REDUCED),
                     Quantity(b + "_y", "sub-function", f"∂{b}/∂y, the partial in y = m = µω", fam, 1, **REDUCED)]
    return rows


@functools.cache
def table(activation: str = DEFAULT_ACTIVATION) -> dict:
    """{name: Quantity}: computed quantities first, then variables, then constants."""
    rows = _moment_rows(activation) + _sub_rows(activation) + _variable_rows() + _constant_rows(activation)
    out = {}
    for r in rows:
        if r.name in out:  # a sub-function or parameter named like a quantity would shadow it
            raise ValueError(f"quantity table: duplicate name {r.name!r}")
        out[r.name] = r
    return out


def names(activation: str = DEFAULT_ACTIVATION) -> tuple:
    """Every name an expression may use."""
    return tuple(table(activation))


def computed_names(activation: str = DEFAULT_ACTIVATION) -> tuple:
    """The names the moment map computes (everything but variables and constants)."""
    return tuple(n for n, q in table(activation).items() if q.family is not None)


def constant_names(activation: str = DEFAULT_ACTIVATION) -> tuple:
    return tuple(n for n, q in table(activation).items() if q.kind == "constant")


def lookup(name: str, activation: str = DEFAULT_ACTIVATION) -> Quantity | None:
    return table(activation).get(name)


def reducible_pairs(names_used, activation: str = DEFAULT_ACTIVATION) -> tuple:
    """(mu-omega pair reducible, nu-tau pair reducible): a pair is reducible when every
    name sees it only through its product, so the range over the box equals the range
    with the pair replaced by (product, 1).  Fails closed: a name not in the table makes
    both False."""
    t = table(activation)
    rows = [t.get(n) for n in names_used]
    if any(r is None for r in rows):
        return (False, False)
    return (all(r.product_mu_omega for r in rows), all(r.product_nu_tau for r in rows))


def requirements(names_used, activation: str = DEFAULT_ACTIVATION) -> dict:
    """{family: point derivative order} needed to evaluate ``names_used``."""
    req = {}
    for n in names_used:
        q = table(activation).get(n)
        if q is not None and q.family is not None:
            req[q.family] = max(req.get(q.family, 0), q.order)
    return req
