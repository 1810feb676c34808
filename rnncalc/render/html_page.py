"""The HTML page both HTML renderers write: its head and inline CSS, escaping, and tables of equations."""

from __future__ import annotations

import re
from html import escape

from ..derivation.model import Step
from .latex_rows import step_rows
from .latex_text import prose_pieces
from .mathml import mathml

ALIGN = re.compile(r"(?<!\\)&")
POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""Nothing is fetched and no script runs: the page carries everything it shows."""

CSS = """
:root { color-scheme: light dark; --rule: #c8c8c8; --muted: #5f6368; --good: #18794e; --bad: #c5221f; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
math { font-size: 1.1em; }
.header, .caption, .note { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
table.steps td { padding: 0.3rem 0.2rem; vertical-align: middle; }
table.steps td.lhs { text-align: right; white-space: nowrap; }
table.steps td.rhs { text-align: left; }
table.steps tr.explain td { color: var(--muted); font-style: italic; padding-top: 0; }
table.steps tbody.step:hover { background: rgba(127, 127, 127, 0.12); }
table.data th, table.data td { padding: 0.25rem 0.8rem; border-bottom: 1px solid var(--rule); }
table.data th, table.data td { text-align: right; font-variant-numeric: tabular-nums; }
table.data th:first-child, table.data td:first-child { text-align: left; }
.good { color: var(--good); font-weight: bold; } .bad { color: var(--bad); font-weight: bold; }
.blank { border-bottom: 1px solid currentColor; padding: 0 0.2em; }
code, pre { font-family: ui-monospace, monospace; }
pre { line-height: 1.15; overflow-x: auto; }
"""
PRINT_CSS = """
@media print {
  @page { margin: 1.6cm 1.4cm; }
  :root { color-scheme: light; }
  body { margin: 0; max-width: none; font-size: 11pt; }
  .scroll, pre { overflow: visible; }
  h1, h2 { break-after: avoid-page; }
  tbody.step, table.data tr, p { break-inside: avoid-page; }
  table.steps tbody.step:hover { background: none; }
  table.steps td { padding: 0.8rem 0.2rem; }
  table.data td { padding: 0.6rem 0.8rem; }
  .blank { padding: 0 1.2em; }
}
"""
"""A whole page printed: no scrollbars, no step or row split across pages, room on a sheet's lines to
write in (a notebook's output keeps its notebook's print style)."""


def page(title: str, body: list[str], fragment: bool = False) -> str:
    """A complete page, in ASCII (every other character as a reference), so any encoding shows it; or
    (``fragment``) only its content in a div with the style scoped to it, for a notebook's output."""
    from .. import __version__

    if fragment:
        text = "\n".join([f'<div class="rnncalc"><style>{scoped(CSS)}</style>', *body, "</div>"])
        return text.encode("ascii", "xmlcharrefreplace").decode("ascii")

    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f'<meta name="generator" content="rnncalc {__version__}" />',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}{PRINT_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    text = "\n".join([*head, *body, "</main>", "</body>", "</html>"]) + "\n"
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def scoped(css: str) -> str:
    """The page's style applied inside div.rnncalc only (a notebook's own page keeps its look)."""

    def inside(rule: re.Match[str]) -> str:
        selectors = [s.strip() for s in rule.group(1).split(",")]
        scoped = [".rnncalc" if s in (":root", "body") else f".rnncalc {s}" for s in selectors]
        return f"{', '.join(scoped)} {{{rule.group(2)}}}"

    return RULE.sub(inside, css.strip())


RULE = re.compile(r"([^{}]+?)\s*\{([^{}]*)\}")


def paragraph(text: str, css_class: str | None = None) -> str:
    """A paragraph of plain text."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{escape(text)}</p>"


def prose(text: str) -> str:
    """A note in words as HTML: the quantities it names (h_1, x_{t-1}, dL/do_2) as MathML."""
    return "".join(mathml(piece) if math else escape(piece) for math, piece in prose_pieces(text))


def math_rows(rows: list[str]) -> list[str]:
    """Aligned LaTeX rows (``name &= ...``) as table rows: the name right-aligned, the chain after it."""
    result = []
    for row in rows:
        parts = ALIGN.split(row, maxsplit=1)
        name, chain = (parts[0].strip(), parts[1]) if len(parts) == 2 else ("", row)
        left = f'<td class="lhs">{mathml(name, True) if name else ""}</td>'
        result.append(f'<tr>{left}<td class="rhs">{mathml(chain.strip(), True)}</td></tr>')
    return result


def step_body(step: Step, digits: int) -> str:
    """One step as a group of rows carrying its key and (unless left blank) its full-precision value."""
    attributes = f'class="step" data-key="{escape(step.target.name.key)}"'
    if not (step.definition or step.blank):
        value = repr(step.target.value)
        attributes += f' data-value="{value}" title="{escape(step.target.name.text)} = {value}"'
    rows = math_rows(step_rows(step, digits))
    if step.explanation:
        rows.append(f'<tr class="explain"><td></td><td>{prose(step.explanation)}</td></tr>')
    return f"<tbody {attributes}>" + "".join(rows) + "</tbody>"


def steps_table(groups: list[str]) -> str:
    """Groups of rows (<tbody> elements) as one scrollable table of equations."""
    return '<div class="scroll"><table class="steps">' + "".join(groups) + "</table></div>"
