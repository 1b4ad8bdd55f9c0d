"""selu_theory.krawczyk: the one n-dimensional Krawczyk operator."""
from __future__ import annotations

import pytest
from flint import arb

from selu_theory import krawczyk
from selu_theory.ball import interval, precision


def circle_line(X):
    """x^2 + y^2 = 2, x = y: zeros (1, 1) and (-1, -1)."""
    x, y = X
    return (x * x + y * y - 2, x - y), ((2 * x, 2 * y), (arb(1), arb(-1)))


CIRCLE = krawczyk.System(circle_line, 2)


def box(*bounds):
    return tuple(interval(lo, hi) for lo, hi in bounds)


def test_unique_root_is_enclosed_tightly():
    with precision(128):
        root = krawczyk.verify(CIRCLE, box((0.9, 1.2), (0.8, 1.1)), bits=100)
    assert root.status == krawczyk.UNIQUE and root.unique and not root.empty
    for z, x in zip(root.enclosure, root.box):
        assert z.contains(arb(1)) and x.contains(z) and z.rad() < arb(2) ** -90


def test_box_without_a_root_is_empty():
    with precision(128):
        root = krawczyk.verify(CIRCLE, box((2, 2.2), (0.5, 0.6)))
    assert root.status == krawczyk.EMPTY and root.empty and not root.unique


def test_box_with_two_roots_is_not_unique():
    with precision(128):
        root = krawczyk.verify(CIRCLE, box((-1.5, 1.5), (-1.5, 1.5)))
    assert root.status == krawczyk.UNKNOWN


def test_box_whose_root_is_on_the_edge_is_not_unique():
    with precision(128):  # the root (1, 1) is a corner of the box: K cannot be interior
        root = krawczyk.verify(CIRCLE, box((1, 1.2), (1, 1.2)))
    assert root.status != krawczyk.UNIQUE


def test_three_dimensional_linear_system():
    A = ((4, 1, 0), (1, 3, 1), (0, 1, 2))
    b = (5, 5, 3)  # solution (1, 1, 1)

    def f(X):
        vals = tuple(sum((A[i][j] * X[j] for j in range(3)), arb(0)) - b[i] for i in range(3))
        return vals, tuple(tuple(arb(a) for a in row) for row in A)

    with precision(128):
        root = krawczyk.verify(krawczyk.System(f, 3), box((0, 2), (0.5, 1.5), (-1, 3)), bits=120)
    assert root.unique and all(z.contains(arb(1)) and z.rad() < arb(2) ** -100 for z in root.enclosure)


def test_singular_jacobian_is_undecided():
    def f(X):
        x, y = X
        return (x + y, x + y), ((arb(1), arb(1)), (arb(1), arb(1)))

    root = krawczyk.verify(krawczyk.System(f, 2), box((-1, 1), (-1, 1)))
    assert root.status == krawczyk.UNKNOWN


def test_dimension_mismatch():
    with pytest.raises(ValueError, match="coordinates"):
        krawczyk.verify(CIRCLE, box((0, 1),))
