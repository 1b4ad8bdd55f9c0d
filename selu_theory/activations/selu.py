"""SELU as an ``Activation`` spec: selu(z) = lam z (z >= 0), lam alpha (e^z - 1) (z < 0).

With z ~ N(m, v), s = sqrt(v), G = exp(-m^2/(2v)), C0 = erfc(m/sqrt(2v)),
E1 = G erfcx((m+v)/sqrt(2v)), E2 = G erfcx((m+2v)/sqrt(2v)):
    mu~ = E[selu(z)]   = lam/2 (-(alpha+m) C0 + alpha E1 + sqrt(2/pi) s G + 2m)   (paper Eq. 4)
    xi~ = E[selu(z)^2] = lam^2/2 ((m^2+v)(2-C0) + alpha^2 (-2E1 + E2 + C0) + sqrt(2/pi) m s G)
and nu~ = xi~ - mu~^2 (Eq. 5).  The appendix's sub-functions (F, E1 of Lemmas 44-47 and
the Ren-MacKenzie errors D1, D2) are in ``selu_subfunctions`` and form two more families.
"""
from __future__ import annotations

import sympy as sp

from selu_theory import constants
from selu_theory.activations import selu_subfunctions
from selu_theory.activations.spec import Activation, Family, Parameter, Structure
from selu_theory.symbolic import erfcx, gaussian_density, m, v, z

alpha, lam = sp.symbols("alpha lam", positive=True)


def _parts():
    s = sp.sqrt(v)
    G = sp.exp(-(m**2) / (2 * v))
    C0 = sp.erfc(m / sp.sqrt(2 * v))
    E1 = G * erfcx((m + v) / sp.sqrt(2 * v))
    E2 = G * erfcx((m + 2 * v) / sp.sqrt(2 * v))
    return s, G, C0, E1, E2


def _mu_tilde() -> sp.Expr:
    s, G, C0, E1, _ = _parts()
    return lam / 2 * (-(alpha + m) * C0 + alpha * E1 + sp.sqrt(2 / sp.pi) * s * G + 2 * m)


def _xi_tilde() -> sp.Expr:
    s, G, C0, E1, E2 = _parts()
    return lam**2 / 2 * ((m**2 + v) * (2 - C0) + alpha**2 * (-2 * E1 + E2 + C0)
                         + sp.sqrt(2 / sp.pi) * m * s * G)


def _integrands():
    dens = gaussian_density()
    neg = lam * alpha * (sp.exp(z) - 1)
    pos = lam * z
    return (("mean", neg * dens, pos * dens), ("second", neg**2 * dens, pos**2 * dens))


MU_TILDE = _mu_tilde()
XI_TILDE = _xi_tilde()

SPEC = Activation(
    id="selu",
    name="SELU",
    parameters=(
        Parameter("alpha", alpha, "alpha", "alpha01", constants.ALPHA01_FRAMEWORKS,
                  "the SELU α in use (`--alpha`, alpha01 by default), an exact ball"),
        Parameter("lam", lam, "lambda", "lambda01", constants.LAMBDA01_FRAMEWORKS,
                  "the SELU λ in use (`--lambda`, lambda01 by default), an exact ball"),
    ),
    integrands=_integrands(),
    families=(
        # order 5 (ball kernels only): centred forms of the order-4 partials over boxes
        # (taylor._centred4)
        Family("moments", (("mu", MU_TILDE), ("xi", XI_TILDE)), 5,
               "E[selu(z)] and E[selu(z)^2]"),
        Family("sub", (("F", selu_subfunctions.F_SUB), ("E1", selu_subfunctions.E1_SUB)), 4,
               "the main sub-function F and Lemma 47's f of the appendix"),
        Family("rm", (("D1", selu_subfunctions.D1), ("D2", selu_subfunctions.D2)), 4,
               "errors of the Ren-MacKenzie approximation of erfcx (Lemmas 44-46)"),
    ),
    special_functions=frozenset({"exp", "erfc", "erfcx"}),
    # mu~ = lam (a0 + a1 alpha), xi~ = lam^2 (b0 + b1 alpha + b2 alpha^2): the Krawczyk
    # fast path of ``fixed_point`` relies on it (``spec.structure_holds`` checks it).
    structure=Structure(scale="lam", shape_affine="alpha"),
    doc=__doc__,
    formula="lam*x (x >= 0); lam*alpha*(exp(x) - 1) (x < 0)",
)
