"""A step as the equation chain every renderer shows: name = rule = working = exact = value.

Parts are kept as forms, so each renderer prints them in its own notation; parts that would
repeat the previous one (in plain text) are dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..derivation.formula import Add, Blank, Form, Gap, Mul, Neg
from ..derivation.model import Step
from .printers import TextPrinter

MIN_BLANK, MAX_RULE_BLANK = 6, 48
"""A blank is as wide as the answer it waits for (its printed length), within these bounds."""
ROW_BUDGET = 80
KEEP_FIRST, KEEP_LAST = 3, 2
ELIDE_ABOVE = 20


@dataclass(frozen=True)
class Part:
    """One member of a step's equation chain: a form, printed with names or with values."""

    form: Form
    values: bool
    text: str


def step_parts(
    step: Step, digits: int, compact: bool = False, values: TextPrinter | None = None
) -> list[Part]:
    """The right-hand sides of a step's equation chain: each part once, the value last.

    ``compact``: large vectors and matrices as their shape and norm (the terminal's view); ``values``:
    the printer of the parts with values (the terminal's stacks matrices).
    """
    names = TextPrinter(digits)
    values = values or TextPrinter(digits, values=True, compact=compact)
    candidates: list[tuple[Form, bool]] = [(step.rule, False)] if step.rule is not None else []
    if step.expansion is not None:
        candidates.append((step.expansion, False))
    if step.definition:
        return [Part(form, False, names.print(form)) for form, _ in candidates]
    if step.blank or step.rule_blank:
        return _sheet_parts(step, candidates, names, values)
    if step.shown_working is not None:
        candidates.append((step.shown_working, True))
    if step.spelled is not None:
        candidates.append((step.spelled, True))
    if step.exact is not None:
        candidates.append((step.exact, False))
    value = Part(step.target, True, values.print(step.target))
    parts: list[Part] = []
    for form, with_values in candidates:
        text = (values if with_values else names).print(form)
        if text != value.text and all(text != p.text for p in parts):
            parts.append(Part(form, with_values, text))
    return [*parts, value]


def _sheet_parts(
    step: Step, candidates: list[tuple[Form, bool]], names: TextPrinter, values: TextPrinter
) -> list[Part]:
    """An exercise line: the rule or a blank as wide as it, then the value or a blank as wide as it."""
    if step.rule_blank:
        width = min(
            max(len(names.print(step.rule)) if step.rule is not None else 0, MIN_BLANK), MAX_RULE_BLANK
        )
        shown = [Part(Blank(width), False, names.blank_text(width))]
    else:
        shown = [Part(form, False, names.print(form)) for form, _ in candidates]
    if not step.blank:
        return [*shown, Part(step.target, True, values.print(step.target))]
    width = max(len(values.print(step.target)) + 2, MIN_BLANK)
    return [*shown, Part(Blank(width), False, names.blank_text(width))]


def text_line(step: Step, digits: int, compact: bool = False, values: TextPrinter | None = None) -> str:
    """The step as one line of plain text."""
    return " = ".join([step.target.name.text, *(p.text for p in step_parts(step, digits, compact, values))])


def chunks(part: Part, budget: int = ROW_BUDGET) -> list[Form]:
    """Split a long sum or product into pieces of about ``budget`` characters each (other forms stay
    whole; a product's pieces keep their brackets)."""
    form = part.form
    if len(part.text) <= budget or not isinstance(form, (Add, Mul)):
        return [part.form]
    printer = TextPrinter(values=part.values)
    pieces: list[list[Form]] = [[]]
    width = 0
    for term in form.terms if isinstance(form, Add) else form.factors:
        size = len(printer.print(term)) + 3
        if pieces[-1] and width + size > budget:
            pieces.append([])
            width = 0
        pieces[-1].append(term)
        width += size
    if isinstance(form, Mul):
        return [Mul(tuple(piece), form.hadamard) for piece in pieces]
    return [Add(tuple(piece)) for piece in pieces]


def continued(form: Form) -> tuple[str, Form]:
    """A later piece as an operator (in LaTeX) and the rest: (+, a + b), (-, a + b) for -a + b, and
    (\\cdot, M) for a product's."""
    if isinstance(form, Mul):
        return (r"\odot" if form.hadamard else r"\cdot"), form
    if isinstance(form, Add) and isinstance(form.terms[0], Neg):
        return "-", Add((form.terms[0].arg, *form.terms[1:]))
    return "+", form


def packed_rows(
    steps: Sequence[Step | Omitted], digits: int, budget: int = ROW_BUDGET
) -> list[list[Step | Omitted]]:
    """Known quantities packed several to a row: the inputs, the targets, then the rest."""
    groups: dict[str, list[Step | Omitted]] = {}
    group = "x"
    for step in steps:
        if isinstance(step, Step):
            prefix = step.target.name.key.split("_")[0]
            group = prefix if prefix in ("x", "g") else "other"
        groups.setdefault(group, []).append(step)
    rows: list[list[Step | Omitted]] = []
    for members in groups.values():
        rows.append([])
        width = 0
        for member in members:
            size = (len(text_line(member, digits)) if isinstance(member, Step) else 12) + 2
            if rows[-1] and width + size > budget:
                rows.append([])
                width = 0
            rows[-1].append(member)
            width += size
    return rows


@dataclass(frozen=True)
class Omitted:
    """A run of left-out steps, from time step ``first`` to ``last``."""

    first: int
    last: int

    @property
    def count(self) -> int:
        """How many time steps the run covers."""
        return self.last - self.first + 1


def elided(steps: Sequence[Step], n: int) -> list[Step | Omitted]:
    """Steps of the first and last time steps only, with each left-out run marked.

    Long sums in the kept steps are shortened the same way.
    """
    kept: list[Step | Omitted] = []
    for step in steps:
        if step.t is not None and KEEP_FIRST < step.t <= n - KEEP_LAST:
            if kept and isinstance(kept[-1], Omitted):
                kept[-1] = Omitted(kept[-1].first, step.t)
            else:
                kept.append(Omitted(step.t, step.t))
            continue
        kept.append(
            dataclasses.replace(step, rule=_shortened(step.rule), working=_shortened(step.shown_working))
        )
    return kept


def _shortened(form: Form | None) -> Form | None:
    """A long sum as its first and last terms around a gap."""
    if not isinstance(form, Add) or len(form.terms) <= KEEP_FIRST + KEEP_LAST + 1:
        return form
    terms = form.terms
    return Add((*terms[:KEEP_FIRST], Gap(len(terms) - KEEP_FIRST - KEEP_LAST), *terms[-KEEP_LAST:]))
