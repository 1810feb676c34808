"""Parse a user's cell equations safely: Python's ast with an allow-list, building formula trees directly.

Nothing the user types is evaluated: no eval, exec, sympify or parse_expr, and no SymPy: each right-hand
side becomes a tree of tuples (``cell.tree``). Only numbers, names, + - * / **, unary minus and a fixed
list of one-argument functions are accepted; names must be plain ASCII identifiers outside a reserved
list; lengths, depth and exponents are limited.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InputError
from ..text import printable_ascii
from . import PARAMETERS
from .functions import ACTIVATIONS, CELL_FUNCTIONS
from .states import PREV, initial
from .tree import MINUS_ONE, Tree, const, flat, size, slot, uses

MAX_EQUATIONS = 20
MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_LITERAL = 10**12
MAX_TREE_SIZE = 20_000
"""The largest formula rnncalc differentiates, prints or compiles (in tree nodes, shared ones once)."""
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
FUNCTIONS: frozenset[str] = frozenset(CELL_FUNCTIONS)
INPUTS = ("x", "h_prev")
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
class Equation:
    """One named quantity: its formula in the names it uses directly, and the text typed."""

    name: str
    tree: Tree
    text: str
    grouped: Tree = ()
    """The formula with every product kept as written (a · (b · c) is not a · b · c): for matrices and
    vectors, where a matrix product and an elementwise one do not regroup."""

    @property
    def uses(self) -> tuple[str, ...]:
        """The names the formula reads (quantities, NAME_prev, inputs, parameters), sorted."""
        return tuple(sorted(uses(self.tree)))


@dataclass(frozen=True)
class CellSpec:
    """A parsed cell: its equations in order, input streams, states (fed back) and parameters.

    A cell of the worked example's shape (``plain``: o from x and h_prev, h = act(o), y from h) is kept
    as exactly those three equations, the names it uses between them written out, so it is derived in
    the document's layout; ``activation`` names its act (or "custom").
    """

    equations: tuple[Equation, ...]
    inputs: tuple[str, ...]
    states: tuple[str, ...]
    params: tuple[str, ...]
    plain: bool = False
    activation: str = "custom"

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """The quantities defined, in order."""
        return tuple(e.name for e in self.equations)

    def equation(self, name: str) -> Equation:
        """The equation defining ``name``."""
        return next(e for e in self.equations if e.name == name)


def _where(text: str, error: SyntaxError) -> str:
    """Where the parser stopped, and why when Python can say (an unclosed bracket)."""
    reason = f"{error.msg}" if "never closed" in (error.msg or "") or "unmatched" in (error.msg or "") else ""
    column = error.offset or len(text) + 1
    if not reason and column > len(text):
        reason = "it ends too early"
    place = f"at character {min(column, len(text) + 1)} of {text!r}"
    return f": {reason}, {place}" if reason else f": {place}"


def _fail(equation: str, message: str) -> InputError:
    """An error naming the equation."""
    return InputError(f"--cell {equation!r}: {message}")


class Builder:
    """Turns an allow-listed ast into a formula tree, keeping the order the user wrote."""

    def __init__(
        self,
        equation: str,
        known: dict[str, Tree],
        later: set[str],
        inputs: frozenset[str] | tuple[str, ...] = INPUTS,
        grouped: bool = False,
    ) -> None:
        """Names already defined (``known``: a slot, or a formula written out), defined by later
        equations (``later``), and the inputs; ``grouped``: keep products as written."""
        self.equation = equation
        self.known = known
        self.later = later
        self.inputs = frozenset(inputs)
        self.grouped = grouped
        self.params: dict[str, None] = {}

    def build(self, node: ast.AST, depth: int = 0) -> Tree:
        """The tree of an ast node."""
        if depth > MAX_DEPTH:
            raise _fail(self.equation, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return ("mul", (MINUS_ONE, operand)) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return const(self._number(node.value))
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise _fail(
            self.equation,
            f"{type(node).__name__} is not allowed (use numbers, names, + - * / **, and "
            f"{', '.join(CELL_FUNCTIONS)})",
        )

    def _binary(self, node: ast.BinOp, depth: int) -> Tree:
        """+ - * / **, with flat sums and products."""
        left = self.build(node.left, depth + 1)
        if isinstance(node.op, ast.Pow):
            return ("pow", left, self._exponent(node.right, depth))
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Add):
            return flat("add", left, right)
        if isinstance(node.op, ast.Sub):
            return flat("add", left, ("mul", (MINUS_ONE, right)))
        if isinstance(node.op, ast.Mult):
            return ("mul", (left, right)) if self.grouped else flat("mul", left, right)
        if isinstance(node.op, ast.Div):
            inverse = ("pow", right, MINUS_ONE)
            return ("mul", (left, inverse)) if self.grouped else flat("mul", left, inverse)
        raise _fail(self.equation, f"the operator {type(node.op).__name__} is not allowed (use + - * / **)")

    def _exponent(self, node: ast.AST, depth: int) -> Tree:
        """Exponents: a number of size at most MAX_EXPONENT, or a parameter name."""
        value = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node
        if isinstance(value, ast.Constant):
            number = self._number(value.value)
            if abs(number) > MAX_EXPONENT:
                raise _fail(self.equation, f"exponents are limited to {MAX_EXPONENT} in size")
            return const(-number if value is not node else number)
        if isinstance(value, ast.Name):
            return self.build(node, depth + 1)
        raise _fail(self.equation, "an exponent must be a number or a parameter name")

    def _number(self, value: object) -> Fraction:
        """An int or float literal, kept exact."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(self.equation, f"{value!r} is not a number")
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise _fail(self.equation, "numbers must be finite")
        if abs(value) > MAX_LITERAL:
            raise _fail(self.equation, f"numbers are limited to {MAX_LITERAL:.0e} in size")
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)

    def _name(self, name: str) -> Tree:
        """An input, an earlier quantity, or a parameter."""
        _check_identifier(self.equation, name)
        if name in self.inputs:
            return slot(name)
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
        self.params[name] = None
        return slot(name)

    def _call(self, node: ast.Call, depth: int) -> Tree:
        """One of the allowed functions with exactly one argument."""
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise _fail(
                self.equation, f"{shown} is not an allowed function (allowed: {', '.join(CELL_FUNCTIONS)})"
            )
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise _fail(self.equation, f"{node.func.id} takes exactly one argument")
        return ("call", node.func.id, self.build(node.args[0], depth + 1))


