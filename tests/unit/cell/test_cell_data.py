"""The cell as data (issue 15): the shipped data never drifts from SymPy, the common commands never
import SymPy, and the per-user cache survives corrupt files, unwritable folders and concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from rnncalc.cell import cache
from rnncalc.cell.data import loss_templates, shipped
from rnncalc.cell.rules import derived_data, loss_data

RUN = """
import sys
from rnncalc.cli import main
code = main(sys.argv[1:])
sys.stderr.write("SYMPY IMPORTED\\n" if "sympy" in sys.modules else "NO SYMPY\\n")
sys.exit(code)
"""
CUSTOM = ("--cell", "o = Wi*x + Wh*h_prev + b", "--cell", "h = tanh(o)", "--cell", "y = a*h*h + c")


def run(*args: str, cache_dir: Path | str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter with the given cache folder ("" turns the cache off)."""
    env = os.environ | {"RNNCALC_CACHE_DIR": str(cache_dir), "NO_COLOR": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_the_shipped_data_is_what_sympy_derives() -> None:
    # json round trip: the file holds lists where the derivation builds tuples
    assert json.loads(json.dumps(derived_data())) == shipped()


VECTOR = ("--x", "[[1, 2], [0, 1]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]", "--g", "[[0.5], [1]]")


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
@pytest.mark.parametrize(
    "args",
    [
        ("grads", "--show-steps"),
        ("forward", "--x", "1", "0"),
        ("grads", "--format", "json", *VECTOR, "--activation", "softplus", "--loss", "half-sse"),
        ("grads", "--show-steps", *VECTOR, "--activation", "tanh"),
    ],
)
def test_the_worked_example_never_imports_sympy(args: tuple[str, ...], tmp_path: Path) -> None:
    result = run(*args, cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("NO SYMPY\n")


@pytest.mark.slow  # run by .ci/run (pytest -m slow)
def test_a_custom_cell_imports_sympy_once_then_reads_the_cache(tmp_path: Path) -> None:
    first = run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path)
    second = run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path)
    uncached = run("grads", "--show-steps", *CUSTOM, cache_dir="")
    assert first.returncode == second.returncode == uncached.returncode == 0, first.stderr
    assert first.stderr.endswith("SYMPY IMPORTED\n") and second.stderr.endswith("NO SYMPY\n")
    assert uncached.stderr.endswith("SYMPY IMPORTED\n") and not any(Path(tmp_path).glob(".entry-*"))
    assert first.stdout == second.stdout == uncached.stdout


@pytest.mark.slow  # run by .ci/run (pytest -m slow)
def test_corrupt_cache_files_are_derived_again(tmp_path: Path) -> None:
    good = run("grads", "--show-steps", *CUSTOM, cache_dir="").stdout
    assert run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path).returncode == 0
    entries = sorted(tmp_path.glob("*.json"))
    assert entries
    damage = [b"", b"{not json", b'{"key": 1, "data": 2}', b"\xff\xfe", b"[" * 100_000]
    for content in damage:
        for entry in entries:
            entry.write_bytes(content)
        result = run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path)
        assert result.returncode == 0 and result.stdout == good, (content[:20], result.stderr)
        assert result.stderr.endswith("SYMPY IMPORTED\n")


def _edit_forms(folder: Path, edit) -> int:
    """Apply ``edit`` to every cached partial's form; the number of entries changed."""
    edited = 0
    for path in folder.glob("*.json"):
        entry = json.loads(path.read_text())
        if isinstance(entry["data"], dict) and "partials" in entry["data"]:
            partials = entry["data"]["partials"]
            for key in partials:
                partials[key] = edit(partials[key])
            path.write_text(json.dumps(entry))
            edited += 1
    return edited


TAMPERING = {
    "a form doubled (well formed, wrong)": lambda form: ["mul", [["const", "2"], form]],
    "a form naming an unknown quantity": lambda form: ["add", [form, ["slot", "undefined_name"]]],
    "a form calling what is no function": lambda form: ["call", "__import__", form],
    "code where a form belongs": lambda form: "__import__('os').system('touch PWNED')",
}


