"""Course conventions (--convention): each course's cell in its own names, stacked weights, batch axes and
upstream gradients, against that course's forward pass typed out here in NumPy and differentiated by
central differences (and against PyTorch's autograd where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import assert_gradients, central_differences, dlai_lstm_loss

from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError

RNG = np.random.default_rng(11)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def rounded(*shape: int) -> np.ndarray:
    return RNG.uniform(-1, 1, shape).round(2)


def cs231n_lstm_loss(v: dict[str, np.ndarray], dh: np.ndarray) -> float:
    """CS231n's lstm_forward (rnn_layers.py) with L = Σ dh ⊙ h: a = x·Wx + h·Wh + b cut into i, f, o, g."""
    h, c, total = v["h0"], np.zeros_like(v["h0"]), 0.0
    H = h.shape[1]
    for t in range(v["x"].shape[1]):
        a = v["x"][:, t] @ v["Wx"] + h @ v["Wh"] + v["b"]
        i, f, o, g = (
            sigmoid(a[:, :H]),
            sigmoid(a[:, H : 2 * H]),
            sigmoid(a[:, 2 * H : 3 * H]),
            np.tanh(a[:, 3 * H :]),
        )
        c = f * c + i * g
        h = o * np.tanh(c)
        total += np.sum(dh[:, t] * h)
    return total


def test_cs231n_lstm_with_stacked_weights_and_upstream_gradients() -> None:
    N, T, D, H = 2, 3, 2, 2
    values = {"x": rounded(N, T, D), "Wx": rounded(D, 4 * H), "Wh": rounded(H, 4 * H), "b": rounded(4 * H)}
    values["h0"] = rounded(N, H)
    dh = rounded(N, T, H)
    problem = Problem(
        convention="cs231n",
        preset="lstm",
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        params={k: values[k].tolist() for k in ("Wx", "Wh", "b")},
        upstream=dh.tolist(),
    )
    derivation = derive(problem, Settings(), steps=False)
    assert set(derivation.gradients) == {"Wx", "Wh", "b", "h0", "c0"}
    expected = central_differences(lambda v: cs231n_lstm_loss(v, dh), values)
    assert_gradients(derivation, expected)


def cs231n_rnn_loss(v: dict[str, np.ndarray], dh: np.ndarray) -> float:
    """CS231n's rnn_forward: h = tanh(x·Wx + h·Wh + b), with L = Σ dh ⊙ h."""
    h, total = v["h0"], 0.0
    for t in range(v["x"].shape[1]):
        h = np.tanh(v["x"][:, t] @ v["Wx"] + h @ v["Wh"] + v["b"])
        total += np.sum(dh[:, t] * h)
    return total


def test_cs231n_rnn_backward_with_the_derivation_shown() -> None:
    N, T, D, H = 2, 3, 3, 2
    values = {
        "x": rounded(N, T, D),
        "Wx": rounded(D, H),
        "Wh": rounded(H, H),
        "b": rounded(H),
        "h0": rounded(N, H),
    }
    dh = rounded(N, T, H)
    params = {k: values[k].tolist() for k in ("Wx", "Wh", "b")}
    problem = Problem(
        convention="cs231n",
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        params=params,
        upstream=dh.tolist(),
    )
    derivation = derive(problem, Settings(), steps=True)
    assert_gradients(derivation, central_differences(lambda v: cs231n_rnn_loss(v, dh), values))
    from rnncalc.render.terminal import render

    text = render(derivation)
    assert "o_t = x_{t-1} · Wx + h_{t-1} · W_h + b" in text and "Upstream gradients (sequence 1)" in text


def pytorch_loss(kind: str, v: dict[str, np.ndarray], up: np.ndarray) -> float:
    """torch.nn.RNN, GRU and LSTM as their documentation writes them, x (T, N, D), with L = Σ up ⊙ h."""
    h, total = v["h0"][0], 0.0
    c = v["c0"][0] if kind == "lstm" else None
    H = h.shape[1]
    for t in range(v["x"].shape[0]):
        gi = v["x"][t] @ v["weight_ih_l0"].T + v["bias_ih_l0"]
        gh = h @ v["weight_hh_l0"].T + v["bias_hh_l0"]
        if kind == "elman":
            h = np.tanh(gi + gh)
        elif kind == "gru":
            r, z = sigmoid(gi[:, :H] + gh[:, :H]), sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
            n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
            h = (1 - z) * n + z * h
        else:
            a = gi + gh
            i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
            g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
        total += np.sum(up[t] * h)
    return total


