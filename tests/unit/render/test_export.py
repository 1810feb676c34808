"""Markdown and LaTeX exports: golden files, real compilation, GitHub math, safe file writing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from latex import compile_latex
from paths import GOLDEN
from reference import symbolic_gradients

from rnncalc import Problem, derive
from rnncalc.errors import RnnCalcError
from rnncalc.files import write_atomically

EXPORT_CASES = {
    "default": (),
    "n50": ("--x", *["1", "0", "-1/2", "2", "0.25"] * 10, "--g", *["0", "1"] * 25),
    "tanh": ("--activation", "tanh", "--x", "1", "-1", "2"),
    "relu": ("--activation", "relu", "--x", "1", "-1", "2", "--wh", "-2"),
    "identity": ("--activation", "identity", "--x", "1", "2", "3", "--loss", "sse"),
    "hand": ("--round-intermediate", "--x", "1", "0", "1"),
    "exact": ("--exact", "--x", "1", "0", "1"),
    "both": ("--method", "both", "--x", *["1", "-1"] * 15),
}


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("grads_show_steps.md", ("-f", "markdown")),
        ("grads_show_steps.tex", ("-f", "latex")),
        ("grads_show_steps.json", ("-f", "json")),
    ],
)
def test_golden_exports(cli, name: str, args: tuple[str, ...]) -> None:
    code, out, _ = cli("grads", "--show-steps", *args)
    assert code == 0
    assert out == (GOLDEN / name).read_text(encoding="utf-8")


def test_golden_markdown_values_agree_with_sympy() -> None:
    text = (GOLDEN / "grads_show_steps.md").read_text(encoding="utf-8")
    expected = symbolic_gradients([1, 0], [1, 1], {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0})
    for key, latex in {"Wi": "W_{i}", "Wh": "W_{h}", "a": "a", "b": "b", "c": "c", "h0": "h_{0}"}.items():
        row = re.search(r"\| \$`\\frac\{dL\}\{d" + re.escape(latex) + r"\}`\$ \| \$`(-?[\d.]+)`\$ \|", text)
        assert row, key
        assert float(row.group(1)) == pytest.approx(expected[key], abs=5e-7)


@pytest.mark.slow  # documents typeset by pdflatex: the slow tier (.ci/run: pytest -m slow)
@pytest.mark.parametrize("case", sorted(EXPORT_CASES))
def test_latex_document_compiles_without_overfull_boxes(cli, tmp_path: Path, case: str) -> None:
    code, out, err = cli("grads", "--show-steps", "-f", "latex", *EXPORT_CASES[case])
    assert code == 0, err
    log = compile_latex(out, tmp_path)
    assert "Overfull" not in log


def _math_of_markdown(text: str) -> list[str]:
    blocks = re.findall(r"```math\n(.*?)\n```", text, flags=re.S)
    inline = re.findall(r"\$`(.*?)`\$", text)
    return [rf"\[{block}\]" for block in blocks] + [f"${item}$" for item in inline]


@pytest.mark.slow  # documents typeset by pdflatex: the slow tier (.ci/run: pytest -m slow)
@pytest.mark.parametrize("case", ["default", "n50", "relu", "exact"])
def test_every_markdown_math_fragment_compiles(cli, tmp_path: Path, case: str) -> None:
    code, out, _ = cli("grads", "--show-steps", "-f", "markdown", *EXPORT_CASES[case])
    assert code == 0
    fragments = _math_of_markdown(out)
    assert len(fragments) > 5
    assert not re.search(r"^\$\$", out, flags=re.M), "GitHub flavour must not use $$ blocks"
    document = (
        "\\documentclass{article}\n\\usepackage[paperwidth=200cm,paperheight=200cm]{geometry}\n"
        "\\usepackage{amsmath}\n\\begin{document}\n"
    )
    compile_latex(document + "\n\n".join(fragments) + "\n\\end{document}\n", tmp_path)


def test_generic_markdown_uses_dollar_blocks(cli) -> None:
    _, out, _ = cli("grads", "--show-steps", "-f", "markdown", "--markdown-flavor", "generic")
    assert "```math" not in out and out.count("$$\n\\begin{aligned}") == len(derive().sections)


def test_latex_fragment_is_only_the_body(cli) -> None:
    _, out, _ = cli("grads", "--show-steps", "-f", "latex", "--fragment")
    assert "\\documentclass" not in out and "\\begin{align*}" in out


def test_terminal_markdown_and_latex_show_the_same_values(cli) -> None:
    outputs = {
        fmt: cli("grads", "--show-steps", "-f", fmt, "--x", "1", "-2", "3")[1]
        for fmt in ("rich", "markdown", "latex")
    }
    for value in derive(Problem(x=[1, -2, 3])).gradients.values():
        shown = f"{value:.6f}"
        assert all(shown in text for text in outputs.values()), shown


@pytest.mark.parametrize(
    ("suffix", "marker"),
    [(".md", "```math"), (".tex", "\\documentclass"), (".json", '"gradients"'), (".txt", "Gradients")],
)
def test_output_format_follows_the_extension(cli, tmp_path: Path, suffix: str, marker: str) -> None:
    target = tmp_path / f"derivation{suffix}"
    code, out, err = cli("grads", "--show-steps", "-o", str(target))
    size = target.stat().st_size
    assert (code, out) == (0, "")
    assert err == f"rnncalc: wrote {target} ({size:,} bytes)\n"  # one line on stderr: what was written
    assert marker in target.read_text(encoding="utf-8")
    assert cli("grads", "--show-steps", "-o", str(target), "-q") == (0, "", "")  # -q: nothing said


def test_forward_to_markdown(cli, tmp_path: Path) -> None:
    target = tmp_path / "forward.md"
    assert cli("forward", "--x", "1", "0", "-o", str(target))[0] == 0
    text = target.read_text(encoding="utf-8")
    assert "## Forward pass" in text and "Local derivatives" not in text


def test_failed_write_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "derivation.md"
    target.write_text("previous work\n", encoding="utf-8")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(RnnCalcError, match="No space left on device"):
        write_atomically(target, "new text")
    assert target.read_text(encoding="utf-8") == "previous work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derivation.md"]


def test_unwritable_target_is_a_one_line_error(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me", encoding="utf-8")
    code, out, err = cli("grads", "-o", str(blocker / "derivation.md"))
    assert code == 1 and out == "" and err.count("\n") == 1 and "cannot write" in err
    code, _, err = cli("grads", "-o", str(tmp_path))
    assert code != 0 and err.count("\n") == 1
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_python_api_exports() -> None:
    derivation = derive()
    assert derivation.to_markdown().startswith("# ")
    assert derivation.to_latex(fragment=True).startswith("\\section*")
    assert "```math" not in derivation._repr_markdown_()
    assert '"gradients"' in derivation.to_json()
