"""The grade report: your answers with ✓/✗ and the first wrong step; and its data."""

from __future__ import annotations

from typing import Any

from ...features.grade import Grade
from .. import View
from ..printers import TextPrinter
from . import BAD, GOOD, Line, Report, Table, mark


def report(result: Grade, view: View) -> Report:
    """The marks and a verdict naming the first wrong step."""
    number = TextPrinter(view.digits).number
    rows = [
        [
            (m.name, None),
            (m.shown, None),
            (number(m.expected), None),
            (number(m.hand_rounded), None),
            ("✓ follows", GOOD) if m.follows is not None else mark(m.ok),
        ]
        for m in result.marks
    ]
    table = Table("Your answers", ("quantity", "your answer", "expected", "hand-rounded", ""), rows)
    right = sum(m.ok for m in result.marks)
    if result.ok:
        verdict = Line("The answer is right." if right == 1 else f"All {right} answers are right.", GOOD)
    else:
        later = {
            True: " Later answers are right: probably a copying slip.",
            False: " Later errors may follow from it.",
            None: "",
        }[result.later_all_right]
        if result.later_follow:
            later = " Every later answer follows correctly from your own numbers: the slip is marked once."
        following = result.credited - right
        credit = f" {following} more follow correctly from an earlier slip (✓ follows)." if following else ""
        verdict = Line(
            f"{right} of {len(result.marks)} right.{credit} First wrong step: {result.first_wrong}.{later}",
            BAD,
        )
    slips = [Line(f"{name}: {slip}.", BAD) for name, slip in _slips(result)]
    return Report("Grade", (table, verdict, *slips, *_rework_lines(result, view)), as_data(result))


def _slips(result: Grade) -> list[tuple[str, str]]:
    """Each named slip once: a whole array's (every wrong entry of dL/dW_h the same slip) under the
    array's name, with how many of its entries it explains."""
    found: dict[tuple[str, str], list[str]] = {}
    for one in result.marks:
        if one.slip and one.follows is None:
            found.setdefault((one.name.split("[")[0], one.slip), []).append(one.name)
    return [
        (f"{base} ({len(names)} entries)" if len(names) > 1 else names[0], slip)
        for (base, slip), names in found.items()
    ]


def _rework_lines(result: Grade, view: View) -> list[Line]:
    """The first wrong step worked from the student's own earlier numbers, and what that shows."""
    r = result.rework
    if r is None:
        return []
    names, values = TextPrinter(view.digits), TextPrinter(view.digits, values=True)
    number = names.number
    worked = f"{r.name} = {names.print(r.rule)} = {values.print(r.working)} = {number(r.value)}"
    slip = [Line(f"{r.name}: {r.slip}.", BAD)] if r.slip else []
    return [Line(f"Worked from your own earlier numbers: {worked}, not your {r.typed}.", BAD), *slip]


def as_data(result: Grade) -> dict[str, Any]:
    """The grade as plain data."""
    data: dict[str, Any] = {
        "ok": result.ok,
        "credited": result.credited,
        "first_wrong": result.first_wrong,
        "tolerance": result.tolerance,
        "rework": None
        if result.rework is None
        else {"quantity": result.rework.name, "value": result.rework.value, "answer": result.rework.answer},
        "marks": [
            {
                "key": m.key,
                "name": m.name,
                "answer": m.answer,
                "typed": m.shown,
                "expected": m.expected,
                "hand_rounded": m.hand_rounded,
                "ok": m.ok,
                "follows": m.follows,
                "slip": m.slip,
            }
            for m in result.marks
        ],
    }
    return data
