"""A class's grades: one row per sheet, then where the class went wrong; and its data."""

from __future__ import annotations

from typing import Any

from ...features.grade import ClassGrade, Grade
from .. import View
from . import BAD, GOOD, Line, Report, Table


def report(result: ClassGrade, view: View) -> Report:
    """A row per sheet (right, following from a slip, of how many, the first wrong step), then the
    quantities the class missed most."""
    rows = []
    for name, grade in result.sheets:
        if not isinstance(grade, Grade):
            rows.append([(name, None), ("", None), ("", None), ("", None), (f"not graded: {grade}", BAD)])
            continue
        right = sum(mark.ok for mark in grade.marks)
        first = grade.first_wrong or "none"
        style = GOOD if grade.ok else BAD
        rows.append(
            [
                (name, None),
                (str(right), style),
                (str(grade.credited - right), None),
                (str(len(grade.marks)), None),
                (first, style),
            ]
        )
    sheets = Table("Sheets", ("sheet", "right", "follows", "of", "first wrong step"), rows)
    graded = len(result.graded)
    misses = [
        [(name, None), (f"{wrong} of {answered}", BAD), (slip, None)]
        for name, wrong, answered, slip in result.misses()
    ]
    parts: list[Any] = [sheets]
    if misses:
        parts.append(Table("Where the class went wrong", ("quantity", "wrong", "slip named most"), misses))
    verdict = (
        Line(f"All {graded} sheets are right.", GOOD)
        if result.ok
        else Line(f"{sum(g.ok for _, g in result.graded)} of {len(result.sheets)} sheets are all right.", BAD)
    )
    return Report("Grades of a class", (*parts, verdict), as_data(result))


def as_data(result: ClassGrade) -> dict[str, Any]:
    """The class's grades as plain data: each sheet's, and the misses."""
    from .grade import as_data as one

    return {
        "ok": result.ok,
        "sheets": [
            {"sheet": name, **(one(g) if isinstance(g, Grade) else {"error": g})} for name, g in result.sheets
        ],
        "misses": [
            {"quantity": name, "wrong": wrong, "answered": answered, "slip": slip}
            for name, wrong, answered, slip in result.misses()
        ],
    }
