"""Truncated BPTT (--truncate K, --chunked) against a loop that detaches the state and differences the loss.

The reference (``detached_gradients``) knows nothing of adjoints: for each loss term (or chunk) it runs
the cell forward from the step where the gradient is cut, the state there held as a constant, and takes
central differences of that piece of the loss; the truncated gradient is the sum over the pieces.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from reference import central_differences

from rnncalc.compute.problem import Problem, Settings
from rnncalc.compute.run import gradients_without_time
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError


def sigmoid(z):
    """The logistic function, entry by entry."""
    return 1 / (1 + np.exp(-z))


def elman(values, state, x):
    """The worked example's cell on numbers or vectors: o = Wi x + Wh h + b, h = σ(o), y = a h + c."""
    o = (
        values["Wi"] @ x + values["Wh"] @ state["h"] + values["b"]
        if np.ndim(values["Wi"])
        else (values["Wi"] * x + values["Wh"] * state["h"] + values["b"])
    )
    h = sigmoid(o)
    y = values["a"] @ h + values["c"] if np.ndim(values["a"]) else values["a"] * h + values["c"]
    return {"h": h}, y


def lstm(values, state, x):
    """rnncalc's lstm preset, on numbers."""
    pre = {k: values[f"W{k}"] * x + values[f"U{k}"] * state["h"] + values[f"b{k}"] for k in "fioc"}
    f, i, og, cc = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"]), np.tanh(pre["c"])
    s = f * state["s"] + i * cc
    h = og * np.tanh(s)
    return {"s": s, "h": h}, values["a"] * h + values["c"]


def pieces(n, targets, k, chunked):
    """(first step, loss steps) of each piece the truncated gradient sums."""
    if chunked:
        return [(c, [t for t in range(c, min(c + k, n + 1)) if targets[t - 1]]) for c in range(1, n + 1, k)]
    return [(max(1, t - k + 1), [t]) for t in range(1, n + 1) if targets[t - 1]]


def detached_gradients(cell, values, states, x, g, k, chunked, weight):
    """Σ over pieces of d(piece of the loss)/dθ, the state before each piece's first step held constant
    (an initial state is a variable only in a piece that starts at step 1)."""
    n = len(x)
    forward = [{s: values[f"{s}0"] for s in states}]
    for t in range(1, n + 1):
        forward.append(cell(values, forward[-1], x[t - 1])[0])
    total = {key: np.zeros_like(value) for key, value in values.items()}
    for start, steps in pieces(n, [target is not None for target in g], k, chunked):
        if not steps:
            continue

        def piece(shifted, start=start, steps=steps):
            state = {s: shifted[f"{s}0"] for s in states} if start == 1 else forward[start - 1]
            loss = 0.0
            for t in range(start, max(steps) + 1):
                state, y = cell(shifted, state, x[t - 1])
                if t in steps:
                    loss += weight * float(np.sum((y - np.asarray(g[t - 1])) ** 2))
            return loss

        for key, grad in central_differences(piece, values).items():
            total[key] += grad
    return total


WORKED = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}


def scalar_values(params):
    """Floats as 0-d arrays (central_differences shifts arrays)."""
    return {key: np.array(float(value)) for key, value in params.items()}


