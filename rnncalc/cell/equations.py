"""Parse a user's cell equations safely: Python's ast with an allow-list, building SymPy objects directly.

Nothing the user types is evaluated: no eval, exec, sympify or parse_expr. Only numbers, names,
+ - * / **, unary minus and a fixed list of one-argument functions are accepted; names must be
plain ASCII identifiers outside a reserved list; lengths, depth and exponents are limited.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import InputError
from ..text import printable_ascii
from . import PARAMETERS
from .functions import ACTIVATIONS, CELL_FUNCTIONS
from .rules import h, h_prev, o, x, y
from .size import check_size
from .sympy_functions import sympy_function

MAX_EQUATIONS = 20
MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_LITERAL = 10**12
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    name: sympy_function(name) for name in CELL_FUNCTIONS
}
INPUTS = {"x": x, "h_prev": h_prev}
RESERVED = {
    "g",
    "t",
    "n",
    "L",
    "delta",
    "S",
    "H",
    "O",
    "Y",
    "e",
    "E",
    "I",
    "pi",
    "oo",
    "inf",
    "nan",
    "h0",
} | set(FUNCTIONS)


@dataclass(frozen=True)
class CellSpec:
    """A parsed cell in rnncalc's shape: o from x, h_prev and parameters; h = act(o); y from h, parameters."""

    equations: tuple[str, ...]
    state: sympy.Expr
    activation: sympy.Expr
    output: sympy.Expr
    params: tuple[str, ...]
    activation_name: str


def _fail(equation: str, message: str) -> InputError:
    """An error naming the equation."""
    return InputError(f"--cell {equation!r}: {message}")


class Builder:
    """Turns an allow-listed ast into SymPy objects, keeping the order the user wrote."""

    def __init__(
        self,
        equation: str,
        known: dict[str, sympy.Expr],
        later: set[str],
        inputs: dict[str, sympy.Expr] | None = None,
    ) -> None:
        """Names already defined (``known``), defined by later equations (``later``), and the inputs."""
        self.equation = equation
        self.known = known
        self.later = later
        self.inputs = INPUTS if inputs is None else inputs
        self.params: dict[str, sympy.Symbol] = {}

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        """The SymPy expression of an ast node."""
        if depth > MAX_DEPTH:
            raise _fail(self.equation, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return sympy.Mul(-1, operand, evaluate=False) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise _fail(
            self.equation,
            f"{type(node).__name__} is not allowed (use numbers, names, + - * / **, and "
            f"{', '.join(FUNCTIONS)})",
        )

    def _binary(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        """+ - * / **, with flat unevaluated sums and products."""
        left = self.build(node.left, depth + 1)
        if isinstance(node.op, ast.Pow):
            return sympy.Pow(left, self._exponent(node.right, depth), evaluate=False)
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Add):
            return _flat(sympy.Add, left, right)
        if isinstance(node.op, ast.Sub):
            return _flat(sympy.Add, left, sympy.Mul(-1, right, evaluate=False))
        if isinstance(node.op, ast.Mult):
            return _flat(sympy.Mul, left, right)
        if isinstance(node.op, ast.Div):
            return _flat(sympy.Mul, left, sympy.Pow(right, -1, evaluate=False))
        raise _fail(self.equation, f"the operator {type(node.op).__name__} is not allowed (use + - * / **)")

    def _exponent(self, node: ast.AST, depth: int) -> sympy.Expr:
        """Exponents: a number of size at most MAX_EXPONENT, or a parameter name."""
        value = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node
        if isinstance(value, ast.Constant):
            number = self._number(value.value)
            if abs(number) > MAX_EXPONENT:
                raise _fail(self.equation, f"exponents are limited to {MAX_EXPONENT} in size")
            return -number if value is not node else number
        if isinstance(value, ast.Name):
            return self.build(node, depth + 1)
        raise _fail(self.equation, "an exponent must be a number or a parameter name")

    def _number(self, value: object) -> sympy.Expr:
        """An int or float literal, kept exact."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(self.equation, f"{value!r} is not a number")
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise _fail(self.equation, "numbers must be finite")
        if abs(value) > MAX_LITERAL:
            raise _fail(self.equation, f"numbers are limited to {MAX_LITERAL:.0e} in size")
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        return sympy.Rational(exact.numerator, exact.denominator)

    def _name(self, name: str) -> sympy.Expr:
        """An input, an earlier quantity, or a parameter."""
        _check_identifier(self.equation, name)
        if name in self.inputs:
            return self.inputs[name]
        if name in self.known:
            return self.known[name]
        if name in self.later:
            raise _fail(
                self.equation,
                f"{name} is used before it is defined (equations must come in order, without cycles)",
            )
        if name in ("o", "h", "y"):
            raise _fail(self.equation, f"{name} is used but never defined; use h_prev for the previous state")
        if "_prev" in name:
            base = name[: -len("_prev")] if name.endswith("_prev") else None
            reason = (
                f"the cell defines no {base}"
                if base
                else "a previous value is written NAME_prev (h_prev, s_prev)"
            )
            raise _fail(
                self.equation,
                f"{name} is not a previous value the cell has: NAME_prev is the previous step's value of a "
                f"quantity NAME that the cell defines, and {reason}",
            )
        if name in RESERVED:
            raise _fail(self.equation, f"{name!r} is a reserved name")
        return self.params.setdefault(name, sympy.Symbol(name, real=True))

    def _call(self, node: ast.Call, depth: int) -> sympy.Expr:
        """One of the allowed functions with exactly one argument."""
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise _fail(
                self.equation, f"{shown} is not an allowed function (allowed: {', '.join(FUNCTIONS)})"
            )
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise _fail(self.equation, f"{node.func.id} takes exactly one argument")
        return FUNCTIONS[node.func.id](self.build(node.args[0], depth + 1))


def _flat(kind: type, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    """An unevaluated sum or product, flattened so a + b + c has three terms."""
    args = [
        *(left.args if type(left) is kind else (left,)),
        *(right.args if type(right) is kind else (right,)),
    ]
    return kind(*args, evaluate=False)


def _check_identifier(equation: str, name: str) -> None:
    """Plain ASCII identifiers only: no dunders, keywords or look-alike letters."""
    if not name.isascii() or not IDENTIFIER.match(name) or keyword.iskeyword(name) or "__" in name:
        raise _fail(
            equation, f"{name!r} is not an allowed name (ASCII letters, digits and _, starting with a letter)"
        )


def check_characters(label: str, text: str) -> None:
    """Printable ASCII only, and no comment: whatever follows a # would never be read, only shown.

    ``label`` names the text in the error (``--cell 'h = ...'``, its characters escaped by repr).
    """
    if not printable_ascii(text):
        raise InputError(
            f"{label}: only printable ASCII characters are allowed (look-alike letters and control "
            "characters are rejected)"
        )
    if "#" in text:
        raise InputError(f"{label}: comments (#) are not allowed; write only the formula")


def _parse_expression(equation: str, text: str) -> ast.AST:
    """The ast of the right-hand side, or a clear error."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise _fail(equation, "is not a formula rnncalc can read") from None
    except (ValueError, RecursionError, MemoryError):
        raise _fail(equation, "cannot be read") from None
    return tree.body


def split_equations(equations: tuple[str, ...], inputs: set[str]) -> list[tuple[str, str, str]]:
    """Each equation as (equation, name, right-hand side), checked: lengths, ASCII, names, y defined."""
    if not equations:
        raise InputError("--cell: give at least the equations for h and y")
    if len(equations) > MAX_EQUATIONS:
        raise InputError(f"--cell: at most {MAX_EQUATIONS} equations")
    sides = []
    for equation in equations:
        if len(equation) > MAX_LENGTH:
            raise _fail(equation[:40] + "…", f"is longer than {MAX_LENGTH} characters")
        check_characters(f"--cell {equation!r}", equation)
        left, sign, right = equation.partition("=")
        name = left.strip()
        if not sign or "=" in right:
            raise _fail(equation, "write one equation as name = expression")
        _check_identifier(equation, name)
        if name in inputs or name in RESERVED or name.endswith("_prev"):
            raise _fail(equation, f"{name!r} cannot be defined by the cell")
        sides.append((equation, name, right))
    names = [name for _, name, _ in sides]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"--cell: {', '.join(duplicates)} is defined more than once")
    if "y" not in names:
        raise InputError("--cell: the cell must define the output y")
    return sides


