"""Grading feedback (issue 14, item 3): the usual slips named, and whether later answers are right.

The right values come from SymPy differentiating the unrolled loss (tests/reference.py); each wrong
answer is made from them by one slip, and the grade must name that slip.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from reference import symbolic_gradients

from rnncalc import Problem
from rnncalc.features.grade import grade

WORKED = {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0}
RIGHT = symbolic_gradients([1, 0], [1, 1], WORKED)
H1 = 1 / (1 + math.exp(-2))  # the worked example's h_1 = σ(2)


def _slips(answers: dict[str, float], typed: dict[str, str] | None = None) -> dict[str, str]:
    result = grade(Problem(), answers, 6, typed)
    return {mark.key: mark.slip for mark in result.marks if not mark.ok}


def test_a_flipped_sign_is_named() -> None:
    assert _slips({"da": -RIGHT["a"]}) == {"da": "the sign is flipped"}


@pytest.mark.parametrize("factor", [2, 0.5])
def test_a_factor_of_two_is_named(factor: float) -> None:
    assert _slips({"dc": RIGHT["c"] * factor})["dc"].startswith("off by a factor of 2")


def test_a_factor_of_n_is_named_for_mse() -> None:
    problem = Problem(x=[1, 0, 1], g=[1, 1, 1])
    right = symbolic_gradients([1, 0, 1], [1, 1, 1], WORKED)["c"]
    marks = grade(problem, {"dc": right * 3}, 6).marks
    assert marks[0].slip.startswith("off by a factor of n = 3")


def test_two_swapped_digits_are_named() -> None:
    text = f"{RIGHT['Wi']:.6f}"  # 0.102936
    swapped = text[:-2] + text[-1] + text[-2]
    assert swapped != text
    assert _slips({"dWi": float(swapped)}, {"dWi": swapped}) == {
        "dWi": f"two digits swapped: {swapped} for {text}"
    }


def test_cutting_off_instead_of_rounding_is_named() -> None:
    cut = math.trunc(H1 * 1000) / 1000  # 0.880 where 0.881 is h_1 rounded to 3 decimals
    assert round(H1, 3) != cut
    assert _slips({"h_1": cut}, {"h_1": f"{cut:.3f}"}) == {
        "h_1": "cut off after 3 decimals instead of rounded"
    }


def test_a_value_right_to_fewer_decimals_is_told_so() -> None:
    assert _slips({"h_1": round(H1, 3)}, {"h_1": f"{H1:.3f}"})["h_1"].startswith("right to the 3 decimals")


def test_an_unrelated_number_names_no_slip() -> None:
    assert _slips({"dWh": 0.5}) == {"dWh": ""}


def test_later_answers_right_means_a_copying_slip(cli, tmp_path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(f"h_1 = 0.8808\ndWi = {RIGHT['Wi']:.6f}\nda = {RIGHT['a']:.6f}\n")
    code, out, _ = cli("grade", str(answers), "--x", "1", "0")
    assert code == 1
    assert "First wrong step: h_1. Later answers are right: probably a copying slip." in out
    answers.write_text(f"h_1 = 0.8808\ndWi = 0.1\nda = {RIGHT['a']:.6f}\n")
    assert "Later errors may follow from it." in cli("grade", str(answers), "--x", "1", "0")[1]
    answers.write_text(f"dWi = {RIGHT['Wi']:.6f}\nda = 1.5\n")
    out = cli("grade", str(answers), "--x", "1", "0")[1]
    assert "First wrong step: dL/da." in out and "Later" not in out


def test_the_first_wrong_step_is_worked_from_the_students_own_numbers(cli, tmp_path) -> None:
    # the student's h_1 = 0.880797 is right (rounded); y_1 = a·h_1 + c from it is 1.880797 exactly,
    # which differs from the exact y_1 = 1.8807970779...: the rework must use the student's number
    result = grade(Problem(), {"h_1": 0.880797, "y_1": 1.9}, 6, {"h_1": "0.880797", "y_1": "1.9"})
    assert result.first_wrong == "y_1" and result.rework is not None
    assert result.rework.value == pytest.approx(1 * 0.880797 + 1, abs=1e-12)
    assert abs(result.rework.value - (1 / (1 + math.exp(-2)) + 1)) > 1e-8
    answers = tmp_path / "answers.toml"
    answers.write_text("h_1 = 0.880797\ny_1 = 1.9\n")
    out = cli("grade", str(answers), "--x", "1", "0")[1]
    assert (
        "Worked from your own earlier numbers: y_1 = a · h_1 + c = 1 · 0.880797 + 1 = 1.880797, not your 1.9."
        in out
    )


def test_a_later_steps_value_used_for_an_earlier_one_is_named() -> None:
    h2 = 1 / (1 + math.exp(-(0 + H1 + 1)))  # h_2 = σ(W_i·x_1 + W_h·h_1 + b) with x_1 = 0
    wrong = f"{h2 + 1:.6f}"  # o_2 worked with h_2 where h_1 belongs
    result = grade(Problem(), {"o_2": float(wrong)}, 6, {"o_2": wrong})
    assert result.rework is not None and result.rework.slip == "h_2 used where h_1 belongs"
    right = grade(Problem(), {"o_2": 1.9}, 6, {"o_2": "1.9"})
    assert right.rework is not None and right.rework.slip == ""


def test_a_gradient_without_the_path_through_time_is_named() -> None:
    # the direct terms only: dL/dW_i = Σ_t dL_t/dy_t · a · h_t(1 - h_t) · x_{t-1}; with x_1 = 0 only
    # t = 1 is left: (2/n)(y_1 - 1) · h_1(1 - h_1) · x_0 = h_1 · h_1(1 - h_1), as y_1 = h_1 + 1
    direct = H1 * H1 * (1 - H1)
    assert abs(direct - RIGHT["Wi"]) > 1e-3  # the path through time matters here
    typed = f"{direct:.6f}"
    assert _slips({"dWi": float(typed)}, {"dWi": typed})["dWi"].startswith("the path through time is missing")
    assert _slips({"dWi": 0.037}, {"dWi": "0.037"}) == {"dWi": ""}


def test_a_bare_fraction_in_an_answers_file_says_to_quote_it(cli, tmp_path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text("[problem]\nx = [1, 0]\n\nh_1 = 1/2\n", encoding="utf-8")
    code, _, err = cli("grade", str(answers))
    assert code == 2 and err.rstrip().endswith('quote fractions: "1/2"')


def test_a_slip_is_marked_once_and_what_follows_from_it_gets_credit() -> None:
    import math

    from rnncalc import Problem, grade

    h1 = 0.88  # the slip (0.880797)
    o2 = 1 * 0 + 1 * h1 + 1  # W_i x_1 + W_h h_1 + b, from the student's own h_1
    h2 = round(1 / (1 + math.exp(-o2)), 6)
    answers = {"h_1": h1, "o_2": o2, "h_2": h2, "y_2": h2 + 1, "y_1": 1.5}
    result = grade(Problem(x=[1, 0]), answers)
    marks = {m.name: m for m in result.marks}
    assert not marks["h_1"].ok and marks["h_1"].follows is None  # the slip itself: wrong, once
    assert all(marks[k].follows is not None for k in ("o_2", "h_2", "y_2"))  # right from 0.88
    assert marks["y_1"].follows is None and not marks["y_1"].ok  # 1.5 follows from nothing
    assert result.credited == 3 and not result.ok


def test_the_problem_table_is_not_read_as_answers(cli, tmp_path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text('loss = 0.7643\n\n[problem]\nx = [1, 0]\nloss = "mse"\n', encoding="utf-8")
    code, out, err = cli("grade", str(answers), "-f", "json")
    assert code == 1, err
    (mark,) = json.loads(out)["marks"]
    assert mark["typed"] == "0.7643"  # as typed above the table, not the table's "mse"


def test_a_class_is_graded_sheet_by_sheet_with_where_it_went_wrong(cli, tmp_path) -> None:
    sheets = {
        "ana.toml": "h_1 = 0.880797\ny_1 = 1.880797\n",
        "ben.toml": "h_1 = 0.88\ny_1 = 1.88\n",  # a slip, and what follows from it
        "cem.toml": "h_1 = 0.7\ny_1 = 1.880797\n",  # wrong, then right
        "dan.toml": "h_1 = [\n",  # unreadable: a row of its own, the others still graded
    }
    paths = []
    for name, answers in sheets.items():
        path = tmp_path / name
        path.write_text(answers + "\n[problem]\nx = [1, 0]\n", encoding="utf-8")
        paths.append(str(path))
    code, out, err = cli("grade", *paths, "-f", "json")
    assert code == 1, err
    data = json.loads(out)
    rows = {Path(s["sheet"]).name: s for s in data["sheets"]}
    assert rows["ana.toml"]["ok"] and rows["ana.toml"]["credited"] == 2
    assert rows["ben.toml"]["credited"] == 1 and rows["ben.toml"]["first_wrong"] == "h_1"
    assert rows["cem.toml"]["first_wrong"] == "h_1" and "not valid TOML" in rows["dan.toml"]["error"]
    assert data["misses"][0] == {
        "quantity": "h_1",
        "wrong": 2,
        "answered": 3,
        "slip": data["misses"][0]["slip"],
    }


def test_slips_at_the_sheets_own_decimals_are_named() -> None:
    import math

    from rnncalc import Problem, grade

    problem = Problem(x=[1, 0], params={"Wh": 0.5, "b": -0.55})
    h1 = 1 / (1 + math.exp(-(1 * 1 + 0.5 * 0 - 0.55)))  # 0.610639...: 0.611 rounded, 0.610 cut off
    cut = f"{math.trunc(h1 * 1000) / 1000:.3f}"
    (mark,) = grade(problem, {"h_1": float(cut)}, digits=3, typed={"h_1": cut}).marks
    assert not mark.ok and mark.slip == "cut off after 3 decimals instead of rounded"
    slope = round(h1 * (1 - h1), 6)  # dh_1/do_1 as written, then doubled
    doubled = f"{2 * slope:.6f}"
    (mark,) = grade(problem, {"dh_1/do_1": float(doubled)}, typed={"dh_1/do_1": doubled}).marks
    assert not mark.ok and mark.slip.startswith("off by a factor of 2")
