"""The one certify pipeline: prove -> seal -> write -> check -> accept.

Every path that reports "proved" (``selu-verify all``/``claim``/``bound``/``theorems``/
``domain``/``grid``/``paper-grid``/``params``/``check`` and ``api.prove``/``api.bound``/``api.params``) goes through here, so there is one acceptance
rule (``accept``): a result counts as proved only if the independent checker accepted
the certificate *and* its replay gives the prover's status; anything else is
"undecided", with the reason.

Certificate ids: a claim that is exactly a registered one (same parts, same parameters)
keeps its id; any other claim -- a registered id re-run for other parameters, a claim
built in code -- is written under an id with '@', which the checker replays on its own
terms and never reports under a registered name.  The statement written is the
registered one, or the one the checker rebuilds from the parts.
"""
from __future__ import annotations

import contextlib
import math
import pathlib
from dataclasses import dataclass

from selu_theory.fixed_point import FixedPointError
from selu_theory.numbers import NumberError, parse, text_of
from selu_theory.params import DEFAULT_ACTIVATION, Params
from verification import certificate as cert_io
from verification import checker
from verification import claims as C
from verification import prove
from verification.certificate import Certificate
from verification.checker import CUSTOM_ID_SEPARATOR, GRID_ID, USER_BOUND_ID, CheckResult

UNDECIDED = "undecided"


@dataclass
class Certified:
    """A sealed certificate, where it was written, the checker's verdict and the status
    the pipeline accepts (``status``; ``reason`` says why it is not the prover's)."""

    certificate: Certificate
    path: pathlib.Path  # None when not written
    check: CheckResult
    prover_status: str
    status: str
    reason: str = ""

    @property
    def proved(self) -> bool:
        return self.status == "proved"


def accept(prover_status: str, chk: CheckResult) -> tuple:
    """The acceptance rule: (status, reason).  The prover's status stands only when the
    checker accepted the certificate and replayed the same status."""
    if not chk.ok:
        return UNDECIDED, "checker rejected the certificate: " + "; ".join(chk.messages)
    if chk.status != prover_status:
        return UNDECIDED, f"checker replay gives {chk.status}, the prover said {prover_status}"
    return prover_status, ""


# The kind of a grid certificate (``grid_certificate.KIND``; a test checks they agree):
# its replay imports numba and the grid kernels (about 0.9 s of CPU), so the module is
# imported only when a grid certificate is replayed (tests/test_layers.py LAZY_IMPORTS).
GRID_KIND = "grid"


def is_grid(obj) -> bool:
    """The certificate's JSON object is a grid certificate's (replayed by ``check_grid``)."""
    return isinstance(obj, dict) and obj.get("kind") == GRID_KIND


def check_grid(cert: dict, workers: int = 1) -> CheckResult:
    """Replay a grid certificate (its sweep, error model and derivative bounds) and say
    what it proves, in the checker's terms, so that ``accept`` judges it like any other."""
    from verification import grid_certificate  # lazily: numba and the grid kernels (GRID_KIND)
    ok, status, messages = grid_certificate.replay(cert, workers)
    return CheckResult(bool(ok), GRID_ID, status, list(messages),
                       proves=str(cert.get("statement", "")) if ok else "")


def certificate_id(claim: C.Claim, params: Params) -> str:
    """The id to write: the registered id only for the registered claim itself."""
    reg = C.REGISTRY.get(claim.id)
    if reg is not None and reg == claim and params == reg.params:
        return claim.id
    if reg is None and (claim.id == USER_BOUND_ID or CUSTOM_ID_SEPARATOR in claim.id):
        return claim.id
    tag = ",".join(f"{k}={v}" for k, v in params.labelled_specs().items())
    if params.activation != DEFAULT_ACTIVATION:
        tag = f"activation={params.activation},{tag}"
    return f"{claim.id}{CUSTOM_ID_SEPARATOR}{tag}"


def seal(claim: C.Claim, params: Params, parts, bits: int = prove.DEFAULT_BITS) -> Certificate:
    """The sealed certificate of typed parts (None entries skipped) for ``claim``."""
    parts = [p for p in parts if p is not None]
    cid = certificate_id(claim, params)
    reg = C.REGISTRY.get(cid)
    statement = reg.statement if reg is not None else cert_io.rebuilt_statement(params.labelled_specs(), parts,
                                                                                params.activation)
    return cert_io.seal_parts(cid, statement, params, bits, parts)


def leaf_count(cert: Certificate) -> int:
    return sum(1 for p in cert.extrema() for n in p.tree if n[0] == "l")


def _no_progress(total: int):
    return contextlib.nullcontext(lambda: None)


def _seal_and_write(claim: C.Claim, params: Params, parts, bits: int, path):
    """(certificate, its bytes, the path written or None); ``path`` as for ``certify``."""
    cert = seal(claim, params, parts, bits)
    data = cert.to_bytes()
    if callable(path):
        path = path(cert)
    if path is not None:
        path = cert_io.write(data, path)
    return cert, data, path


def certify(claim: C.Claim, params: Params, prover_status: str, parts, path=None, workers: int = 1,
            check_progress=None, bits: int = prove.DEFAULT_BITS) -> Certified:
    """Seal the typed ``parts`` the prover produced for ``claim`` (status
    ``prover_status``), write them atomically to ``path`` (a path, a function of the
    certificate giving one, or None), replay the written bytes and accept.
    ``check_progress(total_leaves)`` is a context manager yielding a tick function."""
    cert, data, path = _seal_and_write(claim, params, parts, bits, path)
    with (check_progress or _no_progress)(leaf_count(cert)) as tick:
        chk = checker.check(data, progress=tick, workers=workers)
    status, reason = accept(prover_status, chk)
    return Certified(cert, path, chk, prover_status, status, reason)


