"""The inert derivation model: sections of steps, built once, rendered by independent renderers."""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from ..compute.problem import Problem, Settings
from ..result import Result
from .formula import Form, Name, Ref

SHEET_TASKS = {
    "values": "fill in every blank",
    "rules": "write the rule (the chain-rule product) that gives each value",
    "both": "write the rule, then its value, in every pair of blanks",
}
"""What a student is asked to do on each kind of exercise sheet (--blank values|rules|both)."""

COMPACT_OPS = 4
"""With --exact, an exact value is written out in full only while it has at most this many operations."""


@dataclass(frozen=True, slots=True)
class Step:
    """One line: a quantity, the rule that gives it, that rule with numbers, and its value.

    ``expansion`` is the rule expanded by the chain rule, still in names (shown after ``rule``);
    ``working`` is the form shown with numbers substituted (default: ``rule``); ``spelled`` is the
    working with functions written out, as by hand (σ(2) = 1/(1 + e^(-2))); ``definition``
    steps show only the rule, before any value is known; ``exact`` is the exact value as a formula.
    On an exercise sheet ``blank`` leaves the value to fill in, ``rule_blank`` the rule (and its working).
    ``explanation`` is a note in plain words on why the line exists (--explain).
    """

    target: Ref
    rule: Form | None = None
    working: Form | None = None
    expansion: Form | None = None
    spelled: Form | None = None
    definition: bool = False
    exact: Form | None = None
    t: int | None = None
    blank: bool = False
    rule_blank: bool = False
    explanation: str | None = None

    @property
    def shown_working(self) -> Form | None:
        """The form to show with numbers."""
        return self.working if self.working is not None else self.rule


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of steps, optionally led by a general formula and closed by a note in words."""

    key: str
    title: str
    steps: tuple[Step, ...]
    lead: Name | None = None
    note: str | None = None


@dataclass(frozen=True)
class NamedColumns:
    """A network's forward pass as columns: each input stream (read at t-1), then each named quantity."""

    streams: dict[str, list[float]]
    values: dict[str, list[float]]

    @property
    def x(self) -> list[float]:
        """The first input stream (what an exercise sheet lists per step)."""
        return next(iter(self.streams.values()), [0.0] * len(self.values["y"]))

    @property
    def headers(self) -> tuple[str, ...]:
        """The table's column heads."""
        return ("t", *(f"{s}_{{t-1}}" for s in self.streams), *(f"{k}_t" for k in self.values))

    @property
    def keys(self) -> tuple[str, ...]:
        """The JSON keys of a row."""
        return ("t", *self.streams, *self.values)

    def rows(self) -> tuple[Any, ...]:
        """One row per step: t, then the columns in order (each also by its key: row.h)."""
        columns = [*self.streams.values(), *self.values.values()]
        row = _row_type(self.keys)
        return tuple(row(t, *values) for t, values in enumerate(zip(*columns), start=1))


@functools.lru_cache(maxsize=64)
def _row_type(keys: tuple[str, ...]) -> Any:
    """A named tuple type for the forward pass's rows: t, the inputs, then each quantity."""
    return namedtuple("Row", keys)


@dataclass(frozen=True, repr=False)
class Derivation(Result):
    """Everything rnncalc shows for one problem: results, and the sections of steps."""

    problem: Problem
    settings: Settings
    scope: str
    columns: NamedColumns
    loss: float
    gradients: dict[str, float]
    gradient_names: dict[str, Name]
    sections: tuple[Section, ...]
    method: str = "forward"
    backward_gradients: dict[str, float] | None = None
    input_gradients: dict[str, Any] | None = None
    blank_mode: str | None = None
    answer_key: bool = False
    full_gradients: dict[str, Any] | None = None
    """With truncated BPTT: the full gradients (``gradients`` are the truncated ones)."""
    truncation: Any = None
    """The truncation (compute.truncation.Truncation) the gradients were taken with, if any."""
    rows: bool = False
    """Written with row vectors, as a row-vector course writes them (derivation.rows)."""

    @property
    def result_columns(self) -> list[tuple[str, dict[str, Any]]]:
        """The results table's gradient columns: the value; forward and backward; truncated and full."""
        if self.backward_gradients is not None:
            return [("forward", self.gradients), ("backward", self.backward_gradients)]
        if self.full_gradients is not None:
            return [(f"truncated, {self.truncation.label}", self.gradients), ("full", self.full_gradients)]
        return [("value", self.gradients)]

    @property
    def blank(self) -> bool:
        """True on an exercise sheet whose computed values are left blank (--blank values or both)."""
        return self.blank_mode in ("values", "both")

    @property
    def sheet(self) -> str:
        """What this derivation is handed out as: an exercise sheet, its answer key, or neither."""
        if self.blank_mode is None:
            return "Answer key." if self.answer_key else ""
        task = SHEET_TASKS[self.blank_mode]
        digits = self.settings.digits
        rounding = (
            f" Round every named quantity to {digits} decimals and go on from the rounded value."
            if self.blank
            else ""
        )
        return f"Exercise sheet: {task}.{rounding} Name: ............................  Date: ................"

    @property
    def forward(self) -> tuple[tuple[float, ...], ...]:
        """The forward pass, one row per step."""
        return self.columns.rows()

    @property
    def methods_agree(self) -> bool:
        """With both methods: every gradient agrees to 1e-12 (hand-rounded: to 10 units in the last digit)."""
        if self.backward_gradients is None:
            return True
        slack = 10 * 10.0**-self.settings.digits if self.settings.round_intermediate else 0.0
        return all(
            abs(v - w) <= 1e-12 * max(1.0, abs(v)) + slack
            for k, value in self.gradients.items()
            for v, w in zip(_entries(value), _entries(self.backward_gradients[k]), strict=True)
        )

    def __repr__(self) -> str:
        """Short: Derivation(n=2, sigmoid, mse, L=0.764356)."""
        problem = self.problem
        return f"Derivation(n={problem.n}, {problem.activation}, {problem.loss}, L={self.loss:.6g})"

    def section(self, key: str) -> Section:
        """The section with this key."""
        return next(s for s in self.sections if s.key == key)

    def steps(self) -> list[Step]:
        """All steps, in order."""
        return [step for section in self.sections for step in section.steps]

    def explained(self) -> Derivation:
        """Every line with a short note in plain words: why it exists, which path through time it follows."""
        from .explain import explained

        return explained(self)

    def blanked(self, mode: str = "values") -> Derivation:
        """An exercise sheet: the computed values, the rules or both left blank; the given values kept."""
        import dataclasses

        if mode not in SHEET_TASKS:
            raise ValueError(f"unknown sheet {mode!r}; choose one of {', '.join(SHEET_TASKS)}")
        values, rules = mode in ("values", "both"), mode in ("rules", "both")
        sections = tuple(
            dataclasses.replace(
                section,
                steps=tuple(
                    dataclasses.replace(step, blank=values, rule_blank=rules, exact=None)
                    if step.rule is not None and not step.definition
                    else step
                    for step in section.steps
                ),
                note=None,  # a note in words would give the answers away
            )
            for section in self.sections
        )
        return dataclasses.replace(self, sections=sections, blank_mode=mode)


def _entries(value: Any) -> list[float]:
    """A number, or a vector's or matrix's entries row by row."""
    if isinstance(value, tuple):
        return [entry for item in value for entry in _entries(item)]
    return [value]
