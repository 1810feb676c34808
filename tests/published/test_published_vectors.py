"""Published vector-RNN examples with printed gradients, reproduced (docs/examples/published.md §12-14).

The deeplearning.ai notebooks draw their problems from NumPy's legacy seeded stream (``np.random.seed(1)``,
``randn``), which NumPy keeps fixed (NEP 19), so the tests rebuild each problem bit for bit; the
numbers compared are the ones the notebooks print, quoted here, not rnncalc's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncalc.compute.problem import Problem as VectorProblem
from rnncalc.compute.run import run


def problem(x, g, h0, Wi, Wh, b, a, c, loss: str) -> VectorProblem:
    """A tanh vector problem from NumPy arrays (rows of x are the steps)."""
    params = {"Wi": Wi, "Wh": Wh, "b": np.ravel(b), "a": a, "c": np.ravel(c)}
    return VectorProblem(
        x=np.asarray(x).tolist(),
        g=g,
        h0=None if h0 is None else np.ravel(h0).tolist(),
        params={k: np.asarray(v).tolist() for k, v in params.items()},
        activation="tanh",
        loss=loss,
    )


def dinosaur_island():
    """C5W1A2 'Dinosaurus Island', optimize() test: H = 100, 27 characters, 6 steps, softmax + CE."""
    np.random.seed(1)
    a_prev = np.random.randn(100, 1)
    Wax, Waa, Wya = np.random.randn(100, 27), np.random.randn(100, 100), np.random.randn(27, 100)
    b, by = np.random.randn(100, 1), np.random.randn(27, 1)
    X, Y = [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26]
    return problem(np.eye(27)[X], Y, a_prev, Wax, Waa, b, Wya, by, "softmax-ce")


def test_dinosaur_island_optimize() -> None:
    trace = run(dinosaur_island())
    n = 6  # the notebook's loss is the sum over the steps, rnncalc's softmax-ce their mean
    grads = {k: n * v for k, v in trace.gradients.items()}
    assert n * trace.loss == pytest.approx(126.503975722, abs=5e-10)
    assert grads["Wh"][1][2] == pytest.approx(0.194709315347, abs=5e-13)
    assert grads["a"][1][2] == pytest.approx(-0.007773876032, abs=5e-13)
    assert grads["b"][4] == pytest.approx(-0.06809825, abs=5e-9)
    assert grads["c"][1] == pytest.approx(0.01538192, abs=5e-9)
    assert trace.values["h"][-1][4] == pytest.approx(-1.0, abs=5e-9)
    # argmax(dWax) = 93 holds for the gradient the notebook returns: clipped to [-5, 5] first
    assert np.argmax(np.clip(grads["Wi"], -5, 5)) == 93
    assert np.argmax(grads["Wi"]) != 93


def upstream_problems(x, a0, Wax, Waa, ba, da, last_only: bool = False):
    """rnn_backward's given upstream gradients da_t as a loss: half-SSE with y = I h and g_t = h_t - da_t,
    so dL/dh_t = da_t; one problem per column of the batch (the notebook sums the columns)."""
    hidden, batch, steps = da.shape
    for i in range(batch):
        h, g = a0[:, i], []
        for t in range(steps):
            h = np.tanh(Waa @ h + Wax @ x[:, i, t] + ba.ravel())
            g.append((h - da[:, i, t]).tolist() if not last_only or t == steps - 1 else "_")
        yield problem(x[:, i, :].T, g, a0[:, i], Wax, Waa, ba, np.eye(hidden), np.zeros(hidden), "half-sse")


def rnn_backward_test(last_only: bool = False):
    """C5W1A1 'Building your RNN step by step', rnn_backward test: dx[1][2], da0[2][3], dWax[3][1], ..."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    Wax, Waa, _Wya = np.random.randn(5, 3), np.random.randn(5, 5), np.random.randn(2, 5)
    ba, _by = np.random.randn(5, 1), np.random.randn(2, 1)
    da = np.random.randn(5, 10, 4)
    traces = [run(p, every_adjoint=True) for p in upstream_problems(x, a0, Wax, Waa, ba, da, last_only)]
    total = {k: sum(t.gradients[k] for t in traces) for k in ("Wi", "Wh", "b")}
    dx_1_2 = np.array(traces[2].input_gradients["x"]).T  # dL/dx_t, column t of batch item 2
    return total, traces[3].gradients["h0"], dx_1_2[1]


