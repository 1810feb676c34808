"""Regenerate the generated documentation: docs/cli.md, docs/tutorial.md and docs/examples/.

python scripts/make_docs.py            # write the files
python scripts/make_docs.py --check    # exit 1 if any is stale (the tests run this)
python scripts/make_docs.py --golden   # also rewrite tests/golden/ after a deliberate change
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TEMPLATES = ROOT / "scripts" / "templates"
# A float printed to (nearly) full precision: its last digit may differ between BLAS kernels.
FULL_FLOAT = re.compile(r"\d+\.\d{12,}(?:e-?\d+)?")
RUN = re.compile(r"^<!-- run(?P<error>-error)?: (?P<command>.+?) -->$", re.M)
EXAMPLES = {
    "derivation.md": ["grads", "--show-steps", "-f", "markdown"],
    "derivation.tex": ["grads", "--show-steps", "-f", "latex"],
    "derivation-hand-rounded.md": ["grads", "--show-steps", "--round-intermediate", "-f", "markdown"],
    "exercise.md": ["grads", "--show-steps", "--blank", "-f", "markdown"],
    "vector-softmax.md": [
        "grads",
        "--show-steps",
        "--config",
        "docs/examples/vector-softmax.toml",
        "-f",
        "markdown",
    ],
    "vector-hello.md": [
        "grads",
        "--show-steps",
        "--config",
        "docs/examples/vector-hello.toml",
        "--digits",
        "8",
        "-f",
        "markdown",
    ],
}
GOLDEN = {
    "grads_show_steps.txt": ["grads", "--show-steps", "--width", "0"],  # the layout, one line per step
    "grads_show_steps_hand.txt": ["grads", "--show-steps", "--round-intermediate", "--width", "0"],
    "grads_show_steps.md": ["grads", "--show-steps", "-f", "markdown"],
    "grads_show_steps.tex": ["grads", "--show-steps", "-f", "latex"],
    "grads_show_steps.json": ["grads", "--show-steps", "-f", "json"],
}


# The pages read the same on every machine: PyTorch's column says "skipped" whether or not it is installed.
WITHOUT_TORCH = (
    "import runpy, sys; sys.modules['torch'] = None; runpy.run_module('rnncalc', run_name='__main__')"
)


def rnncalc(args: list[str], error: bool = False) -> str:
    """Run the installed CLI exactly as a user would and return its standard output.

    ``< FILE`` at the end feeds the file (relative to the project) to standard input, as a shell does;
    with ``error`` the command must fail, and its error line (standard error) is returned.
    """
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    stdin = ""
    if len(args) >= 2 and args[-2] == "<":
        stdin, args = (ROOT / args[-1]).read_text(encoding="utf-8"), args[:-2]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        input=stdin,
    )
    if error:
        if result.returncode == 0:
            raise SystemExit(f"rnncalc {' '.join(args)} was expected to fail")
        return result.stderr
    if result.returncode not in (0, 1):
        raise SystemExit(f"rnncalc {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def cli_reference() -> str:
    """docs/cli.md, generated from the app by typer."""
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "cli.md"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "typer",
                "rnncalc.cli",
                "utils",
                "docs",
                "--name",
                "rnncalc",
                "--output",
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        return target.read_text(encoding="utf-8")


def from_template(name: str) -> str:
    """docs/NAME: the template with each <!-- run: ... --> replaced by the command and its output.

    ``<!-- run-error: ... -->`` shows a command that fails, with its error line.
    """

    def run(match: re.Match[str]) -> str:
        command = match["command"]
        args = shlex.split(command)[1:]
        return f"```console\n$ {command}\n{rnncalc(args, bool(match['error'])).rstrip()}\n```"

    return RUN.sub(run, (TEMPLATES / name).read_text(encoding="utf-8"))


def error_table() -> str:
    """docs/errors.md: every bad-input case of tests/bad_inputs.py with the message it really gets."""
    import contextlib
    import io

    sys.path.insert(0, str(ROOT / "tests"))
    from bad_inputs import BAD_INPUTS, expand, prepare

    from rnncalc.cli import main as rnncalc_main
    from rnncalc.text import visible

    rows = []
    with tempfile.TemporaryDirectory() as directory:
        prepare(directory)
        for case, args, _, _ in BAD_INPUTS:
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                status = rnncalc_main(expand(args, directory))
            message = err.getvalue().strip().replace(directory, "DIR").replace("|", "\\|")
            shown = visible(" ".join(("''" if not a else a) for a in args).replace("{tmp}", "DIR"))
            rows.append(f"| {case} | `rnncalc {shown}` | {status} | `{message}` |")
    header = [
        "# Bad input and the errors it gets",
        "",
        "Every case below is a test (`tests/bad_inputs.py`); this page is generated from the same list "
        "with the",
        "real messages (`python scripts/make_docs.py`). Each error is one line on stderr, nothing is "
        "written to",
        "stdout, and no file the user already had is touched. Exit status 2 means a usage error (fix the "
        "command",
        "line), 1 any other error. A genuine bug prints `rnncalc: error: internal error: ...`; set",
        "`RNNCALC_DEBUG=1` to see its traceback.",
        "",
        "| case | command | exit | message |",
        "| --- | --- | --- | --- |",
    ]
    return "\n".join(header + rows) + "\n"


def generated() -> dict[Path, str]:
    """Every generated file and its expected content."""
    from rnncalc.features.problem_file import TEMPLATE

    problem = DOCS / "examples" / "problem.toml"
    if not problem.exists():
        problem.write_text(TEMPLATE, encoding="utf-8")  # the pages below read it
    files = {DOCS / "cli.md": cli_reference(), DOCS / "errors.md": error_table(), problem: TEMPLATE}
    files |= {
        DOCS / template.name: from_template(template.name) for template in sorted(TEMPLATES.glob("*.md"))
    }
    files |= {DOCS / "examples" / name: rnncalc(args) for name, args in EXAMPLES.items()}
    return files


def compile_pdf(tex: Path) -> None:
    """Compile the example LaTeX to a reproducible PDF beside it, when pdflatex is installed."""
    if tex.with_suffix(".pdf").exists() and tex.with_suffix(".pdf").stat().st_mtime >= tex.stat().st_mtime:
        return
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: docs/examples PDF not rebuilt")
        return
    with tempfile.TemporaryDirectory() as directory:
        shutil.copy(tex, directory)
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=directory,
            check=True,
            capture_output=True,
            env=env,
        )
        shutil.copy(Path(directory) / tex.with_suffix(".pdf").name, tex.with_suffix(".pdf"))


def same_text(path: Path, text: str) -> bool:
    """Whether the file holds the text, full-precision floats compared to 12 significant digits."""
    if not path.exists():
        return False
    old = path.read_text(encoding="utf-8")
    return old == text or FULL_FLOAT.sub(_to_12_digits, old) == FULL_FLOAT.sub(_to_12_digits, text)


def _to_12_digits(match: re.Match[str]) -> str:
    """A full-precision float rounded to 12 significant digits."""
    return f"{float(match.group()):.12g}"


def main() -> int:
    """Write or check the generated files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--golden", action="store_true", help="also rewrite the golden test files")
    options = parser.parse_args()
    files = generated()
    if options.golden:
        files |= {ROOT / "tests" / "golden" / name: rnncalc(args) for name, args in GOLDEN.items()}
    stale = [path for path, text in files.items() if not same_text(path, text)]
    if options.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run: python scripts/make_docs.py)")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    compile_pdf(DOCS / "examples" / "derivation.tex")
    draw_graph(DOCS / "examples" / "graph.svg")
    return 0


def draw_graph(target: Path) -> None:
    """The worked example's graph as SVG, when Graphviz is installed."""
    if target.exists():
        return
    if shutil.which("dot") is None:
        print("Graphviz not found: docs/examples/graph.svg not drawn")
        return
    subprocess.run([sys.executable, "-m", "rnncalc", "graph", "-o", str(target)], check=True)


if __name__ == "__main__":
    sys.exit(main())