@pytest.mark.parametrize(("kind", "gates"), [("elman", 1), ("gru", 3), ("lstm", 4)])
def test_pytorch_cells_with_their_state_dict(kind: str, gates: int) -> None:
    T, N, D, H = 3, 2, 2, 2
    values = {
        "x": rounded(T, N, D),
        "h0": rounded(1, N, H),
        "weight_ih_l0": rounded(gates * H, D),
        "weight_hh_l0": rounded(gates * H, H),
        "bias_ih_l0": rounded(gates * H),
        "bias_hh_l0": rounded(gates * H),
    }
    init = {}
    if kind == "lstm":
        values["c0"] = rounded(1, N, H)
        init = {"c": values["c0"].tolist()}
    up = rounded(T, N, H)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    problem = Problem(
        convention="pytorch",
        preset=kind,
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        init=init,
        params={k: values[k].tolist() for k in names},
        upstream=up.tolist(),
    )
    derivation = derive(problem, Settings(), steps=False)
    expected = central_differences(lambda v: pytorch_loss(kind, v, up), values)
    assert_gradients(derivation, expected)  # h0 and c0 with PyTorch's layer axis: (1, N, H)


def test_pytorch_cells_agree_with_autograd() -> None:
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    T, N, D, H = 3, 2, 2, 3
    net = torch.nn.GRU(D, H)
    x, h0, up = rounded(T, N, D), rounded(1, N, H), rounded(T, N, H)
    state = {k: torch.tensor(rounded(*v.shape)) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, _ = net(xt, h0t)
    (out * torch.tensor(up)).sum().backward()
    problem = Problem(
        convention="pytorch",
        preset="gru",
        x=x.tolist(),
        h0=h0.tolist(),
        params={k: v.numpy().tolist() for k, v in state.items()},
        upstream=up.tolist(),
    )
    derivation = derive(problem, Settings(), steps=False)
    expected = {k: p.grad.numpy() for k, p in net.named_parameters()} | {
        "x": xt.grad.numpy(),
        "h0": h0t.grad.numpy(),
    }
    assert_gradients(derivation, expected)


def test_dlai_lstm_on_a_prev_and_x_with_column_biases() -> None:
    n_x, m, T, n_a = 2, 2, 3, 2
    values = {"x": rounded(n_x, m, T), "a0": rounded(n_a, m)}
    for gate in "fico":
        values[f"W{gate}"] = rounded(n_a, n_a + n_x)
        values[f"b{gate}"] = rounded(n_a, 1)
    da = rounded(n_a, m, T)
    problem = Problem(
        convention="dlai",
        preset="lstm",
        x=values["x"].tolist(),
        init={"a": values["a0"].tolist()},
        params={k: v.tolist() for k, v in values.items() if k not in ("x", "a0")},
        upstream=da.tolist(),
    )
    derivation = derive(problem, Settings(), steps=False)
    assert_gradients(derivation, central_differences(lambda v: dlai_lstm_loss(v, da), values))
    assert np.asarray(derivation.gradients["bf"]).shape == (n_a, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"convention": "keras"}, "unknown convention 'keras'; choose one of rnncalc, cs231n"),
        ({"convention": "cs231n", "preset": "gru"}, "the cs231n convention has no gru cell"),
        ({"convention": "cs231n", "cell": ("h = x",)}, "--convention cs231n gives the cell"),
        (
            {"convention": "cs231n", "preset": "lstm", "x": [[1, 0]], "params": {"Wx": [[1, 2, 3]]}},
            "Wx has 3 along its stacked axis, not a multiple of its 4 parts",
        ),
        ({"convention": "cs231n", "x": [[1]], "upstream": [[1]], "g": [[1]]}, "--upstream and --g conflict"),
    ],
)
def test_a_convention_that_does_not_fit(args: dict, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Problem(**args)


def test_cs231n_lstm_with_upstream_gradients_on_h_and_c(cli, tmp_path) -> None:
    """lstm_step_backward's dnext_h and dnext_c over two steps, from a problem file's [upstream] table."""
    N, T, D, H = 2, 2, 2, 2
    values = {"x": rounded(N, T, D), "Wx": rounded(D, 4 * H), "Wh": rounded(H, 4 * H), "b": rounded(4 * H)}
    values["h0"] = rounded(N, H)
    dh, dc = rounded(N, T, H), rounded(N, T, H)

    def loss(v: dict[str, np.ndarray]) -> float:
        h, c, total = v["h0"], np.zeros_like(v["h0"]), 0.0
        for t in range(T):
            a = v["x"][:, t] @ v["Wx"] + h @ v["Wh"] + v["b"]
            i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H])
            c = f * c + i * np.tanh(a[:, 3 * H :])
            h = o * np.tanh(c)
            total += np.sum(dh[:, t] * h) + np.sum(dc[:, t] * c)
        return total

    problem = tmp_path / "lstm.toml"
    params = "\n".join(f"{k} = {values[k].tolist()}" for k in ("Wx", "Wh", "b"))
    problem.write_text(
        f'convention = "cs231n"\npreset = "lstm"\nx = {values["x"].tolist()}\nh0 = {values["h0"].tolist()}\n'
        f"[upstream]\nh = {dh.tolist()}\nc = {dc.tolist()}\n[params]\n{params}\n"
    )
    import json

    code, out, err = cli("grads", "--config", str(problem), "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    expected = central_differences(loss, values)
    for key in ("Wx", "Wh", "b", "h0"):
        np.testing.assert_allclose(np.array(data["gradients"][key]), expected[key], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.array(data["input_gradients"]["x"]), expected["x"], rtol=1e-6, atol=1e-8)
    assert set(data["input_gradients"]) == {"x"}  # the upstream streams are no inputs of the course's


def test_training_a_pytorch_lstm_takes_a_step_down_every_gate_s_gradient() -> None:
    """One SGD step on PyTorch's LSTM from upstream gradients: each gate's part moves by -η times its
    share of the stacked gradient (central differences of the course's forward pass)."""
    from rnncalc.features.train import train

    T, N, D, H = 2, 1, 2, 2
    values = {
        "x": rounded(T, N, D),
        "h0": rounded(1, N, H),
        "c0": np.zeros((1, N, H)),
        "weight_ih_l0": rounded(4 * H, D),
        "weight_hh_l0": rounded(4 * H, H),
        "bias_ih_l0": rounded(4 * H),
        "bias_hh_l0": rounded(4 * H),
    }
    up = rounded(T, N, H)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    problem = Problem(
        convention="pytorch",
        preset="lstm",
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        params={k: values[k].tolist() for k in names},
        upstream=up.tolist(),
    )
    run = train(problem, lr=0.1, epochs=1)
    expected = central_differences(lambda v: pytorch_loss("lstm", v, up), values)
    moved = run.history[1].params
    for k, gate in enumerate("ifgo"):
        rows = slice(k * H, (k + 1) * H)
        want = values["weight_ih_l0"][rows] - 0.1 * expected["weight_ih_l0"][rows]
        np.testing.assert_allclose(np.array(moved[f"W_i{gate}"].rows()), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("convention", "x", "h0"),
    [
        ("pytorch", [[1, 0], [0, 1]], [[[0.1, 0.2]]]),  # one sequence: h0 as (1, 1, H), layers × N × H
        ("cs231n", [[1, 0], [0, 1]], [[0.1, 0.2]]),  # one sequence: h0 as (1, H)
        ("dlai", [[1, 0], [0, 1]], [[0.1], [0.2]]),  # one sequence: a0 as (n_a, 1)
    ],
)
def test_one_sequence_takes_its_initial_state_with_the_batch_axis_of_one(convention, x, h0) -> None:
    """The single row a course writes for one sequence's initial state is that sequence's vector."""
    with_axis = derive(Problem(convention=convention, x=x, h0=h0), Settings(), steps=False)
    state = "a0" if convention == "dlai" else "h0"
    plain = derive(Problem(convention=convention, x=x, init={state[0]: [0.1, 0.2]}), Settings(), steps=False)
    assert with_axis.loss == plain.loss and with_axis.loss != derive(Problem(convention=convention, x=x)).loss


def test_d2l_gru_in_rows_with_its_own_update() -> None:
    """d2l.ai's GRU from scratch: X·W_xr + H·W_hr + b_r, H̃ from (R ⊙ H)·W_hh, H = Z ⊙ H + (1 - Z) ⊙ H̃."""
    T, N, D, H = 3, 2, 2, 2
    values = {"x": rounded(T, N, D), "h0": rounded(N, H)}
    values |= {name: rounded(D, H) for name in ("W_xr", "W_xz", "W_xh")}
    values |= {name: rounded(H, H) for name in ("W_hr", "W_hz", "W_hh")}
    values |= {name: rounded(H) for name in ("b_r", "b_z", "b_h")}
    up = rounded(T, N, H)

    def loss(v: dict[str, np.ndarray]) -> float:
        h, total = v["h0"], 0.0
        for t in range(T):
            r = sigmoid(v["x"][t] @ v["W_xr"] + h @ v["W_hr"] + v["b_r"])
            z = sigmoid(v["x"][t] @ v["W_xz"] + h @ v["W_hz"] + v["b_z"])
            candidate = np.tanh(v["x"][t] @ v["W_xh"] + (r * h) @ v["W_hh"] + v["b_h"])
            h = z * h + (1 - z) * candidate
            total += np.sum(up[t] * h)
        return total

    params = {k: v.tolist() for k, v in values.items() if k not in ("x", "h0")}
    problem = Problem(
        convention="d2l", preset="gru", x=values["x"].tolist(), h0=values["h0"].tolist(), params=params,
        upstream=up.tolist(),
    )  # fmt: skip
    assert_gradients(derive(problem, Settings(), steps=False), central_differences(loss, values))
