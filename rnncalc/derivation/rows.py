"""A derivation written in a row-vector course's layout (CS231n's ``x · Wx``, d2l's ``X · W_xh``): every
vector a row, and every backward line, which the engine writes for columns (δ_t = (∂o/∂h)ᵀ · δ), turned
into the row form of the same mathematics (δ_t = δ · ∂o/∂h).

Two rewrites of a column-written form F say the same number with row vectors: ``same(F)`` has F's value
(a matrix line such as x_0 · δ_1ᵀ becomes x_0ᵀ · δ_1, its numbers as they were), and ``turned(F)`` has
F's transpose (a vector line such as W_h · δ_2 becomes δ_2 · W_hᵀ, a product read backwards). The
forward lines are already written as the course writes them; only their vectors are shown as rows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..tensor import Tensor
from .formula import Add, Call, Div, Form, Mul, Name, Neg, Pow, Ref
from .model import Derivation, Section, Step
from .quantities import transposed_name

AS_WRITTEN = ("loss", "model", "known", "forward", "totals", "grad")
"""Sections whose lines read as rows already: the course's own equations, and forward mode's (dL_t/dy_t
times the Jacobians, a row gradient as the worked example writes it): their vectors become rows."""

ROW_DELTA_LEAD = Name(
    "δ_t = dL/do_t = (dL_t/dy_t · dy_t/dh_t + δ_{t+1} · do_{t+1}/dh_t) · dh_t/do_t, with δ_{n+1} = 0 "
    "(δ_t a row)",
    r"\delta_{t} = \frac{dL}{do_{t}} = \left(\frac{dL_{t}}{dy_{t}} \frac{dy_{t}}{dh_{t}} + "
    r"\delta_{t+1} \frac{do_{t+1}}{dh_{t}}\right) \frac{dh_{t}}{do_{t}},\ \delta_{n+1} = 0",
    "delta",
)


def in_rows(derivation: Derivation) -> Derivation:
    """The derivation as a row-vector course writes it; any other derivation as it is."""
    layout: Any = getattr(derivation.problem, "course", None)
    if layout is None or not layout.convention.rows or derivation.rows:
        return derivation
    sections = tuple(_section(s, layout.convention.name) for s in derivation.sections)
    return dataclasses.replace(
        derivation,
        sections=sections,
        rows=True,
        gradients=_row_values(derivation.gradients),
        backward_gradients=_row_values(derivation.backward_gradients),
        full_gradients=_row_values(derivation.full_gradients),
    )


def _row_values(values: dict[str, Any] | None) -> Any:
    """Results with every vector as a 1 × K row."""
    if values is None:
        return None
    return {
        k: _as_row(Tensor.of(v)) if getattr(v, "ndim", 0) == 1 or _is_vector(v) else v
        for k, v in values.items()
    }


def _section(section: Section, course: str) -> Section:
    """A section's lines in rows; the deltas' general rule in its row form; the model says so."""
    steps = tuple(_step(step, section.key.split(":")[0] in AS_WRITTEN) for step in section.steps)
    delta = section.lead is not None and section.lead.key == "delta"  # a gated cell's rule reads as rows
    lead = ROW_DELTA_LEAD if delta else section.lead
    note = section.note
    if section.key == "model":
        rows = f"Vectors are rows, as {course} writes them: x_t is 1 × D, h_t and its gradients 1 × H."
        note = f"{note} {rows}" if note else rows
    return dataclasses.replace(section, steps=steps, lead=lead, note=note)


def _step(step: Step, as_written: bool) -> Step:
    """One line: its forms rewritten (a vector's line turned, any other's kept), its value shown as a row."""
    if as_written:
        rewrite = _rows
    elif _is_vector(step.target.value):
        rewrite = turned
    else:
        rewrite = same
    kinds = ("rule", "working", "expansion", "spelled", "exact")
    forms = {kind: rewrite(form) for kind in kinds if (form := getattr(step, kind)) is not None}
    return dataclasses.replace(step, target=_rows(step.target), **forms)


def same(form: Form) -> Form:
    """A column-written form with the same value, written with row vectors (v ↔ vᵀ, products kept)."""
    if isinstance(form, Ref):
        return _ref_same(form)
    if isinstance(form, Mul):
        if form.hadamard and any(_is_vector(_value_of(f)) for f in form.factors):
            return Call("transpose", turned(form))  # a column made entry by entry: (r_1 ⊙ h_0)ᵀ
        if _is_dot(form):
            return _rows(form)
        return Mul(tuple(same(f) for f in form.factors), form.hadamard)
    if isinstance(form, Call):
        return _call(form, same)
    if isinstance(form, Pow) and _holds_vector(form.base):
        return Call("transpose", turned(form))  # (1 - cc_1^2)ᵀ, never cc_1ᵀ^2
    return _inside(form, same)


def turned(form: Form) -> Form:
    """A column-written form's transpose, written with row vectors (products read backwards, W ↔ Wᵀ)."""
    if isinstance(form, Ref):
        return _ref_turned(form)
    if isinstance(form, Mul):
        if form.hadamard or _is_dot(form):
            return Mul(tuple(turned(f) for f in form.factors), form.hadamard)
        return Mul(tuple(turned(f) for f in reversed(form.factors)))
    if isinstance(form, Call):
        return _call(form, turned)
    return _inside(form, turned)


