"""Vector LSTM, GRU and Jordan cells (the presets on matrices) against a NumPy loop written here.

Each reference is the preset's equations typed out with NumPy, independent of rnncalc's parser, shapes and
engine; its gradients are central differences of that loop, entry by entry.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import central_differences

from rnncalc.cell.presets import PRESETS
from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive

H, D, K, N = 3, 2, 2, 4


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1 / (1 + np.exp(-z))


def lstm(p: dict[str, np.ndarray], x: np.ndarray, init: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The lstm preset's outputs y_1..y_n."""
    h, s, ys = init["h"], init["s"], []
    for row in x:
        f = sigmoid(p["Wf"] @ row + p["Uf"] @ h + p["bf"])
        i = sigmoid(p["Wi"] @ row + p["Ui"] @ h + p["bi"])
        og = sigmoid(p["Wo"] @ row + p["Uo"] @ h + p["bo"])
        cc = np.tanh(p["Wc"] @ row + p["Uc"] @ h + p["bc"])
        s = f * s + i * cc
        h = og * np.tanh(s)
        ys.append(p["a"] @ h + p["c"])
    return ys


def gru(p: dict[str, np.ndarray], x: np.ndarray, init: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The gru preset's outputs y_1..y_n."""
    h, ys = init["h"], []
    for row in x:
        z = sigmoid(p["Wz"] @ row + p["Uz"] @ h + p["bz"])
        r = sigmoid(p["Wr"] @ row + p["Ur"] @ h + p["br"])
        hc = np.tanh(p["Wc"] @ row + p["Uc"] @ (r * h) + p["bc"])
        h = (1 - z) * h + z * hc
        ys.append(p["a"] @ h + p["c"])
    return ys


def jordan(p: dict[str, np.ndarray], x: np.ndarray, init: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The jordan preset's outputs: the output, not the state, feeds back."""
    y, ys = init["y"], []
    for row in x:
        h = np.tanh(p["Wi"] @ row + p["Wy"] @ y + p["b"])
        y = p["a"] @ h + p["c"]
        ys.append(y)
    return ys


CELLS = {"lstm": (lstm, ("h", "s")), "gru": (gru, ("h",)), "jordan": (jordan, ("y",))}


def case(name: str, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Random parameters of the preset's declared shapes, inputs, targets and initial states."""
    rng = np.random.default_rng(seed)
    sizes = {"H": H, "D": D, "K": K}
    params = {
        p: rng.uniform(-0.8, 0.8, tuple(sizes[d] for d in dims)).round(3)
        for p, dims in PRESETS[name].dims.items()
    }
    x = rng.uniform(-1, 1, (N, D)).round(3)
    g = rng.uniform(-1, 1, (N, K)).round(3)
    init = {s: rng.uniform(-0.5, 0.5, K if s == "y" else H).round(3) for s in CELLS[name][1]}
    return params, x, g, init


def reference_loss(name: str, params, x, g, init) -> float:
    """MSE over the steps (the mean of the squared norms, as rnncalc's mse on vectors)."""
    ys = CELLS[name][0](params, x, init)
    return float(sum(np.sum((y - target) ** 2) for y, target in zip(ys, g)) / len(ys))


def central(name: str, params, x, g, init, key: str) -> np.ndarray:
    """dL/d(key) by central differences of the reference loop, entry by entry."""
    values = {**params, **{f"{s}0": v for s, v in init.items()}}
    found = np.zeros_like(values[key])
    for index in np.ndindex(found.shape):
        shifted = []
        for sign in (1, -1):
            moved = {k: v.copy() for k, v in values.items()}
            moved[key][index] += sign * 1e-6
            states = {s: moved[f"{s}0"] for s in init}
            shifted.append(reference_loss(name, {p: moved[p] for p in params}, x, g, states))
        found[index] = (shifted[0] - shifted[1]) / 2e-6
    return found


@pytest.mark.parametrize("name", sorted(CELLS))
def test_vector_preset_gradients_match_the_reference_loop(name: str) -> None:
    params, x, g, init = case(name, 7)
    problem = Problem(
        preset=name,
        x=x.tolist(),
        g=g.tolist(),
        params={k: v.tolist() for k, v in params.items()},
        init={s: v.tolist() for s, v in init.items()},
    )
    derivation = derive(problem, Settings(), steps=False)
    assert derivation.loss == pytest.approx(reference_loss(name, params, x, g, init), rel=1e-12)
    for key in (*params, *(f"{s}0" for s in init)):
        expected = central(name, params, x, g, init, key)
        got = np.array(derivation.gradients[key], dtype=float)
        assert got.shape == expected.shape, key
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"{name}: dL/d{key}")


def test_a_vector_lstm_derivation_agrees_with_its_numbers() -> None:
    """--show-steps on a vector LSTM: every δ and share is written, and the gradients are the numbers'."""
    params, x, g, init = case("lstm", 3)
    problem = Problem(
        preset="lstm",
        x=x[:2].tolist(),
        g=g[:2].tolist(),
        params={k: v.tolist() for k, v in params.items()},
        init={s: v.tolist() for s, v in init.items()},
    )
    shown = derive(problem, Settings(), steps=True)
    plain = derive(problem, Settings(), steps=False)
    titles = [section.title for section in shown.sections]
    assert "Local derivatives (Jacobians)" in titles and "dUf" in titles
    for key, value in plain.gradients.items():
        np.testing.assert_allclose(np.array(shown.gradients[key]), np.array(value), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_forward_mode_on_vectors_matches_the_reference_loop(name: str) -> None:
    """--method forward on matrices: every total dk_t/dθ carried (a column per entry of θ), the gradients
    against the loop's central differences; --method both finds the two methods agree."""
    params, x, g, init = case(name, 11)
    problem = Problem(
        preset=name,
        x=x[:3].tolist(),
        g=g[:3].tolist(),
        params={k: v.tolist() for k, v in params.items()},
        init={s: v.tolist() for s, v in init.items()},
    )
    forward = derive(problem, Settings(), method="forward")
    assert "Derivatives through time" in [section.title for section in forward.sections]
    for key in (*params, *(f"{s}0" for s in init)):
        expected = central(name, params, x[:3], g[:3], init, key)
        np.testing.assert_allclose(
            np.array(forward.gradients[key]), expected, rtol=1e-6, atol=1e-8, err_msg=key
        )
    both = derive(problem, Settings(), method="both")
    assert both.methods_agree and both.section("agreement") is not None


def test_forward_mode_carries_a_number_parameter_into_vectors() -> None:
    """A number multiplying a vector (k · o): its tangent reaches every entry alike."""
    rng = np.random.default_rng(5)
    wi, wh = rng.uniform(-1, 1, (2, 2)).round(3), rng.uniform(-1, 1, (2, 2)).round(3)
    x, g = rng.uniform(-1, 1, (3, 2)).round(3), rng.uniform(-1, 1, (3, 2)).round(3)
    cell = ["o = Wi*x + Wh*h_prev", "h = tanh(k*o)", "y = h"]

    def loss(values: dict[str, np.ndarray]) -> float:
        h, total = np.zeros(2), 0.0
        for row, target in zip(x, g):
            h = np.tanh(values["k"] * (values["Wi"] @ row + values["Wh"] @ h))
            total += float(np.sum((h - target) ** 2))
        return total / 3

    problem = Problem(
        cell=cell,
        x=x.tolist(),
        g=g.tolist(),
        params={"Wi": wi.tolist(), "Wh": wh.tolist(), "k": 0.7},
        h0=[0, 0],
    )
    d = derive(problem, Settings(), method="forward")
    values = {"Wi": wi.astype(float), "Wh": wh.astype(float), "k": np.array(0.7)}
    for key, found in central_differences(loss, values).items():
        np.testing.assert_allclose(np.array(d.gradients[key], dtype=float), found, rtol=1e-6, atol=1e-9)
