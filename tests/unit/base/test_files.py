"""Problem files (--config, init) and grading a hand derivation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reference import finite_differences

DOCUMENT_HAND = {"dWi": 0.102937, "dWh": 0.087734, "da": 1.528712, "db": 0.202545, "dc": 1.7485}


def test_init_writes_a_template_that_reproduces_the_worked_example(cli, tmp_path: Path) -> None:
    target = tmp_path / "problem.toml"
    code, out, _ = cli("init", str(target))
    assert code == 0 and target.exists() and "# " in target.read_text()
    assert cli("grads", "--config", str(target))[1] == cli("grads")[1]
    code, _, err = cli("init", str(target))
    assert code == 2 and "already exists" in err
    assert cli("init", str(target), "--force")[0] == 0


def test_config_values_and_command_line_overrides(cli, tmp_path: Path) -> None:
    target = tmp_path / "p.toml"
    target.write_text(
        'x = [1, "-1/2", 2]\ng = [0, 1, 0]\nh0 = 0.5\nloss = "sse"\nactivation = "tanh"\ndigits = '
        '4\nmethod = "both"\n[params]\nWi = 0.5\nWh = -1\n'
    )
    data = json.loads(cli("grads", "--config", str(target), "--wh", "2", "-f", "json")[1])
    assert data["problem"]["x"] == [1.0, -0.5, 2.0] and data["problem"]["h0"] == 0.5
    assert data["problem"]["params"]["Wi"] == 0.5 and data["problem"]["params"]["Wh"] == 2.0
    assert data["problem"]["loss"] == "sse" and data["problem"]["activation"] == "tanh"
    assert data["settings"]["digits"] == 4 and data["method"] == "both"
    theta = {"Wi": 0.5, "Wh": 2.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.5}
    expected = finite_differences([1.0, -0.5, 2.0], [0.0, 1.0, 0.0], theta, "tanh", "sse")
    for name, value in expected.items():
        assert data["gradients"][name] == pytest.approx(value, rel=1e-7, abs=1e-10)


def test_config_with_a_custom_cell(cli, tmp_path: Path) -> None:
    target = tmp_path / "cell.toml"
    target.write_text('x = [1, 0]\ncell = ["o = Wi*x + Wh*h_prev + b", "h = sigmoid(o)", "y = a*h + c"]\n')
    assert cli("grads", "--show-steps", "--config", str(target))[1] == cli("grads", "--show-steps")[1]


def test_config_with_a_stream_of_rows(cli, tmp_path: Path) -> None:
    """[inputs] u = [[1, 0], [0, 1]]: a vector problem's further input, as --input u=[[...]] gives it."""
    target = tmp_path / "rows.toml"
    cell = '["h = tanh(W*x + U*h_prev + V*u)", "y = h"]'
    target.write_text(f"x = [[1, 0], [0, 1]]\ncell = {cell}\n[inputs]\nu = [[1, 0], [0, 1]]\n")
    options = ["--cell", "h = tanh(W*x + U*h_prev + V*u)", "--cell", "y = h", "--x", "[[1, 0], [0, 1]]"]
    code, out, err = cli("grads", "--config", str(target), "-f", "json")
    assert code == 0, err
    assert out == cli("grads", *options, "--input", "u=[[1, 0], [0, 1]]", "-f", "json")[1]
    assert out != cli("grads", *options, "--input", "u=[[0, 1], [1, 0]]", "-f", "json")[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xs = [1]\n", "unknown key 'xs' (did you mean 'x'?)"),
        ('x = "1 0"\n', "x must be a list of numbers"),
        ("digits = 4.5\n", "digits must be a integer"),
        ('activation = "softmax"\n', "activation must be one of"),
        ("[params]\nWi = true\n", "params must be a table of numbers"),
        ("x = [1,\n", "is not valid TOML"),
        ("[params]\nQ = 1\n", "parameter Q is not used by the cell"),
    ],
)
def test_bad_config_files_name_the_key(cli, tmp_path: Path, text: str, message: str) -> None:
    target = tmp_path / "bad.toml"
    target.write_text(text)
    code, out, err = cli("grads", "--config", str(target))
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


