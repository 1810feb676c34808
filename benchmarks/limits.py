"""Run rnncalc at each documented limit and print its wall time and peak memory against the budget.

    python benchmarks/limits.py              # every limit, one run each
    python benchmarks/limits.py --markdown   # the table as Markdown (for docs/performance.md)
    python benchmarks/limits.py --only lstm  # the rows whose name holds a word

A limit that depends on the cell (rnncalc scales it by the cell's cost) is found by asking for one step
too many and reading the largest n the error message allows; the run is then made at that n. Each row
passes when the command succeeds within 20 s and 2 GB (the budget docs/errors.md states).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYTHON = sys.executable
RNNCALC = [PYTHON, "-m", "rnncalc"]
SECONDS, MEGABYTES = 20.0, 2048.0
SCRATCH = Path(tempfile.mkdtemp(prefix="rnncalc-limits-"))
os.environ["RNNCALC_CACHE_DIR"] = str(SCRATCH / "cache")


@dataclass
class Case:
    """One documented limit: a name, the limit in words and the command at it (given the limit's n)."""

    name: str
    limit: str
    command: Callable[[int], list[str]]
    n: int | Callable[[], int]


def values(n: int, seed: int = 1) -> list[str]:
    """n input values with three decimals."""
    rng = random.Random(seed)
    return [f"{rng.uniform(-1, 1):.3f}" for _ in range(n)]


def vector_problem(hidden: int, n: int) -> list[str]:
    """A tanh RNN with one input, `hidden` units and one output over n steps, as a NumPy archive (a
    problem file holds at most 1 MB)."""
    import numpy as np

    path = SCRATCH / f"vector-{hidden}-{n}.npz"
    if not path.exists():
        rng = np.random.default_rng(3)
        scale = 1 / hidden**0.5  # tanh stays in range

        def uniform(*shape: int) -> Any:
            return rng.uniform(-scale, scale, shape).round(3)

        arrays = {"x": uniform(n, 1), "Wi": uniform(hidden, 1), "Wh": uniform(hidden, hidden)}
        np.savez(path, **arrays, a=uniform(1, hidden), b=np.zeros(hidden), c=np.zeros(1))
    return ["--config", str(path), "--activation", "tanh"]


def allowed(command: list[str], over: int) -> int:
    """The largest n the limit allows, read from the error message for ``over`` steps."""
    result = subprocess.run([*command, "--config", str(long_npz(over))], capture_output=True, text=True)
    found = re.search(r"(?:limited to n = |at most |give at most |stops at )([\d,]+)", result.stderr)
    if result.returncode == 0 or found is None:
        raise SystemExit(
            f"no limit reported by {' '.join(command[:6])} at n = {over}: {result.stderr.strip()}"
        )
    return int(found.group(1).replace(",", ""))


def measured(command: list[str]) -> tuple[float, float, int]:
    """Wall time (s), peak resident memory (MB) and exit status of one run, its output to a file."""
    with open(SCRATCH / "out", "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def shown_as(form: str) -> Callable[[int], list[str]]:
    """The command of a vector problem (H = 100) over n steps, every step shown in this format."""
    return lambda n: [*RNNCALC, "grads", "--show-steps", "--all-steps", "-f", form, *vector_problem(100, n)]


THREE_STATES = [
    *("--cell", "s = tanh(W*x + U*s_prev)", "--cell", "r = tanh(V*s + R*r_prev)"),
    *("--cell", "q = sigmoid(P*r + Q*q_prev)", "--cell", "y = q"),
]
LSTM_SHOWN = [*RNNCALC, "grads", "--preset", "lstm", "--show-steps"]
CASES = [
    Case(
        "show-steps, worked example's cell",
        "n ≤ 14,000 shown",
        lambda n: [*RNNCALC, "grads", "--show-steps", "--x", *values(n)],
        14_000,
    ),
    Case(
        "show-steps, lstm preset",
        "n scaled by the cell's cost",
        lambda n: [*LSTM_SHOWN, "--x", *values(n)],
        lambda: allowed(LSTM_SHOWN, 20_000),
    ),
    Case(
        "exact, worked example's cell",
        "n ≤ 500",
        lambda n: [*RNNCALC, "grads", "--show-steps", "--exact", "--x", *values(n)],
        500,
    ),
    Case(
        "exact, lstm preset",
        "n scaled by the cell's cost",
        lambda n: [*LSTM_SHOWN, "--exact", "--x", *values(n)],
        lambda: allowed([*LSTM_SHOWN, "--exact"], 600),
    ),
    Case(
        "JSON gradients, worked example's cell",
        "n ≤ 1,000,000",
        lambda n: [*RNNCALC, "grads", "-f", "json", "--config", str(long_npz(n))],
        1_000_000,
    ),
    Case(
        "vectors JSON, H = 200, n = 200",
        "2,000,000 numbers a matrix",
        lambda n: [*RNNCALC, "grads", "-f", "json", *vector_problem(200, n)],
        200,
    ),
    Case(
        "vectors JSON, H = 1,414, n = 2",
        "2,000,000 numbers a matrix",
        lambda n: [*RNNCALC, "grads", "-f", "json", *vector_problem(1414, n)],
        2,
    ),
    *(
        Case(
            f"vectors show-steps as {form}, every step, H = 100",
            "800,000 numbers shown",
            shown_as(form),
            lambda: allowed_vector_steps(100),
        )
        for form in ("rich", "json", "markdown", "latex")
    ),
    Case(
        "check, H = 100, n = 20",
        "finite differences within a work budget",
        lambda n: [*RNNCALC, "check", *vector_problem(100, n)],
        20,
    ),
    Case(
        "check, worked example's cell",
        "n ≤ 150,000",
        lambda n: [*RNNCALC, "check", "--config", str(long_npz(n))],
        lambda: allowed([*RNNCALC, "check"], 200_000),
    ),
    Case(
        "check, lstm preset",
        "n scaled by the cell's cost",
        lambda n: [*RNNCALC, "check", "--preset", "lstm", "--config", str(long_npz(n))],
        lambda: allowed([*RNNCALC, "check", "--preset", "lstm"], 200_000),
    ),
    Case(
        "check, a 3-state cell of your own",
        "n scaled by the cell's cost",
        lambda n: [*RNNCALC, "check", *THREE_STATES, "--config", str(long_npz(n))],
        lambda: allowed([*RNNCALC, "check", *THREE_STATES], 200_000),
    ),
    Case(
        "train, at the time budget",
        "epochs × steps within 20 s",
        lambda n: [*RNNCALC, "train", "--x", *values(1000), "--epochs", str(n)],
        lambda: allowed_epochs(),
    ),
    Case(
        "graph, n = 2,000", "n ≤ 2,000", lambda n: [*RNNCALC, "graph", "-f", "json", "--x", *values(n)], 2_000
    ),
]


def long_npz(n: int) -> Path:
    """A NumPy archive of n inputs (too long for the command line or a 1 MB problem file)."""
    import numpy as np

    path = SCRATCH / f"long-{n}.npz"
    if not path.exists():
        np.savez(path, x=np.random.default_rng(1).uniform(-1, 1, n).round(3))
    return path


def allowed_vector_steps(hidden: int) -> int:
    """The most steps --show-steps writes out for a vector problem of this hidden size."""
    result = subprocess.run(
        [*RNNCALC, "grads", "--show-steps", *vector_problem(hidden, 10_000)], capture_output=True, text=True
    )
    found = re.search(r"n × ([\d,]+) numbers", result.stderr)
    if found is None:
        raise SystemExit(f"no limit reported for H = {hidden}: {result.stderr.strip()}")
    return 800_000 // int(found.group(1).replace(",", ""))


def allowed_epochs() -> int:
    """The most epochs train allows over 1,000 steps, from its message for too many."""
    command = [*RNNCALC, "train", "--x", *values(1000), "--epochs", "100000"]
    result = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"give at most ([\d,]+) epochs", result.stderr)
    if found is None:
        raise SystemExit(f"train reported no budget: {result.stderr.strip()}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    """Measure every case (or those named by --only) and print the table; exit 1 if any is over budget."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--only", help="run only the cases whose name holds this word")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))  # a runaway case fails instead of swapping
    rows = [("limit", "documented", "n", "time", "peak memory", "within 20 s and 2 GB")]
    failed = False
    for case in CASES:
        if args.only and args.only not in case.name:
            continue
        n = case.n if isinstance(case.n, int) else case.n()
        seconds, megabytes, code = measured(case.command(n))
        ok = code == 0 and seconds <= SECONDS and megabytes <= MEGABYTES
        failed |= not ok
        verdict = "yes" if ok else ("no" if code == 0 else f"no (exit {code})")
        rows.append((case.name, case.limit, f"{n:,}", f"{seconds:.1f} s", f"{megabytes:,.0f} MB", verdict))
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows, args.markdown))
    return 1 if failed else 0


def table(rows: Sequence[tuple[str, ...]], markdown: bool) -> str:
    """The rows aligned as text, or as a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


if __name__ == "__main__":
    sys.exit(main())
