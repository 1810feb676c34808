"""Published worked examples reproduced: numbers someone else computed are the best oracle.

Sources and the mapping onto rnncalc's model are in docs/examples/published.md. Each published number
is compared to the digits it was published with; where the publication is wrong, the test says where.
"""

from __future__ import annotations

import pytest
from reference import close

from rnncalc import Problem, Settings, derive


def test_tiny_rnn_with_half_sse_bengali_note() -> None:
    # x = 1, 2, 3; targets 0.5, 1.0, 1.5; W_xh = 0.5, W_hh = 0.1, W_hy = 1, no biases, tanh,
    # L = 1/2 Σ (y - t)^2
    problem = Problem(
        x=[1, 2, 3],
        g=["0.5", "1.0", "1.5"],
        params={"Wi": "0.5", "Wh": "0.1", "a": 1, "b": 0, "c": 0},
        activation="tanh",
        loss="half-sse",
    )
    d = derive(problem, Settings(), method="both")
    forward = d.forward
    for row, a, h in zip(forward, ("0.5000", "1.0462", "1.5780"), ("0.4621", "0.7803", "0.9183")):
        assert close(row.o, a) and close(row.h, h)
    assert close(d.loss, "0.1940")
    deltas = {s.target.name.text: s.target.value for s in d.section("deltas").steps}
    for name, published in (("δ_3", "-0.09117"), ("δ_2", "-0.08948"), ("δ_1", "-0.03683")):
        assert close(deltas[name], published), name
    assert close(d.gradients["Wi"], "-0.48930")
    assert close(d.gradients["Wh"], "-0.11249")
    assert close(d.gradients["a"], "-0.72310")
    for name, start, published in (("Wi", 0.5, "0.54893"), ("Wh", 0.1, "0.11125"), ("a", 1.0, "1.07231")):
        assert close(start - 0.1 * d.gradients[name], published)  # the published update with lr = 0.1


def test_many_to_one_tanh_only_torch_reference() -> None:
    # h_t = tanh(h_{t-1} + x_t · w_scale), y = w_out · h_3, loss (y_3 - 1)^2 at the last step only
    problem = Problem(
        x=[1, 0, 1],
        g=[None, None, 1],
        params={"Wi": 1, "Wh": 1, "a": 1, "b": 0, "c": 0},
        activation="tanh",
        loss="mse",
    )
    d = derive(problem)
    for row, published in zip(d.forward, (0.76159418, 0.64201498, 0.92775375)):
        assert row.h == pytest.approx(published, rel=1e-7)  # float32 in the source
    assert d.loss == pytest.approx(0.00521952, rel=1e-6)
    # published from float32 PyTorch: agree to 7 significant digits (float32's precision)
    assert d.gradients["Wi"] == pytest.approx(-0.02509185, rel=2e-6)
    assert d.gradients["a"] == pytest.approx(-0.13405347, rel=2e-6)


def test_pytorch_forum_autograd_values_and_the_hand_slip() -> None:
    # h_1 = tanh(w_h · h_0), h_2 = tanh(w_h · h_1), y_2 = w_y · h_2 with h_0 = 0.5, w_h = 2, w_y = 40
    params = {"Wi": 0, "Wh": 2, "a": 40, "b": 0, "c": 0}
    first = derive(
        Problem(x=[0, 0], g=[None, 0], h0="0.5", params=params, activation="tanh", loss="half-sse")
    )
    y2 = first.forward[1].y  # with g_2 = y_2 - 1, dL/dθ = (y_2 - g_2) · dy_2/dθ = dy_2/dθ
    d = derive(
        Problem(x=[0, 0], g=[None, y2 - 1], h0="0.5", params=params, activation="tanh", loss="half-sse")
    )
    assert close(d.gradients["Wh"], "8.1888") and close(d.gradients["a"], "0.9093")  # autograd, as posted
    # the post's by-hand -40.2153 used 1 - a^2 (a the pre-activation) for tanh' instead of 1 - tanh(a)^2:
    h1 = first.forward[0].h
    a1, a2 = 2 * 0.5, 2 * h1
    slip = 40 * (1 - a2**2) * (h1 + 2 * (1 - a1**2) * 0.5)
    right = 40 * (1 - first.forward[1].h ** 2) * (h1 + 2 * (1 - h1**2) * 0.5)
    assert close(slip, "-40.2153") and right == pytest.approx(d.gradients["Wh"], rel=1e-12)


def test_prachub_walkthrough_is_wrong_from_h2_on() -> None:
    # published: h_2 = tanh(1.04621) ≈ 0.7790 and everything after it; the exact value is 0.780329
    problem = Problem(
        x=[1, 2],
        g=[1, 2],
        params={"Wi": "0.5", "Wh": "0.1", "a": 2, "b": 0, "c": 0},
        activation="tanh",
        loss="half-sse",
    )
    d = derive(problem, Settings(), method="both")
    assert close(d.forward[0].h, "0.4621") and close(d.forward[0].y, "0.9242")  # right as published
    assert close(d.forward[1].o, "1.04621")
    assert not close(d.forward[1].h, "0.7790") and close(d.forward[1].h, "0.780329")  # the published slip
    assert not close(d.loss, "0.1007") and close(d.loss, "0.099381")
    deltas = {s.target.name.text: s.target.value for s in d.section("deltas").steps}
    assert close(deltas["δ_2"], "-0.343641")  # published -0.3475 from the wrong h_2
