"""--explain: a note in plain words on every line, in every format, true to the line it explains."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from latex import compile_latex

from rnncalc import Problem, derive
from rnncalc.compute.problem import Settings
from rnncalc.derivation.formula import Add

CASES = {
    "worked example": lambda: derive(Problem(), method="both"),
    "flow": lambda: derive(Problem(x=(1, 1, 1, 1)), Settings(flow=True)),
    "relu": lambda: derive(Problem(activation="relu", x=(1, -1, 2))),
    "gru": lambda: derive(Problem(preset="gru", x=(1, 0.5)), method="both"),
    "lstm": lambda: derive(Problem(preset="lstm", x=(1, 0.5))),
    "jordan": lambda: derive(Problem(preset="jordan", x=(1, 0.5, -1))),
}


def explained_steps(derivation):
    """Every step that should carry a note (the given values share one note on their section)."""
    return [s for section in derivation.sections if section.key != "known" for s in section.steps]


@pytest.mark.parametrize("case", CASES)
def test_every_line_gets_a_note(case: str) -> None:
    derivation = CASES[case]().explained()
    steps = explained_steps(derivation)
    assert steps and all(step.explanation for step in steps)
    assert derivation.section("known").note
    assert len({step.explanation for step in steps}) > 5  # notes that say something about their line


@pytest.mark.parametrize("case", ["worked example", "gru", "lstm", "jordan"])
def test_a_derivative_through_time_names_one_path_per_term(case: str) -> None:
    """Each term of a total derivative is one path; the note names as many as the rule has terms."""
    for step in CASES[case]().explained().section("totals").steps:
        terms = len(step.rule.terms) if isinstance(step.rule, Add) else 1
        named = step.explanation.count("directly") + step.explanation.count("through ")
        assert named == terms, (step.target.name.text, step.explanation)


def test_the_issue_example_reads_as_asked() -> None:
    notes = {s.target.name.text: s.explanation for s in derive().explained().steps()}
    assert notes["do_2/dW_i"].startswith("W_i reaches o_2 twice: directly")
    assert "x_1" in notes["do_2/dW_i"] and "through h_1" in notes["do_2/dW_i"]
    assert "slope of σ at o_1" in notes["dh_1/do_1"]
    assert "step 1 to step 2" in notes["do_2/dh_1"]


def test_notes_give_no_numbers_away_on_a_sheet() -> None:
    sheet = derive().blanked().explained()
    values = {f"{s.target.value:.6f}"[:5] for s in sheet.steps() if s.blank and abs(s.target.value) > 0.01}
    notes = " ".join(s.explanation for s in sheet.steps() if s.explanation)
    assert values and not any(value in notes for value in values)
    assert not re.search(r"\d\.\d", notes)


def test_every_format_carries_the_notes(cli, tmp_path: Path) -> None:
    count = len(explained_steps(derive()))
    text = cli("grads", "--show-steps", "--explain")[1]
    assert text.count("↳ ") == count
    markdown = cli("grads", "--show-steps", "--explain", "-f", "markdown")[1]
    assert markdown.count("\n*") >= count
    html = cli("grads", "--show-steps", "--explain", "-f", "html")[1]
    assert html.count('class="explain"') == count
    data = json.loads(cli("grads", "--show-steps", "--explain", "-f", "json")[1])
    steps = [s for section in data["derivation"] if section["key"] != "known" for s in section["steps"]]
    assert len(steps) == count and all(s["explain"] for s in steps)
    latex = cli("grads", "--show-steps", "--explain", "--flow", "-f", "latex")[1]
    assert latex.count(r"{\small\emph{") >= count
    assert "Overfull" not in compile_latex(latex, tmp_path)


def test_without_explain_there_are_no_notes(cli) -> None:
    assert "↳" not in cli("grads", "--show-steps")[1]
    assert all(s.explanation is None for s in derive().steps())


@pytest.mark.parametrize(
    ("loss", "word"), [("bce", "averaged over the 2 steps"), ("sse", "summed"), ("mse", "averaged")]
)
def test_the_loss_note_says_how_the_terms_are_combined(loss: str, word: str) -> None:
    """The note follows the loss's own weight (bce, like mse, is averaged over the steps with a target)."""
    from fractions import Fraction

    cell = ("o = Wi*x + Wh*h_prev", "h = sigmoid(o)", "y = h")
    problem = Problem(cell=cell, loss=loss, g=[1, 0])
    notes = [s.explanation for s in derive(problem).explained().steps() if s.target.name.text == "L"]
    note = notes[-1]  # the forward pass's L (the first is the loss's definition)
    assert word in note
    assert (problem.loss_weight == Fraction(1, 2)) == ("averaged" in note)


def test_notes_typeset_the_quantities_they_name(cli) -> None:
    from rnncalc.render.latex_text import latex_prose

    assert latex_prose("h_1 reaches h_12 through x_{t-1}; δ_2 = dL/do_2") == (
        r"$h_{1}$ reaches $h_{12}$ through $x_{t-1}$; $\delta _{2}$ = $dL/do_{2}$"
    )
    _, latex, _ = cli("grads", "--explain", "-f", "latex")
    notes = [line for line in latex.splitlines() if line.startswith(r"{\small\emph{")]
    assert notes and not any(r"\_" in note for note in notes)  # no raw L_t or h_1 in a note
    assert any("$h_{1}$" in note for note in notes)
    _, html, _ = cli("grads", "--explain", "-f", "html")
    assert '<tr class="explain"><td></td><td>' in html and "_1" not in html.split('class="explain"')[1][:400]
