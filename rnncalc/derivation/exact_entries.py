"""--exact for vector problems: every entry's exact value (SymPy matrices), written in terms of earlier
named entries (h_1[2]) once a value is no longer compact, as the scalar derivation does."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import sympy

from ..errors import InputError
from ..tensor import latex_matrix
from .formula import Add, Call, Const, Div, Form, Mul, Name, Neg, Pow, Ref
from .model import COMPACT_OPS, Derivation, Step

MAX_EXACT_SIZE = 4
"""--exact writes matrices out in full up to 4 rows and columns (H, D and K at most 4)."""


def with_exact_entries(derivation: Derivation) -> Derivation:
    """The vector derivation with each step's exact value, as a matrix of SymPy expressions."""
    exact = iter(exact_values(derivation))
    sections = []
    for section in derivation.sections:
        steps = []
        for step in section.steps:
            value = next(exact)
            shown = _as_ref(value) if value is not None and step.rule is not None else None
            steps.append(dataclasses.replace(step, exact=shown))
        sections.append(dataclasses.replace(section, steps=tuple(steps)))
    return dataclasses.replace(derivation, sections=tuple(sections))


def exact_values(derivation: Derivation) -> list[sympy.Matrix | None]:
    """Every step's exact value in order (None for a definition), later ones in terms of earlier named
    entries once those are no longer compact."""
    problem: Any = derivation.problem
    too_big = {k: v for k, v in problem.arrays.sizes.items() if k != "n" and v > MAX_EXACT_SIZE}
    if too_big:
        sizes = ", ".join(f"{k} = {v}" for k, v in too_big.items())
        raise InputError(
            f"--exact writes matrices out in full up to {MAX_EXACT_SIZE} rows and columns ({sizes})"
        )
    compact: dict[str, sympy.Matrix] = {}
    values: list[sympy.Matrix | None] = []
    for section in derivation.sections:
        for step in section.steps:
            value = _step_value(step, compact)
            if value is not None and all(sympy.count_ops(e) <= COMPACT_OPS for e in value):
                compact[step.target.name.key] = value
            values.append(value)
    return values


def _step_value(step: Step, compact: dict[str, sympy.Matrix]) -> sympy.Matrix | None:
    """A step's exact value: a given one from its typed value, a computed one from its rule."""
    if step.definition:
        return None
    if step.target.given or step.rule is None or isinstance(step.rule, Const):
        return _given(step.target.value)  # a constant rule (δ_n = 0 without a target) is its value
    value = _evaluate(step.rule, compact)
    return value if isinstance(value, sympy.MatrixBase) else sympy.Matrix([[value]])


def _given(value: Any) -> sympy.Matrix:
    """A value the user typed (shortest decimals, exact as written) as a column vector or a matrix."""

    def exact(v: float) -> sympy.Rational:
        f = Fraction(repr(float(v)))
        return sympy.Rational(f.numerator, f.denominator)

    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return sympy.Matrix([[exact(v) for v in row] for row in value])
    if isinstance(value, tuple):
        return sympy.Matrix([exact(v) for v in value])
    return sympy.Matrix([[exact(value)]])


LATEX_NAMES: dict[sympy.Symbol, str] = {}
"""How each named entry is written in LaTeX (δ_1[2] as \\delta_{1}[2]); symbols are unique by name."""


def _entry(ref: Ref, index: str) -> sympy.Symbol:
    """One named entry of a quantity, h_1[2], its LaTeX spelling remembered."""
    symbol = sympy.Symbol(f"{ref.name.text}{index}", real=True)
    LATEX_NAMES[symbol] = f"{ref.name.latex}{index}"
    return symbol


def _symbols(ref: Ref) -> sympy.Matrix:
    """A quantity not written out: a matrix of its named entries (h_1[2])."""
    value = ref.value
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        rows, cols = len(value), len(value[0])
        return sympy.Matrix(rows, cols, lambda i, j: _entry(ref, f"[{i + 1},{j + 1}]"))
    if isinstance(value, tuple):
        return sympy.Matrix([_entry(ref, f"[{i + 1}]") for i in range(len(value))])
    return sympy.Matrix([[_entry(ref, "")]])


def _evaluate(form: Form, compact: dict[str, sympy.Matrix]) -> Any:
    """A rule's exact value: matrix products, entry-by-entry products (⊙), sums, diag, softmax and
    functions entry by entry; tanh'(o_t) is the function's derivative (SymPy's) at each entry of o_t."""
    if isinstance(form, Ref):
        key = form.name.key
        if key in compact:
            return compact[key]
        if key.endswith("^T") and key[:-2] in compact:
            return compact[key[:-2]].T
        function, slope, argument = key.partition("'(")
        if slope and argument[:-1] in compact:
            return compact[argument[:-1]].applyfunc(_slope(function))
        return _given(form.value) if form.given else _symbols(form)
    if isinstance(form, Const):
        return sympy.Rational(form.value.numerator, form.value.denominator)
    if isinstance(form, Neg):
        return -_evaluate(form.arg, compact)
    if isinstance(form, Add):
        parts = [_evaluate(t, compact) for t in form.terms]
        total = parts[0]
        for part in parts[1:]:
            total = _plus(total, part)
        return total
    if isinstance(form, Mul):
        parts = [_evaluate(f, compact) for f in form.factors]
        product = parts[0]
        for part in parts[1:]:
            product = _entrywise(product, part, sympy.Mul) if form.hadamard else _times(product, part)
        return product
    if isinstance(form, Div):
        return _entrywise(
            _evaluate(form.numerator, compact), _evaluate(form.denominator, compact), lambda a, b: a / b
        )
    if isinstance(form, Pow):
        return _entrywise(_evaluate(form.base, compact), _evaluate(form.exponent, compact), sympy.Pow)
    if isinstance(form, Call):
        return _call(form.function, _evaluate(form.arg, compact))
    raise InputError(f"--exact cannot write {type(form).__name__} exactly for a vector problem")


