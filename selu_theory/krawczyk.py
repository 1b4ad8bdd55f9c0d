"""The Krawczyk operator in n dimensions over Arb balls: proving that a box holds exactly
one zero of F: R^n -> R^n, or none.

A problem is a value (as in IntervalRootFinding.jl's contractors): a ``System`` holds one
function ``evaluate(X) -> (F(X), DF(X))`` returning enclosures of the values and of the
Jacobian over the balls X (a point when the balls are exact), and its dimension.  With
x0 the midpoint of X and Y an approximate inverse of DF(x0),

    K(X) = x0 - Y F(x0) + (I - Y DF(X)) (X - x0)

contains every zero of F in X.  Hence (Krawczyk 1969; Moore 1977):

* K(X) inside the interior of X: X holds exactly one zero, and it lies in K(X);
* K(X) disjoint from X: X holds no zero;
* otherwise nothing is decided.

Y need not be rigorous (any matrix gives a valid K); only the enclosures of F and DF
must be.  After a proof, X <- K(X) n X shrinks the enclosure of the zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flint import arb

UNIQUE = "unique"     # exactly one zero in the box, and it lies in the enclosure
EMPTY = "empty"       # no zero in the box
UNKNOWN = "unknown"   # not decided


@dataclass(frozen=True)
class System:
    """F: R^n -> R^n.  ``evaluate(X)`` takes a tuple of n balls and returns
    (values: n balls, jacobian: n rows of n balls, d F_i / d x_j in row i)."""

    evaluate: Callable
    dim: int


@dataclass(frozen=True)
class Root:
    """The outcome of ``verify`` on a box.

    ``status``: UNIQUE, EMPTY or UNKNOWN.  ``box``: the box the status is about (the
    balls given).  ``enclosure``: when UNIQUE, balls holding the zero (K(X), contracted);
    else the last K(X)."""

    status: str
    box: tuple
    enclosure: tuple

    @property
    def unique(self) -> bool:
        return self.status == UNIQUE

    @property
    def empty(self) -> bool:
        return self.status == EMPTY


def _inverse_mid(A):
    """An approximate inverse of the midpoints of the n x n ball matrix A (Gauss-Jordan
    with partial pivoting on midpoints), or None if it is singular.  Not rigorous, and it
    need not be: it is the Krawczyk preconditioner."""
    n = len(A)
    M = [[A[i][j].mid() for j in range(n)] + [arb(1 if i == j else 0) for j in range(n)] for i in range(n)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(M[r][col]).mid())
        if not M[piv][col].mid().is_finite() or M[piv][col].mid() == 0:
            return None
        M[col], M[piv] = M[piv], M[col]
        p = M[col][col]
        M[col] = [(e / p).mid() for e in M[col]]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col]
                M[r] = [(a - f * b).mid() for a, b in zip(M[r], M[col])]
    inv = tuple(tuple(M[i][n + j] for j in range(n)) for i in range(n))
    if not all(e.is_finite() for row in inv for e in row):
        return None
    return inv


inverse_mid = _inverse_mid  # public: Newton steps elsewhere use the same preconditioner


def midpoint(X) -> tuple:
    return tuple(x.mid() for x in X)


def operator(system: System, X, x0=None, Y=None):
    """K(X) for the balls X about the exact point x0 (default: the midpoints), with the
    preconditioner Y (default: the inverse of DF(x0)'s midpoint).  None when Y cannot be
    formed."""
    n = system.dim
    x0 = midpoint(X) if x0 is None else tuple(x0)
    f0, J0 = system.evaluate(x0)
    if Y is None:
        Y = _inverse_mid(J0)
        if Y is None:
            return None
    _, D = system.evaluate(tuple(X))
    d = tuple(X[j] - x0[j] for j in range(n))
    K = []
    for i in range(n):
        acc = x0[i] - sum((Y[i][k] * f0[k] for k in range(1, n)), Y[i][0] * f0[0])
        for j in range(n):
            mij = (1 if i == j else 0) - sum((Y[i][k] * D[k][j] for k in range(1, n)), Y[i][0] * D[0][j])
            acc = acc + mij * d[j]
        K.append(acc)
    return tuple(K)


def _accuracy(balls) -> int:
    return min(b.rel_accuracy_bits() for b in balls)


def verify(system: System, X, bits: int | None = None, max_iterations: int = 40) -> Root:
    """Decide whether the box X (n balls) holds exactly one zero of ``system``, or none.

    When it holds one, X <- K(X) n X is iterated until the enclosure has ``bits`` bits of
    relative accuracy (if given), stops shrinking by half in some coordinate, or
    ``max_iterations`` is reached."""
    X = tuple(X)
    if len(X) != system.dim:
        raise ValueError(f"box has {len(X)} coordinates, the system {system.dim}")
    K = operator(system, X)
    if K is None or not all(k.is_finite() for k in K):
        return Root(UNKNOWN, X, X if K is None else K)
    if any(not k.overlaps(x) for k, x in zip(K, X)):
        return Root(EMPTY, X, K)
    if not all(x.contains_interior(k) for x, k in zip(X, K)):
        return Root(UNKNOWN, X, K)
    Z = K
    for _ in range(max_iterations):
        K = operator(system, Z)
        if K is None:
            break
        Zn = tuple(k.intersection(z) for k, z in zip(K, Z))
        shrunk = any(a.rad() < b.rad() * arb(0.5) for a, b in zip(Zn, Z))
        Z = Zn
        if (bits is not None and _accuracy(Z) >= bits) or not shrunk:
            break
    return Root(UNIQUE, X, Z)
