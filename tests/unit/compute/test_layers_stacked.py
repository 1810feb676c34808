"""Stacked layers (--layers L): the stacked cell against a NumPy network written plainly, whose gradients
come from central differences of its loss (nothing here shares code with rnncalc's engine)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import assert_gradients, central_differences

from rnncalc.cell.stacking import stacked_equations
from rnncalc.compute.problem import Problem
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError


def sigmoid(z):
    """The logistic function."""
    return 1 / (1 + np.exp(-z))


def gru_layer(p, k, h, x):
    """rnncalc's gru preset, layer k: h = (1 - z)·h_prev + z·hc."""
    z = sigmoid(p[f"Wz{k}"] @ x + p[f"Uz{k}"] @ h + p[f"bz{k}"])
    r = sigmoid(p[f"Wr{k}"] @ x + p[f"Ur{k}"] @ h + p[f"br{k}"])
    hc = np.tanh(p[f"Wc{k}"] @ x + p[f"Uc{k}"] @ (r * h) + p[f"bc{k}"])
    return {"h": (1 - z) * h + z * hc}


def lstm_layer(p, k, state, x):
    """rnncalc's lstm preset, layer k: gates f, i, og, candidate cc, cell s."""
    pre = {g: p[f"W{g}{k}"] @ x + p[f"U{g}{k}"] @ state["h"] + p[f"b{g}{k}"] for g in "fioc"}
    s = sigmoid(pre["f"]) * state["s"] + sigmoid(pre["i"]) * np.tanh(pre["c"])
    return {"s": s, "h": sigmoid(pre["o"]) * np.tanh(s)}


def stacked_loss(layer, states, layers, x, g):
    """MSE over the steps of y = a·h_top + c, each layer reading the one below."""

    def loss(p):
        now = [{s: p[f"{s}{k}0"] for s in states} for k in range(1, layers + 1)]
        total = 0.0
        for t in range(len(x)):
            below = x[t]
            for k in range(layers):
                now[k] = (
                    layer(p, k + 1, now[k], below)
                    if states != ("h",)
                    else layer(p, k + 1, now[k]["h"], below)
                )
                below = now[k]["h"]
            y = p["a"] @ below + p["c"]
            total += float(np.sum((y - g[t]) ** 2)) / len(x)
        return total

    return loss


GATES = {"gru": "zrc", "lstm": "fioc"}


def random_values(preset, states, rng, d=3, h=2, k=2):
    """Every parameter and initial state of two layers at random, in its shape (layer 2 reads H)."""
    values = {}
    for layer, width in ((1, d), (2, h)):
        for gate in GATES[preset]:
            values |= {f"W{gate}{layer}": (h, width), f"U{gate}{layer}": (h, h), f"b{gate}{layer}": (h,)}
        values |= {f"{s}{layer}0": (h,) for s in states}
    values |= {"a": (k, h), "c": (k,)}
    return {name: rng.uniform(-0.8, 0.8, shape) for name, shape in values.items()}


@pytest.mark.parametrize(("preset", "states"), [("gru", ("h",)), ("lstm", ("s", "h"))])
def test_two_layer_gated_cells_against_a_plain_numpy_network(preset, states):
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (4, 3))
    g = rng.uniform(-1, 1, (4, 2))
    values = random_values(preset, states, rng)
    init = {
        name[:-1]: v.tolist()
        for name, v in values.items()
        if name[:-1] in {f"{s}{n}" for s in states for n in (1, 2)}
    }
    params = {name: v.tolist() for name, v in values.items() if name[:-1] not in init}
    problem = Problem(x=x.tolist(), g=g.tolist(), preset=preset, layers=2, params=params, init=init)
    got = derive(problem, steps=False).gradients
    layer = gru_layer if preset == "gru" else lstm_layer
    want = central_differences(stacked_loss(layer, states, 2, x, g), values)
    for key, value in want.items():
        np.testing.assert_allclose(np.asarray(got[key], float), value, rtol=1e-6, atol=1e-9, err_msg=key)


def test_three_scalar_layers_of_the_built_in_cell():
    x, g = (1, 0, -1), (0.5, 0, 1)
    params = {
        "Wi1": 0.7,
        "Wh1": 0.4,
        "b1": 0.1,
        "Wi2": -0.6,
        "Wh2": 0.9,
        "b2": 0,
        "Wi3": 1.1,
        "Wh3": 0.3,
        "b3": -0.2,
    }
    problem = Problem(x=x, g=g, activation="tanh", layers=3, params=params | {"a": 1.5, "c": 0.1})
    values = {k: np.array(float(v)) for k, v in problem.params.items()} | {
        f"h{k}0": np.array(0.0) for k in (1, 2, 3)
    }

    def layer(p, k, h, xt):
        return {"h": np.tanh(p[f"Wi{k}"] * xt + p[f"Wh{k}"] * h + p[f"b{k}"])}

    def loss(p):
        h = [p[f"h{k}0"] for k in (1, 2, 3)]
        total = 0.0
        for t in range(3):
            below = x[t]
            for k in range(3):
                h[k] = layer(p, k + 1, h[k], below)["h"]
                below = h[k]
            total += float((p["a"] * below + p["c"] - g[t]) ** 2) / 3
        return total

    got = derive(problem, steps=False).gradients
    for key, value in central_differences(loss, values).items():
        assert got[key] == pytest.approx(float(value), rel=1e-6, abs=1e-9), key


def test_the_lower_layer_reads_the_upper_layers_gradient_in_the_derivation():
    derivation = derive(Problem(x=(1, 0), layers=2), method="backward")
    lines = {str(step.target.name.text): step for step in derivation.section("deltas").steps}
    rule = str(lines["dL/do1_1"].rule)
    assert "dL/do2_1" in rule and "dL/do1_2" in rule  # from the layer above and from the next step


