"""Reports (check, train, grade): one neutral model of tables, lines and equations, and its renderers.

Each report module turns its result into a ``Report`` (``report(result, view)``) and plain data
(``as_data(result)``); the terminal, Markdown and LaTeX renderers below print any report, and
``html.py`` writes it as a page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...derivation.model import Step
from .. import View
from ..latex_text import PREAMBLE, latex_text

Cell = tuple[str, str | None]
GOOD, BAD = "bold green", "bold red"


@dataclass(frozen=True)
class Table:
    """A titled table of text cells, each with an optional terminal style; the first column left-aligned."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""


@dataclass(frozen=True)
class Line:
    """A sentence, with an optional terminal style."""

    text: str
    style: str | None = None


@dataclass(frozen=True)
class Preformatted:
    """Text kept as it is (a bar chart)."""

    text: str


@dataclass(frozen=True)
class Equations:
    """A titled run of derivation steps (the first training update)."""

    title: str
    steps: tuple[Step, ...]
    digits: int


Part = Table | Line | Preformatted | Equations


@dataclass(frozen=True)
class Report:
    """A report: its parts in order, and its plain data for JSON."""

    title: str
    parts: tuple[Part, ...]
    data: dict[str, Any] = field(default_factory=dict)


def mark(ok: bool) -> Cell:
    """✓ or ✗, coloured on a terminal."""
    return ("✓", GOOD) if ok else ("✗", BAD)


def rich_renderable(report: Report) -> Any:
    """The report for a Rich console."""
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text

    from ..layout import text_line

    parts: list[Any] = []
    for part in report.parts:
        if isinstance(part, Table):
            table = RichTable(title=part.title, title_justify="left", title_style="bold")
            for i, column in enumerate(part.columns):
                table.add_column(column, justify="left" if i == 0 else "right")
            for row in part.rows:
                table.add_row(*(Text(text, style=style or "") for text, style in row))
            table.caption = part.caption or None
            parts.append(table)
        elif isinstance(part, Line):
            parts.append(Text(part.text, style=part.style or ""))
        elif isinstance(part, Preformatted):
            parts.append(Text(part.text))
        else:
            parts.append(Text(part.title, style="bold underline"))
            parts += [Text("  " + text_line(step, part.digits)) for step in part.steps]
            parts.append(Text(""))
    return Group(*parts)


def render_text(report: Report, view: View) -> str:
    """The terminal view as plain text."""
    import io

    from ..terminal import plain_console

    text = io.StringIO()
    console = plain_console(text, width=160)
    console.print(rich_renderable(report))
    return text.getvalue()


def _escape_markdown(text: str) -> str:
    """A table cell for Markdown."""
    return text.replace("|", "\\|")


def render_markdown(report: Report, view: View) -> str:
    """Markdown: a heading, pipe tables, paragraphs, code blocks and display math."""
    from ..latex_rows import step_rows
    from ..markdown import display_math

    blocks = [f"# {report.title}"]
    for part in report.parts:
        if isinstance(part, Table):
            head = "| " + " | ".join(part.columns) + " |"
            rule = "| --- |" + " ---: |" * (len(part.columns) - 1)
            body = ["| " + " | ".join(_escape_markdown(text) for text, _ in row) + " |" for row in part.rows]
            blocks += [f"## {part.title}", "\n".join([head, rule, *body])]
            blocks += [part.caption] if part.caption else []
        elif isinstance(part, Line):
            blocks.append(part.text)
        elif isinstance(part, Preformatted):
            blocks.append(f"```text\n{part.text}\n```")
        else:
            rows = [row for step in part.steps for row in step_rows(step, part.digits)]
            blocks += [f"## {part.title}", display_math(rows, view.flavor)]
    return "\n\n".join(blocks) + "\n"


def render_latex(report: Report, view: View) -> str:
    """A LaTeX document (or fragment): tabulars, paragraphs, verbatim charts and align* equations."""
    from ..latex_rows import step_rows

    lines = [rf"\section*{{{latex_text(report.title)}}}"]
    for part in report.parts:
        if isinstance(part, Table):
            lines += [
                rf"\subsection*{{{latex_text(part.title)}}}",
                r"\begin{tabular}{l" + "r" * (len(part.columns) - 1) + "}",
            ]
            lines.append(" & ".join(latex_text(c) for c in part.columns) + r" \\ \hline")
            lines += [" & ".join(latex_text(text) for text, _ in row) + r" \\" for row in part.rows]
            lines += [r"\end{tabular}", ""]
            lines += [latex_text(part.caption), ""] if part.caption else []
        elif isinstance(part, Line):
            lines += [latex_text(part.text), ""]
        elif isinstance(part, Preformatted):
            continue  # a terminal chart: the tables carry its numbers
        else:
            rows = [row for step in part.steps for row in step_rows(step, part.digits)]
            lines += [
                rf"\subsection*{{{latex_text(part.title)}}}",
                r"\begin{align*}",
                " \\\\\n".join(rows),
                r"\end{align*}",
            ]
    body = "\n".join(lines) + "\n"
    return body if view.fragment else PREAMBLE + body + "\\end{document}\n"


def render_json(report: Report, view: View) -> str:
    """The report's data as JSON."""
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


def render_html(report: Report, view: View) -> str:
    """A self-contained HTML page: tables, paragraphs, the chart and MathML equations."""
    from .html import render

    return render(report, view)


RENDERERS = {
    "rich": render_text,
    "markdown": render_markdown,
    "latex": render_latex,
    "json": render_json,
    "html": render_html,
}
