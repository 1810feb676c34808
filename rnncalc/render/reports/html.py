"""Any report (check, train, grade) as one self-contained HTML page."""

from __future__ import annotations

from html import escape

from .. import View
from ..html_page import page, paragraph, step_body, steps_table
from . import BAD, GOOD, Equations, Line, Preformatted, Report, Table

CLASSES = {GOOD: "good", BAD: "bad"}


def render(report: Report, view: View) -> str:
    """The page: a heading, then each part in order."""
    body = [f"<h1>{escape(report.title)}</h1>"]
    for part in report.parts:
        if isinstance(part, Table):
            body += [f"<h2>{escape(part.title)}</h2>"] if part.title != report.title else []
            body.append(_table(part))
            body += [paragraph(part.caption, "caption")] if part.caption else []
        elif isinstance(part, Line):
            body += [paragraph(part.text, CLASSES.get(part.style or ""))] if part.text else []
        elif isinstance(part, Preformatted):
            body.append(f"<pre>{escape(part.text)}</pre>")
        elif isinstance(part, Equations):
            groups = [step_body(step, part.digits) for step in part.steps]
            body += [f"<h2>{escape(part.title)}</h2>", steps_table(groups)]
    return page(report.title, body, view.fragment)


def _table(table: Table) -> str:
    """A table of text cells, ✓ and ✗ coloured."""
    lines = ['<div class="scroll"><table class="data">']
    lines.append("<tr>" + "".join(f"<th>{escape(column)}</th>" for column in table.columns) + "</tr>")
    for row in table.rows:
        cells = [(escape(text), CLASSES.get(style or "")) for text, style in row]
        lines.append(
            "<tr>"
            + "".join(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>" for text, css in cells)
            + "</tr>"
        )
    return "\n".join([*lines, "</table></div>"])
