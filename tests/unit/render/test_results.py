"""One result protocol: every result (derivation, check, training, graph, grade) renders in every format
its command offers, speaks __rich__ / _repr_markdown_ / to_data(), and the help lists only those formats."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from latex import compile_latex
from rich.console import Console

from rnncalc import Problem, build_graph, check, derive, train
from rnncalc.render import FORMATS, formats_of

ANSWERS = 'h_1 = 0.880797\ndWi = 0.102937\n"dL/dW_h" = 0.0877\n\n[problem]\nx = [1, 0]\n'


def results() -> dict[str, object]:
    """One result of each kind, for the worked example."""
    from rnncalc.features.grade import grade

    return {
        "derivation": derive(Problem()),
        "check": check(Problem()),
        "train": train(Problem(), 0.5, 3),
        "graph": build_graph(Problem()),
        "grade": grade(Problem(), {"h_1": 0.880797, "dWi": 0.102937, "dL/dW_h": 0.0877}),
    }


@pytest.mark.parametrize("kind", ["derivation", "check", "train", "graph", "grade"])
def test_every_result_speaks_the_protocol(kind: str) -> None:
    result = results()[kind]
    data = result.to_data()  # type: ignore[attr-defined]
    assert json.loads(json.dumps(data)) == data
    assert result._repr_markdown_().startswith("# ") or kind == "graph"  # type: ignore[attr-defined]
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(result)
    assert console.file.getvalue().strip()
    for name in formats_of(type(result).__name__):
        assert result.render(name).strip()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["derivation", "check", "grade"])
def test_jupyter_latex_is_a_body_that_typesets(kind: str, tmp_path: Path) -> None:
    """_repr_latex_ (what nbconvert puts into a notebook's PDF): the body alone, and it compiles."""
    from rnncalc.render.latex_text import PREAMBLE

    body = results()[kind]._repr_latex_()  # type: ignore[attr-defined]
    assert "\\documentclass" not in body and "\\begin{document}" not in body
    compile_latex(PREAMBLE + body + "\n\\end{document}\n", tmp_path)


def test_a_graph_has_no_jupyter_latex() -> None:
    assert build_graph(Problem())._repr_latex_() is None


def test_report_numbers_match_the_derivation_in_every_format() -> None:
    derivation = derive(Problem())
    report = check(Problem())
    expected = f"{derivation.gradients['Wi']:.10f}"[:10]
    for name in ("rich", "markdown", "latex"):
        assert expected in report.render(name, digits=10), name
    assert report.to_data()["rows"][0]["chain_rule"] == derivation.gradients["Wi"]


@pytest.mark.parametrize("kind", ["check", "train", "grade"])
def test_reports_compile_as_latex(kind: str, tmp_path: Path) -> None:
    result = results()[kind]
    compile_latex(result.to_latex(), tmp_path)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("grads", []),
        ("forward", []),
        ("check", []),
        ("train", []),
        ("graph", []),
        ("grade", ["a.toml"]),
    ],
)
def test_help_lists_exactly_the_formats_the_command_writes(cli, command: str, extra: list[str]) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    listed = re.search(r"--format\s+\[([a-z|]+)\]|<([a-z|]+)>", out.replace("\n", " "))
    shown = re.findall(
        r"\[(?:[a-z]+\|)+[a-z]+\]|\b(?:rich\|json\|markdown\|latex\|html\|pdf|dot\|rich\|json)\b", out
    )
    assert listed or shown
    offered = set(re.findall(r"\b(rich|json|markdown|latex|html|pdf|dot)\b", " ".join(s for s in shown)))
    expected = set(formats_of("Graph" if command == "graph" else "Derivation"))
    assert offered == expected
    Path("a.toml").write_text(ANSWERS, encoding="utf-8")
    for name in expected - {"pdf"}:
        code, out, err = cli(command, *extra, "-f", name)
        assert code in (0, 1) and out.strip() and not err.startswith("rnncalc: error"), (name, err)
    if "pdf" in expected and shutil.which("pdflatex"):  # binary: to a file only
        code, _, err = cli(command, *extra, "-f", "pdf", "-o", "out.pdf")
        assert code in (0, 1) and Path("out.pdf").read_bytes().startswith(b"%PDF"), err


def test_reports_in_markdown_and_latex_from_the_cli(cli) -> None:
    code, out, _ = cli("train", "--epochs", "2", "--show-steps", "-f", "markdown")
    assert code == 0 and "| epoch | loss |" in out and "```math" in out
    code, out, _ = cli("check", "-o", "check.tex")
    assert code == 0 and Path("check.tex").read_text(encoding="utf-8").startswith("\\documentclass")
    assert set(FORMATS) == {"rich", "json", "markdown", "latex", "html", "pdf"}


def test_derivation_repr_is_short() -> None:
    assert repr(derive(Problem())) == "Derivation(n=2, sigmoid, mse, L=0.764356)"
