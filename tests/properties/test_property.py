"""Random problems: the chain rule agrees with finite differences and with SymPy on the unrolled loss."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reference import finite_differences, pre_activations, symbolic_gradients
from strategies import problem_of

from rnncalc import Settings, derive
from rnncalc.cell.functions import ACTIVATIONS
from rnncalc.cell.losses import LOSSES

values = st.fractions(min_value=-2, max_value=2, max_denominator=8)


@st.composite
def problems(draw: st.DrawFn, max_n: int) -> dict:
    n = draw(st.integers(1, max_n))
    return {
        "x": draw(st.lists(values, min_size=n, max_size=n)),
        "g": draw(st.lists(values, min_size=n, max_size=n)),
        "theta": {name: draw(values) for name in ("Wi", "Wh", "a", "b", "c", "h0")},
        "activation": draw(st.sampled_from(list(ACTIVATIONS))),
        "loss": draw(st.sampled_from([name for name, loss in LOSSES.items() if loss.y_range is None])),
    }


def _derive(case: dict):
    return derive(problem_of(case), Settings(), steps=False)


def _away_from_kinks(case: dict) -> bool:
    if not ACTIVATIONS[case["activation"]].kink:
        return True
    floats = {k: float(v) for k, v in case["theta"].items()}
    inputs = [float(v) for v in case["x"]]
    return all(abs(o) > 1e-3 for o in pre_activations(inputs, floats, case["activation"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=10))
def test_chain_rule_matches_finite_differences(case: dict) -> None:
    assume(_away_from_kinks(case))
    theta = {k: float(v) for k, v in case["theta"].items()}
    expected = finite_differences(
        [float(v) for v in case["x"]], [float(v) for v in case["g"]], theta, case["activation"], case["loss"]
    )
    derivation = _derive(case)
    # central differences carry a rounding error of about eps · |L| / step (≈ 1e-10 · |L|): a loss in the
    # thousands leaves ~1e-7 of noise in the oracle itself, so the absolute slack grows with |L|
    slack = 1e-8 + 1e-9 * abs(derivation.loss)
    for name, value in expected.items():
        assert derivation.gradients[name] == pytest.approx(value, rel=1e-6, abs=slack), name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=4))
def test_chain_rule_matches_sympy_on_the_unrolled_loss(case: dict) -> None:
    assume(_away_from_kinks(case))
    expected = symbolic_gradients(
        case["x"],
        case["g"],
        {k: Fraction(v) for k, v in case["theta"].items()},
        case["activation"],
        case["loss"],
    )
    gradients = _derive(case).gradients
    for name, value in expected.items():
        assert gradients[name] == pytest.approx(value, rel=1e-12, abs=1e-14), name


@settings(max_examples=40, deadline=None)
@given(problems(max_n=6), st.integers(2, 8))
def test_hand_rounding_stays_close_to_exact(case: dict, digits: int) -> None:
    assume(case["activation"] != "relu" or _away_from_kinks(case))
    problem = problem_of(case)
    exact = derive(problem, Settings(), steps=False).gradients
    rounded = derive(problem, Settings(round_intermediate=True, digits=digits), steps=False).gradients
    scale = max(1.0, *(abs(v) for v in exact.values()))
    for name in exact:
        assert abs(rounded[name] - exact[name]) <= 10 ** -(digits - 3) * scale * len(case["x"]) ** 2