def check_size(tree: Tree, what: str) -> None:
    """Refuse a formula too big to differentiate, print or compile, naming it."""
    if size(tree) > MAX_TREE_SIZE:
        raise InputError(
            f"--cell: {what} grows to more than {MAX_TREE_SIZE:,} terms (nested functions repeat their "
            "argument); use a smaller cell"
        )


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
    except SyntaxError as error:
        raise _fail(equation, f"is not a formula rnncalc can read{_where(text.strip(), error)}") from None
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
def parse_network(equations: tuple[str, ...], streams: tuple[str, ...] = ("x",)) -> CellSpec:
    """Parse ``NAME = EXPR`` equations; NAME_prev reads the previous step's NAME, streams are inputs."""
    sides = split_equations(equations, set(streams))
    names = [name for _, name, _ in sides]
    inputs = frozenset(streams) | {name + PREV for name in names}
    known: dict[str, Tree] = {}
    built: list[Equation] = []
    params: dict[str, None] = {}
    for index, (equation, name, right) in enumerate(sides):
        builder = Builder(equation, dict(known), set(names[index:]), inputs)
        tree = builder.build(parse_expression(equation, right))
        check_size(tree, name)
        grouped = Builder(equation, dict(known), set(names[index:]), inputs, grouped=True)
        built.append(Equation(name, tree, equation, grouped.build(parse_expression(equation, right))))
        known[name] = slot(name)
        params |= builder.params
    used = frozenset().union(*(uses(e.tree) for e in built))
    states = tuple(n for n in names if n + PREV in used)
    clashes = sorted(p for p in params if p in {initial(s) for s in states})
    if clashes:
        raise InputError(
            f"--cell: the parameter {clashes[0]} has the name of an initial state; rename the parameter"
        )
    _check_parameter_names(params, names, streams)
    if not params and not states:
        raise InputError("--cell: the cell has no parameter and no state, so it has no gradient to compute")
    named = sorted(n for n in names if n in {initial(s) for s in states})
    if named:
        raise InputError(
            f"--cell: the quantity {named[0]} has the name of an initial state "
            f"({named[0][:-1]}'s value before step 1); rename the quantity"
        )
    order = [p for e in built for p in _in_order(e.text, params)]
    return CellSpec(tuple(built), tuple(s for s in streams if s in used), states, tuple(dict.fromkeys(order)))


