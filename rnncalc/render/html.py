"""The HTML export: one self-contained page (inline CSS, MathML, no scripts) of the whole derivation."""

from __future__ import annotations

from html import escape

from ..derivation.model import Derivation, Section, Step
from . import View
from .html_page import math_rows, page, paragraph, prose, step_body, steps_table
from .latex import TITLE, section_title
from .latex_rows import header, lead_rows, section_rows
from .layout import Omitted, packed_rows
from .mathml import mathml
from .printers import LatexPrinter


def render(derivation: Derivation, view: View | None = None) -> str:
    """The page: the problem, one table of equations per section, the results."""
    body = [f"<h1>{escape(TITLE)}</h1>", paragraph(header(derivation), "header")]
    if derivation.problem.cell:
        equations = "".join(
            f"<li><code>{escape(equation)}</code></li>" for equation in derivation.problem.cell
        )
        body += ["<p>The cell, as given:</p>", f"<ul>{equations}</ul>"]
    body += [_section(derivation, section) for section in derivation.sections]
    if not derivation.sections:
        body.append(_forward_table(derivation))
    body.append(_results(derivation))
    return page(TITLE, body, view is not None and view.fragment)


def _section(derivation: Derivation, section: Section) -> str:
    """A section: its title, its equations (a step per group of rows) and its note."""
    digits = derivation.settings.digits
    groups = ["<tbody>" + "".join(math_rows(lead_rows(derivation, section))) + "</tbody>"]
    if section.key == "known":
        packed = packed_rows(section.steps, digits)
        groups += [_known(row, latex) for row, latex in zip(packed, section_rows(derivation, "known"))]
    else:
        groups += [step_body(step, digits) for step in section.steps if isinstance(step, Step)]
    parts = [f'<section id="{escape(section.key)}">', f"<h2>{_mixed(section_title(section))}</h2>"]
    parts.append(steps_table([group for group in groups if group != "<tbody></tbody>"]))
    parts += [f'<p class="note">{prose(section.note)}</p>'] if section.note else []
    return "\n".join([*parts, "</section>"])


def _known(steps: list[Step | Omitted], latex: str) -> str:
    """A row of given values (as typed), each value in full in the row's title."""
    given = ", ".join(f"{s.target.name.text} = {s.target.value!r}" for s in steps if isinstance(s, Step))
    return f'<tbody class="known" title="{escape(given)}">' + "".join(math_rows([latex])) + "</tbody>"


def _mixed(text: str) -> str:
    """Text with $math$ in it (a gradient section's title) as HTML with MathML."""
    pieces = text.split("$")
    return "".join(mathml(piece) if i % 2 else escape(piece) for i, piece in enumerate(pieces))


def _results(derivation: Derivation) -> str:
    """The gradients and the loss, each cell carrying its full-precision value."""
    latex = LatexPrinter(derivation.settings.digits)
    number = latex.answer_blank if derivation.blank else latex.number
    columns = derivation.result_columns
    rows = [(derivation.gradient_names[k].latex, k) for k in derivation.gradients]
    rows = rows if derivation.scope == "grads" else []
    heads = ["quantity", *(label for label, _ in columns)]
    lines = ['<section id="results">', "<h2>Results</h2>", '<table class="data">']
    lines.append("<tr>" + "".join(f"<th>{escape(head)}</th>" for head in heads) + "</tr>")
    for name, key in [*rows, ("L", "loss")]:
        cells = [derivation.loss if key == "loss" else column[key] for _, column in columns]
        lines.append(
            f'<tr data-key="{escape(key)}"><td>{mathml(name, True)}</td>'
            + "".join(_value_cell(mathml(number(v)), v, derivation.blank) for v in cells)
            + "</tr>"
        )
    return "\n".join([*lines, "</table>", "</section>"])


def _value_cell(content: str, value: float, blank: bool) -> str:
    """A table cell with its full-precision value as data (none on an exercise sheet)."""
    return f"<td>{content}</td>" if blank else f'<td data-value="{value!r}" title="{value!r}">{content}</td>'


def _forward_table(derivation: Derivation) -> str:
    """The forward pass as a table, when no steps are shown: the inputs as given, then each quantity."""
    printer = LatexPrinter(derivation.settings.digits)
    columns = derivation.columns
    given = len(columns.streams)
    lines = ['<section id="forward-table">', "<h2>Forward pass</h2>", '<table class="data">']
    lines.append("<tr>" + "".join(f"<th>{mathml(head)}</th>" for head in columns.headers) + "</tr>")
    for t, *values in derivation.forward:
        cells = [f"<td>{t}</td>"]
        cells += [_value_cell(mathml(printer.as_given(v)), v, False) for v in values[:given]]
        cells += [
            _value_cell(
                mathml(printer.answer_blank(v) if derivation.blank else printer.number(v)),
                v,
                derivation.blank,
            )
            for v in values[given:]
        ]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join([*lines, "</table>", "</section>"])
