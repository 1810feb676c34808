"""Kinks (relu, leaky_relu, abs) are decided on exact values, so an exact 0 is never read as 5.6e-17;
and the activation registry is covered by the independent reference."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncalc import Problem, Settings, check, derive
from rnncalc.cell.functions import ACTIVATIONS
from rnncalc.cell.losses import LOSSES

ISSUE_CASE = {"x": ["0.1"], "h0": "0.2", "params": {"b": "-0.3", "c": 0}, "g": [1]}


def test_every_registry_activation_has_an_independent_reference() -> None:
    assert set(ACTIVATIONS) <= set(reference.ACTIVATIONS)
    assert set(LOSSES) <= set(reference.WEIGHTS)
    assert {name for name, f in ACTIVATIONS.items() if f.kink} <= set(reference.PIECEWISE)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_the_exact_zero_of_the_issue_gets_the_documented_derivative(activation: str) -> None:
    # o_1 = 0.1·1 + 1·0.2 - 0.3 is exactly 0 (5.6e-17 in floating point)
    problem = Problem(**ISSUE_CASE, activation=activation)
    x, theta = (
        [Fraction("0.1")],
        {"Wi": 1, "Wh": 1, "a": 1, "b": Fraction("-0.3"), "c": 0, "h0": Fraction("0.2")},
    )
    expected = reference.exact_gradients(x, [1], theta, activation)
    gradients = derive(problem).gradients
    for name, value in expected.items():
        assert gradients[name] == pytest.approx(float(value), rel=1e-12, abs=1e-15), name
    assert check(problem).ok


def test_exact_mode_agrees_with_itself_at_the_kink(cli) -> None:
    args = ["grads", "--show-steps", "--exact", "--activation", "relu", "--x", "0.1", "--h0", "0.2"]
    code, out, _ = cli(*args, "--b", "-0.3", "--c", "0", "--g", "1")
    line = next(line for line in out.splitlines() if "dh_1/do_1" in line.split(" = ")[0])
    assert code == 0 and line.endswith("= 0"), line


small = st.fractions(min_value=-1, max_value=1, max_denominator=4)


@settings(max_examples=120, deadline=None)
@given(
    st.integers(1, 6).flatmap(lambda n: st.tuples(st.lists(small, min_size=n, max_size=n), st.just(n))),
    st.fixed_dictionaries({k: small for k in ("Wi", "Wh", "a", "b", "c", "h0")}),
    st.sampled_from(sorted(reference.PIECEWISE)),
    st.sampled_from([name for name, loss in LOSSES.items() if loss.y_range is None]),
)
def test_piecewise_linear_cells_match_exact_rational_gradients(xn, theta, activation, loss) -> None:
    x, n = xn
    g = [Fraction(1, 2)] * n
    problem = Problem(
        x=x,
        g=g,
        h0=theta["h0"],
        params={k: v for k, v in theta.items() if k != "h0"},
        activation=activation,
        loss=loss,
    )
    expected = reference.exact_gradients(x, g, theta, activation, loss)
    derivation = derive(problem, Settings(), method="both")
    for name, value in expected.items():
        assert derivation.gradients[name] == pytest.approx(float(value), rel=1e-12, abs=1e-14), name
        assert derivation.backward_gradients[name] == pytest.approx(float(value), rel=1e-12, abs=1e-14), name


@pytest.mark.parametrize(
    "args",
    [
        ["grads", "--blank", "-f", "json", "--method", "both"],
        ["grads", "--show-steps", "--blank", "--exact", "-f", "json"],
        ["forward", "--blank", "--exact", "-f", "json"],
    ],
)
def test_exercise_sheets_leak_no_answer_in_json(cli, args: list[str]) -> None:
    code, out, _ = cli(*args)
    data = json.loads(out)
    given = {"x", "g", "h0", "params", "problem", "settings", "n", "digits"}
    leaks = []

    def walk(value: object, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, str(key)))
        elif isinstance(value, list):
            for item in value:
                walk(item, path)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and not given & set(path):
            if path[-1] not in ("t", "x") and "known" not in path:
                leaks.append("/".join(path))

    for section in data.get("derivation", []):
        if section["key"] == "known":
            continue
        for step in section["steps"]:
            assert step["value"] is None and "exact" not in step, step
    walk({k: v for k, v in data.items() if k != "derivation"}, ())
    assert code == 0 and not leaks, leaks


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_works_in_every_command(cli, activation: str) -> None:
    for args in (
        ["grads", "--show-steps", "--exact"],
        ["grads", "--method", "both", "-f", "markdown"],
        ["check"],
        ["graph"],
        ["train", "--epochs", "2"],
        ["grads", "--show-steps", "--exact", "-f", "latex"],
    ):
        code, out, err = cli(*args, "--activation", activation)
        assert code == 0 and out and not err, (args, err)
