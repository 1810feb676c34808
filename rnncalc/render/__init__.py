"""The renderer registry: format name -> module and file extensions; renderers load on demand."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..derivation.model import Derivation

MARKDOWN_FLAVORS = ("github", "generic")


@dataclass(frozen=True)
class View:
    """Renderer options: LaTeX fragment, Markdown math flavour, (terminal) every step of long sequences."""

    fragment: bool = False
    flavor: str = "github"
    all_steps: bool = False


@dataclass(frozen=True)
class Format:
    """An output format: the module whose ``render(derivation, view) -> str`` writes it."""

    name: str
    module: str
    extensions: tuple[str, ...]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rich", "rnncalc.render.terminal", (".txt",)),
        Format("json", "rnncalc.render.json", (".json",)),
        Format("markdown", "rnncalc.render.markdown", (".md", ".markdown")),
        Format("latex", "rnncalc.render.latex", (".tex",)),
    )
}


def render(derivation: Derivation, format_name: str, view: View | None = None) -> str:
    """Render a derivation in a registered format, as text."""
    module = importlib.import_module(FORMATS[format_name].module)
    return module.render(derivation, view or View())