def certify_later(claim: C.Claim, params: Params, prover_status: str, parts, path=None, workers: int = 1,
                  bits: int = prove.DEFAULT_BITS):
    """``certify`` with the replay's leaves left running in the checker's pool
    (``checker.check_later``): seals and writes now, and returns
    ``finish(check_progress=None) -> Certified``, which waits for the replay and applies
    the same acceptance rule."""
    cert, data, path = _seal_and_write(claim, params, parts, bits, path)
    pending = checker.check_later(data, workers)

    def finish(check_progress=None) -> Certified:
        with (check_progress or _no_progress)(leaf_count(cert)) as tick:
            chk = pending(tick)
        status, reason = accept(prover_status, chk)
        return Certified(cert, path, chk, prover_status, status, reason)
    return finish


def certify_result(res: prove.ClaimResult, params: Params, path=None, workers: int = 1,
                   check_progress=None) -> Certified:
    """Certify a claim result the prover computed; ``res.status`` becomes the accepted
    status and ``res.certificate_path`` the written file."""
    done = certify(res.claim, params, res.status, [p.record for p in res.parts], path, workers, check_progress)
    res.status = done.status
    res.certificate_path = None if done.path is None else str(done.path)
    return done


def certify_claim(claim: C.Claim, runner, path=None, params: Params = None, max_boxes: int = 400_000,
                  on_done=None, check_progress=None) -> tuple:
    """Prove a claim with ``runner``, then certify it: (ClaimResult, Certified)."""
    params = params or claim.params
    res = prove.run_claim(claim, runner, on_done=on_done, params=params, max_boxes=max_boxes)
    return res, certify_result(res, params, path, runner.workers, check_progress)


def certify_claim_later(claim: C.Claim, runner, path=None, params: Params = None, max_boxes: int = 400_000,
                        on_done=None) -> tuple:
    """``certify_claim`` with the replay left running (``certify_later``) while the
    caller proves the next claim: (ClaimResult, finish(check_progress=None) ->
    Certified); ``finish`` sets the result's accepted status and certificate path, as
    ``certify_result`` does.  ``selu-verify all`` uses it, reporting in order."""
    params = params or claim.params
    res = prove.run_claim(claim, runner, on_done=on_done, params=params, max_boxes=max_boxes)
    pending = certify_later(res.claim, params, res.status, [p.record for p in res.parts], path, runner.workers)

    def finish(check_progress=None) -> Certified:
        done = pending(check_progress)
        res.status = done.status
        res.certificate_path = None if done.path is None else str(done.path)
        return done
    return res, finish


def certify_part(part: C.Extremum, params: Params, runner, path=None, max_boxes: int = 400_000,
                 on_done=None, check_progress=None, claim_id: str = USER_BOUND_ID) -> tuple:
    """Prove one extremum part (a user bound) and certify it: (PartResult, Certified);
    the part's status becomes the accepted one, with the reason in ``detail``."""
    pr = prove.run_extremum(part, params, runner, prove.DEFAULT_BITS, on_done, max_boxes)
    claim = C.Claim(claim_id, part.key, "", "user", (part,), params=params)
    done = certify(claim, params, pr.status, [pr.record], path, runner.workers, check_progress)
    pr.status = done.status
    if done.reason:
        pr.detail = done.reason
    return pr, done


FIXED_POINT_CLAIM_ID = "fixed-point"


def certify_fixed_point(activation: str, mu_star, nu_star, omega=0, tau=1, digits: int = 30, fixed=None,
                        path=None) -> tuple:
    """Prove the parameters of ``activation`` for the target fixed point (mu*, nu*) under
    weights (omega, tau) (``fixed``: {parameter: value} held fixed) and certify them: a
    claim with one FixedPoint part, sealed, written to ``path`` (a path, a function of
    the certificate, or None), replayed by the checker.  Returns (FixedPointSolution,
    Certified); ``Certified.proved`` says whether the result counts as certified.
    FixedPointError (``Unreachable`` included) when the prover finds no solution: there is
    nothing to certify then, and the message says what the solver established."""
    fixed = dict(fixed or {})
    # exact texts (a float means its shortest decimal, as in fixed_point); invalid input
    # becomes the solver's own FixedPointError
    try:
        targets = tuple(text_of(parse(x, what)) for x, what in
                        zip((mu_star, nu_star, omega, tau), ("mu_star", "nu_star", "omega", "tau")))
    except NumberError as exc:
        raise FixedPointError(str(exc)) from None
    part = C.FixedPoint("parameters", *targets, digits=digits, fixed=tuple(fixed.items()))
    # the precision selu-verify params always solved at: digits plus a few guard digits
    bits = max(64, math.ceil(digits * 3.33) + 16)
    results = prove.run_fixed_point(part, Params(activation=activation, **fixed), prove.DEFAULT_BITS, bits)
    first = results[0]
    if first.record.error is not None:
        raise first.exception if isinstance(first.exception, FixedPointError) else FixedPointError(first.record.error)
    sol = first.solution
    # named by the target (the parameters, up to 1000 digits, would make the id too long)
    cid = (f"{FIXED_POINT_CLAIM_ID}{CUSTOM_ID_SEPARATOR}activation={activation},"
           f"mu*={targets[0]},nu*={targets[1]},omega={targets[2]},tau={targets[3]}")[:300]
    claim = C.Claim(cid, f"{activation}: parameters for a target fixed point", "",
                    "selu-verify params", (part,), params=sol.params)
    done = certify(claim, sol.params, first.status, [first.record], path)
    if done.status != "proved" and not done.reason:
        done.reason = f"the prover could not certify it: {first.detail}"
    return sol, done
