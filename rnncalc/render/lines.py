"""A step as the equation chain every renderer shows: name = rule = working = exact = value."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Step
from .formula import TextPrinter


@dataclass(frozen=True)
class StepLine:
    """The parts of one step's line, already printed; empty parts are left out."""

    name: str
    rule: str
    working: str
    exact: str
    value: str

    def middle(self) -> list[str]:
        """The parts between the name and the value."""
        return [part for part in (self.rule, self.working, self.exact) if part]


def step_line(step: Step, printer: type[TextPrinter], digits: int) -> StepLine:
    """Print a step's parts, dropping any that would repeat the previous one."""
    names = printer(digits, values=False)
    values = printer(digits, values=True)
    value = values.number(step.target.value)
    rule = names.print(step.rule) if step.rule is not None else ""
    if step.definition:
        return StepLine(names.name(step.target.name), rule, "", "", "")
    working = values.print(step.shown_working) if step.shown_working is not None else ""
    exact = _exact(step, printer)
    shown: list[str] = []
    for part in (rule, working, exact):
        shown.append("" if part in (value, *shown) else part)
    return StepLine(names.name(step.target.name), *shown, value)


def _exact(step: Step, printer: type[TextPrinter]) -> str:
    """The exact SymPy value, if the derivation carries one."""
    if step.exact is None:
        return ""
    from ..exact import show_exact

    return show_exact(step.exact, printer())


def text_line(step: Step, digits: int) -> str:
    """The step as one line of plain text."""
    line = step_line(step, TextPrinter, digits)
    return " = ".join([line.name, *line.middle(), *([line.value] if line.value else [])])
