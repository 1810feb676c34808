"""The renderer registry: format name -> module and file extension; renderers load on demand."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Derivation


@dataclass(frozen=True)
class Format:
    """An output format: the module whose ``render(derivation) -> str`` writes it."""

    name: str
    module: str
    extensions: tuple[str, ...]
    summary: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rich", "rnncalc.render.terminal", (".txt",), "terminal view (plain text when written to a file)"),
        Format("json", "rnncalc.render.json", (".json",), "machine-readable JSON"),
    )
}


def render(derivation: Derivation, format_name: str) -> str:
    """Render a derivation in a registered format, as text."""
    module = importlib.import_module(FORMATS[format_name].module)
    return module.render(derivation)
