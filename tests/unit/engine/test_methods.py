"""Two derivations of the same gradients: forward in time (the worked example's), backward (BPTT deltas)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from strategies import problems

from rnncalc import Problem, Settings, derive
from rnncalc.derivation.formula import evaluate


@settings(max_examples=150, deadline=None)
@given(problems(max_n=12, max_denominator=8))
def test_forward_and_backward_give_the_same_gradients(problem: Problem) -> None:
    both = derive(problem, Settings(), steps=False, method="both")
    assert both.backward_gradients is not None and both.methods_agree
    for key, value in both.gradients.items():
        assert both.backward_gradients[key] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_backward_steps_are_their_rules_evaluated() -> None:
    derivation = derive(Problem(x=[1, -1, Fraction(1, 2)], g=[0, 1, 0], activation="tanh"), method="both")
    checked = 0
    for step in derivation.steps():
        if step.rule is not None and not step.definition:
            assert evaluate(step.shown_working) == pytest.approx(step.target.value, rel=1e-12, abs=1e-15)
            checked += 1
    assert checked > 50


def test_deltas_run_backward_in_time(cli) -> None:
    _, out, _ = cli("grads", "--show-steps", "--method", "backward")
    deltas = out.split("Deltas, backward in time")[1]
    assert deltas.index("δ_2 = ") < deltas.index("δ_1 = ")
    assert "δ_1 = (dL_1/dy_1 · dy_1/dh_1 + δ_2 · do_2/dh_1) · dh_1/do_1" in deltas
    assert "Derivatives through time" not in out


def test_both_closes_with_agreement(cli) -> None:
    code, out, _ = cli("grads", "--show-steps", "--method", "both")
    assert code == 0 and "Forward and backward agree" in out and "(backward)" in out
    data = json.loads(cli("grads", "--method", "both", "-f", "json")[1])
    assert data["method"] == "both" and data["methods_agree"] is True
    assert data["gradients_backward"].keys() == data["gradients"].keys()


def test_hand_rounded_methods_agree_to_rounding() -> None:
    both = derive(settings=Settings(round_intermediate=True), method="both")
    assert both.methods_agree
