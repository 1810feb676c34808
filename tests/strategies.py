"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

from rnncalc import Problem
from rnncalc.cell.functions import ACTIVATIONS
from rnncalc.cell.losses import LOSSES


@st.composite
def problems(draw: st.DrawFn, max_n: int, max_denominator: int = 8) -> Problem:
    """A random problem of the built-in cell: length, sequence, parameters, activation, loss."""
    values = st.fractions(min_value=-2, max_value=2, max_denominator=max_denominator)
    n = draw(st.integers(1, max_n))
    return Problem(
        x=draw(st.lists(values, min_size=n, max_size=n)),
        g=draw(st.lists(values, min_size=n, max_size=n)),
        h0=draw(values),
        params={p: draw(values) for p in ("Wi", "Wh", "a", "b", "c")},
        activation=draw(st.sampled_from(list(ACTIVATIONS))),
        loss=draw(st.sampled_from([name for name, loss in LOSSES.items() if loss.y_range is None])),
    )


def problem_of(case: dict) -> Problem:
    """The Problem of a drawn case: x, g, theta (the parameters and h0), activation, loss."""
    theta = case["theta"]
    return Problem(
        x=case["x"],
        g=case["g"],
        h0=theta["h0"],
        params={k: v for k, v in theta.items() if k != "h0"},
        activation=case["activation"],
        loss=case["loss"],
    )
