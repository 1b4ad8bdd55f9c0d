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
import difflib
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


# What a user may have meant, for the syntax the language refuses: said in the user's
# words, never with Python's names for it.
_OPERATOR_HINTS = {
    ast.BitXor: "use ** for powers (^ is not a power)",
    ast.Mod: "% is not an operator of the language (use + - * / **)",
    ast.FloorDiv: "// is not an operator of the language (use /)",
    ast.MatMult: "@ is not an operator of the language (use *)",
    ast.BitAnd: "& is not an operator of the language (use + - * / **)",
    ast.BitOr: "| is not an operator of the language (for |x| use sqrt(x**2))",
    ast.LShift: "<< is not an operator of the language",
    ast.RShift: ">> is not an operator of the language",
    ast.Invert: "~ is not an operator of the language",
    ast.Not: "'not' is not an operator of the language",
}
_NODE_HINTS = {
    ast.Compare: "comparisons (<, >, ==) are not part of an expression: use --below C or --above C",
    ast.BoolOp: "'and'/'or' are not part of an expression: bound one expression at a time",
    ast.IfExp: "'if ... else' is not part of an expression",
    ast.Attribute: "'.' is not part of an expression (names have no attributes)",
    ast.Subscript: "[...] is not part of an expression (no indexing)",
    ast.Tuple: "a comma is not part of an expression: bound one expression at a time",
    ast.List: "[...] is not part of an expression",
    ast.Lambda: "'lambda' is not part of an expression",
    ast.NamedExpr: "':=' is not part of an expression",
}


def _not_allowed(node, src: str) -> str:
    hint = (_OPERATOR_HINTS.get(type(getattr(node, "op", None))) or _OPERATOR_HINTS.get(type(node))
            or _NODE_HINTS.get(type(node)))
    if hint:
        return hint
    seg = ast.get_source_segment(src, node) or ""
    seg = seg if len(seg) <= 40 else seg[:37] + "..."
    return f"not allowed in an expression: {seg!r} (use numbers, names, + - * / **, sqrt(...), exp(...))"


def _unknown_name(name: str, known) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    shown = name if len(name) <= 40 else name[:37] + "..."
    if name in FUNCTIONS:
        return f"{name} is a function: write {name}(...)"
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown name {shown!r}{hint} (selu-verify names lists every name)"


def _unknown_function(node, known) -> str:
    if isinstance(node.func, ast.Name):
        name = node.func.id
        shown = name if len(name) <= 40 else name[:37] + "..."
        if name in known:
            return f"{shown!r} is a quantity, not a function; functions: {', '.join(FUNCTIONS)}"
        hint = "; for |x| use sqrt(x**2)" if name == "abs" else ""
        return f"unknown function {shown!r}; known: {', '.join(FUNCTIONS)}{hint}"
    return f"only {' and '.join(f + '(...)' for f in FUNCTIONS)} may be called"


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


def _syntax_message(src: str, exc: SyntaxError) -> str:
    if "^" in src:
        return "use ** for powers (^ is not a power)"
    msg = (exc.msg or "invalid syntax").split("\n")[0]
    if msg.lower().startswith("invalid syntax. perhaps"):
        msg = "invalid syntax"
    where = f" at character {exc.offset}" if exc.offset and exc.offset <= len(src) else ""
    return f"cannot read the expression{where}: {msg}"


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
        raise ExprError(_syntax_message(text.strip(), exc)) from None
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
                    half = isinstance(exp, ast.Constant) and exp.value == 0.5 and sign == 1
                    raise ExprError(f"only whole-number powers between -{MAX_POWER} and {MAX_POWER} are allowed"
                                    + ("; for a square root use sqrt(...)" if half else ""))
                node._selu_power = sign * exp.value
            elif not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                raise ExprError(_not_allowed(node, src))
            continue
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExprError(_not_allowed(node, src))
            continue
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                what = {str: "text in quotes", bool: f"{node.value}", complex: "an imaginary number"}.get(
                    type(node.value), "this constant")
                raise ExprError(f"{what} is not a number of the language")
            q = _literal(node, src)
            if abs(q) > 10**12 or (q.denominator > 10**40):
                raise ExprError(f"number {ast.get_source_segment(src, node)} out of range")
            node._selu_value = q
            continue
        if isinstance(node, ast.Name):
            if getattr(node, "_selu_function", False):
                continue
            if node.id not in known:
                raise ExprError(_unknown_name(node.id, known))
            names.add(node.id)
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExprError(_unknown_function(node, known))
            if len(node.args) != 1 or node.keywords:
                raise ExprError(f"{node.func.id} takes one argument")
            node.func._selu_function = True
            continue
        raise ExprError(_not_allowed(node, src))
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