def test_stacked_equations_rename_every_layer_and_keep_one_output():
    assert stacked_equations(("o = Wi*x + Wh*h_prev + b", "h = tanh(o)", "y = a*h + c"), 2) == (
        "o1 = Wi1*x + Wh1*h1_prev + b1",
        "h1 = tanh(o1)",
        "o2 = Wi2*h1 + Wh2*h2_prev + b2",
        "h2 = tanh(o2)",
        "y = a*h2 + c",
    )


def test_refusals():
    with pytest.raises(InputError, match="--layers must be between 1 and 8"):
        Problem(x=(1,), layers=9)
    with pytest.raises(InputError, match="feeds its output back"):
        Problem(x=(1,), layers=2, preset="jordan")


def pytorch_stack_loss(kind, layers, v, up):
    """torch.nn.GRU / nn.LSTM with num_layers as their documentation writes them (x as (T, N, D), h0 as
    (layers, N, H)), layer l + 1 reading layer l's h; L = Σ up ⊙ h of the top layer."""
    h = list(v["h0"])
    c = list(v["c0"]) if kind == "lstm" else None
    size = h[0].shape[1]
    total = 0.0
    for t in range(v["x"].shape[0]):
        below = v["x"][t]
        for n in range(layers):
            gi = below @ v[f"weight_ih_l{n}"].T + v[f"bias_ih_l{n}"]
            gh = h[n] @ v[f"weight_hh_l{n}"].T + v[f"bias_hh_l{n}"]
            if kind == "gru":
                r, z = (
                    sigmoid(gi[:, :size] + gh[:, :size]),
                    sigmoid(gi[:, size : 2 * size] + gh[:, size : 2 * size]),
                )
                h[n] = (1 - z) * np.tanh(gi[:, 2 * size :] + r * gh[:, 2 * size :]) + z * h[n]
            else:
                a = gi + gh
                i, f = sigmoid(a[:, :size]), sigmoid(a[:, size : 2 * size])
                c[n] = f * c[n] + i * np.tanh(a[:, 2 * size : 3 * size])
                h[n] = sigmoid(a[:, 3 * size :]) * np.tanh(c[n])
            below = h[n]
        total += float(np.sum(up[t] * below))
    return total


@pytest.mark.parametrize(("kind", "gates"), [("gru", 3), ("lstm", 4)])
def test_pytorch_two_layers_with_their_state_dict_names(kind, gates):
    rng = np.random.default_rng(3)
    steps, batch, d, size, layers = 3, 2, 3, 2, 2
    values = {"x": rng.uniform(-1, 1, (steps, batch, d)), "h0": rng.uniform(-1, 1, (layers, batch, size))}
    for n in range(layers):
        values |= {
            f"weight_ih_l{n}": rng.uniform(-1, 1, (gates * size, d if n == 0 else size)),
            f"weight_hh_l{n}": rng.uniform(-1, 1, (gates * size, size)),
            f"bias_ih_l{n}": rng.uniform(-1, 1, gates * size),
            f"bias_hh_l{n}": rng.uniform(-1, 1, gates * size),
        }
    init = {}
    if kind == "lstm":
        values["c0"] = rng.uniform(-1, 1, (layers, batch, size))
        init = {"c": values["c0"].tolist()}
    up = rng.uniform(-1, 1, (steps, batch, size))
    params = {k: v.tolist() for k, v in values.items() if k.startswith(("weight", "bias"))}
    problem = Problem(
        convention="pytorch",
        preset=kind,
        layers=2,
        x=values["x"].tolist(),
        h0=values["h0"].tolist(),
        init=init,
        params=params,
        upstream=up.tolist(),
    )
    derivation = derive(problem, steps=False)
    assert_gradients(
        derivation, central_differences(lambda v: pytorch_stack_loss(kind, layers, v, up), values)
    )


def test_pytorch_two_layer_lstm_agrees_with_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    steps, batch, d, size = 4, 2, 3, 3
    net = torch.nn.LSTM(d, size, num_layers=2).double()
    state = {k: torch.tensor(rng.uniform(-1, 1, tuple(v.shape))) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    x = torch.tensor(rng.uniform(-1, 1, (steps, batch, d)), requires_grad=True)
    h0 = torch.tensor(rng.uniform(-1, 1, (2, batch, size)), requires_grad=True)
    c0 = torch.tensor(rng.uniform(-1, 1, (2, batch, size)), requires_grad=True)
    up = rng.uniform(-1, 1, (steps, batch, size))
    out, _ = net(x, (h0, c0))
    (out * torch.tensor(up)).sum().backward()
    problem = Problem(
        convention="pytorch",
        preset="lstm",
        layers=2,
        x=x.detach().numpy().tolist(),
        h0=h0.detach().numpy().tolist(),
        init={"c": c0.detach().numpy().tolist()},
        params={k: v.numpy().tolist() for k, v in state.items()},
        upstream=up.tolist(),
    )
    derivation = derive(problem, steps=False)
    for key, param in net.named_parameters():
        np.testing.assert_allclose(
            np.asarray(derivation.gradients[key], float), param.grad.numpy(), rtol=1e-9, atol=1e-12
        )
    np.testing.assert_allclose(
        np.asarray(derivation.gradients["h0"], float), h0.grad.numpy(), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(derivation.gradients["c0"], float), c0.grad.numpy(), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(derivation.input_gradients["x"], float), x.grad.numpy(), rtol=1e-9, atol=1e-12
    )


def test_a_convention_of_one_layer_refuses_layers():
    with pytest.raises(InputError, match="the cs231n convention writes one layer"):
        Problem(convention="cs231n", x=[[[1, 0]]], layers=2)
