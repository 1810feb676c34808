"""Matrices on the terminal (render/blocks.py): each matrix as its aligned rows, one under another,
its first row on the equation's line, and the numbers those rows spell are the matrix's."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

WH = [[0.5, 0.1], [0.2, 0.3]]
PROBLEM = ("--x", "[[1, 2], [0, 1]]", "--wh", json.dumps(WH), "--g", "0.5", "1", "--activation", "tanh")
ROW = re.compile(r"\[([-0-9., ]+)\]")


def matrix_at(lines: list[str], index: int, column: int, rows: int) -> list[list[float]]:
    """The matrix whose first row starts at (line ``index``, ``column``): that row and the ones below."""
    found = []
    for line in lines[index : index + rows]:
        match = ROW.match(line[column:])
        assert match is not None, (line, column)
        found.append([float(v) for v in match.group(1).split(",")])
    return found


def test_a_matrix_is_printed_as_its_rows_one_under_another(cli) -> None:
    code, out, _ = cli("grads", "--show-steps", *PROBLEM)
    assert code == 0
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("  do_2/dh_1 = W_h = "))
    assert matrix_at(lines, index, len("  do_2/dh_1 = W_h = "), 2) == WH
    assert not lines[index + 1][: len("  do_2/dh_1 = W_h = ")].strip()  # below the name: only the rows


def test_every_stacked_gradient_spells_the_computed_matrix(cli) -> None:
    _, data, _ = cli("grads", "-f", "json", *PROBLEM)
    gradients = json.loads(data)["gradients"]
    _, out, _ = cli("grads", "--show-steps", *PROBLEM, "--width", "0")
    lines = out.splitlines()
    for name, key in (("dL/dW_i", "Wi"), ("dL/dW_h", "Wh")):
        index = next(i for i, line in enumerate(lines) if line.startswith(f"  {name} = {name} (t = 1)"))
        column = lines[index].rindex(" = [") + 3
        shown = matrix_at(lines, index, column, 2)
        np.testing.assert_allclose(shown, gradients[key], atol=5e-7)


@pytest.mark.parametrize("width", [60, 80, 100])
def test_wrapped_lines_keep_each_matrix_whole(width: int) -> None:
    # wrapping breaks before = or +, never inside a matrix: every stacked row is whole and in its column
    from rnncalc import derive
    from rnncalc.compute.problem import Problem as VectorProblem
    from rnncalc.compute.problem import Settings
    from rnncalc.render import View
    from rnncalc.render.terminal import render

    problem = VectorProblem(x=[[1, 2], [0, 1]], g=[0.5, 1], params={"Wh": WH}, activation="tanh")
    out = render(derive(problem, Settings()), View(width=width))
    lines = out.split("\nGradients")[0].splitlines()
    assert max(map(len, lines)) <= width
    for line in lines:
        for match in re.finditer(r"\[[^\[\]]*\]", line):
            assert match.group().count("[") == 1
    index = next(i for i, line in enumerate(lines) if "W_h = [0.5, 0.1]" in line)
    assert matrix_at(lines, index, lines[index].index("W_h = [0.5, 0.1]") + 6, 2) == WH


def _render(view_args: dict, wh: list[list[float]] = WH) -> list[str]:
    """The terminal text of the 2-step tanh problem with this W_h, rendered with these View settings."""
    from rnncalc import derive
    from rnncalc.compute.problem import Problem as VectorProblem
    from rnncalc.compute.problem import Settings
    from rnncalc.render import View
    from rnncalc.render.ascii import to_ascii
    from rnncalc.render.terminal import render

    problem = VectorProblem(x=[[1, 2], [0, 1]], g=[0.5, 1], params={"Wh": wh}, activation="tanh")
    text = render(derive(problem, Settings()), View(**view_args))
    return (to_ascii(text) if view_args.get("ascii") else text).split("\nGradients")[0].splitlines()


def test_ascii_spellings_are_made_before_the_rows_are_stacked() -> None:
    # delta is wider than δ: the rows of W_hᵀ on the δ_1 line must still stand under its first row
    lines = _render({"ascii": True})
    index = next(i for i, line in enumerate(lines) if line.startswith("  delta_1 = "))
    column = lines[index].index("[0.5, 0.2]")
    assert matrix_at(lines, index, column, 2) == [[0.5, 0.2], [0.1, 0.3]]
    assert all(ch.isascii() for line in lines for ch in line)


def test_a_line_too_wide_to_wrap_keeps_its_matrices_inline() -> None:
    wide = [[0.5, -0.25, 0.1, -1], [0.2, 0.3, -0.7, 2], [1, -1, 0.5, 0.25], [-0.5, 0.1, 0.3, 1]]
    lines = _render({"width": 40}, wide)

    def lower_row(line: str) -> bool:
        return line.startswith("   ") and line.strip().startswith("[")

    # a line the terminal must fold is never part of a stack (folding would tear the rows apart)
    for line, below in zip(lines, [*lines[1:], ""]):
        if len(line) > 40:
            assert not lower_row(line) and not lower_row(below), line
    assert any(len(line) > 40 and "[[" in line for line in lines)  # the case arises here


@pytest.mark.parametrize("width", [None, 40, 60, 80])
def test_vectors_are_columns_rows_are_rows_and_no_mark_leaks(width) -> None:
    """δ_t (a vector) stands as a column, x_{t-1}ᵀ (1 × D) as one row; the placeholders that stack a
    matrix never reach the text, at any width."""
    from rnncalc import Problem, derive
    from rnncalc.render import View, render

    problem = Problem(x=[[0.1, 0.2], [0.3, 0.1]], params={"Wh": [[0.5, 0.1], [0.2, 0.3]]}, h0=[0.2, 0.1])
    lines = render(derive(problem), "rich", View(width=width)).splitlines()
    assert not any(0xF0000 <= ord(ch) <= 0xFFFFD for line in lines for ch in line)
    if width == 40:  # the line itself is broken there
        return
    first = next(i for i, line in enumerate(lines) if line.startswith("  dL/dW_i (t = 1) = δ_1 · x_0ᵀ = ["))
    delta = lines[first].index("= [", len("  dL/dW_i (t = 1) = δ_1 · x_0ᵀ"))
    assert re.match(r"= \[-?\d\.\d+\] · \[0\.1, 0\.2\]", lines[first][delta:])  # δ_1's first entry; the row
    assert re.match(r"\[-?\d\.\d+\]", lines[first + 1][delta + 2 :])  # δ_1's second entry, under its first
