"""--exact for vector problems: every entry's exact value (SymPy matrices), written in terms of earlier
named entries (h_1[2]) once a value is no longer compact, as the scalar derivation does."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import sympy

from ..errors import InputError
from .formula import Add, Call, Const, Form, Mul, Name, Neg, Ref
from .model import COMPACT_OPS, Derivation, Step

MAX_EXACT_SIZE = 4
"""--exact writes matrices out in full up to 4 rows and columns (H, D and K at most 4)."""


def with_exact_vector(derivation: Derivation) -> Derivation:
    """The vector derivation with each step's exact value, as a matrix of SymPy expressions."""
    problem: Any = derivation.problem
    too_big = {k: v for k, v in problem.shapes.items() if k != "n" and v > MAX_EXACT_SIZE}
    if too_big:
        sizes = ", ".join(f"{k} = {v}" for k, v in too_big.items())
        raise InputError(
            f"--exact writes matrices out in full up to {MAX_EXACT_SIZE} rows and columns ({sizes})"
        )
    compact: dict[str, sympy.Matrix] = {}
    z = sympy.Symbol("z", real=True)
    from ..cell.functions import FUNCTIONS
    from ..cell.sympy_functions import by_shown_name

    slope = sympy.Lambda(z, sympy.diff(by_shown_name(FUNCTIONS[problem.activation].shown_name)(z), z))
    sections = []
    for section in derivation.sections:
        steps = []
        for step in section.steps:
            value = _step_value(step, compact, slope)
            if value is not None and all(sympy.count_ops(e) <= COMPACT_OPS for e in value):
                compact[step.target.name.key] = value
            exact = _as_ref(value) if value is not None and step.rule is not None else None
            steps.append(dataclasses.replace(step, exact=exact))
        sections.append(dataclasses.replace(section, steps=tuple(steps)))
    return dataclasses.replace(derivation, sections=tuple(sections))


def _step_value(step: Step, compact: dict[str, sympy.Matrix], slope: sympy.Lambda) -> sympy.Matrix | None:
    """A step's exact value: a given one from its typed value, a computed one from its rule."""
    if step.definition:
        return None
    if step.target.given or step.rule is None or isinstance(step.rule, Const):
        return _given(step.target.value)  # a constant rule (δ_n = 0 without a target) is its value
    value = _evaluate(step.rule, compact, slope)
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


def _evaluate(form: Form, compact: dict[str, sympy.Matrix], slope: sympy.Lambda) -> Any:
    """A rule's exact value: matrix products, sums, diag, softmax and the activation entry by entry;
    act'(o_t) is the activation's derivative (SymPy's) at each entry of o_t."""
    if isinstance(form, Ref):
        key = form.name.key
        if key in compact:
            return compact[key]
        if key.endswith("^T") and key[:-2] in compact:
            return compact[key[:-2]].T
        if key.startswith("act'(") and key[5:-1] in compact:
            return compact[key[5:-1]].applyfunc(slope)
        return _given(form.value) if form.given else _symbols(form)
    if isinstance(form, Const):
        return sympy.Rational(form.value.numerator, form.value.denominator)
    if isinstance(form, Neg):
        return -_evaluate(form.arg, compact, slope)
    if isinstance(form, Add):
        parts = [_evaluate(t, compact, slope) for t in form.terms]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
    if isinstance(form, Mul):
        parts = [_evaluate(f, compact, slope) for f in form.factors]
        product = parts[0]
        for part in parts[1:]:
            product = _times(product, part)
        return product
    if isinstance(form, Call):
        return _call(form.function, _evaluate(form.arg, compact, slope))
    raise InputError(f"--exact cannot write {type(form).__name__} exactly for a vector problem")


def _times(left: Any, right: Any) -> Any:
    """A matrix product, or a scalar times a matrix (a 1×1 matrix counts as a scalar)."""
    if isinstance(left, sympy.MatrixBase) and isinstance(right, sympy.MatrixBase):
        if left.shape == (1, 1) and right.shape[0] != 1:
            return left[0, 0] * right
        if right.shape == (1, 1) and left.shape[1] != 1:
            return left * right[0, 0]
        return left * right
    return left * right


def _call(function: str, arg: Any) -> Any:
    """diag(v), softmax(y), or a registry function on every entry."""
    if function == "diag":
        return sympy.diag(*list(arg))
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
    if value.cols == 1 and value.rows > 1:
        text = "[" + ", ".join(sympy.sstr(row[0]) for row in entries) + "]"
    elif value.shape == (1, 1):
        text = sympy.sstr(entries[0][0])
    else:
        text = "[" + ", ".join("[" + ", ".join(sympy.sstr(v) for v in row) + "]" for row in entries) + "]"
    names = {symbol: LATEX_NAMES[symbol] for symbol in value.free_symbols if symbol in LATEX_NAMES}

    def spelled(entry: sympy.Expr) -> str:
        return sympy.latex(entry, symbol_names=names)

    rows = r" \\ ".join(" & ".join(spelled(v) for v in row) for row in entries)
    latex = spelled(entries[0][0]) if value.shape == (1, 1) else rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"
    return Ref(Name(text, latex, "exact"), 0.0)
