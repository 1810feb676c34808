"""Exercise sheets (--blank) and their answer keys (--answers), in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from latex import compile_latex

from rnncalc import derive

COMPUTED = [f"{v:.6f}" for v in derive().gradients.values()] + ["0.880797", "0.104994", "1.880797"]


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex"])
def test_blank_sheet_hides_every_computed_value(cli, fmt: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "--blank", "-f", fmt)
    assert code == 0
    assert not any(value in out for value in COMPUTED)
    assert "x_0 = 1" in out or "x_{0} &= 1" in out  # the given values stay
    blanks = sum(step.blank for step in derive().blanked().steps())
    assert out.count("________") + out.count(r"\underline{\hspace{2.5cm}}") >= blanks > 30


def test_blank_json_has_no_values(cli) -> None:
    data = json.loads(cli("grads", "--show-steps", "--blank", "-f", "json")[1])
    assert (
        data["exercise"] is True
        and all(v is None for v in data["gradients"].values())
        and data["loss"] is None
    )
    steps = [s for section in data["derivation"] if section["key"] != "known" for s in section["steps"]]
    assert steps and all(s["value"] is None and s["working"] is None for s in steps)


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex"])
def test_answer_key_has_every_value(cli, fmt: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "--answers", "-f", fmt)
    assert code == 0 and "Answer key." in out and all(value in out for value in COMPUTED)


def test_blank_sheet_compiles(cli, tmp_path: Path) -> None:
    target = tmp_path / "exercise.tex"
    assert cli("grads", "--show-steps", "--blank", "-o", str(target))[0] == 0
    assert "Overfull" not in compile_latex(target.read_text(encoding="utf-8"), tmp_path)


def test_blank_and_answers_conflict(cli) -> None:
    code, _, err = cli("grads", "--blank", "--answers")
    assert code == 2 and "conflict" in err


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "html"])
def test_a_sheet_has_a_name_and_date_field_and_says_how_to_round(cli, fmt: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "--blank", "--digits", "4", "-f", fmt)
    assert code == 0
    assert "Round every named quantity to 4 decimals" in out and "Name: ..." in out and "Date: ..." in out
    key = cli("grads", "--show-steps", "--answers", "-f", fmt)[1]
    assert "Name: ..." not in key
