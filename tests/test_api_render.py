"""The Python API renders itself: a short repr, an HTML table for Jupyter, a
JSON-serialisable to_dict(); dir(api) shows the public surface only; every command has
an API twin.  Quick inputs only."""
import json
from html.parser import HTMLParser

import pytest

from verification import api
from verification.cli import build_parser

REPR_MAX = 400


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def _assert_renders(obj):
    r = repr(obj)
    assert len(r) <= REPR_MAX and "\n" not in r, r
    assert r.startswith(f"<{type(obj).__name__} ")
    html = obj._repr_html_()
    p = _Tags()
    p.feed(html)
    assert p.tags[0] == "table" and "tr" in p.tags and "td" in p.tags, html[:200]
    d = obj.to_dict()
    json.dumps(d)  # JSON-serialisable, no custom encoder
    return d


@pytest.fixture(scope="module")
def bounded():
    return api.bound("nu_tilde", "nu=0.8:1.5", sense="min")


def test_bound_result_renders_and_keeps_its_fields(bounded):
    d = _assert_renders(bounded)
    assert bounded.status == "proved" and d["status"] == "proved"
    lo, hi = bounded.enclosure
    assert lo <= hi and bounded.boxes > 0 and bounded.check.ok
    assert bounded.certificate is not None  # the part's certificate section, as before
    assert len(repr(bounded)) < 300  # was ~10,000 characters of certificate


def test_bound_counterexample_is_a_decimal_point():
    r = api.bound("nu_tilde - nu", "mu=0.1,omega=0.1,nu=0.00001:0.0001,tau=0.8", "min", threshold=0)
    assert r.status == "disproved"
    assert "counterexample at (mu, omega, nu, tau) ≈ (0.1, 0.1, " in repr(r)
    assert "/" not in repr(r).split("counterexample")[1]  # no exact fractions in the summary
    assert r.to_dict()["counterexample"]["point"]  # exact values stay in the data


def test_proof_renders():
    p = api.prove("jacobian-at-fixed-point")
    d = _assert_renders(p)
    assert d["id"] == "jacobian-at-fixed-point" and d["status"] == "proved"
    assert "certificate_body" in p.to_dict(certificate=True)
    assert "S in [0.787" in repr(p)


def test_params_renders():
    r = api.params((0, 1))
    d = _assert_renders(r)
    assert r.stable is True and set(r.balls) == {"alpha", "lam"}
    assert d["floats"]["alpha"] == pytest.approx(1.6732632423543772)


def test_atlas_renders(tmp_path):
    a = api.atlas("-0.1:0.1:2", "1:1.5:2", out=tmp_path)
    d = _assert_renders(a)
    assert len(d["points"]) == 4 and all(p["status"] == "solved" for p in d["points"])


def test_grid_result_renders():
    g = api.GridResult("S", "max", 1, api.parse_domain(""), "undecided", 1.1, 800, 0.5, None, "slack too large")
    _assert_renders(g)


def test_dir_shows_the_public_surface_only():
    shown = dir(api)
    for hidden in ("C", "np", "Fraction", "Runner", "Evaluator", "checker", "dataclass"):
        assert hidden not in shown
    assert set(api.__all__) <= set(shown)
    for name in api.__all__:
        assert hasattr(api, name), name


def test_every_command_has_an_api_twin():
    (sub,) = [a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"]
    twins = {"all": "prove", "claim": "prove", "list": "claims", "check": "check", "paper-grid": None,
             "bound": "bound", "grid": "grid", "params": "params", "theorems": "theorems", "domain": "domain",
             "atlas": "atlas", "names": "names", "compare": "compare"}
    for command in sub.choices:
        twin = twins.get(command, command)
        if twin is not None:
            assert twin in api.__all__ or hasattr(api, twin), command


def test_names_and_meanings():
    assert "mu_tilde" in api.names()
    assert "E[selu(z)]" in api.meaning("mu_tilde")
