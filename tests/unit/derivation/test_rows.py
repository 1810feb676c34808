"""A row-vector course's derivation (CS231n, d2l) written with rows: every line, evaluated here by NumPy
with strict shapes (a row is 1 × K, a product is a matrix product), gives its own value in the same shape,
so no line multiplies a column where the course has a row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from latex import compile_latex

from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive
from rnncalc.derivation.formula import Add, Call, Const, Div, Form, Mul, Neg, Pow, Ref
from rnncalc.derivation.rows import AS_WRITTEN, in_rows

RNG = np.random.default_rng(5)
FUNCTIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "exp": np.exp,
    "transpose": np.transpose,
}


def rounded(*shape: int) -> list[Any]:
    return RNG.uniform(-1, 1, shape).round(2).tolist()


def value_of(form: Form) -> Any:
    """A form's value by NumPy: vectors must be 1 × K or K × 1, a product of arrays a matrix product."""
    if isinstance(form, Ref):
        value = np.asarray(form.value, dtype=float)
        assert value.ndim != 1, f"{form.name.text} is a vector of no orientation"
        return value
    if isinstance(form, Const):
        return float(form.value)
    if isinstance(form, Neg):
        return -value_of(form.arg)
    if isinstance(form, Add):
        parts = [value_of(t) for t in form.terms]
        shapes = {np.shape(p) for p in parts if np.ndim(p)}
        assert len(shapes) <= 1, f"a sum of shapes {shapes}"
        return sum(parts)
    if isinstance(form, Div):
        return value_of(form.numerator) / value_of(form.denominator)
    if isinstance(form, Pow):
        return value_of(form.base) ** value_of(form.exponent)
    if isinstance(form, Mul):
        result = value_of(form.factors[0])
        for factor in form.factors[1:]:
            right = value_of(factor)
            if form.hadamard:
                assert np.shape(result) == np.shape(right) or not np.ndim(right) or not np.ndim(result)
                result = result * right
            elif np.ndim(result) and np.ndim(right):
                result = result @ right
            else:
                result = result * right
        return result
    if isinstance(form, Call):
        arg = value_of(form.arg)
        if form.function == "diag":
            return np.diag(np.ravel(arg))
        if form.function == "sum":
            return float(np.sum(arg))
        return FUNCTIONS[form.function](arg)
    raise AssertionError(f"unexpected {form!r}")


def checked_lines(derivation: Any) -> int:
    """Every computed line of the rows derivation equals its value, shape and all; how many there were."""
    checked = 0
    for section in in_rows(derivation).sections:
        if section.key in ("loss", "model"):
            continue
        for step in section.steps:
            form = step.shown_working
            if step.definition or step.target.given or form is None:
                continue
            expected = np.asarray(step.target.value, dtype=float)
            if section.key in AS_WRITTEN or expected.ndim:
                got = np.asarray(value_of(form), dtype=float)
                if got.ndim == 0 and expected.ndim == 2:  # I: the identity, a matrix that multiplies as 1
                    got = got * np.eye(len(expected))
                if section.key.startswith("grad:") and got.size == expected.size:  # forward mode's row,
                    got = got.reshape(expected.shape)  # written as θ's shape (the totals' note says so)
                assert got.shape == expected.shape, (
                    f"{step.target.name.text}: {got.shape} for {expected.shape}"
                )
                assert np.allclose(got, expected, atol=1e-9), step.target.name.text
                checked += 1
    return checked


def course_problem(convention: str, preset: str, N: int = 1, T: int = 2, D: int = 2, H: int = 3) -> Problem:
    """A random problem of that course's cell, with upstream gradients for every step."""
    gates = {"elman": 1, "gru": 3, "lstm": 4}[preset]
    init = {"h": rounded(N, H)} | ({"c": rounded(N, H)} if preset == "lstm" else {})
    if convention == "cs231n":
        params = {"Wx": rounded(D, gates * H), "Wh": rounded(H, gates * H), "b": rounded(gates * H)}
        return Problem(
            convention=convention, preset=preset, x=rounded(N, T, D), init=init, params=params,
            upstream=rounded(N, T, H),
        )  # fmt: skip
    if convention == "pytorch":
        params = {"weight_ih_l0": rounded(gates * H, D), "weight_hh_l0": rounded(gates * H, H)}
        params |= {"bias_ih_l0": rounded(gates * H), "bias_hh_l0": rounded(gates * H)}
    else:  # d2l: W_x? (D × H), W_h? (H × H) and b_? for each gate (h is the candidate's)
        names = {"elman": "h", "gru": "rzh", "lstm": "ifoc"}[preset]
        params = {f"W_x{g}": rounded(D, H) for g in names} | {f"W_h{g}": rounded(H, H) for g in names}
        params |= {f"b_{g}": rounded(H) for g in names}
    return Problem(
        convention=convention, preset=preset, x=rounded(T, N, D), init=init, upstream=rounded(T, N, H),
        params=params,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("convention", "preset", "method"),
    [
        ("cs231n", "elman", "backward"),
        ("cs231n", "lstm", "backward"),
        ("d2l", "gru", "backward"),
        ("d2l", "elman", "backward"),
        ("cs231n", "elman", "both"),  # forward mode's lines read as rows already: kept, not turned
        ("cs231n", "lstm", "both"),
        ("d2l", "gru", "both"),
    ],
)
def test_every_line_of_a_row_course_multiplies_rows(convention: str, preset: str, method: str) -> None:
    derivation = derive(course_problem(convention, preset), Settings(), method=method)
    assert checked_lines(derivation) > 20


def test_a_row_course_typesets_with_both_methods(tmp_path) -> None:
    """Every line of an LSTM's --method both in LaTeX compiles (no vᵀ², no stray transposes)."""
    derivation = derive(course_problem("cs231n", "lstm", H=2), Settings(), method="both")
    latex = derivation.to_latex()
    assert "^{\\top}^" not in latex
    compile_latex(latex, tmp_path)


def test_vectors_become_rows_and_matrix_shares_outer_products() -> None:
    """x_t, h_t and δ_t are 1 × H; a matrix's share is x_{t-1}ᵀ · δ_t (a column times a row)."""
    derivation = in_rows(derive(course_problem("cs231n", "elman"), Settings()))
    steps = {s.target.name.text: s for s in derivation.steps()}
    assert np.shape(steps["h_1"].target.value) == (1, 3)
    assert np.shape(steps["δ_1"].target.value) == (1, 3)
    share = steps["dL/dWx (t = 1)"].rule
    assert isinstance(share, Mul) and [f.name.text for f in share.factors] == ["x_0ᵀ", "δ_1"]
    assert np.shape(derivation.gradients["b"]) == (1, 3)


def test_column_courses_are_left_as_they_are() -> None:
    derivation = derive(course_problem("pytorch", "elman"), Settings())
    assert in_rows(derivation) is derivation
