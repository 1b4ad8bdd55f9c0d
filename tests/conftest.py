import functools

import pytest

from verification import certificate as cert_io
from verification import claims as C
from verification import prove
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
def runner():
    with Runner(1) as r:
        yield r
