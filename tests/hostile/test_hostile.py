"""What a hostile tester tried that does not fit the bad-input table: broken channels, signals, special
files, races, and random cells through every command under a memory and time budget."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncalc.cell.functions import CELL_FUNCTIONS

COMMAND = [sys.executable, "-m", "rnncalc"]


def run(*args: str, **options) -> subprocess.CompletedProcess:
    """The CLI in a subprocess."""
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=120, **options)


def one_line_error(stderr: str, fragment: str) -> bool:
    """A single line: rnncalc: error: ..., containing the fragment, no traceback."""
    return stderr.startswith("rnncalc: error: ") and stderr.count("\n") == 1 and fragment in stderr


def test_training_that_diverges_says_so_after_its_history() -> None:
    result = run("train", "--lr", "1e200", "--activation", "identity")
    assert result.returncode == 1 and one_line_error(result.stderr, "training diverged")
    assert "Gradient descent" in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["grads", "--show-steps"], ["check", "-f", "json"]])
def test_a_full_stdout_is_a_clean_error(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*COMMAND, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert result.returncode == 1 and one_line_error(result.stderr, "No space left on device")


def test_a_closed_stdout_is_a_clean_error() -> None:
    command = " ".join(COMMAND) + " grads >&-"
    result = subprocess.run(["bash", "-c", command], stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1 and one_line_error(result.stderr, "standard output is closed")


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "latin-1"},
        {"PYTHONIOENCODING": "ascii"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""},
    ],
)
def test_stdout_that_cannot_show_sigma_gets_ascii(env: dict[str, str]) -> None:
    result = run("grads", "--show-steps", env=os.environ | env)
    assert result.returncode == 0 and result.stdout.isascii() and "sigma(2)" in result.stdout


def test_a_fifo_is_written_in_place_and_a_symlink_is_followed(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    result = run("grads", "-f", "json", "-o", str(fifo))
    received = reader.communicate(timeout=60)[0]
    assert result.returncode == 0 and json.loads(received)["gradients"]
    assert fifo.is_fifo(), "the FIFO is still a FIFO, not a regular file"
    target, link = tmp_path / "real.md", tmp_path / "link.md"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    assert run("grads", "-o", str(link)).returncode == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("# Backpropagation")


def test_a_250_character_name_is_fine(tmp_path: Path) -> None:
    target = tmp_path / ("b" * 247 + ".md")
    assert run("grads", "-o", str(target)).returncode == 0 and target.exists()


@pytest.mark.parametrize(
    ("signum", "status", "fragment"),
    [
        (signal.SIGTERM, 143, "terminated by a signal"),
        (signal.SIGHUP, 129, "terminated by a signal"),
        (signal.SIGINT, 130, "interrupted"),
    ],
)
def test_signals_stop_cleanly_and_leave_no_file(
    tmp_path: Path, signum: int, status: int, fragment: str
) -> None:
    x = ",".join(["0.5"] * 14_000)
    process = subprocess.Popen(
        [*COMMAND, "grads", "--show-steps", "--x", x, "-o", "out.md"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status and one_line_error(stderr, fragment)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnncalc.cli.app import Stopped
    from rnncalc.files import write_atomically

    target = tmp_path / "out.md"
    target.write_text("old", encoding="utf-8")

    def stop(descriptor: int) -> None:
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(os, "fsync", stop)
    with pytest.raises(Stopped):
        write_atomically(target, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"] and target.read_text(encoding="utf-8") == "old"


def test_init_creates_the_file_once_among_concurrent_runs(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def init(_: int) -> int:
        return subprocess.run(
            [*COMMAND, "init", "p.toml"], cwd=tmp_path, capture_output=True, timeout=120
        ).returncode

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(init, range(8)))
    assert sorted(codes) == [0] + [2] * 7


# Random cells through every command, in one subprocess with 2 GB of memory and 60 s of CPU.
DRIVER = """
import json, resource, sys, io, contextlib
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from rnncalc.cli import main

