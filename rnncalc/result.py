"""The one protocol every result speaks: the derivation, the check, the training run, the graph, the grade."""

from __future__ import annotations

from typing import Any


class Result:
    """Mixin: ``to_data()`` (JSON-ready), ``__rich__`` (terminal), ``_repr_html_``, ``_repr_markdown_``,
    ``_repr_latex_`` and ``_repr_svg_`` (Jupyter), exports.

    The renderers live in ``rnncalc.render``; they are imported when first used.
    """

    def to_data(self) -> dict[str, Any]:
        """The result as plain data (what ``--format json`` writes)."""
        from .render import data_of

        return data_of(self)

    def render(self, format_name: str, **view: Any) -> str:
        """The result as text in a registered format (rich, json, markdown, latex, html; dot for a graph)."""
        from .render import View, render

        return render(self, format_name, View(**view))

    def to_json(self) -> str:
        """The JSON export."""
        return self.render("json")

    def to_markdown(self, flavor: str = "github") -> str:
        """The Markdown export (flavor "github" or "generic")."""
        return self.render("markdown", flavor=flavor)

    def to_latex(self, fragment: bool = False) -> str:
        """The LaTeX export: a complete document, or only its body."""
        return self.render("latex", fragment=fragment)

    def to_html(self) -> str:
        """The HTML export: one self-contained page, math as MathML."""
        return self.render("html")

    def to_text(self) -> str:
        """The terminal view as plain text."""
        return self.render("rich")

    def __str__(self) -> str:
        """The terminal view as plain text."""
        return self.to_text()

    def _repr_markdown_(self) -> str:
        """Jupyter's display as Markdown with $$ math (where HTML is not shown)."""
        return self.to_markdown(flavor="generic")

    def _repr_html_(self) -> str:
        """Jupyter's display: the HTML page's content, math as MathML (no script, nothing fetched); a
        graph's picture."""
        from .render import html_of

        return html_of(self)

    def _repr_latex_(self) -> str | None:
        """The LaTeX body (no preamble), which nbconvert puts into a notebook's LaTeX and PDF exports;
        None for a graph, whose picture is its LaTeX-free display."""
        from .render import formats_of

        if "latex" not in formats_of(type(self).__name__):
            return None
        return self.to_latex(fragment=True)

    def _repr_svg_(self) -> str | None:
        """Jupyter's picture, for a graph (drawn by Graphviz); None for other results."""
        from .render import svg_of

        return svg_of(self)

    def __rich__(self) -> Any:
        """Rich's render protocol: the terminal view."""
        from .render import rich_of

        return rich_of(self)
