"""Generate every activation's kernels: ``python -m tools.generate_kernels [--check]``.

For each activation of the registry (``selu_theory.activations``) it prints the partial
derivatives in (m, v) of the spec's families of base functions three ways, into
``selu_theory/_generated/<id>/``: Arb balls (``ball_kernels.py``), numpy float64
(``float_kernels.py``) and numba float64 (``numba_kernels.py``).  The output is a pure
function of the sympy version, the spec and this file, so ``--check`` can regenerate in
memory and diff.  Each file records ``GENERATOR_INPUT_HASH``: sha256 of the generator's
version and the spec's expressions (sympy srepr), which certificates record.

This is a tool, never imported by the package at run time.

Why a printer of our own: sympy's ``lambdify`` turns Rational(1, 10) into the float
0.1, which a high-precision ball then excludes.  The ball printer keeps rationals exact,
writes integer powers as products (a real power of a ball around 0 is NaN), and makes
pi a ball.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import pathlib
import sys

import sympy as sp
from sympy.printing.str import StrPrinter

from selu_theory import activations, constants, partials, symbolic

# Bump when any printer's output changes for the same spec (the ball, float and numba
# printers here, the midpoint-radius printer of generate_grid_kernels): it is part of the
# input hash, which is one per activation.
GENERATOR_VERSION = "kernels-4"
REGENERATE = "python -m tools.generate_kernels"
GENERATED_DIR = pathlib.Path(__file__).resolve().parents[1] / "selu_theory" / "_generated"

# Groups of outputs, each one generated function with shared subexpressions.
GROUPS = {
    "order0": [0],
    "order0_1": [0, 1],
    "order0_2": [0, 1, 2],
    "order3": [3],
    "order4": [4],
}


def family_groups(spec, family):
    """(function name, orders) of every kernel of a family, up to its highest order."""
    top = spec.family(family).max_order
    return [(f"{family}_{g}", orders) for g, orders in GROUPS.items() if max(orders) <= top]


def group_names(spec, orders, family="moments"):
    names = []
    for base in spec.family(family).names:
        for order in orders:
            for i, j in partials.orders(order):
                names.append(partials.name(base, i, j))
    return names


def input_hash(spec) -> str:
    """sha256 of the generators' version and everything of the spec the kernels print."""
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}\n{spec.id}\n{','.join(spec.parameter_names)}\n".encode())
    h.update(f"{metadata(spec)!r}\n".encode())
    for fam in spec.families:
        h.update(f"family {fam.name} {fam.max_order}\n".encode())
        for name, expr in fam.functions:
            h.update(f"{name} {sp.srepr(expr)}\n".encode())
    return h.hexdigest()


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


def _function_source(spec, fname, family, names, printer, decorator=""):
    exprs = [symbolic.derivative_expr(spec, family, n) for n in names]
    subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t"), optimizations="basic")
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


HEADER = '''"""GENERATED by tools/generate_kernels.py from the {name} spec (selu_theory/activations/{id}.py).
Do not edit.  Regenerate: {regenerate}

{what}
Each function returns the partial derivatives of a family's base functions in (m, v)
named in its docstring, in that order; ``NAMES`` maps a function name to those names.
"""
'''

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


def metadata(spec) -> dict:
    """What the runtime needs to know about the activation without importing sympy or
    the spec: written into ball_kernels.py as module constants (see kernel_loader)."""
    named = tuple(p.default for p in spec.parameters if p.default in constants.NAMED)
    st = spec.structure
    return {
        "ACTIVATION_ID": spec.id,
        "ACTIVATION_NAME": spec.name,
        "FORMULA": spec.formula,
        # (name, label, default, meaning) per parameter, in kernel-argument order
        "PARAMETER_INFO": tuple((p.name, p.label, p.default, p.meaning) for p in spec.parameters),
        "NAMED_CONSTANTS": named,
        "STRUCTURE": {"scale": st.scale, "shape_affine": st.shape_affine},
    }


def _metadata_lines(spec) -> str:
    return "".join(f"{k} = {v!r}\n" for k, v in metadata(spec).items())


def render(spec, filename: str) -> str:
    what, prelude, printer_cls, decorator = PRELUDES[filename]
    printer = printer_cls()
    hash_line = f"GENERATOR_INPUT_HASH = {input_hash(spec)!r}"
    parts = [HEADER.format(name=spec.name, id=spec.id, regenerate=REGENERATE, what=what),
             prelude.format(hash_line=hash_line)]
    if filename == "ball_kernels.py":
        parts.append("\n" + _metadata_lines(spec))
    names_map = {}
    for family in spec.family_names:
        for fname, orders in family_groups(spec, family):
            names = group_names(spec, orders, family)
            names_map[fname] = tuple(names)
            src = _function_source(spec, fname, family, names, printer, decorator)
            if filename == "ball_kernels.py":
                # pi is a ball at the caller's precision: make it once per call.
                head, body = src.split('"""\n', 1)
                src = head + '"""\n    PI = _pi()\n' + body
            parts.append("\n\n" + src + "\n")
    parts.append("\n\nNAMES = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in names_map.items()) + "}\n")
    return "".join(parts)


PACKAGE_INIT = '"""Generated kernels: see README.md here. Do not edit."""\n'
ACTIVATION_INIT = '"""The generated kernels of activation {id!r}: see ../README.md. Do not edit."""\n'


def outputs() -> dict:
    """{path: text} of every file this generator writes."""
    out = {GENERATED_DIR / "__init__.py": PACKAGE_INIT}
    for spec in activations.REGISTRY.values():
        d = GENERATED_DIR / spec.id
        out[d / "__init__.py"] = ACTIVATION_INIT.format(id=spec.id)
        for filename in PRELUDES:
            out[d / filename] = render(spec, filename)
    return out


def write_or_check(files: dict, check: bool) -> int:
    """Write the files, or (check) diff them against the disk: 1 on any difference."""
    status = 0
    for path, text in files.items():
        if check:
            old = path.read_text() if path.exists() else ""
            if old != text:
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                           str(path), "regenerated"))
                status = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="diff against the files on disk; exit 1 on any change")
    args = ap.parse_args(argv)
    return write_or_check(outputs(), args.check)


if __name__ == "__main__":
    sys.exit(main())
