"""A step as the equation chain every renderer shows: name = rule = working = exact = value.

Parts are kept as forms, so each renderer prints them in its own notation; parts that would
repeat the previous one (in plain text) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..forms import Add, Form, Neg, Ref
from ..model import Section, Step
from .formula import TextPrinter

ROW_BUDGET = 80


@dataclass(frozen=True)
class Part:
    """One member of a step's equation chain: a form, printed with names or with values."""

    form: Form
    values: bool
    text: str


def step_parts(step: Step, digits: int) -> list[Part]:
    """The right-hand sides of a step's equation chain: each part once, the value last."""
    names, values = TextPrinter(digits), TextPrinter(digits, values=True)
    candidates: list[tuple[Form, bool]] = [(step.rule, False)] if step.rule is not None else []
    if step.definition:
        return [Part(form, False, names.print(form)) for form, _ in candidates]
    if step.shown_working is not None:
        candidates.append((step.shown_working, True))
    if step.exact is not None:
        from ..exact import exact_form

        candidates.append((exact_form(step.exact), False))
    value = Part(step.target, True, values.print(step.target))
    parts: list[Part] = []
    for form, with_values in candidates:
        text = (values if with_values else names).print(form)
        if text != value.text and all(text != p.text for p in parts):
            parts.append(Part(form, with_values, text))
    return [*parts, value]


def text_line(step: Step, digits: int) -> str:
    """The step as one line of plain text."""
    return " = ".join([step.target.name.text, *(p.text for p in step_parts(step, digits))])


def chunks(part: Part, budget: int = ROW_BUDGET) -> list[Form]:
    """Split a long sum into pieces of about ``budget`` characters each (other forms stay whole)."""
    if len(part.text) <= budget or not isinstance(part.form, Add):
        return [part.form]
    printer = TextPrinter(values=part.values)
    pieces: list[list[Form]] = [[]]
    width = 0
    for term in part.form.terms:
        size = len(printer.print(term)) + 3
        if pieces[-1] and width + size > budget:
            pieces.append([])
            width = 0
        pieces[-1].append(term)
        width += size
    return [Add(tuple(piece)) for piece in pieces]


def continued(form: Form) -> tuple[str, Form]:
    """A sum's later piece as an operator and the rest: (+, a + b) or (-, a + b) for -a + b."""
    if isinstance(form, Add) and isinstance(form.terms[0], Neg):
        return "-", Add((form.terms[0].arg, *form.terms[1:]))
    return "+", form


def is_value(part: Part) -> bool:
    """True for the final value part."""
    return isinstance(part.form, Ref) and part.values


def packed_rows(section: Section, digits: int, budget: int = ROW_BUDGET) -> list[list[Step]]:
    """The known quantities packed several to a row: the inputs, the targets, then the rest."""
    groups: dict[str, list[Step]] = {}
    for step in section.steps:
        prefix = step.target.name.key.split("_")[0]
        groups.setdefault(prefix if prefix in ("x", "g") else "other", []).append(step)
    rows: list[list[Step]] = []
    for steps in groups.values():
        rows.append([])
        width = 0
        for step in steps:
            size = len(text_line(step, digits)) + 2
            if rows[-1] and width + size > budget:
                rows.append([])
                width = 0
            rows[-1].append(step)
            width += size
    return rows