def assert_close(got, want, keys):
    """Every gradient within 1e-6 of the reference (relative to its size)."""
    for key in keys:
        np.testing.assert_allclose(np.asarray(got[key], dtype=float), want[key], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("chunked", [False, True])
def test_worked_example_cell_against_a_detaching_loop(k, chunked):
    x, g = (1, 0, 1, 1, 0), (1, 0, 1, 0, 1)
    problem = Problem(x=x, g=g, params={"Wi": 0.7, "Wh": 1.3, "a": 1.1, "b": -0.2, "c": 0.3})
    values = scalar_values({**problem.params, "h0": problem.initial("h")})
    derivation = derive(problem, Settings(truncate=k, chunked=chunked), steps=False)
    want = detached_gradients(elman, values, ("h",), x, g, k, chunked, 1 / len(x))
    assert_close(derivation.gradients, want, values)
    full = derive(problem, steps=False).gradients
    assert derivation.full_gradients == pytest.approx(full, rel=1e-12)


def test_steps_without_a_target_and_tanh():
    x, g = (0.5, -1, 2, 0, 1, 1), (1, None, 0, None, 1, 0)
    problem = Problem(x=x, g=g, activation="tanh")
    got = derive(problem, Settings(truncate=2), steps=False).gradients

    def cell(v, state, xt):
        h = np.tanh(v["Wi"] * xt + v["Wh"] * state["h"] + v["b"])
        return {"h": h}, v["a"] * h + v["c"]

    values = scalar_values(WORKED)
    want = detached_gradients(cell, values, ("h",), x, g, 2, False, 1 / 4)  # MSE over the 4 targets
    assert_close(got, want, values)


def test_k_of_one_cuts_every_path_through_time_and_k_of_n_is_full_bptt():
    problem = Problem(x=(1, 0, 1, 1), g=(1, 0, 1, 0))
    one = derive(problem, Settings(truncate=1), steps=False).gradients
    cut = gradients_without_time(problem)
    assert {k: one[k] for k in cut} == pytest.approx(cut, rel=1e-12)
    whole = derive(problem, Settings(truncate=4), steps=False)
    assert whole.gradients == pytest.approx(whole.full_gradients, rel=1e-12)
    chunk = derive(problem, Settings(truncate=1, chunked=True), steps=False).gradients
    assert chunk == pytest.approx(one, rel=1e-12)


def test_lstm_preset_against_a_detaching_loop():
    x, g = (1, 0, -1, 0.5, 1, 0, 2), (0.5, 0, 1, 0.2, 0, 1, 0.3)
    problem = Problem(x=x, g=g, preset="lstm")
    values = scalar_values({**problem.params, "h0": problem.initial("h"), "s0": problem.initial("s")})
    for chunked in (False, True):
        got = derive(problem, Settings(truncate=3, chunked=chunked), steps=False).gradients
        want = detached_gradients(lstm, values, ("s", "h"), x, g, 3, chunked, 1 / len(x))
        assert_close(got, want, values)


def test_vectors_against_a_detaching_loop():
    x = [[1, 0], [0, 1], [1, 1], [0.5, -1], [1, 0.2]]
    g = [[1], [0], [1], [0.5], [0]]
    params = {
        "Wi": [[0.5, 0.1], [0.2, 0.3]],
        "Wh": [[0.1, 0.9], [0.7, 0.1]],
        "b": [0.1, -0.2],
        "a": [[1, 0.5]],
        "c": [0.2],
    }
    problem = Problem(x=x, g=g, params=params, h0=[0.3, -0.1])
    values = {k: np.array(v, dtype=float) for k, v in params.items()} | {"h0": np.array([0.3, -0.1])}
    for chunked in (False, True):
        derivation = derive(problem, Settings(truncate=2, chunked=chunked), steps=False)
        want = detached_gradients(
            elman, values, ("h",), [np.array(v, float) for v in x], g, 2, chunked, 1 / len(x)
        )
        assert_close(derivation.gradients, want, values)


def test_derivation_lines_add_up_to_the_truncated_and_the_full_gradients():
    problem = Problem(x=(1, 0, 1, 1), g=(1, 0, 1, 0))
    derivation = derive(problem, Settings(truncate=2))
    for theta, value in derivation.gradients.items():
        section = derivation.section(f"truncated:{theta}")
        kept = [s.target.value for s in section.steps if s.target.name.key.endswith(":K=2") and s.t]
        dropped = [s.target.value for s in section.steps if s.target.name.key.endswith(":dropped") and s.t]
        assert math.fsum(kept) == pytest.approx(value, rel=1e-9, abs=1e-12)
        assert math.fsum(kept) + math.fsum(dropped) == pytest.approx(
            derivation.full_gradients[theta], rel=1e-9, abs=1e-12
        )
    # L_4 keeps steps 4 and 3 and drops 2 and 1: the dropped W_h line names dL_4/do_2 and dL_4/do_1
    dropped_line = next(
        s for s in derivation.section("truncated:Wh").steps if s.target.name.text == "dL_4/dW_h (dropped)"
    )
    assert "dL_4/do_2" in str(dropped_line.rule) and "dL_4/do_1" in str(dropped_line.rule)


def test_refusals():
    with pytest.raises(InputError, match="--chunked needs --truncate"):
        Settings(chunked=True)
    with pytest.raises(InputError, match="K ≥ 1"):
        Settings(truncate=0)


def test_pytorch_loops_that_detach():
    """What a PyTorch training loop computes: the chunks with detach(), and each loss term's window."""
    torch = pytest.importorskip("torch")
    x, g = (1.0, 0.0, -1.0, 0.5, 1.0, 0.0, 2.0), (0.5, 0.0, 1.0, 0.2, 0.0, 1.0, 0.3)
    params = {"Wi": 0.6, "Wh": 1.2, "a": 0.9, "b": -0.1, "c": 0.2}
    problem = Problem(x=x, g=g, params=params, activation="tanh")
    n, k = len(x), 3

    def leaves():
        return {
            key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()
        }

    def step(p, h, t):
        h = torch.tanh(p["Wi"] * x[t - 1] + p["Wh"] * h + p["b"])
        return h, p["a"] * h + p["c"]

    p = leaves()  # chunks: carry the state, detach it at each chunk's start, one backward per chunk
    h = torch.tensor(0.0, dtype=torch.float64)
    for start in range(1, n + 1, k):
        h = h.detach()
        loss = torch.tensor(0.0, dtype=torch.float64)
        for t in range(start, min(start + k, n + 1)):
            h, y = step(p, h, t)
            loss = loss + (y - g[t - 1]) ** 2 / n
        loss.backward()
    chunked = derive(problem, Settings(truncate=k, chunked=True), steps=False).gradients
    assert {key: chunked[key] for key in params} == pytest.approx(
        {key: v.grad.item() for key, v in p.items()}
    )

    p = leaves()  # the window: each loss term from the state K steps back, detached
    with torch.no_grad():
        states = [torch.tensor(0.0, dtype=torch.float64)]
        for t in range(1, n + 1):
            states.append(step(p, states[-1], t)[0])
    for t in range(1, n + 1):
        h = states[max(0, t - k)].detach()
        for s in range(max(1, t - k + 1), t + 1):
            h, y = step(p, h, s)
        ((y - g[t - 1]) ** 2 / n).backward()
    sliding = derive(problem, Settings(truncate=k), steps=False).gradients
    assert {key: sliding[key] for key in params} == pytest.approx(
        {key: v.grad.item() for key, v in p.items()}
    )


def test_cli_json_carries_truncated_full_and_their_relative_difference(cli):
    code, out, err = cli(
        "grads", "--x", "1", "0", "1", "1", "--g", "1", "0", "1", "0", "--truncate", "2", "-f", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    full = derive(Problem(x=(1, 0, 1, 1), g=(1, 0, 1, 0)), steps=False).gradients
    assert data["gradients_full"] == pytest.approx(full, rel=1e-12)
    assert data["truncation"] == {"steps": 2, "chunked": False}
    for key, value in data["gradients"].items():
        gap = abs(value - full[key]) / abs(full[key])
        assert data["relative_difference"][key] == pytest.approx(gap, abs=1e-15)
    assert data["gradients"]["a"] == pytest.approx(full["a"])  # a reaches L_t only at step t
    assert data["gradients"]["Wh"] < full["Wh"]


@pytest.mark.parametrize("fmt", ["markdown", "latex", "html", "rich", "json"])
def test_every_format_shows_the_truncated_derivation(cli, fmt):
    code, out, err = cli(
        "grads", "--x", "1", "0", "1", "--truncate", "2", "--chunked", "--show-steps", "-f", fmt
    )
    assert code == 0, err
    assert "dropped" in out and "full" in out
    if fmt == "latex":
        assert "dW_i, truncated" not in out  # a title with an underscore is typeset as math
        assert r"\Big|_{K=2}" in out


def test_train_with_truncated_gradients_takes_them_each_epoch(cli):
    args = ("--x", "1", "0", "1", "1", "--g", "1", "0", "1", "0", "--epochs", "1", "--lr", "1", "-f", "json")
    code, out, err = cli("train", *args, "--truncate", "1")
    assert code == 0, err
    data = json.loads(out)
    assert data["truncation"] == "truncated BPTT, K = 1"
    cut = gradients_without_time(Problem(x=(1, 0, 1, 1), g=(1, 0, 1, 0)))
    moved = data["history"][1]["params"]
    assert {k: 1 - moved[k] for k in cut} == pytest.approx(cut, rel=1e-9)  # θ' = θ − η·dθ from θ = 1


def test_check_says_it_checks_the_full_gradient(cli):
    code, out, err = cli("check", "--x", "1", "0", "1", "--truncate", "2")
    assert code == 0, err
    assert "checks the full BPTT gradients" in " ".join(out.split())
