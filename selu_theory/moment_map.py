"""The moment map g(mu, nu) = (mu~, nu~), its Jacobian, spectral norm and partial
derivatives, and the paper's sub-functions: written once for every number system
(floats, Arb balls, jets), in the manner of mpmath's contexts.

``base[family]`` holds the family's base functions of the reduced variables
m = mu*omega, v = nu*tau and their partials (names like ``mu_mv``); the chain rule gives
d/dmu = omega d/dm, d/domega = mu d/dm, d/dnu = tau d/dv, d/dtau = nu d/dv.
"""
from __future__ import annotations

from selu_theory import partials
from selu_theory import quantities as quantity_table  # the module; quantities() below is the map

VARS = quantity_table.VARS
MOMENTS = quantity_table.MOMENTS
AUX_FAMILIES = quantity_table.SUB_FAMILIES  # the appendix's sub-functions; x = v, y = m


def quantity_names() -> tuple:
    """The names the moment map computes (from the quantity table)."""
    return quantity_table.computed_names()


reducible_pairs = quantity_table.reducible_pairs
requirements = quantity_table.requirements


def depends_only_on_mv(names) -> bool:
    return all(reducible_pairs(names))


def _chain_one(k: int, g_m, g_v, mu, omega, nu, tau):
    """The k-th of (d/dmu, d/domega, d/dnu, d/dtau) of g(m, v) from its partials g_m,
    g_v: only the partials an expression names are computed (in jets each product is
    most of a partial's cost)."""
    return (omega, mu)[k] * g_m if k < 2 else (tau, nu)[k - 2] * g_v


def quantities(mu, omega, nu, tau, base, ops, names, activation: str = quantity_table.DEFAULT_ACTIVATION) -> dict:
    """The quantities ``names`` of ``activation`` from the base functions ``base``
    (computed with that activation's kernels by the caller)."""
    names = set(names)
    env = {"mu": mu, "omega": omega, "nu": nu, "tau": tau}
    table = quantity_table.table(activation)
    rows = [table[n] for n in names if n in table and table[n].family is not None]
    moment_rows = [r for r in rows if r.family == MOMENTS]
    # Stages: values; J and S (first partials); the partial names; dS (second partials).
    want = set()
    if moment_rows:
        want.add("values")
    if any(r.order >= 1 for r in moment_rows):
        want.add("jacobian")
    if any(r.kind == "partial" and r.order == 1 for r in moment_rows):
        want.add("partials")
    if any(r.order >= 2 for r in moment_rows):
        want.add("dS")
    want |= {r.family for r in rows if r.family != MOMENTS}
    if want & {"values", "jacobian", "partials", "dS"}:
        b = base[MOMENTS]
        mt, xt = b["mu"], b["xi"]
        env.update(mu_tilde=mt, xi_tilde=xt, nu_tilde=xt - ops.sqr(mt))
    if want & {"jacobian", "partials", "dS"}:
        nu_m = b["xi_m"] - 2 * mt * b["mu_m"]
        nu_v = b["xi_v"] - 2 * mt * b["mu_v"]
        j11, j12, j21, j22 = omega * b["mu_m"], tau * b["mu_v"], omega * nu_m, tau * nu_v
        env.update(J11=j11, J12=j12, J21=j21, J22=j22)
        # Largest singular value of a real 2x2 matrix, closed form.
        a, bb, c, d = j11 + j22, j21 - j12, j11 - j22, j21 + j12
        p = ops.sqr(a) + ops.sqr(bb)
        q = ops.sqr(c) + ops.sqr(d)
        rp, rq = ops.sqrt_nonneg(p), ops.sqrt_nonneg(q)
        env["S"] = (rp + rq) * 0.5
    if "partials" in want:
        for qn, (g_m, g_v) in (("mu", (b["mu_m"], b["mu_v"])), ("xi", (b["xi_m"], b["xi_v"])),
                               ("nu", (nu_m, nu_v))):
            env[f"d{qn}_dm"], env[f"d{qn}_dv"] = g_m, g_v
            for k, x in enumerate(VARS):
                if f"d{qn}_d{x}" in names:
                    env[f"d{qn}_d{x}"] = _chain_one(k, g_m, g_v, mu, omega, nu, tau)
    if "dS" in want:
        # Second partials of nu~ = xi~ - mu~^2 in (m, v).
        nu_mm = b["xi_mm"] - 2 * ops.sqr(b["mu_m"]) - 2 * mt * b["mu_mm"]
        nu_mv = b["xi_mv"] - 2 * b["mu_m"] * b["mu_v"] - 2 * mt * b["mu_mv"]
        nu_vv = b["xi_vv"] - 2 * ops.sqr(b["mu_v"]) - 2 * mt * b["mu_vv"]
        for k, x in enumerate(VARS):
            if f"dS_d{x}" not in names:
                continue
            da = _chain_one(k, b["mu_mm"], b["mu_mv"], mu, omega, nu, tau)   # d(mu_m)
            db = _chain_one(k, b["mu_mv"], b["mu_vv"], mu, omega, nu, tau)   # d(mu_v)
            dc = _chain_one(k, nu_mm, nu_mv, mu, omega, nu, tau)             # d(nu_m)
            dd = _chain_one(k, nu_mv, nu_vv, mu, omega, nu, tau)             # d(nu_v)
            dj11 = omega * da + (b["mu_m"] if x == "omega" else 0)
            dj12 = tau * db + (b["mu_v"] if x == "tau" else 0)
            dj21 = omega * dc + (nu_m if x == "omega" else 0)
            dj22 = tau * dd + (nu_v if x == "tau" else 0)
            dp = (a * (dj11 + dj22) + bb * (dj21 - dj12)) * 2
            dq = (c * (dj11 - dj22) + d * (dj21 + dj12)) * 2
            env[f"dS_d{x}"] = (dp / rp + dq / rq) * 0.25
    for fam in AUX_FAMILIES:
        if fam not in want:
            continue
        s = base[fam]
        for bname in partials.bases(fam, activation):
            env[bname] = s[bname]
            env[bname + "_x"] = s[bname + "_v"]  # the paper's x is v = nu*tau
            env[bname + "_y"] = s[bname + "_m"]  # and y is m = mu*omega
    return env