WORKED_PROBLEM = "\n[problem]\nx = [1, 0]\ng = [1, 1]\n"  # the worked example, named


def _answers(tmp_path: Path, lines: dict[str, float]) -> str:
    target = tmp_path / "answers.toml"
    target.write_text("".join(f'"{k}" = {v!r}\n' for k, v in lines.items()) + WORKED_PROBLEM)
    return str(target)


def test_grade_accepts_exact_and_hand_rounded_answers(cli, tmp_path: Path) -> None:
    theta = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}
    exact = finite_differences([1.0, 0.0], [1.0, 1.0], theta)
    correct = {"h_1": 0.880797, "dL_1/dy_1": 0.880797, "do_2/dWi": 0.104994, "loss": 0.764356}
    correct |= {f"d{k}": round(v, 6) for k, v in exact.items() if k != "h0"}
    code, out, _ = cli("grade", _answers(tmp_path, correct))
    assert code == 0 and "All 9 answers are right." in out
    code, out, _ = cli("grade", _answers(tmp_path, DOCUMENT_HAND))
    assert code == 0 and "All 5 answers are right." in out


def test_grade_names_the_first_wrong_step(cli, tmp_path: Path) -> None:
    code, out, _ = cli("grade", _answers(tmp_path, {"dWi": 0.2, "h_1": 0.880797, "h_2": 0.87, "y_2": 1.87}))
    assert code == 1 and "First wrong step: h_2" in out
    data = json.loads(cli("grade", _answers(tmp_path, {"h_2": 0.87, "y_2": 1.867703}), "-f", "json")[1])
    assert (
        data["ok"] is False
        and data["first_wrong"] == "h_2"
        and [m["ok"] for m in data["marks"]] == [False, True]
    )


def test_grade_unknown_quantity(cli, tmp_path: Path) -> None:
    code, _, err = cli("grade", _answers(tmp_path, {"dWx": 1.0}))
    assert code == 2 and "no quantity named 'dWx' (did you mean 'dWi'?)" in err


def test_grade_accepts_quoted_numbers_and_echoes_answers_as_typed(cli, tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(
        'h_1 = 0.8808\ny_1 = "1.880797"\n"dL/dW_h" = 0.08773\ndWi = "1/2"\n' + WORKED_PROBLEM,
        encoding="utf-8",
    )
    code, out, _ = cli("grade", str(answers))
    assert code == 1
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines() if "│" in line
    }
    assert rows["h_1"] == "0.8808" and rows["dL/dW_h"] == "0.08773" and rows["dL/dW_i"] == "1/2"
    assert "✓" in next(line for line in out.splitlines() if "y_1" in line)


def test_grade_needs_to_know_the_problem(cli, tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text("h_1 = 0.880797\n")
    code, _, err = cli("grade", str(answers))
    assert code == 2 and "which problem does" in err and "[problem]" in err
    assert cli("grade", str(answers), "--x", "1", "0")[0] == 0  # options name it
    answers.write_text('h_1 = 0.964028\n\n[problem]\nx = [1, 0]\nactivation = "tanh"\n')
    assert cli("grade", str(answers))[0] == 0  # tanh(2) = 0.964028: the table's problem, not the default
    answers.write_text('h_1 = 0.964028\n\n[problem]\nx = [1, 0]\nactivation = "tanh"\n')
    assert cli("grade", str(answers), "--activation", "sigmoid")[0] == 1  # the command line wins
    answers.write_text("h_1 = 0.9\nproblem = 3\n")
    code, _, err = cli("grade", str(answers))
    assert code == 2 and "problem must be a table" in err


def test_init_dash_prints_the_template(cli, tmp_path: Path, monkeypatch) -> None:
    """rnncalc init - writes the template to standard output, not to a file named -."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("init", "-")
    assert code == 0, err
    assert out.startswith("# rnncalc problem file") and not (tmp_path / "-").exists()
    (tmp_path / "p.toml").write_text(out, encoding="utf-8")
    assert cli("grads", "--config", str(tmp_path / "p.toml"))[0] == 0


def test_output_onto_a_symlink_loop_is_one_line(cli, tmp_path: Path) -> None:
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    code, _, err = cli("grads", "-o", str(loop))
    assert code == 1 and "points back to itself" in err
