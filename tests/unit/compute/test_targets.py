"""Targets at chosen steps: --g _ _ 0.7 is many-to-one; the loss, every derivation and every check agree
with an independent reference that simply skips the steps without a target."""

from __future__ import annotations

from fractions import Fraction

import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import problem_of

from rnncalc import Problem, Settings, check, derive
from rnncalc.cell.functions import ACTIVATIONS
from rnncalc.cell.losses import LOSSES

values = st.fractions(min_value=-2, max_value=2, max_denominator=8)


@st.composite
def many_to_some(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 6))
    g = draw(
        st.lists(st.one_of(st.none(), values), min_size=n, max_size=n).filter(
            lambda g: any(v is not None for v in g)
        )
    )
    return {
        "x": draw(st.lists(values, min_size=n, max_size=n)),
        "g": g,
        "theta": {k: draw(values) for k in ("Wi", "Wh", "a", "b", "c", "h0")},
        "activation": draw(st.sampled_from([a for a, f in ACTIVATIONS.items() if not f.kink])),
        "loss": draw(st.sampled_from([name for name, loss in LOSSES.items() if loss.y_range is None])),
    }


@settings(max_examples=60, deadline=None)
@given(many_to_some())
def test_gradients_skip_the_steps_without_a_target(case: dict) -> None:
    theta = {k: float(v) for k, v in case["theta"].items()}
    g = [None if v is None else float(v) for v in case["g"]]
    expected = reference.finite_differences(
        [float(v) for v in case["x"]], g, theta, case["activation"], case["loss"]
    )
    derivation = derive(problem_of(case), Settings(), method="both")
    assert derivation.loss == pytest.approx(
        reference.loss([float(v) for v in case["x"]], g, theta, case["activation"], case["loss"]),
        rel=1e-12,
        abs=1e-15,
    )
    for name, value in expected.items():
        assert derivation.gradients[name] == pytest.approx(value, rel=1e-6, abs=1e-8), name
        assert derivation.backward_gradients[name] == pytest.approx(
            derivation.gradients[name], rel=1e-12, abs=1e-15
        )


def test_many_to_one_matches_exact_rationals_and_sympy() -> None:
    x, g = [Fraction(1), Fraction(1, 2), Fraction(2)], [None, None, Fraction(7, 10)]
    theta = {"Wi": Fraction(1, 2), "Wh": Fraction(-1, 3), "a": 2, "b": 0, "c": Fraction(1, 4), "h0": 0}
    problem = Problem(
        x=x,
        g=g,
        h0=0,
        params={k: v for k, v in theta.items() if k != "h0"},
        activation="identity",
        loss="half-sse",
    )
    exact = reference.exact_gradients(x, g, theta, "identity", "half-sse")
    symbolic = reference.symbolic_gradients(x, g, theta, "identity", "half-sse")
    gradients = derive(problem).gradients
    for name in reference.NAMES:
        assert gradients[name] == pytest.approx(float(exact[name]), rel=1e-13, abs=1e-15)
        assert gradients[name] == pytest.approx(symbolic[name], rel=1e-12, abs=1e-15)
    assert check(problem).ok


def test_the_derivation_shows_only_the_target_steps_loss(cli) -> None:
    code, out, _ = cli(
        "grads", "--show-steps", "--x", "1", "0.5", "2", "--g", "_", "_", "0.7", "--loss", "half-sse"
    )
    assert code == 0
    assert "L = 1/2 · (y_3 - g_3)^2 = 1/2 · (" in out
    assert "dL_1/dy_1" not in out and "dL_3/dy_3 = y_3 - g_3" in out
    assert "dL/dW_i = dL_3/dW_i = dL_3/dy_3 · dy_3/dh_3 · dh_3/do_3 · do_3/dW_i" in out
    _, both, _ = cli(
        "grads", "--show-steps", "--method", "both", "--x", "1", "0.5", "2", "--g", "_", "_", "0.7"
    )
    assert "δ_1 = (δ_2 · do_2/dh_1) · dh_1/do_1" in both or "δ_1 = δ_2 · do_2/dh_1 · dh_1/do_1" in both


def test_mse_divides_by_the_number_of_targets() -> None:
    one = derive(Problem(x=[1, 0, 1], g=[None, None, 1])).loss
    alone = derive(Problem(x=[1, 0, 1], g=[None, None, 1], loss="sse")).loss
    assert one == pytest.approx(alone)


def test_no_target_at_all_is_an_error(cli) -> None:
    code, _, err = cli("grads", "--x", "1", "2", "--g", "_", "_")
    assert code == 2 and "give at least one target" in err