def _check_parameter_names(params: dict[str, None], names: list[str], streams: tuple[str, ...]) -> None:
    """Refuse a parameter that reads like a quantity at a step (h_1, x_0) or like a misspelt previous
    state (hprev for h_prev: as a parameter it would quietly end the recurrence)."""
    steps = {*names, *streams, "y", "g", "L"}
    for p in params:
        base, underscore, index = p.rpartition("_")
        if underscore and index.isdigit() and base in steps:
            raise InputError(
                f"--cell: the parameter {p} reads like {base} at step {index}; give it another name"
            )
        near = [n + PREV for n in names if p != n + PREV and _one_edit(p, n + PREV)]
        if near:
            raise InputError(
                f"--cell: {p} is not a name of the cell; did you mean {near[0]} (the previous step's "
                f"{near[0][: -len(PREV)]})? As a parameter it would end the recurrence"
            )


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one inserted, deleted or changed character (two for names of 6 or more)."""
    limit = 2 if len(b) >= 6 else 1
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = row
    return previous[-1] <= limit


def _in_order(text: str, params: dict[str, None]) -> list[str]:
    """The parameters an equation's text names, in the order they appear."""
    return [word for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text.partition("=")[2]) if word in params]


@functools.lru_cache(maxsize=64)
def parse_cell(equations: tuple[str, ...]) -> CellSpec:
    """Parse ``name = expression`` lines into rnncalc's o, h, y shape (other names are written out)."""
    sides = split_equations(equations, set(INPUTS))
    names = [name for _, name, _ in sides]
    if names[-1] != "y":
        raise InputError("--cell: the last equation must define the output y")
    known: dict[str, Tree] = {}
    definitions: dict[str, Tree] = {}
    grouped_known: dict[str, Tree] = {}
    grouped: dict[str, Tree] = {}
    params: dict[str, None] = {}
    for index, (equation, name, right) in enumerate(sides):
        builder = Builder(equation, dict(known), set(names[index:]))
        definitions[name] = builder.build(parse_expression(equation, right))
        check_size(definitions[name], f"{name} (with the names it uses written out)")
        known[name] = slot(name) if name in ("o", "h", "y") else definitions[name]
        as_written = Builder(equation, dict(grouped_known), set(names[index:]), grouped=True)
        grouped[name] = as_written.build(parse_expression(equation, right))
        grouped_known[name] = slot(name) if name in ("o", "h", "y") else grouped[name]
        params |= builder.params
    return _shape(equations, definitions, params, grouped)


def _shape(
    equations: tuple[str, ...],
    definitions: dict[str, Tree],
    params: dict[str, None],
    grouped: dict[str, Tree],
) -> CellSpec:
    """Bring the equations into o, h, y form and check what each may depend on."""
    if "h" not in definitions:
        if any("h_prev" in uses(tree) for tree in definitions.values()):
            raise InputError("--cell: h_prev is used but the cell never defines the state h")
        raise InputError("--cell: the cell must define the carried state h")
    state = definitions["h"]
    if "o" in definitions:
        pre, activation, pre_grouped = definitions["o"], state, grouped["o"]
    elif state[0] == "call":
        pre, activation, pre_grouped = state[2], ("call", state[1], slot("o")), grouped["h"][2]
    else:
        pre, activation, pre_grouped = state, slot("o"), grouped["h"]
    if uses(activation) - {"o"}:
        raise InputError("--cell: h must be a function of o alone (write o = ... for everything else)")
    output = definitions["y"]
    if uses(output) - {"h"} - set(params):
        raise InputError("--cell: y may depend only on h and parameters")
    if not uses(pre) & {"x", "h_prev"}:
        raise InputError("--cell: the state must depend on the input x or on h_prev")
    used = uses(pre) | uses(output)
    order = [p for p in PARAMETERS if p in used] + [p for p in params if p in used and p not in PARAMETERS]
    cell = (
        Equation("o", pre, "o", pre_grouped),
        Equation("h", activation, "h", activation),
        Equation("y", output, "y", grouped["y"]),
    )
    inputs = ("x",) if "x" in used else ()
    return CellSpec(cell, inputs, ("h",), tuple(order), plain=True, activation=_activation_name(activation))


def _activation_name(activation: Tree) -> str:
    """The registered activation this h = act(o) is, or "custom"."""
    if activation == slot("o"):
        return "identity"
    if activation[0] == "call" and activation[2] == slot("o") and activation[1] in ACTIVATIONS:
        return activation[1]
    return "custom"


def parse(
    equations: tuple[str, ...], streams: tuple[str, ...] = ("x",), init: tuple[str, ...] = ()
) -> CellSpec:
    """A cell as rnncalc derives it: in the worked example's o, h, y shape when that holds it (the
    document's layout), else a cell of any shape (gates, several states, input streams)."""
    spec = parse_network(equations, streams)
    if set(spec.names) <= {"o", "h", "y"} and streams == ("x",) and set(init) <= {"h"}:
        try:
            return parse_cell(equations)
        except InputError:
            return spec
    return spec
