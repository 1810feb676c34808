"""Renderers of a grade: a Rich table with ✓/✗ and the first wrong step; or JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ...features.grade import Grade
from ..printers import TextPrinter


def renderable(result: Grade, digits: int) -> RenderableType:
    """The marks and a verdict naming the first wrong step."""
    number = TextPrinter(digits).number
    table = Table(title="Your answers", title_justify="left", title_style="bold")
    for column in ("quantity", "your answer", "expected", "hand-rounded", ""):
        table.add_column(column, justify="left" if column == "quantity" else "right")
    for mark in result.marks:
        sign = Text("✓", style="bold green") if mark.ok else Text("✗", style="bold red")
        table.add_row(mark.name, repr(mark.answer), number(mark.expected), number(mark.hand_rounded), sign)
    right = sum(mark.ok for mark in result.marks)
    if result.ok:
        verdict = Text(f"All {right} answers are right.", style="bold green")
    else:
        verdict = Text(
            f"{right} of {len(result.marks)} right. First wrong step: {result.first_wrong} (later errors "
            "usually follow from it).",
            style="bold red",
        )
    return Group(table, verdict)


def render_json(result: Grade) -> str:
    """The JSON text."""
    data: dict[str, Any] = {
        "ok": result.ok,
        "first_wrong": result.first_wrong,
        "tolerance": result.tolerance,
        "marks": [
            {
                "key": m.key,
                "name": m.name,
                "answer": m.answer,
                "expected": m.expected,
                "hand_rounded": m.hand_rounded,
                "ok": m.ok,
            }
            for m in result.marks
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
