"""CS231n assignment 3 (RNN_Captioning.ipynb, LSTM_Captioning.ipynb) and deeplearning.ai's "Building
your RNN step by step": the expected values the notebooks print, reproduced in each course's own
convention (CS231n: x @ Wx + prev_h @ Wh + b; deeplearning.ai: gates on [a_prev; x]).

Source: AKSoo/CS231n-2017, commit 07e1861c98100010f9441c3ed4d1116408d7743c (the same test cells in the
2016 and 2022 versions); see docs/examples/published.md §15. The notebooks' mini-batches (x of shape
N×T×D, h0 N×H) are given to rnncalc as they are, and the LSTM's stacked Wx (D, 4H), Wh and b too:
--convention cs231n splits them into the gates i, f, o, g in the notebook's order.
"""

from __future__ import annotations

import numpy as np
import pytest
from paths import EXAMPLES

from rnncalc.compute.problem import Problem, Settings
from rnncalc.compute.run import run
from rnncalc.derivation.derive import derive

LSTM_STEP_NEXT_H = [  # the notebook's expected_next_h and expected_next_c for lstm_step_forward
    [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
    [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
    [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
]
LSTM_STEP_NEXT_C = [
    [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
    [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
    [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
]


def rnn_states(x, h0, Wx, Wh, b) -> np.ndarray:
    """h_1..h_T of every sequence of the mini-batch, in CS231n's convention (x N×T×D, h0 N×H as they are)."""
    problem = Problem(
        convention="cs231n",
        x=x.tolist(),
        params={"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()},
        h0=h0.tolist(),
    )
    assert problem.batch is not None
    return np.array([run(sequence).values["h"] for sequence in problem.batch.sequences])


def lstm_values(x, h0, c0, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray]:
    """h_1..h_T and c_1..c_T of every row, in CS231n's convention (its stacked Wx, Wh and b as they are)."""
    problem = Problem(
        convention="cs231n",
        preset="lstm",
        x=x.tolist(),
        params={"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()},
        init={"h": h0.tolist(), "c": c0.tolist()},
    )
    assert problem.batch is not None
    traces = [run(sequence) for sequence in problem.batch.sequences]
    return np.array([t.values["h"] for t in traces]), np.array([t.values["c"] for t in traces])


def test_the_lstm_step_problem_file_is_the_notebooks_test() -> None:
    """docs/examples/cs231n-lstm-step.toml: the notebook's arrays, and its expected next_h, next_c."""
    import tomllib

    data = tomllib.loads((EXAMPLES / "cs231n-lstm-step.toml").read_text())
    N, D, H = 3, 4, 5
    assert np.array(data["params"]["Wx"]) == pytest.approx(
        np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    )
    assert np.array(data["init"]["c"]) == pytest.approx(np.linspace(-0.4, 0.9, num=N * H).reshape(N, H))
    problem = Problem(**{k: v for k, v in data.items() if k != "init"}, init=data["init"])
    traces = [run(sequence) for sequence in problem.batch.sequences]
    assert np.array([t.values["h"][0] for t in traces]) == pytest.approx(np.array(LSTM_STEP_NEXT_H), abs=5e-9)
    assert np.array([t.values["c"][0] for t in traces]) == pytest.approx(np.array(LSTM_STEP_NEXT_C), abs=5e-9)


def test_rnn_step_forward() -> None:
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, 1, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    expected_next_h = [
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353],
    ]
    assert rnn_states(x, prev_h, Wx, Wh, b)[:, 0] == pytest.approx(np.array(expected_next_h), abs=5e-9)


def test_rnn_forward() -> None:
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)
    expected_h = [
        [
            [-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
            [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
            [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525],
        ],
        [
            [-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
            [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
            [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043],
        ],
    ]
    assert rnn_states(x, h0, Wx, Wh, b) == pytest.approx(np.array(expected_h), abs=5e-9)


def test_lstm_step_forward() -> None:
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, 1, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    h, c = lstm_values(x, prev_h, prev_c, Wx, Wh, b)
    assert h[:, 0] == pytest.approx(np.array(LSTM_STEP_NEXT_H), abs=5e-9)
    assert c[:, 0] == pytest.approx(np.array(LSTM_STEP_NEXT_C), abs=5e-9)


def test_lstm_forward() -> None:
    N, D, H, T = 2, 5, 4, 3
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    expected_h = [
        [
            [0.01764008, 0.01823233, 0.01882671, 0.0194232],
            [0.11287491, 0.12146228, 0.13018446, 0.13902939],
            [0.31358768, 0.33338627, 0.35304453, 0.37250975],
        ],
        [
            [0.45767879, 0.4761092, 0.4936887, 0.51041945],
            [0.6704845, 0.69350089, 0.71486014, 0.7346449],
            [0.81733511, 0.83677871, 0.85403753, 0.86935314],
        ],
    ]
    h, _ = lstm_values(x, h0, np.zeros((N, H)), Wx, Wh, b)  # the notebook's c0 is zero
    assert h == pytest.approx(np.array(expected_h), abs=5e-9)


def test_dlai_lstm_backward() -> None:
    """deeplearning.ai "Building your RNN step by step" (2021+ version), exercise 8: lstm_backward.

    Source: YueyangJiang97/Building_a_Recurrent_Neural_Network_Step_by_Step, commit 57f9b06 (the
    notebook's Expected Output; docs/examples/published.md §16). Written in the course's convention:
    x (n_x, m, T_x), a0 (n_a, m), every gate on [a_prev; x] with biases n_a × 1, upstream da. The
    notebook's da covers the first 4 of the 7 steps; the later steps get no upstream gradient (zeros).
    """
    np.random.seed(1)
    x = np.random.randn(3, 10, 7)
    a0 = np.random.randn(5, 10)
    params = {}
    for gate in "fioc":
        params[f"W{gate}"] = np.random.randn(5, 5 + 3)
        params[f"b{gate}"] = np.random.randn(5, 1)
    da = np.random.randn(5, 10, 4)
    problem = Problem(
        convention="dlai",
        preset="lstm",
        x=x.tolist(),
        init={"a": a0.tolist()},
        params={k: v.tolist() for k, v in params.items()},
        upstream=np.concatenate([da, np.zeros((5, 10, 3))], axis=2).tolist(),
    )
    derivation = derive(problem, Settings(), steps=False)
    gradients = {k: np.asarray(v, dtype=float) for k, v in derivation.gradients.items()}
    dx = np.asarray(derivation.input_gradients["x"], dtype=float)
    assert dx[1][2][:4] == pytest.approx([0.00218254, 0.28205375, -0.48292508, -0.43281115], abs=5e-9)
    assert gradients["a0"][2][3] == pytest.approx(0.312770310257, abs=5e-13)
    assert gradients["Wf"][3][1] == pytest.approx(-0.0809802310938, abs=5e-14)
    assert gradients["Wi"][1][2] == pytest.approx(0.40512433093, abs=5e-12)
    assert gradients["Wc"][3][1] == pytest.approx(-0.0793746735512, abs=5e-14)
    assert gradients["Wo"][1][2] == pytest.approx(0.038948775763, abs=5e-13)
    expected_biases = {"bf": -0.15745657, "bi": -0.50848333, "bc": -0.42510818, "bo": -0.17958196}
    for key, value in expected_biases.items():
        assert gradients[key].shape == (5, 1) and gradients[key][4][0] == pytest.approx(value, abs=5e-9)


def test_dlai_lstm_cell_backward() -> None:
    """deeplearning.ai "Building your RNN step by step", lstm_cell_backward: one step with upstream
    gradients on both the state a and the cell c (da_next, dc_next); published.md §16. The expected
    values are the same in the v1-v3 and 2021+ notebooks."""
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    params = {}
    for gate in "fioc":
        params[f"W{gate}"] = np.random.randn(5, 5 + 3)
        params[f"b{gate}"] = np.random.randn(5, 1)
    np.random.randn(2, 5), np.random.randn(2, 1)  # Wy, by: drawn by the notebook, not used backward
    da_next, dc_next = np.random.randn(5, 10), np.random.randn(5, 10)
    problem = Problem(
        convention="dlai",
        preset="lstm",
        x=xt[:, :, None].tolist(),  # one step: x is (n_x, m, T_x) with T_x = 1
        init={"a": a_prev.tolist(), "c": c_prev.tolist()},
        params={k: v.tolist() for k, v in params.items()},
        upstream={"a": da_next[:, :, None].tolist(), "c": dc_next[:, :, None].tolist()},
    )
    derivation = derive(problem, Settings(), steps=False)
    gradients = {k: np.asarray(v, dtype=float) for k, v in derivation.gradients.items()}
    dxt = np.asarray(derivation.input_gradients["x"], dtype=float)[:, :, 0]
    assert dxt.shape == (3, 10) and dxt[1][2] == pytest.approx(3.23055911511, abs=5e-12)
    assert gradients["a0"][2][3] == pytest.approx(-0.0639621419711, abs=5e-14)
    assert gradients["c0"][2][3] == pytest.approx(0.797522038797, abs=5e-13)
    expected = {("Wf", 3, 1): -0.147954838164, ("Wi", 1, 2): 1.05749805523, ("Wc", 3, 1): 2.30456216369}
    expected |= {("Wo", 1, 2): 0.331311595289}
    for (key, i, j), value in expected.items():
        assert gradients[key].shape == (5, 8) and gradients[key][i][j] == pytest.approx(value, abs=5e-12)
    for key, value in {"bf": 0.18864637, "bi": -0.40142491, "bc": 0.25587763, "bo": 0.13893342}.items():
        assert gradients[key][4][0] == pytest.approx(value, abs=5e-9)
