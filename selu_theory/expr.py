"""The expression language of ``selu-verify bound`` and of the claims registry.

An expression is arithmetic (+ - * / and integer powers, sqrt, exp) over numbers and the
names of the quantity table (``known_names()``, from ``selu_theory.quantities``).  It is
parsed with ``ast`` and checked against a whitelist, never ``eval``-ed, and numeric
literals are kept as exact rationals (``0.1`` means 1/10; read by ``numbers.parse``), so a
ball evaluation contains the true value.  One parsed expression is evaluated in any
number system (floats, Arb balls, gradient jets) by the ``ops`` it is given.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from fractions import Fraction

from selu_theory import quantities
from selu_theory.numbers import NumberError
from selu_theory.numbers import parse as parse_number
from selu_theory.params import DEFAULT_ACTIVATION


def known_names(activation: str = DEFAULT_ACTIVATION) -> tuple:
    """Every name an expression may use: the quantity table's (computed quantities, the
    variables mu, omega, nu, tau, the activation's parameters and pi)."""
    return quantities.names(activation)


FUNCTIONS = ("sqrt", "exp")

MAX_LENGTH = 2000
MAX_NODES = 400
MAX_POWER = 16


class ExprError(ValueError):
    """The text is not an expression of the language."""


@dataclass(frozen=True)
class Expr:
    source: str
    tree: ast.AST = field(repr=False, compare=False)
    names: frozenset

    def evaluate(self, env, ops):
        """Evaluate with ``env[name]`` for names and ``ops`` for constants and functions:
        ``ops.const(Fraction)``, ``ops.sqrt``, ``ops.exp``, ``ops.ipow(x, n)``."""
        return _Evaluator(env, ops).visit(self.tree.body)

    def __str__(self):
        return self.source


def _literal(node, text) -> Fraction:
    """The exact rational a numeric literal spells (``0.1`` is 1/10), read by the one user
    number parser, which refuses huge exponents and digit counts before converting."""
    seg = ast.get_source_segment(text, node)
    if seg is None:  # pragma: no cover - ast always gives segments for parsed text
        seg = repr(node.value)
    try:
        return parse_number(seg.replace("_", ""), "number literal in the expression")
    except NumberError as exc:
        if type(node.value) is int and seg[:2].lower() in ("0o", "0b"):
            # Python's octal and binary spellings; at most MAX_LENGTH digits, so cheap.
            return Fraction(node.value)
        raise ExprError(str(exc)) from None


def parse(text, activation: str = DEFAULT_ACTIVATION) -> Expr:
    if not isinstance(text, str):
        raise ExprError("expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExprError("empty expression")
    if "\n" in text or "\r" in text:
        raise ExprError("expression must be one line")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"cannot parse expression: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expression too deeply nested") from None
    src = text.strip()
    names = set()
    known = known_names(activation)
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise ExprError(f"expression has more than {MAX_NODES} parts")
        if isinstance(node, (ast.Expression, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div,
                             ast.Pow, ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                exp = node.right
                sign = 1
                if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub):
                    sign, exp = -1, exp.operand
                if not (isinstance(exp, ast.Constant) and type(exp.value) is int
                        and 0 <= exp.value <= MAX_POWER):
                    raise ExprError(f"only integer powers between -{MAX_POWER} and {MAX_POWER} are allowed")
                node._selu_power = sign * exp.value
            continue
        if isinstance(node, ast.UnaryOp):
            continue
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise ExprError(f"unexpected constant {node.value!r}")
            q = _literal(node, src)
            if abs(q) > 10**12 or (q.denominator > 10**40):
                raise ExprError(f"number {ast.get_source_segment(src, node)} out of range")
            node._selu_value = q
            continue
        if isinstance(node, ast.Name):
            if getattr(node, "_selu_function", False):
                continue
            if node.id not in known:
                raise ExprError(f"unknown name {node.id!r}; known: {', '.join(known)}")
            names.add(node.id)
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExprError(f"unknown function; known: {', '.join(FUNCTIONS)}")
            if len(node.args) != 1 or node.keywords:
                raise ExprError(f"{node.func.id} takes one argument")
            node.func._selu_function = True
            continue
        raise ExprError(f"not allowed in an expression: {type(node).__name__}")
    return Expr(src, tree, frozenset(names))


class _Evaluator:
    def __init__(self, env, ops):
        self.env, self.ops = env, ops

    def visit(self, node):
        if isinstance(node, ast.BinOp):
            a = self.visit(node.left)
            if isinstance(node.op, ast.Pow):
                return self.ops.ipow(a, node._selu_power)
            b = self.visit(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            return a / b
        if isinstance(node, ast.UnaryOp):
            a = self.visit(node.operand)
            return -a if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.Constant):
            return self.ops.const(node._selu_value)
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.Call):
            return getattr(self.ops, node.func.id)(self.visit(node.args[0]))
        raise ExprError(f"not allowed: {type(node).__name__}")  # unreachable after parse
