"""The array engine's first line of defence: Jacobian products, loss weights and a small vector problem,
each against NumPy written here (fast, so a slip in the engine fails within the first seconds)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import central_differences

from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive
from rnncalc.engine.linear import Jacobian

RNG = np.random.default_rng(5)


def test_a_vector_jacobian_product_is_the_transposed_jacobian_times_the_vector() -> None:
    W, d, v = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=3)
    jacobian = Jacobian(((("diag", d), ("mat", W)),), (3, 2))  # diag(d) · W
    dense = np.diag(d) @ W
    np.testing.assert_allclose(jacobian.dense(), dense, rtol=1e-15)
    np.testing.assert_allclose(jacobian.vjp(v), dense.T @ v, rtol=1e-14)
    outer = Jacobian(((("outer", np.array([1.0, 2.0])),),), (3, 6))  # ∂(W · x)/∂W takes δ ⊗ x
    np.testing.assert_allclose(outer.vjp(v), np.outer(v, [1.0, 2.0]), rtol=1e-15)


def test_a_jacobian_vector_product_is_the_jacobian_times_each_column() -> None:
    """Forward mode's product against the matrices written out here (W · v by W, row by row)."""
    W, d, T = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=(2, 4))
    jacobian = Jacobian(((("diag", d), ("mat", W)),), (3, 2))
    np.testing.assert_allclose(jacobian.jvp(T), np.diag(d) @ W @ T, rtol=1e-14)
    rows = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(Jacobian(((("matT", W),),), (2, 3)).jvp(rows), W.T @ rows, rtol=1e-14)
    v = np.array([1.0, -2.0])
    by_w = np.kron(np.eye(3), v)  # ∂(W · v)/∂W: row i holds v at W's row i
    tangent = RNG.normal(size=(6, 5))
    np.testing.assert_allclose(Jacobian(((("outer", v),),), (3, 6)).jvp(tangent), by_w @ tangent, rtol=1e-14)
    u = np.array([0.5, 3.0, -1.0])
    by_w_left = np.kron(u, np.eye(2))  # ∂(u · W)/∂W for W 3 × 2: entry j takes u_i at W_ij
    tangent = RNG.normal(size=(6, 2))
    np.testing.assert_allclose(Jacobian(((("outer_left", u),),), (2, 6)).jvp(tangent), by_w_left @ tangent)
    number = Jacobian(((("diag", d), ("sum", None)),), (3, 1))  # k · d by the number k: d itself
    np.testing.assert_allclose(number.jvp(np.ones((1, 1))), d[:, None])


def reference(x, g, Wi, Wh, b, a, c, h0, weight):
    """Loss and gradients of the built-in tanh cell on vectors by central differences of a NumPy loop."""

    def loss(Wi, Wh, b, a, c, h0):
        h, total = h0, 0.0
        for row, target in zip(x, g):
            h = np.tanh(Wi @ row + Wh @ h + b)
            total += weight * np.sum((a @ h + c - target) ** 2)
        return total

    values = {"Wi": Wi, "Wh": Wh, "b": b, "a": a, "c": c, "h0": h0}
    return loss(**values), central_differences(lambda v: loss(**v), values)


@pytest.mark.parametrize(("name", "weight"), [("mse", 1 / 3), ("sse", 1.0), ("half-sse", 0.5)])
def test_a_vector_problem_against_a_numpy_loop(name: str, weight: float) -> None:
    x, g = RNG.uniform(-1, 1, (3, 2)).round(2), RNG.uniform(-1, 1, (3, 2)).round(2)
    Wi, Wh = RNG.uniform(-1, 1, (3, 2)).round(2), RNG.uniform(-1, 1, (3, 3)).round(2)
    b, a, c = (
        RNG.uniform(-1, 1, 3).round(2),
        RNG.uniform(-1, 1, (2, 3)).round(2),
        RNG.uniform(-1, 1, 2).round(2),
    )
    h0 = RNG.uniform(-1, 1, 3).round(2)
    params = {"Wi": Wi, "Wh": Wh, "b": b, "a": a, "c": c}
    problem = Problem(
        x=x.tolist(),
        g=g.tolist(),
        h0=h0.tolist(),
        params={k: v.tolist() for k, v in params.items()},
        activation="tanh",
        loss=name,
    )
    expected_loss, expected = reference(x, g, Wi, Wh, b, a, c, h0, weight)
    for steps in (False, True):
        derivation = derive(problem, Settings(), steps=steps)
        assert derivation.loss == pytest.approx(expected_loss, rel=1e-13)
        for key, value in expected.items():
            np.testing.assert_allclose(np.array(derivation.gradients[key]), value, rtol=1e-6, atol=1e-9)


