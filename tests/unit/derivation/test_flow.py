"""--flow: the gradient through time, checked against the recurrence itself (a change in h_k carried to
h_n by finite differences), with the vanishing and exploding cases named."""

from __future__ import annotations

import html
import math

import numpy as np
import pytest

from rnncalc import Problem, Settings, derive


def reach_by_differences(x: list[float], wi: float, wh: float, b: float, h0: float, k: int, act) -> float:
    """∂h_n/∂h_k by central differences of the plain recurrence started again from h_k."""
    states = [h0]
    for xt in x:
        states.append(act(wi * xt + wh * states[-1] + b))

    def h_n(hk: float) -> float:
        h = hk
        for xt in x[k:]:
            h = act(wi * xt + wh * h + b)
        return h

    step = 1e-6
    return (h_n(states[k] + step) - h_n(states[k] - step)) / (2 * step)


@pytest.mark.parametrize(
    ("activation", "act"), [("tanh", math.tanh), ("sigmoid", lambda z: 1 / (1 + math.exp(-z)))]
)
def test_reach_matches_the_recurrence(activation: str, act) -> None:
    x = [1.0, -0.5, 0.25, 2.0, 0.0]
    problem = Problem(x=x, params={"Wi": "0.7", "Wh": "1.3", "b": "-0.2"}, h0="0.1", activation=activation)
    d = derive(problem, Settings(flow=True))
    reach = {s.target.name.text: s.target.value for s in d.section("flow").steps}
    for k in range(1, 6):
        expected = reach_by_differences(x, 0.7, 1.3, -0.2, 0.1, k, act)
        assert reach[f"∂h_5/∂h_{k}"] == pytest.approx(expected, rel=1e-6, abs=1e-10)


def test_shares_add_up_to_one_and_match_the_deltas() -> None:
    d = derive(Problem(x=[1, 0, 1, 1]), Settings(flow=True), method="backward")
    shares = [s for s in d.section("shares").steps if "dW_h" in s.target.name.text]
    assert sum(s.target.value for s in shares) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("problem", "word"),
    [
        (Problem(x=[1] * 12), "vanishes"),
        (Problem(x=[1] * 8, activation="identity", params={"Wh": 3}), "explodes"),
        (Problem(x=[1, 0], activation="identity", params={"Wh": "0.5"}), "Neither vanishing nor exploding"),
    ],
)
def test_the_note_names_vanishing_and_exploding(problem: Problem, word: str) -> None:
    note = derive(problem, Settings(flow=True)).section("flow").note
    assert note and word in note


def test_flow_in_every_format(cli) -> None:
    for fmt in ("rich", "markdown", "latex", "json"):
        code, out, _ = cli("grads", "--show-steps", "--flow", "--x", *["1"] * 12, "-f", fmt)
        assert code == 0 and "vanishes" in out, fmt
    _, out, _ = cli("grads", "--show-steps", "--flow", "--x", *["1"] * 12)
    assert "████" in out


def test_flow_latex_compiles(cli, tmp_path) -> None:
    from latex import compile_latex

    _, out, _ = cli("grads", "--show-steps", "--flow", "--x", *["1"] * 6, "-f", "latex")
    compile_latex(out, tmp_path)


def test_a_flow_sheet_gives_nothing_away(cli) -> None:
    code, out, _ = cli("grads", "--show-steps", "--flow", "--blank", "--x", *["1"] * 8)
    flow = out.split("The gradient through time")[1]
    assert code == 0 and "vanishes" not in flow and "█" not in flow


def test_forward_method_defines_the_deltas_its_shares_use(cli) -> None:
    _, out, _ = cli("grads", "--show-steps", "--flow", "--x", "1", "0.5", "2", "--g", "_", "_", "0.7")
    assert out.index("Deltas, backward in time") < out.index("share of step 1 in dW_i = (δ_1 · ∂o_1/∂W_i)")


def test_the_last_step_without_a_target_has_a_zero_delta(cli) -> None:
    _, out, _ = cli(
        "grads", "--show-steps", "--method", "backward", "--x", "1", "0.5", "2", "--g", "0.7", "_", "_"
    )
    assert "δ_3 = 0 · dh_3/do_3 = 0 · " in out and "()" not in out


