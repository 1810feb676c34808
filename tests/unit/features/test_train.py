"""rnncalc train: updates checked against an independent gradient, decreasing loss, clear divergence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from reference import finite_differences, loss

from rnncalc import Problem
from rnncalc.features.train import train

START = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0}


def _reference_grads(params: dict[str, float]) -> dict[str, float]:
    return finite_differences([1.0, 0.0], [1.0, 1.0], {**params, "h0": 0.0})


def test_first_update_is_theta_minus_eta_times_gradient() -> None:
    run = train(Problem(), lr=0.5, epochs=1)
    grads = _reference_grads(START)
    for key, value in run.history[1].params.items():
        assert value == pytest.approx(START[key] - 0.5 * grads[key], rel=1e-8)
    assert run.history[0].loss == pytest.approx(loss([1, 0], [1, 1], {**START, "h0": 0.0}), rel=1e-14)


def test_loss_decreases_on_the_worked_example() -> None:
    losses = [e.loss for e in train(Problem(), lr=0.5, epochs=20).history]
    assert len(losses) == 21
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.01 * losses[0]


def test_momentum_matches_an_independent_implementation() -> None:
    run = train(Problem(), lr=0.3, epochs=3, optimizer="momentum", beta=0.8)
    params, velocity = dict(START), dict.fromkeys(START, 0.0)
    for epoch in range(1, 4):
        grads = _reference_grads(params)
        velocity = {k: 0.8 * velocity[k] + grads[k] for k in params}
        params = {k: params[k] - 0.3 * velocity[k] for k in params}
        for key, value in run.history[epoch].params.items():
            assert value == pytest.approx(params[key], rel=1e-7)


@pytest.mark.parametrize("clip", [None, 0.25])
def test_momentum_on_vectors_matches_an_independent_implementation(clip: float | None) -> None:
    """The worked example written as 1×1 matrices trains as the scalar reference does (and shows its
    first update, velocities included)."""
    vector = Problem(x=[[1], [0]], g=[[1], [1]], params={"Wh": [[1.0]]})
    run = train(vector, lr=0.3, epochs=3, optimizer="momentum", beta=0.8, clip=clip)
    params, velocity = dict(START), dict.fromkeys(START, 0.0)
    for epoch in range(1, 4):
        grads = _reference_grads(params)
        norm = math.sqrt(sum(grads[k] ** 2 for k in START))
        scale = min(1.0, clip / norm) if clip else 1.0
        velocity = {k: 0.8 * velocity[k] + scale * grads[k] for k in params}
        params = {k: params[k] - 0.3 * velocity[k] for k in params}
        for key, value in run.history[epoch].params.items():
            assert np.ravel(value.rows())[0] == pytest.approx(params[key], rel=1e-6), key
    shown = {s.target.name.key: s.target.value for s in run.first_update.steps}
    first = _reference_grads(START)
    norm = math.sqrt(sum(first[k] ** 2 for k in START))
    scale = min(1, clip / norm) if clip else 1
    assert np.ravel(shown["v_Wh"].rows())[0] == pytest.approx(first["Wh"] * scale)


def test_clipping_limits_the_step() -> None:
    run = train(Problem(), lr=1.0, epochs=1, clip=0.25)
    step = math.sqrt(sum((run.history[1].params[k] - START[k]) ** 2 for k in START))
    assert step == pytest.approx(0.25, rel=1e-12)


def test_cli_table_curve_and_first_update(cli) -> None:
    code, out, _ = cli("train", "--lr", "0.5", "--epochs", "20", "--show-steps")
    assert code == 0
    assert "W_i' = W_i - η · dL/dW_i = 1 - 0.5 · 0.102936 = 0.948532" in out
    assert "epoch 0 … 20" in out and "█" in out


def test_cli_json_history(cli) -> None:
    code, out, _ = cli("train", "--epochs", "3", "-f", "json")
    data = json.loads(out)
    assert code == 0 and [e["epoch"] for e in data["history"]] == [0, 1, 2, 3]
    assert set(data["history"][0]["params"]) == set(START) and data["stopped"] is None


def test_divergence_stops_with_a_clear_message(cli) -> None:
    code, out, err = cli("train", "--lr", "50", "--epochs", "200", "--activation", "identity")
    assert code == 1 and "diverged" in err and err.count("\n") == 1
    assert "nan" not in out.lower() and "inf" not in out.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lr", "0"), "--lr must be a positive"),
        (("--beta", "1"), "--beta must be in"),
        (("--clip", "-1"), "--clip must be a positive"),
        (("--optimizer", "adam", "--beta2", "1"), "--beta2 must be in [0, 1)"),
        (("--optimizer", "adam", "--eps", "0"), "--eps must be a positive"),
        (("--clip-value", "-0.5"), "--clip-value must be a positive"),
    ],
)
def test_bad_training_settings(cli, args, message) -> None:
    code, _, err = cli("train", *args)
    assert code == 2 and message in err


@pytest.mark.parametrize("clip_value", [None, 0.05])
def test_adam_matches_an_independent_implementation(clip_value: float | None) -> None:
    """Adam's first three updates as torch.optim.Adam defines them (m, v, bias corrections, ε added
    after the square root), on gradients by finite differences, entries clipped first when asked."""
    run = train(
        Problem(), lr=0.1, epochs=3, optimizer="adam", beta=0.9, beta2=0.99, eps=1e-8, clip_value=clip_value
    )
    params, m, v = dict(START), dict.fromkeys(START, 0.0), dict.fromkeys(START, 0.0)
    for step in range(1, 4):
        grads = _reference_grads(params)
        for key in START:
            g = grads[key] if clip_value is None else min(max(grads[key], -clip_value), clip_value)
            m[key] = 0.9 * m[key] + 0.1 * g
            v[key] = 0.99 * v[key] + 0.01 * g * g
            m_hat, v_hat = m[key] / (1 - 0.9**step), v[key] / (1 - 0.99**step)
            params[key] -= 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
        for key, value in run.history[step].params.items():
            assert value == pytest.approx(params[key], rel=1e-6), (step, key)
    assert run.first_update is not None and len(run.first_update.steps) == 5 * len(START)


def test_adam_agrees_with_torch_optim_adam() -> None:
    torch = pytest.importorskip("torch")
    run = train(Problem(), lr=0.1, epochs=3, optimizer="adam")
    theta = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in START.items()}
    optimizer = torch.optim.Adam(list(theta.values()), lr=0.1)
    for step in range(1, 4):
        optimizer.zero_grad()
        h, total = torch.tensor(0.0, dtype=torch.float64), 0.0
        for x, g in ((1.0, 1.0), (0.0, 1.0)):
            h = torch.sigmoid(theta["Wi"] * x + theta["Wh"] * h + theta["b"])
            total = total + (theta["a"] * h + theta["c"] - g) ** 2 / 2
        total.backward()
        optimizer.step()
        for key, value in run.history[step].params.items():
            assert value == pytest.approx(theta[key].item(), rel=1e-9), (step, key)


def test_a_course_problem_trains_in_its_convention() -> None:
    # the parameters are replaced without reading the problem again (its convention gave the cell)
    problem = Problem(convention="cs231n", preset="elman")
    run = train(problem, lr=0.1, epochs=1)
    start = run.history[0].params
    from rnncalc.compute.run import loss_at

    def at(key: str, value: float) -> float:
        return loss_at(problem, {**start, "h0": 0.0, key: value})

    for key, value in run.history[1].params.items():
        slope = (at(key, start[key] + 1e-6) - at(key, start[key] - 1e-6)) / 2e-6
        assert value == pytest.approx(start[key] - 0.1 * slope, rel=1e-8)


def test_a_problem_the_loss_refuses_is_refused_not_called_divergent(cli) -> None:
    code, _, err = cli("train", "--loss", "bce", "--g", "1", "0")
    assert code == 2 and "needs 0 < y_t < 1" in err and "diverged" not in err