def test_row_vectors_times_matrices_as_cs231n_writes_them() -> None:
    """h = tanh(x · W_x + h_prev · W_h + b) with W_x of shape (D, H): a vector times a matrix is the row
    product; gradients (W_x's is x ⊗ δ) against central differences of the NumPy loop."""
    D, H, n = 2, 3, 3
    x, g = RNG.uniform(-1, 1, (n, D)).round(2), RNG.uniform(-1, 1, n).round(2)
    Wx, Wh = RNG.uniform(-1, 1, (D, H)).round(2), RNG.uniform(-1, 1, (H, H)).round(2)
    b, a, h0 = (
        RNG.uniform(-1, 1, H).round(2),
        RNG.uniform(-1, 1, (H, 1)).round(2),
        RNG.uniform(-1, 1, H).round(2),
    )
    values = {"Wx": Wx, "Wh": Wh, "b": b, "a": a, "h0": h0}

    def loss(Wx, Wh, b, a, h0):
        h, total = h0, 0.0
        for row, target in zip(x, g):
            h = np.tanh(row @ Wx + h @ Wh + b)
            total += float(np.sum((h @ a - target) ** 2)) / n
        return total

    problem = Problem(
        cell=("h = tanh(x*Wx + h_prev*Wh + b)", "y = h*a"),
        x=x.tolist(),
        g=g.tolist(),
        params={k: v.tolist() for k, v in values.items() if k != "h0"},
        init={"h": h0.tolist()},
    )
    derivation = derive(problem, Settings(), steps=True)
    assert derivation.loss == pytest.approx(loss(**values), rel=1e-13)
    for key, expected in central_differences(lambda v: loss(**v), values).items():
        np.testing.assert_allclose(np.array(derivation.gradients[key]), expected, rtol=1e-6, atol=1e-9)


def test_an_array_cell_reads_its_display_forms_from_the_cache(tmp_path, monkeypatch) -> None:
    """The second run of a custom cell on vectors finds its forms cached, checked against its trees."""
    monkeypatch.setenv("RNNCALC_CACHE_DIR", str(tmp_path))
    problem = Problem(
        cell=("h = tanh(x*Wx + h_prev*Wh + b)", "y = h*a"),
        x=[[1, 2], [0, 1]],
        g=[1, 0.5],
        params={"Wx": [[1, 0.5], [0, 1]], "Wh": [[0.5, 0.1], [0.2, 0.3]], "b": [0, 0], "a": [[1], [1]]},
    )
    first = derive(problem, Settings(), steps=True)
    assert list(tmp_path.rglob("*.json")), "the forms were cached"
    from rnncalc.engine.written import written

    written.cache_clear()
    second = derive(problem, Settings(), steps=True)
    assert [s.target.name.text for s in first.steps()] == [s.target.name.text for s in second.steps()]


def test_a_vector_problem_with_its_own_loss_term_shows_that_term() -> None:
    """ℓ_t = |y_t - g_t| entry by entry: each step's Σ ℓ_t and each dL_t/dy_t are the term's, not MSE's."""
    from rnncalc.derivation.formula import Ref
    from rnncalc.render.json import render

    x, g = [[1, 0], [0, 1]], [[1, 0], [0, 2]]
    Wi, Wh = np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([[0.5, 0], [0, 0.2]])
    problem = Problem(x=x, g=g, params={"Wi": Wi.tolist(), "Wh": Wh.tolist()}, loss_term="abs(y - g)")
    derivation = derive(problem, Settings(), steps=True)
    h, ys = np.zeros(2), []
    for row in np.array(x, dtype=float):
        h = 1 / (1 + np.exp(-(Wi @ row + Wh @ h + 1)))
        ys.append(np.ones((2, 2)) @ h + 1)
    loss = next(s for s in derivation.sections if s.key == "loss")
    terms = [r.value for r in loss.steps[-1].rule.terms if isinstance(r, Ref)]
    assert terms == pytest.approx([np.abs(y - t).sum() for y, t in zip(ys, np.array(g))], rel=1e-12)
    text = render(derivation)
    assert "sign" in text and "(y_1 - g_1)^2" not in text and "2 · (y_1" not in text


@pytest.mark.parametrize("steps", [False, True])
def test_input_gradients_of_a_scalar_problem_by_finite_differences(steps: bool) -> None:
    """dL/dx_t (JSON gradients["x"]) against central differences of the reference loss."""
    from reference import loss

    x, g = [0.5, -1.0, 2.0], [1.0, 0.0, 0.5]
    theta = {"Wi": 0.7, "Wh": -0.4, "a": 1.3, "b": 0.1, "c": -0.2, "h0": 0.3}
    problem = Problem(
        x=x, g=g, h0=0.3, params={k: v for k, v in theta.items() if k != "h0"}, activation="tanh"
    )
    got = derive(problem, Settings(), steps=steps).input_gradients["x"]
    for t in range(3):
        up, down = list(x), list(x)
        up[t] += 1e-6
        down[t] -= 1e-6
        expected = (loss(up, g, theta, "tanh") - loss(down, g, theta, "tanh")) / 2e-6
        assert got[t] == pytest.approx(expected, rel=1e-6)


def test_input_gradients_of_a_batch_by_finite_differences() -> None:
    """A batch's dL/dx: one matrix per sequence, each row dL/dx_t (the batch's mean loss moved)."""
    x = RNG.uniform(-1, 1, (2, 3, 2)).round(2)
    Wi, Wh = RNG.uniform(-1, 1, (2, 2)).round(2), RNG.uniform(-1, 1, (2, 2)).round(2)

    def batch_loss(x: np.ndarray) -> float:
        total = 0.0
        for sequence in x:
            h = np.zeros(2)
            for row in sequence:
                h = np.tanh(Wi @ row + Wh @ h + 1)
                total += np.sum((np.ones((1, 2)) @ h + 1 - 1) ** 2) / len(sequence)  # K = 1, g = 1
        return total / len(x)

    problem = Problem(x=x.tolist(), params={"Wi": Wi.tolist(), "Wh": Wh.tolist()}, activation="tanh")
    got = np.asarray(derive(problem, Settings(), steps=False).input_gradients["x"])
    expected = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        expected[index] = (batch_loss(up) - batch_loss(down)) / 2e-6
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
