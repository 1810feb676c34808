"""The renderer registry: format name -> module and file extensions; renderers load on demand."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..result import Result

MARKDOWN_FLAVORS = ("github", "generic")


@dataclass(frozen=True)
class View:
    """Renderer options: LaTeX fragment, Markdown math flavour, (terminal) every step of long sequences."""

    fragment: bool = False
    flavor: str = "github"
    all_steps: bool = False
    digits: int = 6
    show_steps: bool = False
    param: str | None = None
    width: int | None = None
    ascii: bool = False


@dataclass(frozen=True)
class Format:
    """An output format: the module whose ``render(derivation, view) -> str`` writes it."""

    name: str
    module: str
    extensions: tuple[str, ...]
    binary: bool = False


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rich", "rnncalc.render.terminal", (".txt",)),
        Format("json", "rnncalc.render.json", (".json",)),
        Format("markdown", "rnncalc.render.markdown", (".md", ".markdown")),
        Format("latex", "rnncalc.render.latex", (".tex",)),
        Format("html", "rnncalc.render.html", (".html", ".htm")),
        Format("pdf", "rnncalc.render.pdf", (".pdf",), binary=True),
    )
}


REPORTS: dict[str, str] = {
    "CheckReport": "rnncalc.render.reports.check",
    "Training": "rnncalc.render.reports.train",
    "Grade": "rnncalc.render.reports.grade",
    "ClassGrade": "rnncalc.render.reports.class_grade",
    "Graph": "rnncalc.render.reports.graph",
    "Quizzes": "rnncalc.render.moodle",
}
"""Every result other than a derivation, and the module that turns it into a report."""


def formats_of(result_type: str) -> tuple[str, ...]:
    """The formats a kind of result can be written in (a graph has its own: dot, rich, json)."""
    if result_type == "Graph":
        return ("dot", "rich", "json")
    return tuple(FORMATS)


def render(result: Result, format_name: str, view: View | None = None) -> Any:
    """Render any result (a derivation or a report) in a registered format: text, or bytes for PDF."""
    view = view or View()
    kind = type(result).__name__
    if kind == "Derivation" and format_name != "json":  # a row-vector course's derivation in rows
        from ..derivation.rows import in_rows

        result = in_rows(result)  # type: ignore[arg-type]
    if format_name == "pdf":  # any result: its LaTeX document, typeset
        return importlib.import_module(FORMATS["pdf"].module).render(result, view)
    if kind in REPORTS:
        module = importlib.import_module(REPORTS[kind])
        if hasattr(module, "render"):
            return module.render(result, format_name, view)
        from .reports import RENDERERS

        return RENDERERS[format_name](module.report(result, view), view)
    return importlib.import_module(FORMATS[format_name].module).render(result, view)


def rich_of(result: Result, view: View | None = None) -> object:
    """A Rich renderable of any result (colours on a terminal)."""
    view = view or View()
    kind = type(result).__name__
    if kind in REPORTS:
        module = importlib.import_module(REPORTS[kind])
        if hasattr(module, "renderable"):
            return module.renderable(result, view)
        from .reports import rich_renderable

        return rich_renderable(module.report(result, view))
    from ..derivation.rows import in_rows
    from .terminal import renderable

    return renderable(in_rows(result), view)  # type: ignore[arg-type]  # a Derivation: the results with no report


def data_of(result: Result) -> dict[str, object]:
    """Any result as plain, JSON-ready data."""
    kind = type(result).__name__
    if kind in REPORTS:
        return importlib.import_module(REPORTS[kind]).as_data(result)
    from .json import as_data

    return as_data(result)  # type: ignore[arg-type]  # a Derivation


def svg_of(result: Result) -> str | None:
    """A picture of the result as SVG where it has one (a graph, drawn by Graphviz; a training run's loss
    curve and a derivation's gradient through time, by matplotlib), else None (nor without the tool)."""
    from ..errors import RnnCalcError

    kind = type(result).__name__
    try:
        if kind == "Graph":
            from .graphviz import draw

            return draw(render(result, "dot"), "svg").decode("utf-8")
        if kind == "Training":
            from .pictures import loss_picture

            return loss_picture(result, "svg").decode("utf-8")  # type: ignore[arg-type]
        if kind == "Derivation" and any(s.key == "flow" for s in result.sections):  # type: ignore[attr-defined]
            from .pictures import flow_picture

            return flow_picture(result, "svg").decode("utf-8")  # type: ignore[arg-type]
    except RnnCalcError:  # no Graphviz or matplotlib here
        return None
    return None


def html_of(result: Result) -> str:
    """A result as an HTML fragment for a notebook: a graph's picture (its tree as text without
    Graphviz); anything else its HTML page's content, math as MathML."""
    if type(result).__name__ == "Graph":
        from html import escape

        return svg_of(result) or f"<pre>{escape(render(result, 'rich'))}</pre>"
    picture = svg_of(result)  # the loss curve, the gradient through time: above the numbers
    fragment = render(result, "html", View(fragment=True))
    return f"<figure>{picture[picture.find('<svg') :]}</figure>{fragment}" if picture else fragment
