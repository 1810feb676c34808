"""Write docs/api.ipynb (rnncalc from Python and Jupyter), run it with nbclient, and write docs/api.md
from the executed notebook: its text, its code and what each cell shows.

    python scripts/make_notebook.py            # write both
    python scripts/make_notebook.py --check    # fail if docs/api.md differs from a fresh run

Needs the notebook extra: pip install -e ".[notebook]" (tests/documents/test_notebook.py runs it in the
slow tier).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOK = DOCS / "api.ipynb"
PAGE = DOCS / "api.md"
NO_TORCH = Path(__file__).resolve().parent / "no_torch"
"""A folder whose torch.py refuses to import: the page shows what CI (without PyTorch) shows."""

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "# rnncalc from Python and Jupyter\n\n"
        "Everything the command line does is a function returning a result object: `derive`, `check`, "
        "`train`, `build_graph`, `grade`, and `load` for a problem file. Every result shows itself in a "
        "notebook (HTML with the math as MathML: no network, no script; its LaTeX body goes into "
        "`jupyter nbconvert --to pdf`), prints as the terminal view "
        "(`str()`), and exports with `to_markdown()`, `to_latex()`, `to_html()`, `to_json()` and "
        "`to_data()`. Bad input raises `rnncalc.InputError` (the CLI's exit status 2), a failed "
        "computation `rnncalc.RnnCalcError` (exit status 1), with the CLI's one-line messages.\n\n"
        "This page is the notebook docs/api.ipynb, executed (scripts/make_notebook.py).",
    ),
    ("code", "import numpy as np\n\nimport rnncalc\nfrom rnncalc import Problem, Settings, derive"),
    (
        "markdown",
        "## The worked example\n\nA `Problem` takes numbers as int, float (its shortest decimal), "
        '`Fraction` or text (`"1/2"`); the derivation shows itself as the whole worked example.',
    ),
    ("code", "d = derive(Problem(x=[1, 0]))\nd"),
    ("code", "{key: round(value, 6) for key, value in d.gradients.items()}"),
    (
        "markdown",
        "## Vectors and NumPy\n\nNested lists and NumPy arrays make a vector problem (x a row per step); "
        "gradients come back as NumPy-shaped nested lists, `input_gradients` holds dL/dx.",
    ),
    (
        "code",
        "v = derive(\n"
        "    Problem(\n"
        "        x=np.array([[1.0, 0.0], [0.0, 1.0]]),\n"
        "        g=[[1.0], [0.0]],\n"
        '        params={"Wh": 0.5 * np.eye(2), "a": np.ones((1, 2))},\n'
        '        activation="tanh",\n'
        "    ),\n"
        "    steps=False,\n"
        ")\n"
        'np.round(np.asarray(v.gradients["Wh"]), 6)',
    ),
    (
        "markdown",
        "## A course's convention\n\nCS231n's LSTM with its stacked weights, a mini-batch of N = 2 "
        "sequences and upstream gradients dL/dh_t, as `lstm_backward` takes them:",
    ),
    (
        "code",
        "rng = np.random.default_rng(0)\n"
        "N, T, D, H = 2, 3, 2, 2\n"
        "course = derive(\n"
        "    Problem(\n"
        '        convention="cs231n",\n'
        '        preset="lstm",\n'
        "        x=rng.uniform(-1, 1, (N, T, D)).round(2),\n"
        "        params={\n"
        '            "Wx": rng.uniform(-1, 1, (D, 4 * H)).round(2),\n'
        '            "Wh": rng.uniform(-1, 1, (H, 4 * H)).round(2),\n'
        '            "b": np.zeros(4 * H),\n'
        "        },\n"
        "        upstream=rng.uniform(-1, 1, (N, T, H)).round(2),\n"
        "    ),\n"
        "    steps=False,\n"
        ")\n"
        'np.asarray(course.gradients["Wx"]).shape, np.asarray(course.input_gradients["x"]).shape',
    ),
    ("markdown", "## Check, train, graph\n\nEach returns its result; a notebook shows it."),
    ("code", "rnncalc.check(Problem(x=[1, 0]))"),
    (
        "code",
        "run = rnncalc.train(Problem(x=[1, 0]), lr=0.5, epochs=3)\n[round(e.loss, 6) for e in run.history]",
    ),
    ("code", "rnncalc.build_graph(Problem(x=[1, 0]))"),
    (
        "markdown",
        "## Problem files and grading\n\n`load` reads a TOML problem file (`rnncalc init` writes one), "
        "`load_settings` its settings; `grade` marks a student's numbers.",
    ),
    (
        "code",
        'problem = rnncalc.load("examples/problem.toml")\n'
        'problem.n, rnncalc.load_settings("examples/problem.toml").digits',
    ),
    ("code", 'print(rnncalc.grade(Problem(x=[1, 0]), {"h_1": 0.880797, "y_2": 1.9}))'),
    ("markdown", "## Errors\n\nThe same one-line messages as the command line, as exceptions:"),
    ("code", "try:\n    Problem(x=[1, 0], g=[1])\nexcept rnncalc.InputError as error:\n    print(error)"),
]


def build() -> object:
    """The notebook, unexecuted."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook.cells = [make[kind](source) for kind, source in CELLS]
    return notebook


def execute(notebook: object) -> object:
    """The notebook run top to bottom in a fresh kernel, in docs/ (an error stops it)."""
    from nbclient import NotebookClient

    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(DOCS)}}
    ).execute(env={**os.environ, "PYTHONPATH": str(NO_TORCH)})
    return notebook


def page(notebook: object) -> str:
    """docs/api.md: the text, the code, and each output as text (HTML shown by what it holds)."""
    parts: list[str] = []
    for cell in notebook.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        parts.append(f"```python\n{cell.source}\n```")
        for output in cell.get("outputs", []):
            parts.append(_shown(output))
    return "\n\n".join(part for part in parts if part) + "\n"


def _shown(output: dict) -> str:
    """One output as Markdown: printed text and plain values in a block; rich results as their Markdown
    view; a picture as a note."""
    if output.get("output_type") == "stream":
        text = output["text"].rstrip()
        return f"```text\n{text}\n```" if text else ""
    data = output.get("data", {})
    if "image/svg+xml" in data:
        return "*(the unrolled graph, drawn as SVG by Graphviz)*"
    if "text/markdown" in data:  # its headings two levels down, under the page's own
        lines = data["text/markdown"].strip().splitlines()
        return "\n".join(f"##{line}" if line.startswith("#") else line for line in lines)
    if "text/plain" in data:
        return f"```text\n{data['text/plain'].rstrip()}\n```"
    return ""


def main(argv: list[str]) -> int:
    """Write (or with --check, compare) docs/api.ipynb and docs/api.md."""
    import nbformat

    notebook = execute(build())
    text = page(notebook)
    if "--check" in argv:
        if PAGE.read_text(encoding="utf-8") != text:
            print("stale: docs/api.md (run: python scripts/make_notebook.py)")
            return 1
        return 0
    for cell in notebook.cells:  # type: ignore[attr-defined]
        cell.pop("outputs", None) if cell.cell_type != "code" else None
    nbformat.write(build(), NOTEBOOK)  # kept unexecuted: the test runs it
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK.relative_to(DOCS.parent)} and {PAGE.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