found = []
for cell in json.loads(sys.argv[1]):
    for command in (["grads", "--show-steps"], ["grads", "--show-steps", "--exact"], ["check"],
                    ["train", "--epochs", "3"], ["graph"], ["forward", "-f", "latex"],
                    ["grads", "-f", "json"]):
        err = io.StringIO()
        args = [*command, "--x", "1", "-1/2", "0", *[a for e in cell for a in ("--cell", e)]]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            main(args)
        if "internal error" in err.getvalue():
            found.append((args, err.getvalue()))
print(json.dumps(found))
"""

names = st.sampled_from(["x", "h_prev", "Wa", "Wb", "b", "2", "1/2", "x*h_prev"])
leaves = st.one_of(names, st.builds(lambda n: f"-{n}", names))
terms = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(CELL_FUNCTIONS), inner),
        st.builds(
            lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner
        ),
    ),
    max_leaves=6,
)
cells = st.builds(
    lambda o, act, out: [f"o = {o} + Wh*h_prev", f"h = {act}(o)", f"y = {out}"],
    terms,
    st.sampled_from([f for f in CELL_FUNCTIONS if f not in ("log", "sqrt")]),
    st.sampled_from(["a*h + c", "h", "a*h*h", "exp(h)"]),
)


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(cells, min_size=25, max_size=25))
def test_random_cells_through_every_command_never_crash(batch: list[list[str]]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(batch)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    "args",
    [
        ["grads", "--show-steps", "--round-intermediate", "--digits", "30"],
        ["grads", "--round-intermediate", "--x", "1e25"],
        [
            "check",
            "--activation",
            "identity",
            "--x",
            "1",
            "--g",
            "0",
            "--wi",
            "1",
            "--wh",
            "0",
            "--b",
            "1",
            "--c",
            "0",
            "--a",
            "6.70385e153",
        ],
        ["check", "--activation", "tanh", "--wh", "1e10", "--x", "1"],
        ["grads", "--show-steps", "--cell", "o = x + h_prev", "--cell", "h = tanh(o)", "--cell", "y = h"],
        ["check", "--cell", "o = x + h_prev", "--cell", "h = tanh(o)", "--cell", "y = h"],
        ["train", "--lr", "1/2", "--beta", "9/10", "--optimizer", "momentum", "--epochs", "3"],
        [
            "grads",
            "--show-steps",
            "--exact",
            "--cell",
            "o = Wi*x + Wh*h_prev + b",
            "--cell",
            "h = sin(o)",
            "--cell",
            "y = a*h + c",
        ],
    ],
)
def test_once_internal_errors_now_work(cli, args: list[str]) -> None:
    code, out, err = cli(*args)
    assert code == 0 and out and err == "", err


def test_growing_expressions_stay_fast() -> None:
    nested = "o"
    for _ in range(30):
        nested = f"sigmoid({nested})"
    started = time.perf_counter()
    deep = run("grads", "--cell", "o = Wi*x + Wh*h_prev", "--cell", f"h = {nested}", "--cell", "y = a*h")
    five = "sin(h_prev) + cos(h_prev) + tanh(h_prev) + exp(h_prev) + sigmoid(h_prev)"
    wide = run(
        "check",
        "--x",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
        "--cell",
        f"o = Wi*x + {five}",
        "--cell",
        "h = tanh(o)",
        "--cell",
        "y = a*h",
    )
    assert deep.returncode == 0 and wide.returncode == 0 and "SymPy skipped" in wide.stdout
    assert time.perf_counter() - started < 60  # each took minutes, or all memory, before


def test_forward_on_a_long_sequence_gives_no_show_steps_hint(cli) -> None:
    code, _, err = cli("forward", "--x", *["1"] * 20_001)
    assert code == 2 and "--show-steps" not in err and "is too long" in err


def test_a_zero_target_never_upsets_sympy_whatever_order_it_checks_in(cli) -> None:
    """(y - g)² with g = 0 once built -1·0 unevaluated; SymPy, checking assumptions in a random order,
    sometimes called it zero but not even (InconsistentAssumptions). Every order is tried here."""
    import sympy.core.cache
    import sympy.core.random

    args = ["check", "--activation", "identity", "--x", "1", "--g", "0", "--wi", "1", "--wh", "0", "--a", "3"]
    for seed in range(60):
        sympy.core.cache.clear_cache()
        sympy.core.random.seed(seed)
        code, out, err = cli(*args)
        assert code == 0 and err == "", (seed, err)
