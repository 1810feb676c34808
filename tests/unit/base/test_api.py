"""The Python API: NumPy values, problem files, results in a notebook, the CLI's errors as exceptions."""

from __future__ import annotations

import numpy as np
import pytest
from reference import finite_differences, vector_gradients

import rnncalc
from rnncalc import Problem, derive


def test_numpy_values_read_as_the_lists_and_numbers_they_hold():
    plain = derive(Problem(x=[1, 0.5], params={"Wi": 0.5}), steps=False).gradients
    arrays = derive(Problem(x=np.array([1.0, 0.5]), params={"Wi": np.float64(0.5)}), steps=False).gradients
    assert arrays == plain
    theta = {"Wi": 0.5, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}
    assert plain == pytest.approx(finite_differences([1, 0.5], [1, 1], theta), rel=1e-6)


def test_numpy_matrices_make_a_vector_problem():
    x, g = np.array([[1.0, 0.0], [0.5, -1.0]]), np.array([[1.0], [0.0]])
    params = {
        "Wi": np.eye(2),
        "Wh": 0.5 * np.ones((2, 2)),
        "b": np.zeros(2),
        "a": np.ones((1, 2)),
        "c": np.zeros(1),
    }
    got = derive(Problem(x=x, g=g, params=params, activation="tanh", h0=np.zeros(2)), steps=False).gradients
    lists = {k: v.tolist() for k, v in params.items()}
    want = vector_gradients(x.tolist(), g.tolist(), lists, [0.0, 0.0], activation="tanh")
    for key in params:
        np.testing.assert_allclose(
            np.asarray(got[key], float), np.asarray(want[key], float), rtol=1e-7, atol=1e-10
        )


def test_load_reads_a_problem_file_and_its_settings(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        'x = [1, 0]\ng = [1, 0.5]\nactivation = "tanh"\ndigits = 4\ntruncate = 1\n', encoding="utf-8"
    )
    problem = rnncalc.load(path)
    assert problem.n == 2 and problem.activation == "tanh" and list(problem.g) == [1, 0.5]
    settings = rnncalc.load_settings(path)
    assert settings.digits == 4 and settings.truncate == 1
    path.write_text("x = [1, 0]\nactivaton = 'tanh'\n", encoding="utf-8")
    with pytest.raises(rnncalc.InputError, match="did you mean 'activation'"):
        rnncalc.load(path)


def test_results_show_in_a_notebook_as_html_with_mathml():
    html = derive(Problem(x=[1, 0]))._repr_html_()
    assert html.startswith('<div class="rnncalc">') and "<math" in html and "<html" not in html
    assert "<script" not in html
    assert ".rnncalc h2" in html  # the page's style, scoped to the output
    assert derive(Problem(x=[1, 0]))._repr_svg_() is None
    graph = rnncalc.build_graph(Problem(x=[1, 0]))
    picture = graph._repr_html_()
    assert "<svg" in picture or "<pre>" in picture


def test_the_cli_errors_are_exceptions():
    with pytest.raises(rnncalc.InputError, match="g has 1 value"):
        Problem(x=[1, 0], g=[1])
    assert issubclass(rnncalc.InputError, rnncalc.RnnCalcError)
