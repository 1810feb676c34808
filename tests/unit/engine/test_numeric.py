"""Numerical safety: extreme but finite inputs give finite, correct values; JSON round-trips."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import symbolic_gradients

from rnncalc import Problem, Settings, derive
from rnncalc.cell.functions import ACTIVATIONS


@pytest.mark.parametrize(
    ("x", "params", "activation"),
    [
        ([-5, 1], {"Wi": 1000}, "sigmoid"),
        ([1, 0], {"b": -800}, "sigmoid"),
        ([1, 0], {"b": 800}, "sigmoid"),
        ([3, -3], {"Wi": 500, "Wh": -2}, "tanh"),
        ([-5, 1], {"Wi": 1000}, "relu"),
    ],
)
def test_saturated_activations_stay_finite_and_correct(x, params, activation) -> None:
    derivation = derive(Problem(x=x, params=params, activation=activation))
    theta = {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0} | params
    expected = symbolic_gradients(x, [1] * len(x), theta, activation, digits=60)
    for name, value in derivation.gradients.items():
        assert math.isfinite(value)
        # Saturated derivatives such as 1 - h^2 with h = 1.0 lose everything below double precision
        # relative to the loss: compare with an absolute floor far below anything printed.
        assert value == pytest.approx(expected[name], rel=1e-12, abs=1e-13)


def test_exact_mode_keeps_saturated_values_symbolic(cli) -> None:
    code, out, _ = cli("forward", "--b", "-800", "--exact")
    assert code == 0 and "1/(1 + e^(799))" in out


def _from_json(data: dict) -> Problem:
    problem = data["problem"]
    return Problem(
        x=problem["x"],  # floats are read as their shortest decimal, as typed
        g=problem["g"],
        h0=problem["h0"],
        params=problem["params"],
        activation=problem["activation"],
        loss=problem["loss"],
    )


values = st.floats(min_value=-3, max_value=3, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(values, min_size=n, max_size=n), st.lists(values, min_size=n, max_size=n)
        )
    ),
    st.sampled_from(list(ACTIVATIONS)),
    st.booleans(),
)
def test_json_round_trips(xg, activation, show_steps) -> None:
    x, g = xg
    first = derive(
        Problem(x=[Fraction(str(v)) for v in x], g=[Fraction(str(v)) for v in g], activation=activation),
        Settings(),
        steps=show_steps,
    )
    text = first.to_json()
    data = json.loads(text)
    again = derive(_from_json(data), Settings(), steps=show_steps)
    assert again.to_json() == text
    assert data["gradients"] == first.gradients


def test_hand_rounding_rounds_ties_of_the_written_decimals_half_up() -> None:
    """0.7 · 0.35 is 0.245 on paper (0.24499999999999997 in binary): half up gives 0.25, and so does
    rnncalc's hand rounding; half-even or the binary value would give 0.24."""
    from decimal import ROUND_HALF_UP, Decimal

    from rnncalc import Problem, Settings, derive

    on_paper = (Decimal("0.7") * Decimal("0.35")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    problem = Problem(cell=("o = Wi*x", "h = o", "y = a*h"), x=["0.7"], g=[1], params={"Wi": "0.35", "a": 1})
    derivation = derive(problem, Settings(digits=2, round_intermediate=True))
    assert derivation.columns.values["o"][0] == float(on_paper) == 0.25
