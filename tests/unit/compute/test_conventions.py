"""The conventions of the tools people know: -h, completion, colour switches, a pager, -o -, stdin, ASCII."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ANSI = "\x1b["


def rnncalc(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    """The installed CLI in a subprocess, with a clean colour environment."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PAGER", "LESS")}
    return subprocess.run(
        [sys.executable, "-m", "rnncalc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=base | (env or {}),
        timeout=120,
    )


def test_dash_h_is_help(cli) -> None:
    for args in (["-h"], ["grads", "-h"], ["grade", "-h"]):
        code, out, _ = cli(*args)
        assert code == 0 and out.startswith("Usage: rnncalc"), args


def test_shell_completion_is_offered(cli) -> None:
    code, out, _ = cli("--help")
    assert "--install-completion" in out and "--show-completion" in out
    shown = rnncalc("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert shown.returncode == 0 and "complete" in shown.stdout


def test_help_groups_options_in_panels_with_examples(cli) -> None:
    _, out, _ = cli("grads", "--help")
    headings = [
        line.rstrip(":") for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")
    ]
    assert headings == ["Options", "Problem", "Parameters", "Cell", "Method", "Output", "Examples"]
    _, top, _ = cli("--help")
    assert "..." not in top.split("Commands:")[1].split("Examples:")[0], "command summaries are not cut"
    _, grade, _ = cli("grade", "--help")
    assert "Usage: rnncalc grade [OPTIONS] ANSWERS" in grade


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_no_color_by_default_in_a_pipe_and_forced_colour_kept() -> None:
    assert ANSI not in rnncalc("forward").stdout
    assert ANSI in rnncalc("forward", env={"FORCE_COLOR": "1"}).stdout
    assert ANSI in rnncalc("forward", "--color").stdout
    assert ANSI not in rnncalc("forward", "--no-color", env={"FORCE_COLOR": "1"}).stdout


def test_dash_o_dash_is_stdout(cli, tmp_path: Path) -> None:
    code, out, _ = cli("grads", "-o", "-", "-f", "json")
    assert code == 0 and out.lstrip().startswith("{") and not Path("-").exists()


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_problem_and_answers_from_stdin() -> None:
    problem = "[params]\nWh = 2\n"
    from_file = rnncalc("grads", "--wh", "2", "-f", "json").stdout
    assert rnncalc("grads", "--config", "-", "-f", "json", stdin=problem).stdout == from_file
    graded = rnncalc("grade", "-", "-f", "json", stdin="h_1 = 0.880797\n[problem]\nx = [1, 0]\n")
    assert graded.returncode == 0 and '"ok": true' in graded.stdout


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_ascii_when_stdout_cannot_encode_and_on_request() -> None:
    for run in (
        rnncalc("grads", "--show-steps", env={"PYTHONIOENCODING": "ascii"}),
        rnncalc("forward", "--ascii"),
    ):
        assert run.returncode == 0 and run.stdout.isascii() and "sigma(o_1)" in run.stdout, run.stderr
    assert "rnncalc: error" in rnncalc("grads", "--x", "σ", env={"PYTHONIOENCODING": "ascii"}).stderr


def _run_on_a_tty(args: list[str], rows: int, env: dict[str, str]) -> str:
    """Run the CLI on a pseudo-terminal of the given height; return what it wrote there."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of `rows` lines
        os.execvpe(sys.executable, [sys.executable, "-m", "rnncalc", *args], os.environ | env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
    chunks, deadline = [], time.time() + 60
    while time.time() < deadline:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
@pytest.mark.parametrize(("flag", "paged"), [(None, True), ("--no-pager", False)])
def test_long_output_is_paged_on_a_terminal(tmp_path: Path, flag: str | None, paged: bool) -> None:
    target = tmp_path / "paged.txt"
    env = {"PAGER": f"cat > {target}", "TERM": "xterm"}
    screen = _run_on_a_tty(["grads", "--show-steps", *([flag] if flag else [])], rows=24, env=env)
    assert target.exists() == paged
    if paged:
        assert "dL/dW_i" in target.read_text(encoding="utf-8")
    else:
        assert "dL/dW_i" in screen


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_short_output_is_not_paged(tmp_path: Path) -> None:
    target = tmp_path / "paged.txt"
    screen = _run_on_a_tty(["grads"], rows=60, env={"PAGER": f"cat > {target}", "TERM": "xterm"})
    assert not target.exists() and "dL/dW_i" in screen


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_terminal_output_wraps_at_the_terminal_width(tmp_path: Path) -> None:
    screen = _run_on_a_tty(
        ["grads", "--show-steps", "--no-pager", "--no-color"], rows=200, env={"TERM": "xterm"}
    )
    lines = screen.replace("\r", "").splitlines()
    assert max(len(line) for line in lines if "dL/dW_i" in line or line.startswith("          = ")) <= 100


@pytest.mark.slow  # run by .ci/run (pytest -m slow)
def test_long_work_shows_progress_on_a_terminal_only() -> None:
    # about 1.5 s of training: the bar appears after half a second, on the terminal's stderr
    screen = _run_on_a_tty(["train", "--epochs", "20000", "--no-pager"], rows=200, env={"TERM": "xterm"})
    assert 0 <= screen.find("training") < screen.find("Gradient descent")  # the bar, before the report
    piped = rnncalc("train", "--epochs", "20000")
    assert piped.returncode == 0 and piped.stderr == ""


@pytest.mark.parametrize("command", ["forward", "grads", "check", "train", "graph", "grade", "init"])
def test_help_states_defaults_one_way(cli, command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0 and "[default:" not in out and "<file>" not in out and "<float>" not in out
