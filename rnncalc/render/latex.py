"""The LaTeX export: a standalone article (or a fragment to \\input) with one align* per section."""

from __future__ import annotations

from ..derivation.model import Derivation, Section
from ..derivation.names import gradient
from . import View
from .latex_rows import explained_rows, gradient_rows, header
from .latex_text import PREAMBLE, latex_prose, latex_text

TITLE = "Backpropagation through time, step by step"


def section_title(section: Section) -> str:
    """A section title in LaTeX: gradient sections are named by their math."""
    if section.key.startswith(("grad:", "bgrad:")):
        suffix = " (backward)" if section.title.endswith("(backward)") else ""
        return f"Gradient ${gradient(section.key.split(':', 1)[1]).latex}${suffix}"
    if section.key.startswith("truncated:"):  # dW_i, truncated (K = 2)
        return f"Gradient ${gradient(section.key.split(':', 1)[1]).latex}$, {section.title.split(', ', 1)[1]}"
    return section.title


def _latex_title(title: str) -> str:
    """A title with $math$ in it for LaTeX: the text outside the math escaped."""
    pieces = title.split("$")
    return "".join(f"${piece}$" if i % 2 else latex_text(piece) for i, piece in enumerate(pieces))


def body(derivation: Derivation) -> str:
    """The derivation itself: needs amsmath (align*) and, for page breaks, \\allowdisplaybreaks."""
    lines = [rf"\section*{{{TITLE}}}", header(derivation), ""]
    for section in derivation.sections:
        lines.append(rf"\subsection*{{{_latex_title(section_title(section))}}}")
        for rows, note in explained_rows(derivation, section):
            lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]
            lines += [rf"{{\small\emph{{{latex_prose(note)}}}}}", ""] if note else []
        lines += [latex_prose(section.note), ""] if section.note else []
    lines += [r"\subsection*{Results}", r"\begin{tabular}{lr}"]
    lines += [rf"${name}$ & ${value}$ \\" for name, value in gradient_rows(derivation)]
    lines += [r"\end{tabular}", ""]
    return "\n".join(lines)


def render(derivation: Derivation, view: View) -> str:
    """A complete document, or only its body with ``view.fragment``."""
    return body(derivation) if view.fragment else PREAMBLE + body(derivation) + "\\end{document}\n"