def test_rnn_backward_by_upstream_gradients() -> None:
    total, da0, dx = rnn_backward_test()
    assert dx == pytest.approx([-2.07101689, -0.59255627, 0.02466855, 0.01483317], abs=5e-9)
    assert da0[2] == pytest.approx(-0.314942375127, abs=5e-13)
    assert total["Wi"][3][1] == pytest.approx(11.2641044965, abs=5e-11)
    assert total["Wh"][1][2] == pytest.approx(2.30333312658, abs=5e-11)
    assert total["b"][4] == pytest.approx(-0.74747722, abs=5e-9)


def test_a_copy_that_keeps_only_the_last_upstream_gradient_is_the_many_to_one_gradient() -> None:
    # the numbers a write-up of the same notebook prints, whose rnn_backward passes only da[:, :, -1]
    total, da0, dx = rnn_backward_test(last_only=True)
    assert dx == pytest.approx([0.04036334, 0.01590669, 0.00395097, 0.01483317], abs=5e-9)
    assert da0[2] == pytest.approx(-0.000705301629139, abs=5e-15)
    assert total["Wi"][3][1] == pytest.approx(8.45242637129, abs=5e-11)
    assert total["Wh"][1][2] == pytest.approx(1.27076517994, abs=5e-11)
    assert total["b"][4] == pytest.approx(-0.50815277, abs=5e-9)


HELL = {  # zhou1126/Marquette_teaching_finance, class9_rnn.ipynb: the weights as printed, 8 decimals
    "Wi": [
        [0.13309074, 0.17127598, -0.15813858, -0.04525709],
        [-0.09057376, -0.14782509, 0.06502781, 0.14093142],
        [0.04669049, 0.01720516, 0.03336642, 0.1781491],
        [-0.07548864, -0.02664684, 0.11772184, -0.07503803],
    ],
    "Wh": [
        [0.07809908, -0.13063158, 0.05358797, 0.05681267],
        [0.01768576, 0.15217173, 0.23846673, 0.09969253],
        [0.09635959, 0.06631399, -0.17052794, 0.00988055],
        [0.01199125, -0.01561548, 0.10577997, 0.10847363],
    ],
    "a": [
        [0.0247689, -0.11553708, 0.21316413, 0.08569605],
        [-0.05522459, -0.0882109, 0.00430406, -0.00389115],
        [0.17101969, -0.2330526, -0.04581541, 0.06289344],
        [0.07365608, 0.006953, 0.08645168, 0.14256647],
    ],
}


def hell_to_ello() -> VectorProblem:
    """'hell' -> 'ello': one-hot h, e, l, l in, classes e, l, l, o out (docs/examples/vector-hello.toml)."""
    x = np.eye(4)[[0, 1, 2, 2]]
    return problem(x, [1, 2, 2, 3], None, HELL["Wi"], HELL["Wh"], [0] * 4, HELL["a"], [0] * 4, "softmax-ce")


def test_hell_to_ello_forward_pass_and_output_layer() -> None:
    trace = run(hell_to_ello())
    assert trace.value("h", 1) == pytest.approx([0.13231045, -0.09032689, 0.04665659, -0.07534557], abs=5e-9)
    assert trace.softmax[3] == pytest.approx([0.25212182, 0.25205417, 0.24162498, 0.25419902], abs=5e-9)
    assert 4 * trace.loss == pytest.approx(5.5276, abs=5e-5)  # "Epoch 0, Loss: 5.5276", a sum
    # the output bias after one update with rate 0.1 (printed at epoch 1): b_y = -0.1 · 4 · dL/dc
    published = [-1.00477680e-01, 6.19678193e-04, 9.98898921e-02, -3.18899708e-05]
    assert -0.1 * 4 * trace.gradients["c"] == pytest.approx(published, rel=5e-9)


def test_hell_to_ello_recurrent_update_is_truncated_not_bptt() -> None:
    # the notebook backpropagates one step only (its comment: "not through time here"): its b_h update
    # equals δ_t = (1 - h_t²) ⊙ W_hyᵀ dy_t summed without the W_hhᵀ δ_{t+1} term, not the true gradient
    trace = run(hell_to_ello())
    published_bh = np.array([0.01409863, -0.01151364, -0.0259635, -0.00240078])
    Wy = np.array(HELL["a"])
    truncated = sum((1 - trace.value("h", t + 1) ** 2) * (Wy.T @ (4 * trace.dL_dy[t])) for t in range(4))
    assert -0.1 * truncated == pytest.approx(published_bh, abs=5e-9)
    assert np.max(np.abs(-0.1 * 4 * trace.gradients["b"] - published_bh)) > 1e-3
