"""The quantity table: one list of names, meanings and reducibility flags, failing closed."""
from __future__ import annotations

import pathlib
import re
from fractions import Fraction

import pytest
from flint import arb

from selu_theory import moment_map, quantities
from selu_theory.evaluate import Evaluator
from selu_theory.expr import known_names, parse
from selu_theory.params import Params
from verification import catalogue

ROOT = pathlib.Path(__file__).resolve().parents[1]
F = Fraction

# Two points with the same m = mu*omega = 0.06 (and the same nu, tau), and a third with the
# same v = nu*tau = 1.08 as the first (and the same mu, omega).
P = (F("0.3"), F("0.2"), F("1.2"), F("0.9"))
P_MU_OMEGA = (F("0.6"), F("0.1"), F("1.2"), F("0.9"))
P_NU_TAU = (F("0.3"), F("0.2"), F("1.08"), F("1"))


def test_every_name_parses_and_has_a_meaning():
    t = quantities.table()
    assert tuple(t) == known_names() == quantities.names()
    for name, q in t.items():
        assert parse(name).names == frozenset({name})
        assert q.name == name and q.meaning.strip() and "\n" not in q.meaning
        assert catalogue.describe(name)[1].startswith(q.meaning)


def test_table_covers_the_moment_map_and_the_sub_functions():
    names = set(quantities.names())
    for expected in ("mu_tilde", "xi_tilde", "nu_tilde", "J11", "J22", "S", "dmu_dm", "dnu_dtau",
                     "dS_dmu", "dS_dtau", "F", "E1_x", "D1_y", "D2", "mu", "omega", "nu", "tau",
                     "alpha", "lam", "pi"):
        assert expected in names
    assert set(moment_map.quantity_names()) == {n for n, q in quantities.table().items() if q.family}


def test_constants_come_from_the_parameters():
    assert quantities.constant_names() == Params().names + ("pi",)


@pytest.fixture(scope="module")
def values():
    out = {}
    for name in quantities.names():
        # an extra domain variable (a dropout rate) is evaluated on a domain that has it,
        # held at 1/10 while the base variables move
        variables = quantities.domain_variables([name] if name in quantities.EXTRA_VARS else [])
        ev = Evaluator(parse(name), Params(), bits=128, variables=variables)
        extra = (F(1, 10),) * (len(variables) - 4)
        out[name] = tuple(ev.point(p + extra) for p in (P, P_MU_OMEGA, P_NU_TAU))
    return out


@pytest.mark.parametrize("name", quantities.names())
def test_reducibility_flags_agree_with_a_numeric_check(name, values):
    """Keeping mu*omega (nu*tau) fixed while moving mu and omega (nu and tau) leaves the
    value unchanged if and only if the table says the name sees that pair only through
    its product."""
    q = quantities.lookup(name)
    base, moved_mu_omega, moved_nu_tau = values[name]
    for flag, moved in ((q.product_mu_omega, moved_mu_omega), (q.product_nu_tau, moved_nu_tau)):
        assert base.is_finite() and moved.is_finite()
        if flag:
            assert base.overlaps(moved) and abs(base - moved) < arb(10) ** -25
        else:
            assert not base.overlaps(moved), f"{name} is marked as seeing the pair but did not change"


def test_reducible_pairs_reads_the_flags():
    assert quantities.reducible_pairs(["mu_tilde", "nu_tilde", "F_x", "alpha"]) == (True, True)
    assert quantities.reducible_pairs(["J11"]) == (False, True)
    assert quantities.reducible_pairs(["dnu_dtau", "mu_tilde"]) == (True, False)
    assert quantities.reducible_pairs(["S"]) == (False, False)
    assert quantities.reducible_pairs([]) == (True, True)


def test_unknown_names_fail_closed():
    assert quantities.reducible_pairs(["mu_tilde", "not_a_quantity"]) == (False, False)
    assert quantities.reducible_pairs(["not_a_quantity"]) == (False, False)


def test_a_quantity_added_without_reducibility_entries_is_not_reducible(monkeypatch):
    """A row that says nothing about reducibility sees both pairs (the defaults)."""
    real = quantities.table()
    fake = quantities.Quantity("fake_quantity", "moment map", "a row that says nothing else",
                               quantities.MOMENTS, 0)
    monkeypatch.setattr(quantities, "table", lambda activation="selu": {**real, fake.name: fake})
    assert "fake_quantity" in known_names()
    assert parse("fake_quantity + mu_tilde").names == {"fake_quantity", "mu_tilde"}
    assert quantities.reducible_pairs(["fake_quantity"]) == (False, False)
    assert quantities.reducible_pairs(["mu_tilde", "fake_quantity"]) == (False, False)
    assert moment_map.reducible_pairs(["fake_quantity"]) == (False, False)
    monkeypatch.undo()
    assert "fake_quantity" not in known_names()


def test_requirements():
    assert quantities.requirements(["mu_tilde"]) == {"moments": 0}
    assert quantities.requirements(["S", "dS_dnu", "D1"]) == {"moments": 2, "rm": 1}
    assert quantities.requirements(["mu", "alpha"]) == {}


def test_no_second_list_of_names():
    """The hand lists the table replaced must not come back."""
    pattern = re.compile(r"_SEES_MU_OMEGA|_SEES_NU_TAU|_MOMENT_PARTIALS|FIXED_MEANINGS|\bCONSTANTS = \(")
    hits = [str(p.relative_to(ROOT)) for d in ("selu_theory", "verification") for p in (ROOT / d).rglob("*.py")
            if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []
