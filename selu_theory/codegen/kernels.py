"""Render an activation's kernels as Python source: Arb balls (``ball_kernels.py``),
numpy float64 (``float_kernels.py``), numba float64 (``numba_kernels.py``) and, through
``grid``, midpoint-radius numba (``grid_mr_kernels.py``).

``render_activation(spec)`` returns {filename: text} for ANY ``Activation`` spec; the
text is a pure function of the sympy version, the spec and this package, so
``tools/generate_kernels.py --check`` can regenerate in memory and diff.  Each file
records ``GENERATOR_INPUT_HASH`` (``common.input_hash``), which certificates record.

Every family of the spec gets one function per group of partial-derivative orders in
(m, v) (``common.GROUPS``); the ball and float kernels also get ``moments_params(m, v,
*params)``: mu, xi and their first derivatives in each parameter (the fixed-point
solver's Jacobian).

Why a printer of our own: sympy's ``lambdify`` turns Rational(1, 10) into the float
0.1, which a high-precision ball then excludes.  The ball printer keeps rationals exact,
writes integer powers as products (a real power of a ball around 0 is NaN), and makes
pi a ball.
"""
from __future__ import annotations

import functools

import sympy as sp
from sympy.printing.str import StrPrinter

from selu_theory import symbolic
from selu_theory.codegen import grid
from selu_theory.codegen.common import BALL_ONLY, family_groups, group_names, input_hash, metadata, params_names

REGENERATE = "python -m tools.generate_kernels"
KINDS = ("ball_kernels.py", "float_kernels.py", "numba_kernels.py", "grid_mr_kernels.py")


class _BasePrinter(StrPrinter):
    def _print_Symbol(self, expr):
        return expr.name

    def _print_Function(self, expr):
        name = type(expr).__name__
        if name not in symbolic.SPECIAL_FUNCTIONS:
            raise ValueError(f"no kernel for function {name}")
        return f"{name}({self._print(expr.args[0])})"

    def _print_exp(self, expr):
        return f"exp({self._print(expr.args[0])})"

    def _print_erfc(self, expr):
        return f"erfc({self._print(expr.args[0])})"

    def _print_Mul(self, expr):
        factors = [f"({self._print(a)})" for a in expr.as_ordered_factors()]
        return "*".join(factors)

    def _print_Add(self, expr):
        return "(" + " + ".join(f"({self._print(a)})" for a in expr.as_ordered_terms()) + ")"

    def _print_Pi(self, expr):
        return "PI"

    def _print_Exp1(self, expr):
        # e itself (exp(x + 1) = e * exp(x)): exp of the exact 1 in each number system
        return f"exp({self._print(sp.Integer(1))})"

    def _print_Pow(self, expr):
        """Integer and half-integer powers only; each printer's _power writes b**n or sqrt(b)**n."""
        base, ex = expr.as_base_exp()
        b = self._print(base)
        if ex.is_Integer:
            return self._power(b, int(ex), half=False)
        if ex.is_Rational and ex.q == 2:
            return self._power(b, int(ex.p), half=True)
        raise ValueError(f"unsupported power {expr}")


class BallPrinter(_BasePrinter):
    def _print_Integer(self, expr):
        return f"arb({int(expr)})"

    def _print_Rational(self, expr):
        return f"(arb({expr.p})/{expr.q})"

    def _print_NegativeOne(self, expr):
        return "arb(-1)"

    def _power(self, b: str, n: int, half: bool) -> str:
        return f"ipow(sqrt({b}), {n})" if half else f"ipow({b}, {n})"


class FloatPrinter(_BasePrinter):
    def _print_Integer(self, expr):
        return f"{float(int(expr))!r}"

    def _print_Rational(self, expr):
        return f"({float(expr.p)!r}/{float(expr.q)!r})"

    def _print_NegativeOne(self, expr):
        return "-1.0"

    def _power(self, b: str, n: int, half: bool) -> str:
        return f"sqrt({b})**{n}" if half else f"({b})**{n}"


# sympy's "basic" cse optimizations (factor_terms before eliminating) save about 3% of
# the operations and cost 15 times the time (celu's order-4 group: 14 s against 0.8 s).
# SELU keeps them, so that its kernels, its benchmark and its certified numbers stay
# exactly what they were; every other activation (and every user's) uses plain cse.
BASIC_CSE = frozenset({"selu"})


def _cse(spec, exprs, basic: bool = True):
    opt = "basic" if basic and spec.id in BASIC_CSE else None
    return sp.cse(exprs, symbols=sp.numbered_symbols("t"), optimizations=opt)


@functools.cache
def _family_cse(spec, family: str, names: tuple, basic: bool = True):
    """Common subexpressions of a group's partials, shared by the three printers."""
    return _cse(spec, [symbolic.derivative_expr(spec, family, n) for n in names], basic)


@functools.cache
def _params_cse(spec):
    """mu, xi and their first derivatives in each parameter, in ``params_names`` order."""
    mu, xi = spec.closed_form("mean"), spec.closed_form("second")
    exprs = [mu, xi]
    for p in spec.parameters:
        exprs += [sp.diff(mu, p.symbol), sp.diff(xi, p.symbol)]
    return _cse(spec, exprs)


def _function_source(spec, fname, names, cse, printer, decorator=""):
    subs, reduced = cse
    lines = []
    if decorator:
        lines.append(decorator)
    lines.append(f"def {fname}({', '.join(('m', 'v') + spec.parameter_names)}):")
    lines.append(f'    """{", ".join(names)}"""')
    for sym, e in subs:
        lines.append(f"    {sym} = {printer.doprint(e)}")
    lines.append("    return (")
    for n, e in zip(names, reduced):
        lines.append(f"        {printer.doprint(e)},  # {n}")
    lines.append("    )")
    return "\n".join(lines)


HEADER = '''"""GENERATED by {origin}.
Do not edit.  Regenerate: {regenerate}

{what}
Each function returns the partial derivatives of a family's base functions in (m, v)
named in its docstring, in that order; ``NAMES`` maps a function name to those names.
"""
'''

PARAMS_NOTE = (
    "\n\n# moments_params(m, v, *params): mu, xi and their first derivatives in each parameter\n"
    "# (NAMES['moments_params'], 'mu:<p>' is d mu / d p): the fixed-point solver's Jacobian.\n")

PRELUDES = {
    "ball_kernels.py": (
        "Arb ball evaluators: exact rationals, integer powers by multiplication, monotone\n"
        "elementary functions evaluated at the endpoints of their argument.",
        "from flint import arb\n\n"
        "from selu_theory.ball import erfc, erfcx, exp, ipow, sqrt\n\n"
        "{hash_line}\n\n\n"
        "def _pi():\n    return arb.pi()\n",
        BallPrinter,
        "",
    ),
    "float_kernels.py": (
        "numpy float64 evaluators (scalars or arrays); no error bound: search only.",
        "from selu_theory.float_ops import PI, erfc, erfcx, exp, sqrt\n\n"
        "{hash_line}\n",
        FloatPrinter,
        "",
    ),
    "numba_kernels.py": (
        "numba float64 scalar evaluators (glibc erfc/exp); no error bound by themselves.",
        "from numba import njit\n\n"
        "from selu_theory.float_ops_numba import PI, erfc_nb as erfc, erfcx_nb as erfcx, exp_nb as exp, sqrt_nb as sqrt\n\n"
        "{hash_line}\n",
        FloatPrinter,
        "@njit(cache=True, fastmath=False)",
    ),
}
# the files that carry moments_params (the numba kernels serve the grid sweeps only)
WITH_PARAMS = ("ball_kernels.py", "float_kernels.py")


def registry_origin(spec) -> str:
    return f"tools/generate_kernels.py from the {spec.name} spec (selu_theory/activations/{spec.id}.py)"


def _metadata_lines(spec) -> str:
    return "".join(f"{k} = {v!r}\n" for k, v in metadata(spec).items())


def _ball_pi(src: str) -> str:
    # pi is a ball at the caller's precision: make it once per call.
    head, body = src.split('"""\n', 1)
    return head + '"""\n    PI = _pi()\n' + body


def render(spec, filename: str, origin: str | None = None, regenerate: str = REGENERATE) -> str:
    """The text of one ball/float/numba kernel file of ``spec``."""
    what, prelude, printer_cls, decorator = PRELUDES[filename]
    printer = printer_cls()
    hash_line = f"GENERATOR_INPUT_HASH = {input_hash(spec)!r}"
    parts = [HEADER.format(origin=origin or registry_origin(spec), regenerate=regenerate, what=what),
             prelude.format(hash_line=hash_line)]
    if filename == "ball_kernels.py":
        parts.append("\n" + _metadata_lines(spec))
    names_map = {}
    for family in spec.family_names:
        for fname, orders in family_groups(spec, family, ball=filename == "ball_kernels.py"):
            names = tuple(group_names(spec, orders, family))
            names_map[fname] = names
            # the ball-only groups are new: plain cse even for SELU (order 5 with the
            # "basic" optimizations took 32 s of CPU, plain 2 s)
            cse = _family_cse(spec, family, names, fname[len(family) + 1:] not in BALL_ONLY)
            src = _function_source(spec, fname, names, cse, printer, decorator)
            if filename == "ball_kernels.py":
                src = _ball_pi(src)
            parts.append("\n\n" + src + "\n")
    if filename in WITH_PARAMS:
        names = params_names(spec)
        names_map["moments_params"] = names
        src = _function_source(spec, "moments_params", names, _params_cse(spec), printer)
        if filename == "ball_kernels.py":
            src = _ball_pi(src)
        parts.append(PARAMS_NOTE + src + "\n")
    parts.append("\n\nNAMES = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in names_map.items()) + "}\n")
    return "".join(parts)


def render_activation(spec, kinds=KINDS, origin: str | None = None,
                      regenerate: str | None = None) -> dict:
    """{filename: text} of the kernel files of ``spec`` named in ``kinds``.

    ``origin`` names what the files were generated from in their header (default: the
    registry's spec module), ``regenerate`` the command that regenerates them.  ``grid_mr_kernels.py`` is left out when the midpoint-radius
    printer cannot print the spec's closed forms (``grid.GridUnsupported``): the runtime
    then has no grid sweep for it, and says so when loading."""
    out = {}
    for filename in kinds:
        if filename == "grid_mr_kernels.py":
            try:
                out[filename] = grid.render(spec, origin, regenerate or grid.REGENERATE)
            except grid.GridUnsupported:
                continue
        elif filename in PRELUDES:
            out[filename] = render(spec, filename, origin, regenerate or REGENERATE)
        else:
            raise ValueError(f"no kernel file {filename!r} (files: {', '.join(KINDS)})")
    return out
