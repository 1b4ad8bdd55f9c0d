"""The grammar of a user's own activation, parsed with ``ast`` and a whitelist (no eval).

    x>=0: lam*x; x<0: lam*alpha*x*exp(x)

* **Two pieces** ``CONDITION: EXPRESSION``, separated by ``;`` or a line break (a
  trailing ``;`` and blank lines are ignored).
  One piece is the positive side (``x>=0`` or ``x>0``), the other the negative side
  (``x<0`` or ``x<=0``), in either order.  The break is at 0, and the value at 0 does not
  matter: {0} has Gaussian measure zero, so no moment depends on it, and ``x>0`` means
  the same as ``x>=0``.
* **An expression**: numbers (decimals, ``1/3``, exponents such as ``2.5e-3``; read
  exactly by ``selu_theory.numbers``: ``0.1`` is 1/10), the variable ``x``, parameter
  names, ``+ - * /``, ``**`` with an integer exponent 0..MAX_POWER, ``exp(...)`` and
  parentheses.  Nothing else: no other function, attribute, subscript or keyword.
* **A parameter name**: a lowercase letter, then letters or digits (at most MAX_NAME
  characters); not ``x``, not a function name, not a name the generated kernels use
  themselves (``m``, ``v``, ``rm``, ``t0``, ``u3``, ...; see ``reserved``; the generator
  checks the kernels it writes for a clash as well).  Parameters are
  the activation's kernel arguments **sorted by name** (so the order in which the user
  happened to write them changes neither the id nor the kernels), each defaults to 1.

The result is a ``Parsed``: the two pieces as sympy expressions in ``X`` (exact
rationals), the parameter names and ``canonical``: the spec re-printed by sympy (positive
piece first, conditions ``x>=0``/``x<0``, sympy's ordering of sums and products, exact
rationals), so ``lam*x`` and ``x * lam`` have the same canonical text, and the canonical
text parses to itself.  Whether a piece lies in the family (sums of c*x**k*exp(a*x)) is
decided afterwards by ``selu_theory.activations.family.terms_of``; this module
pre-checks only what would make sympy slow (a power of x above 2, or a product whose
expansion has more than MAX_TERMS terms) from the syntax tree.

Every refusal is a ``UserActivationError`` whose message is one line.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.str import StrPrinter

from selu_theory.numbers import NumberError
from selu_theory.numbers import parse as parse_number
from selu_theory.user_cache import UserActivationError

MAX_LENGTH = 2000      # characters of the whole spec
MAX_NODES = 400        # syntax-tree nodes of one piece
MAX_POWER = 8          # largest integer exponent
MAX_PARAMETERS = 8
MAX_NAME = 16
MAX_LITERAL = 10**12   # |number literal|
MAX_DENOMINATOR = 10**40
MAX_BITS = 4096        # bits of any exact number the expression computes (2**8**8 ...)
MAX_TERMS = 64         # terms a piece's expansion may have (before the family decides)
MAX_X_DEGREE = 2       # the family's largest power of x

X = sp.Symbol("x", real=True)
FUNCTIONS = ("exp",)
POSITIVE, NEGATIVE = ">=", "<"
_CONDITION = re.compile(r"^\s*x\s*(>=|>|<=|<)\s*0\s*$")
_NAME = re.compile(r"^[a-z][A-Za-z0-9]*$")
_CSE_NAME = re.compile(r"^(t|h|u|ru|rt)\d+$")   # the generators' common-subexpression names
# Names with a meaning in the generated kernels or in sympy: a parameter called so would
# shadow it (a parameter 'sqrt' would replace the kernels' sqrt) or change its meaning.
_KERNEL_NAMES = {"x", "z", "m", "v", "exp", "erfc", "erfcx", "sqrt", "ipow", "arb", "pi", "e", "i",
                 "j", "nan", "inf", "infinity", "oo", "zoo", "njit", "numba", "np", "numpy", "math",
                 "flint", "ball", "mpmath", "sp", "sympy", "log", "sin", "cos", "tan", "abs",
                 "max", "min", "mu", "xi", "nu", "omega", "tau", "names", "rm", "rv",
                 "rate", "q"}   # rate, q: extra domain variables (quantities.EXTRA_VARS)


def reserved(name: str) -> bool:
    """True when ``name`` cannot be a parameter name."""
    return (name in _KERNEL_NAMES or keyword.iskeyword(name) or name in dir(builtins)
            or bool(_CSE_NAME.match(name)))


@dataclass(frozen=True)
class Parsed:
    canonical: str         # "x>=0: <positive>; x<0: <negative>", sympy-printed
    parameters: tuple      # parameter names, sorted
    positive: sp.Expr      # the piece for x >= 0, in X
    negative: sp.Expr      # the piece for x < 0, in X


def parameter_symbol(name: str) -> sp.Symbol:
    # positive, like the built-ins' parameters (Params requires positive values anyway)
    return sp.Symbol(name, positive=True)


def _show(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def parse(text) -> Parsed:
    """The parsed spec; ``UserActivationError`` (one line) for anything else."""
    if not isinstance(text, str):
        raise UserActivationError(f"activation spec must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UserActivationError(f"activation spec longer than {MAX_LENGTH} characters")
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch in "\t\n\r"):
            raise UserActivationError(f"activation spec: character {ch!r} at position {i + 1} is not "
                                      f"allowed (ASCII only: x, numbers, names, + - * / ** exp( ) ; :)")
    for ch in "#\\":
        if ch in text:
            raise UserActivationError(f"activation spec: {ch!r} is not allowed")
    if not text.strip():
        raise UserActivationError("empty activation spec; example: 'x>=0: lam*x; x<0: lam*alpha*(exp(x)-1)'")
    pieces = [p.strip() for p in re.split(r"[;\n\r]", text)]
    pieces = [p for p in pieces if p]   # a trailing ';', blank lines
    sides = {}
    for k, piece in enumerate(pieces, 1):
        if ":" not in piece:
            raise UserActivationError(f"piece {k} ({_show(piece)}) is not 'CONDITION: EXPRESSION', "
                                      f"e.g. 'x<0: alpha*(exp(x)-1)'")
        cond, body = piece.split(":", 1)
        m = _CONDITION.match(cond)
        if not m:
            raise UserActivationError(f"piece {k}: condition {_show(cond.strip())} must be x>=0, x>0, x<0 "
                                      f"or x<=0 (the break is at 0)")
        side = POSITIVE if m.group(1) in (">=", ">") else NEGATIVE
        if side in sides:
            raise UserActivationError(f"two pieces for x{side}0; give one piece for x>=0 and one for x<0")
        sides[side] = (k, body.strip())
    for side in (POSITIVE, NEGATIVE):
        if side not in sides:
            raise UserActivationError(f"missing the piece for x{side}0 (a spec has exactly two pieces: "
                                      f"x>=0 and x<0)")
    names, exprs = set(), {}
    for side, (_, body) in sides.items():
        exprs[side] = _Builder(f"piece x{side}0", names).build(body)
    if len(names) > MAX_PARAMETERS:
        raise UserActivationError(f"more than {MAX_PARAMETERS} parameters: {', '.join(sorted(names))}")
    pos, neg = exprs[POSITIVE], exprs[NEGATIVE]
    canonical = f"x>=0: {PRINTER.doprint(pos)}; x<0: {PRINTER.doprint(neg)}"
    return Parsed(canonical, tuple(sorted(names)), pos, neg)


class _CanonicalPrinter(StrPrinter):
    """sympy's str, except that e (which sympy makes of exp(1)) is written exp(1), so the
    canonical text stays inside the grammar."""

    def _print_Exp1(self, expr):
        return "exp(1)"


PRINTER = _CanonicalPrinter()


def _bits(q: sp.Rational) -> int:
    return max(int(abs(q.p)).bit_length(), int(q.q).bit_length())


class _Builder:
    """Builds the sympy expression of one piece from its syntax tree, checking every node
    against the whitelist and tracking (degree in x, terms after expansion) so that a piece
    sympy would be slow on is refused before sympy sees it."""

    def __init__(self, where: str, names: set):
        self.where, self.names = where, names

    def fail(self, msg: str):
        raise UserActivationError(f"{self.where}: {msg}")

    def build(self, body: str) -> sp.Expr:
        if not body:
            self.fail("empty expression")
        try:
            tree = ast.parse(body, mode="eval")
        except SyntaxError as exc:
            words = [w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body) if keyword.iskeyword(w)]
            if words:
                self.fail(f"{words[0]!r} is a Python keyword and cannot name a parameter "
                          f"(e.g. write 'lam' for lambda)")
            self.fail(f"cannot parse {_show(body)}: {exc.msg}")
        except (RecursionError, MemoryError, ValueError):
            self.fail("expression too deeply nested")
        count = sum(1 for _ in ast.walk(tree))
        if count > MAX_NODES:
            self.fail(f"expression has more than {MAX_NODES} parts")
        self.source = body
        try:
            expr, degree, terms = self.visit(tree.body)
        except RecursionError:
            self.fail("expression too deeply nested")
        if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            self.fail("expression is not finite (a division by zero?)")
        return expr

    # each visit returns (sympy expression, degree in x (exp(...) counts 0), terms after expansion)
    def visit(self, node):
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            e, d, t = self.visit(node.operand)
            return (-e if isinstance(node.op, ast.USub) else e), d, t
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            self.fail(f"attribute access ('.{node.attr}') is not allowed")
        if isinstance(node, ast.BinOp):
            hint = " (write ** for a power)" if isinstance(node.op, ast.BitXor) else ""
            self.fail(f"operator {type(node.op).__name__} is not allowed; use + - * / and **{hint}")
        if isinstance(node, ast.Compare):
            self.fail("a comparison inside an expression is not allowed (conditions go before ':')")
        self.fail(f"{type(node).__name__} is not allowed; use numbers, x, parameter names, "
                  f"+ - * / ** and exp(...)")

    def constant(self, node):
        if type(node.value) not in (int, float):
            self.fail(f"{_show(repr(node.value))} is not a real number")
        seg = ast.get_source_segment(self.source, node) or repr(node.value)
        if seg[:2].lower() in ("0x", "0o", "0b"):
            self.fail(f"number {_show(seg)}: write numbers as decimals or p/q")
        try:
            q = parse_number(seg.replace("_", ""), f"{self.where}: number")
        except NumberError as exc:
            raise UserActivationError(str(exc)) from None
        if abs(q) > MAX_LITERAL:
            self.fail(f"number {_show(seg)} out of range (at most 1e{len(str(MAX_LITERAL)) - 1} in absolute value)")
        if q.denominator > MAX_DENOMINATOR:
            self.fail(f"number {_show(seg)} out of range (more than {len(str(MAX_DENOMINATOR)) - 1} "
                      f"decimals)")
        return sp.Rational(q.numerator, q.denominator), 0, 1

    def name(self, name: str):
        if name == "x":
            return X, 1, 1
        if name in FUNCTIONS:
            self.fail(f"{name} is a function: write {name}(...)")
        if name in ("nan", "inf", "infinity", "oo", "zoo"):
            self.fail(f"{name!r} is not a finite number")
        if name.startswith("_") or not _NAME.match(name):
            self.fail(f"{_show(name)} is not a parameter name (a lowercase letter, then letters or digits)")
        if len(name) > MAX_NAME:
            self.fail(f"parameter name {_show(name)} longer than {MAX_NAME} characters")
        if reserved(name):
            self.fail(f"{name!r} is reserved and cannot name a parameter")
        self.names.add(name)
        return parameter_symbol(name), 0, 1

    def call(self, node):
        f = node.func
        fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "?"
        if not isinstance(f, (ast.Name, ast.Attribute)):
            self.fail("only exp(...) may be called")
        if not isinstance(f, ast.Name) or f.id not in FUNCTIONS:
            self.fail(f"unknown function {_show(fname)}: the only function is exp "
                      f"(the family is sums of c*x**k*exp(a*x), k <= 2)")
        if len(node.args) != 1 or node.keywords:
            self.fail(f"{fname} takes one argument")
        arg, d, t = self.visit(node.args[0])
        if d > 1 or any(f.has(X) for f in arg.atoms(sp.exp)):
            self.fail(f"exp of {_show(ast.get_source_segment(self.source, node.args[0]) or '?')} is not in "
                      f"the family (exp(a*x) with a free of x only): its moments need not exist")
        return sp.exp(arg), 0, 1

    def binop(self, node):
        a, da, ta = self.visit(node.left)
        op = node.op
        if isinstance(op, ast.Pow):
            return self.power(node, a, da, ta)
        b, db, tb = self.visit(node.right)
        if isinstance(op, (ast.Add, ast.Sub)):
            e = a + b if isinstance(op, ast.Add) else a - b
            return self.number_ok(e), max(da, db), self.terms_ok(ta + tb)
        if isinstance(op, ast.Mult):
            return self.number_ok(a * b), self.degree_ok(da + db), self.terms_ok(ta * tb)
        if b == 0 or b.is_zero:
            self.fail("division by zero")
        if db > 0:
            self.fail("x in a denominator is not in the family (c*x**k*exp(a*x), k = 0, 1, 2)")
        return self.number_ok(a / b), da, ta

    def power(self, node, a, da, ta):
        ex = node.right
        if not (isinstance(ex, ast.Constant) and type(ex.value) is int):
            self.fail(f"only integer powers 0..{MAX_POWER} are allowed (write 1/y for y**-1)")
        n = ex.value
        if not 0 <= n <= MAX_POWER:
            self.fail(f"power {n} is beyond the limit: only integer powers 0..{MAX_POWER} are allowed")
        if a.is_Rational and _bits(a) * n > MAX_BITS:
            self.fail(f"number too large (more than {MAX_BITS} bits)")
        return self.number_ok(a**n), self.degree_ok(da * n), self.terms_ok(ta**n)

    def number_ok(self, e):
        if e.is_Rational and _bits(e) > MAX_BITS:
            self.fail(f"number too large (more than {MAX_BITS} bits)")
        return e

    def degree_ok(self, d):
        if d > MAX_X_DEGREE:
            self.fail(f"a power of x above {MAX_X_DEGREE} is not in the family (c*x**k*exp(a*x), k = 0, 1, 2)")
        return d

    def terms_ok(self, t):
        if t > MAX_TERMS:
            self.fail(f"expression too large (its expansion has more than {MAX_TERMS} terms)")
        return t