def parse_expression(equation: str, text: str) -> ast.AST:
    """The ast of one right-hand side (see ``_parse_expression``)."""
    return _parse_expression(equation, text)


@functools.lru_cache(maxsize=64)
def parse_cell(equations: tuple[str, ...]) -> CellSpec:
    """Parse ``name = expression`` lines into rnncalc's o, h, y shape (other names are inlined)."""
    sides = split_equations(equations, set(INPUTS))
    names = [name for _, name, _ in sides]
    if names[-1] != "y":
        raise InputError("--cell: the last equation must define the output y")
    known: dict[str, sympy.Expr] = {}
    definitions: dict[str, sympy.Expr] = {}
    params: dict[str, sympy.Symbol] = {}
    for index, (equation, name, right) in enumerate(sides):
        builder = Builder(equation, dict(known), set(names[index:]))
        definitions[name] = builder.build(_parse_expression(equation, right))
        check_size(definitions[name], f"{name} (with the names it uses written out)")
        known[name] = {"o": o, "h": h, "y": y}.get(name, definitions[name])
        params |= builder.params
    return _shape(equations, definitions, params)


def _shape(
    equations: tuple[str, ...], definitions: dict[str, sympy.Expr], params: dict[str, sympy.Symbol]
) -> CellSpec:
    """Bring the equations into o, h, y form and check what each may depend on."""
    if "h" not in definitions:
        if any(expr.has(h_prev) for expr in definitions.values()):
            raise InputError("--cell: h_prev is used but the cell never defines the state h")
        raise InputError("--cell: the cell must define the carried state h")
    state_expr = definitions["h"]
    if "o" in definitions:
        pre, activation = definitions["o"], state_expr
    elif isinstance(state_expr, sympy.Function) and len(state_expr.args) == 1:
        pre, activation = state_expr.args[0], type(state_expr)(o)
    else:
        pre, activation = state_expr, o
    if activation.free_symbols - {o}:
        raise InputError("--cell: h must be a function of o alone (write o = ... for everything else)")
    output = definitions["y"]
    if output.free_symbols - {h} - set(params.values()):
        raise InputError("--cell: y may depend only on h and parameters")
    if not pre.has(x) and not pre.has(h_prev):
        raise InputError("--cell: the state must depend on the input x or on h_prev")
    used = {str(s) for s in pre.free_symbols | output.free_symbols}
    order = [p for p in PARAMETERS if p in used] + [p for p in params if p in used and p not in PARAMETERS]
    return CellSpec(equations, pre, activation, output, tuple(order), _activation_name(activation))


def _activation_name(activation: sympy.Expr) -> str:
    """The registered activation this h = act(o) is, or "custom"."""
    for name in ACTIVATIONS:
        if sympy_function(name)(o) == activation:
            return name
    return "custom"
