"""Bidirectional networks (pytorch convention, bidirectional = true): the reverse direction is a copy of
the cell reading x backwards; checked against the two directions written as two NumPy loops (one running
t = T down to 1), differenced numerically, and against PyTorch's autograd where it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from reference import assert_gradients, central_differences

from rnncalc.compute.problem import Problem
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError


def sigmoid(z):
    """The logistic function."""
    return 1 / (1 + np.exp(-z))


def step(kind, v, suffix, x, h, c):
    """One step of torch.nn.RNN / nn.LSTM as documented, with the direction's parameters."""
    gi = x @ v[f"weight_ih_l0{suffix}"].T + v[f"bias_ih_l0{suffix}"]
    gh = h @ v[f"weight_hh_l0{suffix}"].T + v[f"bias_hh_l0{suffix}"]
    if kind == "elman":
        return np.tanh(gi + gh), c
    size = h.shape[-1]
    a = gi + gh
    i, f = sigmoid(a[:, :size]), sigmoid(a[:, size : 2 * size])
    c = f * c + i * np.tanh(a[:, 2 * size : 3 * size])
    return sigmoid(a[:, 3 * size :]) * np.tanh(c), c


def bidirectional_loss(kind, v, up):
    """output[t] = [h_t (forward, t = 1..T); hb_t (reverse, t = T..1)]; L = Σ up ⊙ output."""
    steps = v["x"].shape[0]
    outputs = [[None, None] for _ in range(steps)]
    for direction, suffix, order in ((0, "", range(steps)), (1, "_reverse", range(steps - 1, -1, -1))):
        h = v["h0"][direction]
        c = v["c0"][direction] if kind == "lstm" else None
        for t in order:
            h, c = step(kind, v, suffix, v["x"][t], h, c)
            outputs[t][direction] = h
    return float(sum(np.sum(up[t] * np.concatenate(outputs[t], axis=-1)) for t in range(steps)))


@pytest.mark.parametrize(("kind", "gates"), [("elman", 1), ("lstm", 4)])
def test_pytorch_bidirectional_against_two_numpy_loops(kind, gates):
    rng = np.random.default_rng(9)
    steps, batch, d, size = 4, 2, 3, 2
    values = {"x": rng.uniform(-1, 1, (steps, batch, d)), "h0": rng.uniform(-1, 1, (2, batch, size))}
    for suffix in ("", "_reverse"):
        values |= {
            f"weight_ih_l0{suffix}": rng.uniform(-1, 1, (gates * size, d)),
            f"weight_hh_l0{suffix}": rng.uniform(-1, 1, (gates * size, size)),
            f"bias_ih_l0{suffix}": rng.uniform(-1, 1, gates * size),
            f"bias_hh_l0{suffix}": rng.uniform(-1, 1, gates * size),
        }
    init = {}
    if kind == "lstm":
        values["c0"] = rng.uniform(-1, 1, (2, batch, size))
        init = {"c": values["c0"].tolist()}
    up = rng.uniform(-1, 1, (steps, batch, 2 * size))
    problem = Problem(
        convention="pytorch",
        preset=kind,
        bidirectional=True,
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        init=init,
        params={k: v.tolist() for k, v in values.items() if k.startswith(("weight", "bias"))},
        upstream=up.tolist(),
    )
    derivation = derive(problem, steps=False)
    assert_gradients(derivation, central_differences(lambda v: bidirectional_loss(kind, v, up), values))


def test_pytorch_bidirectional_gru_agrees_with_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    steps, batch, d, size = 3, 2, 2, 2
    net = torch.nn.GRU(d, size, bidirectional=True).double()
    state = {k: torch.tensor(rng.uniform(-1, 1, tuple(v.shape))) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    x = torch.tensor(rng.uniform(-1, 1, (steps, batch, d)), requires_grad=True)
    h0 = torch.tensor(rng.uniform(-1, 1, (2, batch, size)), requires_grad=True)
    up = rng.uniform(-1, 1, (steps, batch, 2 * size))
    out, _ = net(x, h0)
    (out * torch.tensor(up)).sum().backward()
    problem = Problem(
        convention="pytorch",
        preset="gru",
        bidirectional=True,
        x=x.detach().numpy().tolist(),
        h0=h0.detach().numpy().tolist(),
        params={k: v.numpy().tolist() for k, v in state.items()},
        upstream=up.tolist(),
    )
    derivation = derive(problem, steps=False)
    for key, param in net.named_parameters():
        np.testing.assert_allclose(
            np.asarray(derivation.gradients[key], float), param.grad.numpy(), atol=1e-12
        )
    np.testing.assert_allclose(np.asarray(derivation.gradients["h0"], float), h0.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(np.asarray(derivation.input_gradients["x"], float), x.grad.numpy(), atol=1e-12)


def test_the_derivation_shows_both_directions():
    x = [[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]]]
    problem = Problem(convention="pytorch", bidirectional=True, x=x, upstream=[[[1, 0, 0, 1]]] * 3)
    derivation = derive(problem, method="backward")
    text = " ".join(str(step.target.name.text) for step in derivation.steps())
    assert "hb_3" in text and "h_3" in text and "dL/dhb_1" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"x": [[[1, 0]]], "upstream": [[[1, 0]]]}, "give --convention pytorch"),
        ({"convention": "pytorch", "x": [[[1, 0]]]}, "give --upstream"),
        (
            {"convention": "pytorch", "x": [[[1, 0]]], "upstream": [[[1, 0]]], "layers": 2},
            "one bidirectional layer",
        ),
        ({"convention": "cs231n", "x": [[[1, 0]]], "upstream": [[[1, 0]]]}, "give --convention pytorch"),
        ({"convention": "pytorch", "x": [[[1, 0]]], "upstream": [[[1, 0, 1]]]}, "2H in all"),
    ],
)
def test_refusals(args, message):
    with pytest.raises(InputError, match=message):
        Problem(bidirectional=True, **args)
