"""rnncalc quiz, driven end to end through standard input (issue 14, item 2).

The right values are worked out here by hand (σ(2) from math.exp), not taken from rnncalc.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from rnncalc import Problem
from rnncalc.errors import InputError
from rnncalc.features.quiz import start_quiz

H1 = 1 / (1 + math.exp(-2))  # h_1 = σ(W_i·x_0 + W_h·h_0 + b) = σ(2) in the worked example


def quiz(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run rnncalc quiz as a student would, answers piped in."""
    return subprocess.run(
        [sys.executable, "-m", "rnncalc", "quiz", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONIOENCODING": "utf-8", "PATH": ""},
    )


def test_a_quiz_marks_right_and_wrong_answers_and_reworks_a_miss_from_the_students_numbers() -> None:
    result = quiz(f"2\n{H1:.6f}\n2\n")  # o_1, h_1 right; y_1 = a·h_1 + c wrong
    assert result.returncode == 1, result.stderr  # a wrong answer: exit status 1, as grade
    out = result.stdout
    first = out.splitlines()[:6]  # the problem first: the equations, every given value, how to stop
    assert first[0].startswith("Quiz: n = 2, sigmoid activation, MSE loss;") and "  h_t = σ(o_t)" in first
    assert (
        "Given: x_0 = 1, x_1 = 0, g_1 = 1, g_2 = 1, h_0 = 0, W_i = 1, W_h = 1, a = 1, b = 1, c = 1." in first
    )
    assert any("Round every value to 6 decimals" in line and "q to stop" in line for line in first)
    assert quiz(f"2\n{H1:.6f}\n").returncode == 0  # every answer right
    assert out.count("✓ right") == 2
    assert f"✗ y_1 = {H1 + 1:.6f}, not 2" in out
    assert f"from your own numbers: y_1 = 1 · {H1:.6f} + 1 = {round(H1, 6) + 1:.6f}" in out
    assert "Score: 2 of 3 right" in out


def test_hand_rounded_answers_count_as_right() -> None:
    problem = Problem(x=[1, 0], activation="tanh")
    q = start_quiz(problem, digits=2)
    assert q.answer(q.questions[0], "2").ok  # o_1 = 2
    assert q.answer(q.questions[1], f"{math.tanh(2):.2f}").ok  # h_1 = tanh(2) = 0.96
    assert not q.answer(q.questions[2], "1.5").ok


def test_not_a_number_is_asked_again_and_q_stops() -> None:
    result = quiz("abc\n2\nq\n")
    assert result.returncode == 0
    assert "'abc' is not a number" in result.stdout and "type a number, or q to stop" in result.stdout
    assert "Score: 1 of 1 right" in result.stdout


def test_end_of_input_ends_the_quiz_with_the_score() -> None:
    result = quiz("")
    assert result.returncode == 0 and "Score: 0 of 0 right" in result.stdout


def test_a_bad_problem_is_one_line_and_exit_2() -> None:
    result = quiz("", "--x", "abc")
    assert result.returncode == 2 and result.stderr.startswith("rnncalc: error:")
    assert result.stderr.count("\n") == 1


def test_a_gated_cell_can_be_quizzed() -> None:
    q = start_quiz(Problem(preset="gru", x=[1, 0.5]))
    names = [question.name for question in q.questions]
    assert names[:2] == ["z_1", "r_1"]
    with pytest.raises(InputError):
        q.answer(q.questions[0], "1/0")


def test_a_number_beyond_double_precision_is_asked_again() -> None:
    result = quiz("1e309\n[1e309, 1]\nq\n")
    assert result.returncode == 0, result.stderr
    assert "too large for double precision; type a number, or q to stop" in result.stdout
    assert "internal error" not in result.stdout + result.stderr


def test_endless_or_undecodable_input_is_one_line_and_exit_2() -> None:
    endless = quiz("0" * 5000)
    assert endless.returncode == 2 and "an answer line is longer than 1000 characters" in endless.stderr
    import os

    closed = subprocess.run(  # rnncalc quiz <&-: no standard input at all
        [sys.executable, "-m", "rnncalc", "quiz"],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
    )
    assert closed.returncode == 0 and "Score: 0 of 0 right" in closed.stdout


def test_an_answer_line_outside_the_input_encoding_is_one_line() -> None:
    import os

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "rnncalc", "quiz"], input="é\n".encode(), capture_output=True, env=env
    )
    assert result.returncode == 2 and b"not text in the ascii encoding" in result.stderr


def test_ctrl_c_keeps_the_score() -> None:
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "rnncalc", "quiz"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONIOENCODING": "utf-8", "PATH": ""},
    )
    process.stdin.write("2\n")
    process.stdin.flush()
    deadline = time.monotonic() + 60
    seen = ""
    while "[2/" not in seen and time.monotonic() < deadline:  # the answer marked, the next line asked
        seen += process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Score: 1 of 1 right" in seen + out
    assert err.strip() == "rnncalc: error: interrupted"


def test_a_hint_puts_the_students_own_numbers_into_the_rule() -> None:
    result = quiz("2\n?\n0.88\n?\nq\n")  # o_1 right, a hint, h_1 slipped, a hint for y_1
    out = result.stdout
    assert "  hint: h_1 = σ(2) = ?" in out
    assert "  hint: y_1 = 1 · 0.880000 + 1 = ?" in out  # from the student's own h_1, not 0.880797
    assert out.rstrip().endswith("2 hints.")
