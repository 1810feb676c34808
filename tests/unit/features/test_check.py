"""rnncalc check: agrees on random problems, and catches a planted wrong gradient."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from reference import finite_differences
from strategies import problems

import rnncalc.features.check
from rnncalc import Problem
from rnncalc.features.check import check


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=6, max_denominator=4))
def test_check_passes_on_random_problems(problem: Problem) -> None:
    report = check(problem, inputs=True)
    assert report.ok, [r for r in report.rows if not r.ok]
    assert all(r.sympy is not None for r in report.rows)
    assume(report.rows[0].finite_difference is not None)
    assert len(report.rows) == 6 + problem.n


def _planted(monkeypatch: pytest.MonkeyPatch, key: str, factor: float) -> None:
    real_run = rnncalc.features.check.run

    def wrong_run(*args, **kwargs):
        trace = real_run(*args, **kwargs)
        trace.gradients[key] *= factor
        return trace

    monkeypatch.setattr(rnncalc.features.check, "run", wrong_run)


@pytest.mark.parametrize("key", ["Wi", "Wh", "a", "b", "c", "h0"])
def test_check_fails_on_a_planted_wrong_gradient(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    _planted(monkeypatch, key, 1 + 1e-4)
    report = check(Problem(x=[1, 0, 2], activation="tanh"))
    assert not report.ok
    assert [r.key for r in report.rows if not r.ok] == [key]


def test_check_cli_exit_status(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli("check")
    assert code == 0 and "✓" in out and "✗" not in out
    _planted(monkeypatch, "Wh", 1.01)
    code, out, _ = cli("check")
    assert code == 1 and "✗" in out and "DISAGREEMENT" in out
    code, out, _ = cli("check", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and [r["key"] for r in data["rows"] if not r["ok"]] == ["Wh"]


def test_input_gradients_match_an_independent_reference() -> None:
    x, g = [1.0, -0.5, 2.0, 0.25], [0.0, 1.0, 0.5, 1.0]
    report = check(Problem(x=x, g=g, activation="tanh"), inputs=True)
    theta = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}
    from reference import loss

    for i in range(len(x)):
        step = 1e-6
        up, down = list(x), list(x)
        up[i] += step
        down[i] -= step
        expected = (loss(up, g, theta, "tanh") - loss(down, g, theta, "tanh")) / (2 * step)
        assert next(r.chain for r in report.rows if r.key == f"x_{i}") == pytest.approx(expected, rel=1e-6)
    expected_params = finite_differences(x, g, theta, "tanh")
    for row in report.rows[:6]:
        assert row.chain == pytest.approx(expected_params[row.key], rel=1e-7, abs=1e-10)


def test_skips_are_explained() -> None:
    long = check(Problem(x=[1] * 8))
    assert any("SymPy skipped" in note for note in long.notes) and long.ok
    kink = check(Problem(x=[1, 0], params={"b": -1, "Wi": 1, "Wh": 0}, activation="relu"))
    assert any("kink" in note for note in kink.notes) and kink.ok


def test_sympy_at_a_kink_of_abs_is_skipped_with_a_reason(cli) -> None:
    # abs'(z) is z/|z| to SymPy: at z = 0 exactly it divides by 0
    cell = ("--cell", "s = relu(w*x + u*s_prev)", "--cell", "y = v*abs(s - 1) + c")
    code, out, err = cli("check", *cell, "--x", "1", "0", "-1")
    assert code == 0 and err == "" and "SymPy skipped: its derivative is undefined here" in out


@pytest.mark.parametrize(("x", "activation"), [("-800", "sigmoid"), ("800", "softplus")])
def test_a_saturated_unit_is_no_disagreement(cli, x: str, activation: str) -> None:
    # PyTorch's float64 formulas overflow at exp(800); rnncalc's stable forms do not: no false ✗
    code, out, _ = cli("check", "--x", x, "--wi", "1", "--wh", "0", "--b", "0", "--activation", activation)
    assert code == 0 and "all agree" in out
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    assert "PyTorch skipped: its float64 formulas overflow" in out


def test_finite_differences_past_their_budget_move_an_evenly_spread_sample(monkeypatch) -> None:
    """A big vector problem: finite differences on a sample of entries (each matching the chain rule)."""
    import numpy as np

    monkeypatch.setattr(rnncalc.features.check, "FD_MAX_WORK", 500)
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (4, 3)).round(2).tolist()
    wh = (rng.uniform(-1, 1, (3, 3)) * 0.5).round(2).tolist()
    report = check(Problem(x=x, params={"Wh": wh}, activation="tanh"))
    moved = [row for row in report.rows if row.finite_difference is not None]
    assert 0 < len(moved) < len(report.rows)
    assert any(
        f"finite differences on {len(moved)} of the {len(report.rows)} entries" in n for n in report.notes
    )
    for row in moved:
        assert row.finite_difference == pytest.approx(row.chain, rel=1e-6, abs=1e-9)
    assert {"dL/dW_h[1,1]", "dL/dW_h[3,3]"} <= {row.label for row in moved}


def test_a_check_with_every_method_skipped_does_not_say_all_agree(cli) -> None:
    args = ["--activation", "relu", "--x", "[[0.1]]", "--wi", "[[1]]", "--wh", "[[1]]", "--h0", "[0.2]"]
    code, out, err = cli("check", *args, "--b", "[-0.3]")
    assert code == 0, err
    assert "nothing to compare with" in out and "all agree" not in out and "✓" not in out


def test_a_check_of_many_gradients_shows_the_largest_differences_and_json_keeps_all(cli) -> None:
    import numpy as np

    wh = (np.eye(8) * 0.5).tolist()
    args = ["check", "--x", "[[1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0]]", "--wh", str(wh)]
    code, out, err = cli(*args)
    assert code == 0, err
    shown = [line for line in out.splitlines() if line.startswith("│ dL/d")]
    data = json.loads(cli(*args, "-f", "json")[1])
    assert len(shown) == 60 and len(data["rows"]) > 60
    assert f"{len(data['rows']) - 60:,} more rows agree" in out
    largest = sorted(row["max_rel_diff"] for row in data["rows"])[-1]
    assert f"{largest:.1e}" in out
