"""GRUs (and a sigmoid RNN cell) whose expected values other people computed and printed: PyTorch's
convention (Arraymancer's reference tests, candle's test of nn.GRU) and CS224n's assignment 3 sanity
checks in its row convention. See docs/examples/published.md §17 and §18 for the sources."""

from __future__ import annotations

import numpy as np
import pytest

from rnncalc.compute.problem import Problem
from rnncalc.compute.run import run


def states(problem: Problem, name: str = "h") -> np.ndarray:
    """The named state of every sequence at every step (steps × sequences × units)."""
    sequences = problem.batch.sequences if problem.batch is not None else (problem,)
    return np.array([run(s).values[name] for s in sequences]).transpose(1, 0, 2)


ARRAYMANCER_W_IH = [
    [0.9, 0.8, 0.7, 0.6], [0.8, 0.7, 0.6, 0.5], [0.7, 0.6, 0.5, 0.4],
    [0.6, 0.5, 0.4, 0.3], [0.5, 0.4, 0.3, 0.2], [0.4, 0.3, 0.2, 0.1],
]  # fmt: skip


def test_arraymancer_gru_cell_printed_by_pytorch() -> None:
    """mratsim/Arraymancer tests/nn_primitives/references/test_nnp_gru_cell.py: nn.GRUCell(4, 2) in double
    precision, its weight_ih, weight_hh and biases set as printed; h' printed to 10 decimals."""
    bias = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    problem = Problem(
        convention="pytorch",
        preset="gru",
        x=[[[0.1, 0.2, 0.3, 0.4], [-0.1, -0.2, -0.3, -0.4], [0.5, 0.6, 0.7, 0.8]]],  # T = 1, N = 3
        h0=[[-1, -1]] * 3,
        params={
            "weight_ih_l0": ARRAYMANCER_W_IH,
            "weight_hh_l0": [[-0.3, -0.1], [-0.2, 0.0]] * 3,
            "bias_ih_l0": bias,
            "bias_hh_l0": [-b for b in bias],
        },
    )
    published = [
        [-0.5317437280, -0.4752916969],
        [-0.3930421219, -0.3209550879],
        [-0.7325259335, -0.6429624731],
    ]
    assert states(problem)[0] == pytest.approx(np.array(published), abs=5e-11)


def test_arraymancer_two_layer_gru_printed_by_pytorch() -> None:
    """The same file's nn.GRU(5, 2, 2): four steps of a batch of 3 through two stacked layers; the output
    (layer 2's h) and the last state of layer 1, printed to 10 decimals."""
    a = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    x = np.array([[a, -a, a + 0.4], [-a, -a, a + 0.4], [a, -a, -a], [-a, -a, -a]])
    w_ih0 = [[0.9 - 0.1 * i - 0.1 * j for j in range(5)] for i in range(6)]
    bias = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    problem = Problem(
        convention="pytorch",
        preset="gru",
        layers=2,
        x=x.tolist(),
        h0=[[[-1, -1]] * 3, [[2, 3]] * 3],
        params={
            "weight_ih_l0": np.round(w_ih0, 10).tolist(),
            "weight_hh_l0": [[-0.3, -0.1], [-0.2, 0.0]] * 3,
            "bias_ih_l0": bias,
            "bias_hh_l0": [-b for b in bias],
            "weight_ih_l1": [[0.5, 0.6], [0.4, 0.5], [0.3, 0.4], [0.2, 0.3], [0.1, 0.2], [0.0, 0.1]],
            "weight_hh_l1": [[-0.4, -0.5], [-0.4, 0.5]] * 3,
            "bias_ih_l1": [0.2, 0.3, 0.4, 0.2, 0.3, 0.4],
            "bias_hh_l1": bias,
        },
    )
    output = [
        [[0.2564464804, 2.4324064858], [0.3212793315, 2.4821776260], [0.1983539289, 2.3849941275]],
        [[0.1323593874, 2.1939630024], [0.1591080583, 2.2447442148], [0.0683269257, 2.1121420346]],
        [[0.1233993158, 1.9977140846], [0.1320258443, 2.0434525564], [0.0904040251, 1.9111566097]],
        [[0.1355803839, 1.8195602154], [0.1369919053, 1.8612790359], [0.1230976350, 1.7381913793]],
    ]
    last_of_layer_1 = [
        [0.0155439572, 0.1680427130],
        [-0.0038861287, 0.1854366532],
        [-0.0549487103, 0.1189245136],
    ]
    assert states(problem, "h2") == pytest.approx(np.array(output), abs=5e-11)
    assert states(problem, "h1")[-1] == pytest.approx(np.array(last_of_layer_1), abs=5e-11)