def _slope(function: str) -> sympy.Lambda:
    """A registry function's derivative, as SymPy takes it."""
    from ..cell.functions import FUNCTIONS
    from ..cell.sympy_functions import by_shown_name

    z = sympy.Symbol("z", real=True)
    return sympy.Lambda(z, sympy.diff(by_shown_name(FUNCTIONS[function].shown_name)(z), z))


def _plus(left: Any, right: Any) -> Any:
    """A sum; a number added to a vector adds to every entry."""
    if isinstance(left, sympy.MatrixBase) and not isinstance(right, sympy.MatrixBase):
        return left.applyfunc(lambda v: v + right)
    if isinstance(right, sympy.MatrixBase) and not isinstance(left, sympy.MatrixBase):
        return right.applyfunc(lambda v: left + v)
    return left + right


def _entrywise(left: Any, right: Any, operation: Any) -> Any:
    """An operation entry by entry (a number or a 1×1 matrix taken with every entry)."""
    left, right = _scalar(left), _scalar(right)
    if isinstance(left, sympy.MatrixBase) and isinstance(right, sympy.MatrixBase):
        return sympy.Matrix(left.rows, left.cols, lambda i, j: operation(left[i, j], right[i, j]))
    if isinstance(left, sympy.MatrixBase):
        return left.applyfunc(lambda v: operation(v, right))
    if isinstance(right, sympy.MatrixBase):
        return right.applyfunc(lambda v: operation(left, v))
    return operation(left, right)


def _scalar(value: Any) -> Any:
    """A 1×1 matrix as its entry."""
    return value[0, 0] if isinstance(value, sympy.MatrixBase) and value.shape == (1, 1) else value


def _times(left: Any, right: Any) -> Any:
    """A matrix product, or a scalar times a matrix (a 1×1 matrix counts as a scalar)."""
    if isinstance(left, sympy.MatrixBase) and isinstance(right, sympy.MatrixBase):
        if left.shape == (1, 1) and right.shape[0] != 1:
            return left[0, 0] * right
        if right.shape == (1, 1) and left.shape[1] != 1:
            return left * right[0, 0]
        if left.cols != right.rows and left.cols == 1 and left.rows == right.rows:
            return (left.T * right).T  # x · Wx (a row-vector course): the vector Wxᵀ · x, kept a column
        return left * right
    return left * right


def _call(function: str, arg: Any) -> Any:
    """diag(v), softmax(y), or a registry function on every entry."""
    if function == "diag":
        return sympy.diag(*list(arg))
    if function == "transpose":
        return arg.T
    if function == "sum":
        return sum(arg) if isinstance(arg, sympy.MatrixBase) else arg
    if function == "softmax":
        exps = [sympy.exp(v) for v in arg]
        total = sum(exps)
        return sympy.Matrix([e / total for e in exps])
    from ..cell.sympy_functions import by_shown_name

    f = by_shown_name(function)
    return arg.applyfunc(f) if isinstance(arg, sympy.MatrixBase) else f(arg)


def _as_ref(value: sympy.Matrix) -> Ref:
    """An exact matrix as a quantity whose name is its text and LaTeX (printers show names as they are)."""
    entries = [[value[i, j] for j in range(value.cols)] for i in range(value.rows)]

    def text_of(entry: sympy.Expr) -> str:
        return sympy.sstr(entry).replace("**", "^")  # powers as the rest of the page writes them

    if value.cols == 1 and value.rows > 1:
        text = "[" + ", ".join(text_of(row[0]) for row in entries) + "]"
    elif value.shape == (1, 1):
        text = text_of(entries[0][0])
    else:
        text = "[" + ", ".join("[" + ", ".join(text_of(v) for v in row) + "]" for row in entries) + "]"
    names = {symbol: LATEX_NAMES[symbol] for symbol in value.free_symbols if symbol in LATEX_NAMES}

    def spelled(entry: sympy.Expr) -> str:
        return sympy.latex(entry, symbol_names=names)

    matrix = latex_matrix([[spelled(v) for v in row] for row in entries])
    latex = spelled(entries[0][0]) if value.shape == (1, 1) else matrix
    return Ref(Name(text, latex, "exact"), 0.0)
