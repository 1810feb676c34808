"""The Markdown export: headings, display math that renders on GitHub (```math) or elsewhere ($$)."""

from __future__ import annotations

from ..derivation.model import Derivation
from . import View
from .latex import TITLE
from .latex_rows import explained_rows, gradient_rows, header


def display_math(rows: list[str], flavor: str) -> str:
    """An aligned display: a fenced math block on GitHub, $$ ... $$ for MkDocs, Jupyter and Pandoc."""
    aligned = "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
    return f"```math\n{aligned}\n```" if flavor == "github" else f"$$\n{aligned}\n$$"


def inline_math(latex: str, flavor: str) -> str:
    """Inline math: $`...`$ on GitHub, $...$ elsewhere."""
    return f"$`{latex}`$" if flavor == "github" else f"${latex}$"


def render(derivation: Derivation, view: View) -> str:
    """The Markdown text."""
    blocks = [f"# {TITLE}", header(derivation)]
    for section in derivation.sections:
        blocks.append(f"## {section.title}")
        for rows, note in explained_rows(derivation, section):
            blocks += [display_math(rows, view.flavor), *([f"*{note}*"] if note else [])]
        blocks += [section.note] if section.note else []
    table = ["| quantity | value |", "| --- | ---: |"]
    table += [
        f"| {inline_math(name, view.flavor)} | {inline_math(value, view.flavor)} |"
        for name, value in gradient_rows(derivation)
    ]
    blocks += ["## Results", "\n".join(table)]
    return "\n\n".join(blocks) + "\n"