def test_candle_gru_from_its_pytorch_snippet() -> None:
    """huggingface/candle candle-nn/tests/rnn.rs, fn gru(): nn.GRU(2, 3) with weights cos(arange) and
    sin(arange), x_t = [v, v/2] for v in 3 1 4 1 5 9 2; the last state printed to 4 decimals."""
    bias = np.array([-1, 1, -0.5, 2, -1, 1, -0.5, 2, -1.0])
    problem = Problem(
        convention="pytorch",
        preset="gru",
        x=[[[v, 0.5 * v]] for v in (3, 1, 4, 1, 5, 9, 2)],
        h0=[[0, 0, 0]],
        params={
            "weight_ih_l0": np.cos(np.arange(18).reshape(9, 2)).tolist(),
            "weight_hh_l0": np.sin(np.arange(27).reshape(9, 3)).tolist(),
            "bias_ih_l0": bias.tolist(),
            "bias_hh_l0": np.cos(bias).tolist(),
        },
    )
    assert np.round(states(problem)[-1, 0], 4).tolist() == [0.0579, 0.8836, -0.9991]


CS224N_X = [[0.4, 0.5, 0.6], [0.3, -0.2, -0.1]]
CS224N_H = [[0.2, 0.5], [-0.3, -0.3]]


def test_cs224n_gru_cell_sanity_check() -> None:
    """CS224n (winter 2017) assignment 3, q3_gru_cell.py test_gru_cell: z = σ(x U_z + h W_z + b_z), r
    likewise, o = tanh(x U_o + (r ∘ h) W_o + b_o), h_t = z ∘ h + (1 - z) ∘ o, row vectors: d2l's own GRU.
    U = eye(3, 2), W = eye(2), b = 1; expected h_t printed to 3 decimals (checked with atol 1e-2)."""
    u, w, b = np.eye(3, 2).tolist(), np.eye(2).tolist(), [1, 1]
    names = {"W_xr": u, "W_hr": w, "b_r": b, "W_xz": u, "W_hz": w, "b_z": b, "W_xh": u, "W_hh": w, "b_h": b}
    problem = Problem(convention="d2l", preset="gru", x=[CS224N_X], h0=CS224N_H, params=names)
    assert states(problem)[0] == pytest.approx(np.array([[0.320, 0.555], [-0.006, 0.020]]), abs=5e-4)


def test_cs224n_rnn_cell_sanity_check() -> None:
    """The same assignment's q2_rnn_cell.py test_rnn_cell: h_t = σ(x W_x + h W_h + b), W_x = eye(3, 2),
    W_h = eye(2), b = 1; expected printed to 3 decimals."""
    problem = Problem(
        cell=["h = sigmoid(x*Wx + h_prev*Wh + b)", "y = h"],
        x=[[row] for row in CS224N_X],  # a batch of two sequences of one step
        h0=CS224N_H,
        params={"Wx": np.eye(3, 2).tolist(), "Wh": np.eye(2).tolist(), "b": [1, 1]},
    )
    assert states(problem)[0] == pytest.approx(np.array([[0.832, 0.881], [0.731, 0.622]]), abs=5e-4)