@pytest.mark.slow  # run by .ci/run (pytest -m slow): a subprocess per tampering
@pytest.mark.parametrize("edit", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_tampered_cache_entry_changes_nothing_and_runs_nothing(tmp_path: Path, edit) -> None:
    """The numbers never come from the cache, and a cached form must agree with the engine's own tree
    at two sample points: a tampered entry is derived afresh, and the output is unchanged."""
    good = run("grads", "--show-steps", *CUSTOM, cache_dir="").stdout
    assert run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path).returncode == 0
    assert _edit_forms(tmp_path, edit)
    result = run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path)
    assert result.returncode == 0 and result.stdout == good, result.stderr
    assert result.stderr.endswith("SYMPY IMPORTED\n")  # derived afresh
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    again = run("grads", "--show-steps", *CUSTOM, cache_dir=tmp_path)
    assert again.stdout == good and again.stderr.endswith("NO SYMPY\n")  # and the entry repaired


def test_an_unwritable_cache_folder_means_recomputing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("grads", "--show-steps", *CUSTOM, cache_dir=blocker / "cache")  # mkdir fails, root too
    assert result.returncode == 0 and result.stderr.endswith("SYMPY IMPORTED\n"), result.stderr
    if os.geteuid() != 0:  # permissions bind everyone but root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        result = run("grads", "--show-steps", *CUSTOM, cache_dir=locked)
        assert result.returncode == 0 and not list(locked.iterdir())


