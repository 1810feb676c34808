"""Exercise sheets (--blank) and their answer keys (--answers), in every format."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from latex import compile_latex, require_pdflatex

from rnncalc import derive

COMPUTED = [f"{v:.6f}" for v in derive().gradients.values()] + ["0.880797", "0.104994", "1.880797"]


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex"])
def test_blank_sheet_hides_every_computed_value(cli, fmt: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "--blank", "-f", fmt)
    assert code == 0
    assert not any(value in out for value in COMPUTED)
    assert "x_0 = 1" in out or "x_{0} &= 1" in out  # the given values stay
    blanks = sum(step.blank for step in derive().blanked().steps())
    assert len(BLANK.findall(out)) >= blanks > 30


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
    # the key works as its sheet asks (each value rounded to 6 decimals, going on from it): the worked
    # example document's own hand-rounded dW_i, da and db, not the exact 0.102936, 1.528711, 0.202544
    hand = ["0.102937", "1.528712", "0.202545", "0.880797", "0.104994", "1.880797"]
    assert code == 0 and "Answer key." in out and all(value in out for value in hand)
    assert "0.102936" not in out


def test_blank_sheet_compiles(cli, tmp_path: Path) -> None:
    target = tmp_path / "exercise.tex"
    assert cli("grads", "--show-steps", "--blank", "-o", str(target))[0] == 0
    assert "Overfull" not in compile_latex(target.read_text(encoding="utf-8"), tmp_path)


def test_blank_and_answers_conflict(cli) -> None:
    code, _, err = cli("grads", "--blank", "--answers")
    assert code == 2 and "conflict" in err


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "html"])
def test_a_sheet_has_a_name_and_date_field_and_says_how_to_round(cli, fmt: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "--blank", "--digits", "4", "-f", fmt, "--width", "0")
    assert code == 0
    assert "Round every named quantity to 4 decimals" in out and "Name: ..." in out and "Date: ..." in out
    key = cli("grads", "--show-steps", "--answers", "-f", fmt)[1]
    assert "Name: ..." not in key


BLANK = re.compile(r"_{6,}|\\underline\{\\hspace\{[0-9.]+em\}\}")


def step_lines(out: str, steps: list) -> list[tuple[object, str]]:
    """Each computed step with its line of the sheet, found in order (the lead formulas come first)."""
    lines, found, start = out.splitlines(), [], 0
    for step in steps:
        if step.rule is None or step.definition:
            continue
        start = next(
            i for i in range(start, len(lines)) if lines[i].strip().startswith(step.target.name.text + " =")
        )
        found.append((step, lines[start]))
        start += 1
    return found


def test_a_bare_blank_is_a_sheet_of_values_and_a_wrong_mode_is_a_usage_error(cli) -> None:
    assert cli("grads", "--show-steps", "--blank")[1] == cli("grads", "--show-steps", "--blank", "values")[1]
    code, _, err = cli("grads", "--blank", "bogus")
    assert code == 2 and "'values', 'rules', 'both'" in err


def test_a_rules_sheet_gives_every_value_and_hides_every_rule(cli) -> None:
    key = derive()
    out = cli("grads", "--show-steps", "--blank", "rules", "-f", "rich")[1]
    assert "write the rule" in " ".join(out.split()) and "Round every" not in out
    for step, line in step_lines(out, key.steps()):
        assert BLANK.search(line) and float(line.rsplit(" = ", 1)[1]) == pytest.approx(
            step.target.value, abs=1e-6
        )
    assert "W_i · x_0 + W_h · h_0 + b =" not in out  # the rule of o_1 is the student's to write
    data = json.loads(cli("grads", "--show-steps", "--blank", "rules", "-f", "json")[1])
    steps = [s for section in data["derivation"] if section["key"] != "known" for s in section["steps"]]
    assert data["blank"] == "rules" and data["gradients"] == pytest.approx(key.gradients, abs=0)
    computed = [s for s in steps if s["value"] is not None]
    assert len(computed) == sum(step.rule_blank for step in key.blanked("rules").steps()) > 30
    assert all(s["rule"] is None and s["working"] is None for s in computed)


def test_a_both_sheet_hides_rules_and_values(cli) -> None:
    out = cli("grads", "--show-steps", "--blank", "both")[1]
    assert not any(value in out for value in COMPUTED)
    assert "W_i · x_0 + W_h · h_0 + b" not in out
    line = next(line for line in out.splitlines() if line.strip().startswith("dL/dW_i ="))
    assert len(BLANK.findall(line)) == 2


def test_each_blank_is_as_wide_as_its_answer(cli) -> None:
    out = cli("grads", "--show-steps", "--blank", "--digits", "4")[1]
    widths = {
        step.target.name.text: (len(line.rsplit(" = ", 1)[1].strip()), len(f"{step.target.value:.4f}"))
        for step, line in step_lines(out, derive().steps())
    }
    assert all(blank >= answer for blank, answer in widths.values()), widths
    assert len({blank for blank, _ in widths.values()}) > 1  # not one fixed size


@pytest.mark.slow  # a document typeset or a browser started: the slow tier (.ci/run)
def test_a_sheet_as_pdf(cli, tmp_path: Path) -> None:
    require_pdflatex()
    target = tmp_path / "sheet.pdf"
    assert cli("grads", "--show-steps", "--blank", "-o", str(target))[0] == 0
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 10_000
    assert cli("check", "-o", str(tmp_path / "check.pdf"))[0] == 0  # reports too
    code, _, err = cli("grads", "-f", "pdf")
    assert code == 2 and "-o sheet.pdf" in err


def test_pdf_without_pdflatex_is_one_clear_line_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old")
    env = {**os.environ, "PATH": str(tmp_path)}  # no pdflatex on this PATH
    run = subprocess.run(
        [sys.executable, "-m", "rnncalc", "grads", "--blank", "-o", str(target), "--force"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 1 and "needs pdflatex" in run.stderr and len(run.stderr.splitlines()) == 1
    assert target.read_bytes() == b"old"
