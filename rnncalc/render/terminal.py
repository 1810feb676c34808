"""The terminal view, with Rich: sections of equation chains, values highlighted, and a gradient table."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from . import View
from ..model import Derivation, Section, Step
from .formula import TextPrinter
from .lines import packed_rows, step_parts, text_line

NAME_STYLE = "bold cyan"
VALUE_STYLE = "bold green"


def renderable(derivation: Derivation) -> RenderableType:
    """Everything the terminal shows for this derivation."""
    parts: list[RenderableType] = [_header(derivation)]
    for section in derivation.sections:
        parts += [Text(""), *_section(section, derivation.settings.digits, derivation.problem.n)]
    if derivation.scope == "grads":
        parts += [Text(""), _gradient_table(derivation)]
    elif not derivation.sections:
        parts += [Text(""), _forward_table(derivation)]
    return Group(*parts)


def render(derivation: Derivation, view: View | None = None) -> str:
    """The terminal view as plain text (for files and tests)."""
    buffer = io.StringIO()
    console = plain_console(buffer)
    console.print(renderable(derivation))
    return buffer.getvalue()


def plain_console(file: io.TextIOBase) -> Console:
    """A console that writes verbatim text: no colour, no markup, no wrapping."""
    return Console(file=file, color_system=None, markup=False, highlight=False, soft_wrap=True, width=100, emoji=False)


def _header(derivation: Derivation) -> Text:
    """One line naming the problem and the mode."""
    problem, settings = derivation.problem, derivation.settings
    mode = f"every named quantity rounded to {settings.digits} decimals, as by hand" if settings.round_intermediate else "exact to double precision"
    return Text(f"rnncalc: n = {problem.n}, {problem.activation}, {problem.loss.upper()}; {mode}", style="dim")


def _section(section: Section, digits: int, n: int) -> list[RenderableType]:
    """A section title and one line per step."""
    lines: list[RenderableType] = [Text(section.title, style="bold underline")]
    if section.lead is not None:
        lines.append(Text(f"  {section.lead.text}, for n = {n}:"))
    if section.key == "known":
        lines += [Text("  " + ", ".join(text_line(step, digits) for step in row)) for row in packed_rows(section, digits)]
    else:
        lines += [_step(step, digits) for step in section.steps]
    return lines


def _step(step: Step, digits: int) -> Text:
    """name = rule = working = value, with name and value highlighted."""
    text = Text("  ")
    text.append(step.target.name.text, style=NAME_STYLE)
    for part in step_parts(step, digits):
        text.append(" = ")
        text.append(part.text, style=VALUE_STYLE if part.form is step.target else None)
    return text


def _gradient_table(derivation: Derivation) -> Table:
    """The gradients and the loss."""
    digits = derivation.settings.digits
    printer = TextPrinter(digits)
    table = Table(title="Gradients", title_justify="left", title_style="bold")
    table.add_column("quantity", style=NAME_STYLE)
    table.add_column("value", style=VALUE_STYLE, justify="right")
    for key, value in derivation.gradients.items():
        table.add_row(derivation.gradient_names[key].text, printer.number(value))
    table.add_row("L", printer.number(derivation.loss))
    return table


def _forward_table(derivation: Derivation) -> Table:
    """The forward pass as a table."""
    number = TextPrinter(derivation.settings.digits).number
    table = Table(title="Forward pass", title_justify="left", title_style="bold")
    for column in ("t", "x_{t-1}", "o_t", "h_t", "y_t"):
        table.add_column(column, justify="right")
    for row in derivation.forward:
        table.add_row(str(row.t), number(row.x), number(row.o), number(row.h), number(row.y))
    table.caption = f"L = {number(derivation.loss)}"
    return table
