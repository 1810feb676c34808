"""Mini-batches: N sequences sharing the cell's parameters, the loss their mean (or sum), against a
NumPy loop over the batch written here and central differences of it."""

from __future__ import annotations

import numpy as np
import pytest
from reference import central_differences

from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError

RNG = np.random.default_rng(11)
N, T, D, H = 3, 3, 2, 2


def batch_loss(values: dict[str, np.ndarray], x, g, reduction: str) -> float:
    """The built-in tanh cell, MSE over each sequence's steps, then the mean or sum over the batch."""
    losses = []
    for i in range(N):
        h = values["h0"][i] if values["h0"].ndim == 2 else values["h0"]
        total = 0.0
        for t in range(T):
            h = np.tanh(values["Wi"] @ x[i, t] + values["Wh"] @ h + values["b"])
            total += float(np.sum((values["a"] @ h + values["c"] - g[i, t]) ** 2)) / T
        losses.append(total)
    return sum(losses) / (N if reduction == "mean" else 1)


@pytest.mark.parametrize(("reduction", "own_h0"), [("mean", False), ("sum", False), ("mean", True)])
def test_a_batch_against_a_numpy_loop(reduction: str, own_h0: bool) -> None:
    x, g = RNG.uniform(-1, 1, (N, T, D)).round(2), RNG.uniform(-1, 1, (N, T, 1)).round(2)
    values = {
        "Wi": RNG.uniform(-1, 1, (H, D)).round(2),
        "Wh": RNG.uniform(-1, 1, (H, H)).round(2),
        "b": RNG.uniform(-1, 1, H).round(2),
        "a": RNG.uniform(-1, 1, (1, H)).round(2),
        "c": RNG.uniform(-1, 1, 1).round(2),
        "h0": RNG.uniform(-1, 1, (N, H) if own_h0 else H).round(2),
    }
    problem = Problem(
        x=x.tolist(),
        g=g.tolist(),
        h0=values["h0"].tolist(),
        params={k: v.tolist() for k, v in values.items() if k != "h0"},
        activation="tanh",
        reduce_batch=reduction,
        sequence=2,
    )
    expected = central_differences(lambda v: batch_loss(v, x, g, reduction), values)
    for steps in (False, True):
        derivation = derive(problem, Settings(), steps=steps)
        assert derivation.loss == pytest.approx(batch_loss(values, x, g, reduction), rel=1e-13)
        for key, value in expected.items():
            got = np.array(derivation.gradients[key], dtype=float)
            np.testing.assert_allclose(got, value, rtol=1e-6, atol=1e-9, err_msg=key)
    titles = [section.title for section in derivation.sections]
    assert "Forward pass (sequence 2)" in titles and titles[-1] == f"The batch of {N} sequences"


def test_the_batch_section_adds_every_sequence(cli) -> None:
    args = ["--x", "[[[1, 2], [0, 1]], [[0.5, 1], [1, 0]]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]"]
    code, out, err = cli("grads", "--show-steps", *args, "--g", "[[1, 0.5], [0, 1]]")
    assert code == 0, err
    assert "L = 1/2 · (L⁽¹⁾ + L⁽²⁾)" in out and "dL/dW_h = 1/2 · (dL⁽¹⁾/dW_h + dL⁽²⁾/dW_h)" in out


def test_a_batch_of_a_cell_with_scalar_parameters_adds_up_its_gradients() -> None:
    """h = tanh(W·x + U·h_prev) with W, U numbers: the batch's dL/dW is the mean of the sequences'."""
    x = [[[1.0], [0.0]], [[0.5], [1.0]]]
    cell = ("h = tanh(W*x + U*h_prev)", "y = h")
    params = {"W": 0.7, "U": -0.4}

    def loss(W: float, U: float) -> float:
        total = 0.0
        for sequence in x:
            h = 0.0
            for (value,) in sequence:
                h = np.tanh(W * value + U * h)
                total += (h - 1) ** 2 / len(sequence)  # MSE: the mean over the steps
        return total / len(x)

    derivation = derive(Problem(x=x, cell=cell, params=params), Settings(), steps=True)
    step = 1e-6
    expected = {
        "W": (loss(0.7 + step, -0.4) - loss(0.7 - step, -0.4)) / (2 * step),
        "U": (loss(0.7, -0.4 + step) - loss(0.7, -0.4 - step)) / (2 * step),
    }
    batch = derivation.sections[-1]
    shown = {s.target.name.key: s.target.value for s in batch.steps}
    for key, value in expected.items():
        assert float(derivation.gradients[key]) == pytest.approx(value, rel=1e-7)
        assert shown[f"dL/d{key}"] == pytest.approx(value, rel=1e-7)
    from rnncalc.render.terminal import render

    assert "dL/dW = 1/2 · (dL⁽¹⁾/dW + dL⁽²⁾/dW)" in render(derivation)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sequence": 3}, "--sequence 3: the batch has sequences 1 to 2"),
        ({"reduce_batch": "max"}, "--reduce-batch must be one of mean, sum"),
        ({"g": [[1, 0]]}, "g has 1 row(s) for a batch of 2 sequences"),
        ({"g": [1, 0]}, "g: a batch needs the targets of each sequence"),
    ],
)
def test_a_batch_that_does_not_fit(changes: dict, message: str) -> None:
    args = {"x": [[[1, 2], [0, 1]], [[0.5, 1], [1, 0]]], "params": {"Wh": [[0.5, 0.1], [0.2, 0.3]]}} | changes
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Problem(**args)