def _rows(form: Any) -> Any:
    """The same form with every column vector's value shown as a row (a course's own equation)."""
    if isinstance(form, Ref):
        value: Any = form.value
        return Ref(form.name, _as_row(value), form.given) if _is_vector(value) else form
    return _inside(form, _rows) if form is not None else None


def _inside(form: Form, rewrite: Any) -> Form:
    """A sum, product, negation, quotient, power or function with the rewrite applied to its parts."""
    if isinstance(form, Add):
        return Add(tuple(rewrite(t) for t in form.terms))
    if isinstance(form, Mul):
        return Mul(tuple(rewrite(f) for f in form.factors), form.hadamard)
    if isinstance(form, Neg):
        return Neg(rewrite(form.arg))
    if isinstance(form, Div):
        return Div(rewrite(form.numerator), form.denominator)
    if isinstance(form, Pow):
        return Pow(rewrite(form.base), form.exponent)
    if isinstance(form, Call):
        return Call(form.function, rewrite(form.arg))
    return form


def _call(form: Call, rewrite: Any) -> Form:
    """diag(v) with v as a row whichever way it is read; (F)ᵀ undone; any other function entry by entry."""
    if form.function == "diag":
        return Call("diag", _rows(form.arg))
    if form.function == "transpose":
        return turned(form.arg) if rewrite is same else same(form.arg)
    return Call(form.function, rewrite(form.arg))


def _ref_same(ref: Ref) -> Ref:
    """A quantity with the same value: a column v is the row's transpose vᵀ, a row vᵀ is the row v."""
    value: Any = ref.value
    if _is_vector(value):
        return Ref(_transposed(ref.name), _column(value), ref.given)
    if _is_row_of_column(ref):
        return Ref(_untransposed(ref.name), value, ref.given)
    return ref


def _ref_turned(ref: Ref) -> Ref:
    """A quantity's transpose: a column v is the row v, a row vᵀ the column vᵀ, a matrix W is Wᵀ (a
    Jacobian that is its own transpose, diagonal, stays as it is)."""
    value: Any = ref.value
    if _is_vector(value):
        return Ref(ref.name, _as_row(value), ref.given)
    if _is_row_of_column(ref):
        return Ref(ref.name, _column(value[0]), ref.given)
    if not isinstance(value, Tensor) or not value.is_matrix:
        return ref
    if ref.name.key.endswith("^T"):
        return Ref(_untransposed(ref.name), _transpose(value), ref.given)
    if not ref.given and _is_diagonal(value):
        return ref
    return Ref(_transposed(ref.name), _transpose(value), ref.given)


def _is_dot(form: Mul) -> bool:
    """A product of vectors alone (g_t · y_t): their dot product, the same number in rows."""
    arrays = [value for value in map(_value_of, form.factors) if isinstance(value, Tensor)]
    return not form.hadamard and len(arrays) >= 2 and all(_is_vector(v) for v in arrays)


def _holds_vector(form: Form) -> bool:
    """A column vector is among the quantities of this form."""
    if isinstance(form, Ref):
        return _is_vector(form.value)
    parts: tuple[Form, ...] = ()
    if isinstance(form, Add):
        parts = form.terms
    elif isinstance(form, Mul):
        parts = form.factors
    elif isinstance(form, (Neg, Call)):
        parts = (form.arg,)
    elif isinstance(form, (Div, Pow)):
        parts = (form.numerator, form.denominator) if isinstance(form, Div) else (form.base,)
    return any(_holds_vector(part) for part in parts)


def _value_of(form: Form) -> Any:
    """A quantity's value; None for any other form."""
    return form.value if isinstance(form, Ref) else None


def _is_vector(value: Any) -> bool:
    """A column vector as the engine keeps it: a Tensor of one axis."""
    return isinstance(value, Tensor) and len(value.shape) == 1


def _is_row_of_column(ref: Ref) -> bool:
    """vᵀ: a column written as a 1 × K row by the engine."""
    value = ref.value
    return isinstance(value, Tensor) and value.is_matrix and len(value) == 1 and ref.name.key.endswith("^T")


def _is_diagonal(value: Tensor) -> bool:
    """A square matrix with nothing off its diagonal."""
    return all(v == 0 for i, row in enumerate(value) for j, v in enumerate(row) if i != j) and len(
        value
    ) == len(value[0])


def _transpose(value: Tensor) -> Any:
    """A matrix's transpose."""
    return Tensor.of([list(column) for column in zip(*value, strict=True)])


def _column(values: Any) -> Any:
    """Numbers as a K × 1 matrix."""
    return Tensor.of([[v] for v in values])


def _as_row(value: Tensor) -> Any:
    """A vector as a 1 × K matrix."""
    return Tensor.of([list(value)])


def _transposed(name: Name) -> Name:
    """vᵀ, (∂o/∂h)ᵀ."""
    return transposed_name(name, brackets="/" in name.text)


def _untransposed(name: Name) -> Name:
    """v for vᵀ, ∂o/∂h for (∂o/∂h)ᵀ."""
    text = name.text.removesuffix("ᵀ")
    latex = name.latex.removesuffix(r"^{\top}")
    if text.startswith("(") and text.endswith(")") and latex.startswith(r"\left("):
        text, latex = text[1:-1], latex.removeprefix(r"\left(").removesuffix(r"\right)")
    return Name(text, latex, name.key.removesuffix("^T"))
