"""The command line: option spellings, defaults, formats, errors and exit statuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from reference import finite_differences


def _json(cli, *args: str) -> dict:
    code, out, err = cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    "spelling", [("--x", "1", "0"), ("--x", "1", "--x", "0"), ("--x", "1,0"), ("--x=1", "--x=0")]
)
def test_input_spellings_are_equivalent(cli, spelling) -> None:
    data = _json(cli, "grads", *spelling)
    assert data["problem"]["x"] == [1.0, 0.0]
    assert data["gradients"] == _json(cli, "grads")["gradients"]


def test_negative_and_fraction_values(cli) -> None:
    data = _json(
        cli, "grads", "--x", "-1", "1/2", "2e-1", "--g", "0", "-0.5", "1", "--wh", "-1/2", "--b", "-3"
    )
    assert data["problem"]["x"] == [-1.0, 0.5, 0.2]
    assert data["problem"]["g"] == [0.0, -0.5, 1.0]
    theta = {"Wi": 1.0, "Wh": -0.5, "a": 1.0, "b": -3.0, "c": 1.0, "h0": 0.0}
    expected = finite_differences([-1.0, 0.5, 0.2], [0.0, -0.5, 1.0], theta)
    for name, value in expected.items():
        assert data["gradients"][name] == pytest.approx(value, rel=1e-7, abs=1e-10)


def test_json_layout(cli) -> None:
    data = _json(cli, "grads", "--show-steps")
    assert [row["t"] for row in data["forward"]] == [1, 2]
    assert data["forward"][1]["x"] == 0.0  # step 2 uses x_1
    assert set(data["gradients"]) == {"Wi", "Wh", "a", "b", "c", "h0"}
    assert isinstance(data["loss"], float)
    steps = [s for section in data["derivation"] for s in section["steps"]]
    assert any(
        s["key"] == "do_2/dWi" and s["rule"] == "x_1 + do_2/dh_1 · dh_1/do_1 · do_1/dW_i" for s in steps
    )


def test_forward_json_has_forward_and_loss_only(cli) -> None:
    data = _json(cli, "forward", "--x", "1", "0")
    assert len(data["forward"]) == 2 and "loss" in data and "gradients" not in data


def test_targets_default_to_ones(cli) -> None:
    assert _json(cli, "forward", "--x", "3", "1", "4")["problem"]["g"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grads", "--x", "1", "0", "--g", "1"), "g has 1 value(s) but x has 2"),
        (("grads", "--x", "a"), "'a' is not a number"),
        (("grads", "--wi", "abc"), "--wi: 'abc' is not a number"),
        (("grads", "--digits", "31"), "--digits must be between 0 and 30"),
        (("grads", "--activation", "softmax"), "softmax"),
        (("grads", "--bogus"), "No such option"),
        (("grads", "--exact", "--round-intermediate"), "conflict"),
        (("grads", "--x", "1e999999"), "too large"),
        (("grads", "--x", "1/0"), "divides by zero"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(cli, args, message) -> None:
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("rnncalc: error: ") and message in err


def test_unknown_output_extension_is_an_error(cli, tmp_path) -> None:
    code, _, err = cli("grads", "-o", str(tmp_path / "out.xyz"))
    assert code == 2 and "cannot tell the format" in err


def test_output_file_and_missing_directory(cli, tmp_path) -> None:
    target = tmp_path / "g.json"
    assert cli("grads", "-o", str(target))[0] == 0
    assert "gradients" in json.loads(target.read_text())
    code, _, err = cli("grads", "-o", str(tmp_path / "missing" / "g.json"))
    assert code == 1 and "does not exist" in err


def test_no_arguments_reproduces_the_whole_worked_example(cli) -> None:
    code, out, _ = cli()
    assert code == 0
    for title in ("MSE", "Forward pass", "Local derivatives", "dW_i", "dW_h", "da", "db", "dc"):
        assert f"\n{title}\n" in out
    assert out == cli("grads", "--show-steps")[1]


def test_version(cli) -> None:
    from rnncalc import __version__

    assert cli("--version") == (0, f"rnncalc {__version__}\n", "")


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_do_not_import_sympy(flag: str) -> None:
    code = f"import sys; from rnncalc.cli import main; main([{flag!r}]); print('sympy' in sys.modules)"
    result = _run("-c", code)
    assert result.returncode == 0 and result.stdout.strip().endswith("False")


def test_python_dash_m_piped_output_has_no_escape_codes_and_wraps_at_columns_or_80() -> None:
    args = ("-m", "rnncalc", "grads", "--show-steps", "--x", *["1"] * 12)
    result = _run(*args, env={"COLUMNS": ""})
    assert result.returncode == 0 and "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and any(line.startswith("  dL/dW_i = ") for line in lines)
    numbers = re.compile(r"-?\d+\.\d{6}")
    assert sorted(numbers.findall(result.stdout)) == sorted(
        numbers.findall(_run(*args, "--width", "0").stdout)
    )  # never broken inside a number
    assert max(map(len, _run(*args, env={"COLUMNS": "60"}).stdout.splitlines())) <= 60
    unwrapped = _run(*args, "--width", "0").stdout.splitlines()
    assert any(len(line) > 200 and line.startswith("  dL/dW_i = ") for line in unwrapped)


def test_long_sequences_are_elided_on_the_terminal_only(cli, tmp_path) -> None:
    args = ("grads", "--show-steps", "--x", *["1", "0"] * 15)
    _, short, _ = cli(*args)
    assert "time steps 4 to 28 omitted (use --all-steps)" in short
    assert "… (25 terms) …" in short and "o_10 =" not in short
    _, full, _ = cli(*args, "--all-steps")
    assert "omitted" not in full and "o_10 = " in full
    target = tmp_path / "long.txt"
    assert cli(*args, "-o", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == full


def test_step_count_grows_linearly_with_n() -> None:
    from rnncalc import Problem, derive

    counts = {n: len(derive(Problem(x=[1] * n)).steps()) for n in (10, 20, 40)}
    assert counts[40] - counts[20] == 2 * (counts[20] - counts[10])


def test_the_command_line_overrides_a_problem_file_it_would_conflict_with(cli, tmp_path) -> None:
    """--loss replaces the file's loss_term, --activation its preset: what is typed last wins."""
    import json as _json

    problem = tmp_path / "p.toml"
    problem.write_text('loss_term = "abs(y - g)"\npreset = "gru"\nx = [1, 0]\n', encoding="utf-8")
    options = ("--loss", "sse", "--activation", "tanh", "-f", "json")
    code, out, err = cli("grads", "--config", str(problem), *options)
    assert code == 0, err
    data = _json.loads(out)
    assert data["problem"]["loss"] == "sse" and data["problem"]["activation"] == "tanh"
    plain = _json.loads(cli("grads", "--x", "1", "0", *options)[1])
    assert data["gradients"] == plain["gradients"]