@pytest.mark.slow  # run by .ci/run (pytest -m slow)
def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    env = os.environ | {"RNNCALC_CACHE_DIR": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "100"}
    command = [
        sys.executable,
        "-c",
        RUN,
        "grads",
        "--show-steps",
        "-f",
        "json",
        *CUSTOM,
        "--x",
        "1",
        "0",
        "1",
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(6)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert len({out for out, _ in outputs}) == 1
    assert not list(tmp_path.glob(".entry-*"))  # no temporary file left behind
    for entry in tmp_path.glob("*.json"):
        assert json.loads(entry.read_text())["key"][-1][0] in ("written", "loss term")
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert again.stdout == outputs[0][0] and again.stderr.endswith("NO SYMPY\n")


@pytest.mark.parametrize("loss", ["mse", "sse", "bce"])
@pytest.mark.parametrize("weight", [Fraction(1, 97), Fraction(1, 1000), Fraction(2, 3)])
def test_loss_rules_beyond_the_shipped_counts_are_the_unit_rules_scaled(loss: str, weight: Fraction) -> None:
    # more targets than the package ships rules for: the weight-1 forms times the weight, no SymPy;
    # against what SymPy derives for that weight: the same values, and for the squared errors the
    # same display template
    from rnncalc.cell.template import frozen
    from rnncalc.cell.tree import evaluate

    assert f"{loss}:{weight}" not in shipped()["losses"]
    ours = loss_templates(loss, weight)
    expected = loss_data(loss, weight)
    for form, theirs in zip(ours, (expected["loss"], expected["dL_dy"]), strict=True):
        for y, g in ((0.3, 1.0), (0.75, 0.0), (0.2, 0.4)):
            point = {"y": y, "g": g}
            assert evaluate(form, point) == pytest.approx(evaluate(frozen(theirs), point), rel=1e-14)
        if loss != "bce":
            assert json.loads(json.dumps(form)) == json.loads(json.dumps(theirs))


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
def test_a_long_sequence_never_imports_sympy(tmp_path: Path) -> None:
    values = ",".join(str(v / 100) for v in range(100))  # 100 targets: a weight not shipped
    result = run("grads", "--show-steps", "--x", values, cache_dir=tmp_path)
    assert result.returncode == 0 and result.stderr.endswith("NO SYMPY\n"), result.stderr
    assert "1/50 · (y_1 - g_1)" in result.stdout


def test_a_cached_cell_is_the_derived_cell(tmp_path: Path, monkeypatch) -> None:
    from rnncalc import Problem
    from rnncalc.cell.data import cell_key
    from rnncalc.cell.rules import written_data
    from rnncalc.compute.run_numbers import network_of
    from rnncalc.engine.written import written

    monkeypatch.setenv("RNNCALC_CACHE_DIR", str(tmp_path))
    problem = Problem(cell=("o = Wi*x + Wh*h_prev", "h = relu(o)", "y = a*h"))
    derived = json.loads(json.dumps(written_data(problem.spec)))
    cache.store(["written", cell_key(problem.spec)], derived)
    net = network_of(problem)
    forms = written.__wrapped__(net, "mse", Fraction(1, 2), None)
    assert net.kinked and problem.params.keys() == {"Wi", "Wh", "a"}
    assert json.loads(json.dumps(forms.partials)) == derived["partials"]


REVERSE_CASES = [
    {"x": [1, 0, -0.5], "activation": "sigmoid"},
    {"x": [0.3, -1.2, 2, 0.1], "g": [None, 0.5, None, 1], "activation": "tanh"},
    {"x": [0.1, 0.2, -0.3], "activation": "relu", "params": {"b": -0.2}},
    {
        "x": [0.5, -1, 0.25],
        "g": [1, None, 0],
        "cell": ("o = Wi*x + Wh*h_prev*h_prev + b", "h = tanh(o)", "y = a*h*h + c*x"),
    },
    {"x": [2, 1], "loss": "half-sse", "cell": ("o = Wi*x + Wh*h_prev", "h = softplus(o)", "y = a*h")},
]


@pytest.mark.parametrize("case", REVERSE_CASES)
def test_the_reverse_mode_numbers_equal_the_derivations_forward_mode(case: dict) -> None:
    from rnncalc import Problem, Settings, derive

    problem = Problem(**case)
    numbers = derive(problem, Settings(), steps=False).gradients  # reverse mode (numbers only)
    shown = derive(problem, Settings(), steps=True).gradients  # the document's forward mode
    assert numbers.keys() == shown.keys()
    for key, value in shown.items():
        assert numbers[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


GATED = [
    (("--preset", "gru", "--x", "1", "0", "0.5"), True),
    (("--preset", "lstm", "--x", "1", "2", "--g", "_", "0.5", "--loss", "half-sse"), True),
    (("--preset", "elman", "--x", "1", "2", "--show-steps"), True),
    (
        (
            "--input",
            "x2=3,4",
            "--cell",
            "o = Wi*x + Wy*y_prev + x2",
            "--cell",
            "h = tanh(o)",
            "--cell",
            "y = a*h",
        ),
        False,
    ),
    (
        ("--cell", "s = tanh(W*x + U*s_prev + V*z_prev)", "--cell", "z = sigmoid(Q*s)", "--cell", "y = a*z"),
        False,
    ),
]


@pytest.mark.slow  # a fresh process per case: the slow tier (.ci/run: pytest -m slow)
@pytest.mark.parametrize(("args", "shipped_with_the_package"), GATED)
def test_gated_and_multi_state_cells_get_their_numbers_without_sympy_or_cache(
    args: tuple[str, ...], shipped_with_the_package: bool, tmp_path: Path
) -> None:
    """The numbers come from the engine's code, generated afresh from the parsed cell: nothing derived by
    SymPy, nothing read from or written to the cache."""
    first = run("grads", "-f", "json", *args, cache_dir=tmp_path)
    uncached = run("grads", "-f", "json", *args, cache_dir="")
    assert first.returncode == uncached.returncode == 0, first.stderr
    assert first.stderr.endswith("NO SYMPY\n")
    assert first.stdout == uncached.stdout
    assert not list(tmp_path.glob("*.json"))