VECTOR = dict(
    x=[[0.5, -1.0], [0.3, 0.8], [-0.6, 0.2], [1.0, 0.4]],
    params={"Wi": [[0.7, -0.4], [0.2, 0.9]], "Wh": [[1.1, -0.6], [0.5, 0.8]], "b": [0.1, -0.2]},
    h0=[0.3, -0.1],
    g=[1, 0, 2, 1],
)


def vector_reach_by_differences(k: int) -> np.ndarray:
    """∂h_4/∂h_k (a 2 × 2 matrix) by central differences of a NumPy recurrence started again from h_k."""
    p = {name: np.array(value) for name, value in VECTOR["params"].items()}
    xs = [np.array(x) for x in VECTOR["x"]]
    states = [np.array(VECTOR["h0"])]
    for x in xs:
        states.append(np.tanh(p["Wi"] @ x + p["Wh"] @ states[-1] + p["b"]))

    def h_n(h: np.ndarray) -> np.ndarray:
        for x in xs[k:]:
            h = np.tanh(p["Wi"] @ x + p["Wh"] @ h + p["b"])
        return h

    columns = []
    for j in range(2):
        step = np.eye(2)[j] * 1e-6
        columns.append((h_n(states[k] + step) - h_n(states[k] - step)) / 2e-6)
    return np.array(columns).T


def test_vector_reach_is_the_product_of_jacobians_the_recurrence_has() -> None:
    d = derive(Problem(**VECTOR, activation="tanh"), Settings(flow=True))
    reach = {s.target.name.text: np.array(s.target.value) for s in d.section("flow").steps}
    for k in range(1, 5):
        assert reach[f"∂h_4/∂h_{k}"] == pytest.approx(vector_reach_by_differences(k), rel=1e-6, abs=1e-9)
    largest = np.linalg.norm(vector_reach_by_differences(1), 2)
    assert f"at most {largest:.3g}" in d.section("flow").note


def test_vector_shares_are_projections_that_add_up_to_one() -> None:
    d = derive(Problem(**VECTOR, activation="tanh"), Settings(flow=True))
    shares = d.section("shares").steps
    for p in ("W_i", "W_h", "db"):
        mine = [s for s in shares if s.target.name.text.endswith(p if p == "db" else "d" + p)]
        assert len(mine) == 4 and sum(s.target.value for s in mine) == pytest.approx(1.0, rel=1e-12)


def test_vector_flow_in_every_format(cli) -> None:
    args = ["grads", "--flow", "--x", "[[1, 0], [0, 1], [1, 1]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]"]
    for fmt in ("rich", "markdown", "latex", "json", "html"):
        code, out, err = cli(*args, "-f", fmt)
        out = html.unescape(out).replace("\\langle", "⟨")
        assert code == 0 and "at most" in out and "⟨" in out, (fmt, err)


def test_a_gated_cells_reach_is_not_named_like_its_own_partial() -> None:
    d = derive(Problem(x=[1, 0, 1], preset="gru"), Settings(flow=True))
    flow = d.section("flow").steps
    assert [s.target.name.text for s in flow] == ["dh_3/dh_3", "dh_3/dh_2", "dh_3/dh_1"]
    assert "∂h_3/∂h_2" in str(flow[1].rule)  # the cell's own partial, one path of four


def test_bars_stand_in_one_column_on_a_stated_scale(cli) -> None:
    _, out, _ = cli("grads", "--flow", "--x", *["1"] * 6, "--width", "0")
    shares = [line for line in out.splitlines() if "share of step" in line and "in dW_i" in line]
    values = [float(line.rsplit("= ", 1)[1]) for line in shares]
    lengths = [len(line.split()[0]) for line in shares]
    assert len({line.index("share of step") for line in shares}) == 1  # one column
    for value, length in zip(values, lengths):  # linear: in proportion to the largest share
        assert abs(length - 24 * value / max(values)) <= 0.5 + 1e-9
    reach = [line for line in out.splitlines() if "∂h_6/∂h_" in line.split("=")[0]]
    decades = [math.log10(float(line.rsplit("= ", 1)[1])) for line in reach]
    for line, decade in zip(reach, decades):  # log: two characters per factor of ten below the longest
        assert abs(len(line.split()[0]) - (24 - 2 * (max(decades) - decade))) <= 0.5 + 1e-9
    assert "Bars: a linear scale" in out and "Bars: a log scale" in out