def test_a_run_builds_only_its_own_command_with_the_same_options() -> None:
    # typer builds every command's options on each start; a run builds just the one it names
    import typer

    from rnncalc.cli.app import app, app_for

    full = typer.main.get_command(app)
    for name in full.commands:  # type: ignore[attr-defined]
        lean = typer.main.get_command(app_for([name, "--x", "1"]))
        assert list(lean.commands) == [name]  # type: ignore[attr-defined]
        assert [p.name for p in lean.commands[name].params] == [p.name for p in full.commands[name].params]  # type: ignore[attr-defined]
    assert app_for(["--help"]) is app and app_for(["nosuch"]) is app
    assert list(typer.main.get_command(app_for([])).commands) == []  # type: ignore[attr-defined]


def test_bare_rnncalc_takes_the_options_of_grads(cli) -> None:
    assert cli("--x", "1", "0", "1") == cli("grads", "--show-steps", "--x", "1", "0", "1")


@pytest.mark.parametrize(
    "flag", [["--explain"], ["--per-step"], ["--method", "backward"], ["--blank"], ["--flow"]]
)
def test_options_of_the_derivation_imply_show_steps(cli, flag) -> None:
    code, out, err = cli("grads", *flag)
    assert code == 0, err
    assert (code, out, err) == cli("grads", "--show-steps", *flag)
    assert "Local derivatives" in out


def test_completion_offers_the_names_each_option_takes() -> None:
    import typer
    from typer._click import Context

    from rnncalc.cell.conventions import CONVENTIONS
    from rnncalc.cell.presets import PRESETS
    from rnncalc.cli.app import app

    grads = typer.main.get_command(app).commands["grads"]  # type: ignore[attr-defined]
    offered = {p.name: [c.value for c in p.shell_complete(Context(grads), "")] for p in grads.params}
    assert offered["preset"] == list(PRESETS) and offered["convention"] == list(CONVENTIONS)
    assert "tanh" in offered["activation"] and "softmax-ce" in offered["loss"]
    preset = next(p for p in grads.params if p.name == "preset")
    assert [c.value for c in preset.shell_complete(Context(grads), "g")] == ["gru"]


COMMANDS = (
    "",
    "forward",
    "grads",
    "check",
    "train",
    "graph",
    "grade",
    "quiz",
    "init",
    "cells",
    "conventions",
)


def _help(monkeypatch, command: str, columns: int) -> str:
    """A command's --help at a terminal width."""
    import io

    from rnncalc.cli.app import main

    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("COLUMNS", str(columns))
    main([*([command] if command else []), "--help"])
    return out.getvalue()


@pytest.mark.parametrize("columns", [40, 60, 80])
def test_help_wraps_between_words_at_any_width(monkeypatch, columns: int) -> None:
    for command in COMMANDS:
        narrow, wide = _help(monkeypatch, command, columns), _help(monkeypatch, command, 200)
        assert max(len(line) for line in narrow.splitlines()) <= columns, command
        choices = {c for found in re.findall(r"<([^<>]*\|[^<>]*)>", wide) for c in found.split("|")}
        known = set(wide.split()) | choices | {"\\", "NAME", "One", "of"}
        split = [w for w in narrow.split() if w not in known and w.rstrip(",.") not in known]
        assert not split, (command, columns, split)  # a piece of a word or an option cut in two
