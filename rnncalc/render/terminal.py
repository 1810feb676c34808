"""The terminal view: sections of equation chains, values highlighted, and a gradient table.

Lines are built once as styled segments; on a terminal Rich prints them with colour, and
anywhere else they are written as plain text, which is much faster for long derivations.
Sequences longer than 20 steps show their first and last steps unless ``view.all_steps``.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..derivation.model import COMPACT_OPS, Derivation, Section, Step
from ..tensor import Tensor, magnitude
from . import View
from .ascii import to_ascii
from .blocks import MatrixPrinter, aligned_rows, stackable
from .layout import ELIDE_ABOVE, ROW_BUDGET, elided, packed_rows, step_parts, text_line
from .printers import TextPrinter
from .wrapping import wrap

NAME_STYLE = "bold cyan"
VALUE_STYLE = "bold green"
Line = list[tuple[str, "str | None"]]


def lines(derivation: Derivation, view: View) -> list[Line]:
    """Every line of the derivation as (text, style) segments (a matrix's rows one under another)."""
    result: list[Line] = [[(_header(derivation), "dim")]]
    elide = not view.all_steps and derivation.problem.n > ELIDE_ABOVE
    printer = MatrixPrinter(derivation.settings.digits)
    for section in derivation.sections:
        result += [[], *_section(section, derivation, elide, view.width, printer)]
    if view.ascii:  # before wrapping and stacking, which count characters: delta is wider than δ
        result = [[(to_ascii(text, keep_private=True), style) for text, style in line] for line in result]
    if view.width is not None:  # equations break before = + ·, sentences between words
        result = [wrapped for line in result for wrapped in _wrapped(line, view.width)]
    if not printer.rows:
        return result
    return [row for line in result for row in printer.stacked(line, view.width)]


PROSE_STYLES = ("dim", "italic", "italic dim")
"""The header, notes and explanations: sentences, not equations to break before = or +."""


def _wrapped(line: Line, width: int) -> list[Line]:
    """An equation broken before =, + or ·; a sentence (one styled segment) between words."""
    if not line or line[0][1] not in PROSE_STYLES or len(line) > 1:
        return wrap(line, width)
    text, style = line[0]
    indent = " " * (len(text) - len(text.lstrip()) + 2)
    pieces = textwrap.wrap(
        text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
    return [[(piece, style)] for piece in pieces] or [line]


def tables(derivation: Derivation) -> list[Table]:
    """The closing table: gradients (or, for a bare forward pass, the forward table)."""
    if derivation.scope == "grads":
        return [_gradient_table(derivation)]
    return [] if derivation.sections else [_forward_table(derivation)]


def renderable(derivation: Derivation, view: View | None = None) -> RenderableType:
    """The view for a Rich console."""
    parts: list[RenderableType] = [
        Text.assemble(*((text, style or "") for text, style in line))
        for line in lines(derivation, view or View())
    ]
    for table in tables(derivation):
        parts += [Text(""), table]
    return Group(*parts)


def render(derivation: Derivation, view: View | None = None) -> str:
    """The view as plain text (for pipes, files and tests)."""
    text = "".join(
        "".join(segment for segment, _ in line) + "\n" for line in lines(derivation, view or View())
    )
    buffer = io.StringIO()
    console = plain_console(buffer)
    for table in tables(derivation):
        console.print()
        console.print(table)
    return text + buffer.getvalue()


def plain_console(file: io.StringIO, width: int = 100) -> Console:
    """A console that writes verbatim text: no colour, no markup, no wrapping (and into the file even in a
    notebook, where Rich would otherwise display it)."""
    return Console(
        file=file,
        color_system=None,
        markup=False,
        highlight=False,
        soft_wrap=True,
        width=width,
        emoji=False,
        force_jupyter=False,
    )


def _header(derivation: Derivation) -> str:
    """One line naming the problem and the mode."""
    problem, settings = derivation.problem, derivation.settings
    mode = (
        f"every named quantity rounded to {settings.digits} decimals, as by hand"
        if settings.round_intermediate
        else "exact to double precision"
    )
    if settings.exact:
        mode += (
            "; exact values are written in terms of earlier named quantities, a value in full only while it "
            f"has at most {COMPACT_OPS} operations"
        )
    return f"rnncalc: {problem.headline}; {mode}" + (f". {derivation.sheet}" if derivation.sheet else "")


def _section(
    section: Section, derivation: Derivation, elide: bool, width: int | None, printer: MatrixPrinter
) -> list[Line]:
    """A section title and one line per step (or per packed row of known values)."""
    digits, n = derivation.settings.digits, derivation.problem.n
    result: list[Line] = [[(section.title, "bold underline")]]
    if section.lead is not None:
        result.append([(f"  {section.lead.text}, for n = {n}:", None)])
    steps = elided(section.steps, n) if elide else list(section.steps)
    if section.key == "known":
        for row in packed_rows(steps, digits, min(width - 2, ROW_BUDGET) if width else ROW_BUDGET):
            result.append(
                [
                    (
                        "  "
                        + ", ".join(
                            text_line(s, digits, compact=True, values=printer)
                            if isinstance(s, Step)
                            else f"… ({s.count} more)"
                            for s in row
                        ),
                        None,
                    )
                ]
            )
        return result + ([[("  " + section.note, "italic")]] if section.note else [])
    scale = CHARTED.get(section.key) if not derivation.blank else None
    largest = max((magnitude(s.target.value) for s in section.steps), default=0.0) if scale else 0.0
    for step in steps:
        if not isinstance(step, Step):
            result.append([(f"  … time steps {step.first} to {step.last} omitted (use --all-steps)", "dim")])
            continue
        line = _step(step, digits, printer)
        if scale is not None:  # in a column of its own at the left, so bars compare at a glance
            line[1:1] = [(bar(step.target.value, largest, scale).ljust(BAR_WIDTH) + "  ", BAR_STYLE)]
        result.append(line)
        if step.explanation:
            result.append([("    ↳ " + step.explanation, "italic dim")])
    if scale is not None:
        result.append([("  " + SCALES[scale], "dim")])
    if section.note:
        result.append([("  " + section.note, "italic")])
    return result


CHARTED = {"flow": "log", "shares": "linear"}
"""Sections drawn with bars: how a change in h_k reaches h_n spans powers of ten (a log scale); each
step's share of a gradient is a fraction of it (a linear one)."""
BAR_STYLE = "magenta"
BAR_WIDTH = 24
CHARS_PER_DECADE = 2
SCALES = {
    "log": (
        f"Bars: a log scale, the longest for the largest, {CHARS_PER_DECADE} characters shorter per factor "
        "of 10."
    ),
    "linear": f"Bars: a linear scale, {BAR_WIDTH} characters for the largest share (a negative one drawn ░).",
}


def bar(value: Any, largest: float, scale: str = "log") -> str:
    """A bar: full for the largest value; on a log scale two characters shorter per factor of ten, on a
    linear one in proportion (a matrix by its largest singular value; a negative share in ░)."""
    size = magnitude(value)
    if size == 0 or largest == 0:
        return "·"
    if scale == "linear":
        length = max(1, round(BAR_WIDTH * size / largest))
        return ("░" if isinstance(value, (int, float)) and value < 0 else "█") * length
    decades = math.log10(largest / size)
    return "█" * max(1, round(BAR_WIDTH - CHARS_PER_DECADE * decades))


def _step(step: Step, digits: int, printer: MatrixPrinter) -> Line:
    """name = rule = working = value, with name and value highlighted."""
    line: Line = [("  ", None), (step.target.name.text, NAME_STYLE)]
    for part in step_parts(step, digits, compact=True, values=printer):
        line += [(" = ", None), (part.text, VALUE_STYLE if part.form is step.target else None)]
    return line


def _number(derivation: Derivation) -> Callable[[float], str]:
    """How a result is shown: with its digits (a matrix as aligned rows), or as a blank on a sheet."""
    printer = TextPrinter(derivation.settings.digits, compact=True)
    if derivation.blank:
        return printer.answer_blank
    return lambda value: _matrix_rows(value, printer) if isinstance(value, Tensor) else printer.number(value)


def _matrix_rows(value: Tensor, printer: TextPrinter) -> str:
    """A matrix as bracketed rows, one per line, its columns aligned; a vector as a column; a row vector
    (1 × K) as a row."""
    if value.is_matrix and len(value) == 1:
        return printer.number(value[0])
    return "\n".join(aligned_rows(value, printer.number)) if stackable(value) else printer.number(value)


def _gradient_table(derivation: Derivation) -> Table:
    """The gradients and the loss."""
    number = _number(derivation)
    table = Table(title="Gradients", title_justify="left", title_style="bold")
    table.add_column("quantity", style=NAME_STYLE)
    columns = derivation.result_columns
    for label, _ in columns:
        table.add_column(label, style=VALUE_STYLE, justify="right")
    for key in derivation.gradients:
        table.add_row(derivation.gradient_names[key].text, *(number(column[key]) for _, column in columns))
    table.add_row("L", *[number(derivation.loss)] * len(columns))
    return table


def _forward_table(derivation: Derivation) -> Table:
    """The forward pass as a table."""
    number = _number(derivation)
    table = Table(title="Forward pass", title_justify="left", title_style="bold")
    for column in derivation.columns.headers:
        table.add_column(column, justify="right")
    for t, *values in derivation.forward:
        table.add_row(str(t), *map(number, values))
    table.caption = f"L = {number(derivation.loss)}"
    return table
