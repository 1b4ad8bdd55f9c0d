"""The moment map g(mu, nu) = (mu~, nu~), its Jacobian and spectral norm, written once
for every number system (floats, Arb balls, jets), in the manner of mpmath's contexts.

``base`` holds mu~, xi~ and, when the Jacobian is wanted, their first partials in the
reduced variables m = mu*omega, v = nu*tau; the chain rule gives
d/dmu = omega d/dm and d/dnu = tau d/dv.
"""
from __future__ import annotations


JACOBIAN_NAMES = frozenset({"S", "J11", "J12", "J21", "J22"})


def needs_jacobian(names) -> bool:
    return bool(JACOBIAN_NAMES & set(names))


def quantities(mu, omega, nu, tau, base, ops, jacobian: bool) -> dict:
    mt, xt = base["mu"], base["xi"]
    env = {"mu": mu, "omega": omega, "nu": nu, "tau": tau,
           "mu_tilde": mt, "xi_tilde": xt, "nu_tilde": xt - ops.sqr(mt)}
    if jacobian:
        j11 = omega * base["mu_m"]
        j12 = tau * base["mu_v"]
        j21 = omega * (base["xi_m"] - 2 * mt * base["mu_m"])
        j22 = tau * (base["xi_v"] - 2 * mt * base["mu_v"])
        # Largest singular value of a real 2x2 matrix, closed form.
        p = ops.sqr(j11 + j22) + ops.sqr(j21 - j12)
        q = ops.sqr(j11 - j22) + ops.sqr(j21 + j12)
        s = (ops.sqrt_nonneg(p) + ops.sqrt_nonneg(q)) * 0.5
        env.update(J11=j11, J12=j12, J21=j21, J22=j22, S=s)
    return env


