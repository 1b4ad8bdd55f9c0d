import functools

import pytest

from verification import certificate as cert_io
from verification import claims as C
from verification import prove
from verification.cli import main as cli_main
from verification.engine import Runner


@functools.cache
def proved(claim_id: str):
    """Run a registered claim once per test session (in-process, one worker)."""
    claim = C.get(claim_id)
    with Runner(1) as r:
        res = prove.run_claim(claim, r)
    body = cert_io.build(claim, claim.params, prove.DEFAULT_BITS, [p.certificate for p in res.parts])
    return res, body


@pytest.fixture
def cli(capsys):
    """selu-verify in-process: (exit code, stdout, stderr) of one command."""
    def run(*args):
        capsys.readouterr()
        code = cli_main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def runner():
    with Runner(1) as r:
        yield r


def part_of(claim_id: str, key: str):
    return next(p for p in C.get(claim_id).parts if p.key == key)


def run_part(part, runner, **changes):
    """Decide an extremum part, optionally changed (threshold, domain, ...)."""
    import dataclasses
    if changes:
        part = dataclasses.replace(part, **changes)
    return prove.run_extremum(part, C.get("thm1-contraction").params, runner, prove.DEFAULT_BITS)


def widened(part, **ranges):
    """The part's domain with some variables' ranges replaced: {"nu": ("0.5", "1.5")}."""
    from verification.domain import VARS, Domain
    cur = {v: (str(lo), str(hi)) for v, (lo, hi) in zip(VARS, part.domain.bounds)}
    cur.update(ranges)
    return Domain.of(**cur)


def past_extremum(res, part, gap=None):
    """A threshold ``gap`` (default 1e-9) on the wrong side of the certified extremum."""
    from fractions import Fraction
    gap = Fraction(1, 10**9) if gap is None else gap
    lo, hi = res.enclosures[part.key]
    return str(Fraction(lo) - gap if part.sense == "max" else Fraction(hi) + gap)


def assert_widened_is_disproved(claim_id: str, key: str, ranges: dict, runner):
    """The part on its domain widened by ``ranges`` is disproved, by a point of that domain."""
    from fractions import Fraction
    part = part_of(claim_id, key)
    dom = widened(part, **ranges)
    out = run_part(part, runner, domain=dom)
    assert out.status == "disproved"
    pt = [Fraction(x) for x in out.counterexample["point"]]
    assert all(lo <= x <= hi for x, (lo, hi) in zip(pt, dom.bounds))
