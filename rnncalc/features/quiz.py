"""rnncalc quiz: the derivation asked line by line, each answer checked as `grade` checks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..compute.problem import Problem, Settings
from ..derivation.derive import derive
from ..derivation.formula import Evaluate, Form, with_values
from ..derivation.model import Step
from ..errors import InputError
from ..numbers import as_float, parse_number
from ..result import Result
from ..tensor import parse_tensor, shape_of
from .slips import name_slip


@dataclass(frozen=True)
class Question:
    """One line of the derivation to work out: its name, its rule, the exact and hand-rounded values."""

    name: str
    rule: Form
    expected: Any
    hand_rounded: Any
    """The values: numbers, or for vectors Tensors."""


@dataclass(frozen=True)
class Feedback:
    """What one answer earns: right or not, and on a miss the rule worked from the student's numbers."""

    question: Question
    answer: float
    typed: str
    ok: bool
    working: Form | None = None
    from_yours: float | None = None
    slip: str = ""


@dataclass
class Quiz:
    """A quiz in progress: the questions in the derivation's order and the answers so far."""

    questions: list[Question]
    tolerance: float
    n: int
    digits: int = 6
    model: tuple[Step, ...] = ()
    """The cell's equations at a generic step t (what the student works with)."""
    given: tuple[Step, ...] = ()
    """The given values: inputs, targets, initial states, parameters."""
    header: str = ""
    """The problem in a few words: n, the cell, the loss."""
    answers: dict[str, float] = field(default_factory=dict)
    feedback: list[Feedback] = field(default_factory=list)
    hints: int = 0
    """How many hints were asked for (the score says so)."""

    @property
    def score(self) -> int:
        """How many answers were right."""
        return sum(f.ok for f in self.feedback)

    def hint(self, question: Question) -> Form:
        """The line's rule with the student's own earlier numbers put in (counted)."""
        self.hints += 1
        return with_values(question.rule, self.answers)

    def answer(self, question: Question, typed: str) -> Feedback:
        """Check one answer (an InputError when it is not a number); remember it for later reworks."""
        if isinstance(question.expected, tuple):
            return self._answer_entries(question, typed)
        value = as_float(parse_number(typed.strip(), question.name), question.name)
        ok = any(abs(value - v) <= self.tolerance for v in (question.expected, question.hand_rounded))
        working = with_values(question.rule, self.answers) if not ok else None
        from_yours = Evaluate()(working) if working is not None else None
        slip = "" if ok else name_slip(value, question.expected, typed.strip(), self.n, self.tolerance)
        self.answers[question.name] = value
        result = Feedback(question, value, typed.strip(), ok, working, from_yours, slip)
        self.feedback.append(result)
        return result

    def _answer_entries(self, question: Question, typed: str) -> Feedback:
        """A vector or matrix answer ([0.46, 0.29]), checked entry by entry; the first wrong entry's slip."""
        expected, rounded = _entries(question.expected), _entries(question.hand_rounded)
        text = typed.strip()
        if not text.startswith("["):
            raise InputError(f"{question.name}: type the vector or matrix in brackets, e.g. [0.46, 0.29]")
        value = parse_tensor(text, question.name)
        entries = [as_float(v, question.name) for v in _entries(value, exact=True)]
        if len(entries) != len(expected) or shape_of(value, question.name) not in _shapes(question.expected):
            raise InputError(f"{question.name}: give {len(expected)} entries in the shape of the answer")
        close = [min(abs(v - e), abs(v - r)) <= self.tolerance for v, e, r in zip(entries, expected, rounded)]
        wrong = next((i for i, ok in enumerate(close) if not ok), None)
        slip = ""
        if wrong is not None:
            entry_slip = name_slip(
                entries[wrong], expected[wrong], repr(entries[wrong]), self.n, self.tolerance
            )
            slip = f"entry {wrong + 1} is {entries[wrong]!r}, not {expected[wrong]:.{self.digits}f}" + (
                f": {entry_slip}" if entry_slip else ""
            )
        result = Feedback(question, entries[0], text, wrong is None, None, None, slip)
        self.feedback.append(result)
        return result


def _entries(value: object, exact: bool = False) -> list[Any]:
    """A number, vector or matrix as its entries, row by row (as floats, or ``exact`` as they are)."""
    if isinstance(value, tuple):
        return [v for item in value for v in _entries(item, exact)]
    return [value if exact else float(value)]  # type: ignore[arg-type]


def _shapes(expected: tuple) -> set[tuple[int, ...]]:
    """The shapes an answer may be typed in: the value's own, and a vector as one row or one column."""
    shape = (
        (len(expected), len(expected[0])) if expected and isinstance(expected[0], tuple) else (len(expected),)
    )
    if len(shape) == 1:
        return {shape, (1, shape[0]), (shape[0], 1)}
    return {shape, (shape[0] * shape[1],)} if 1 in shape else {shape}


def start_quiz(problem: Problem, digits: int = 6) -> Quiz:
    """Every computed line of the derivation, with its exact and hand-rounded values."""
    derivation = derive(problem, Settings(digits=digits))
    exact = derivation.steps()
    hand = derive(problem, Settings(digits=digits, round_intermediate=True)).steps()
    questions = [
        Question(step.target.name.text, step.shown_working, step.target.value, rounded.target.value)  # type: ignore[arg-type]
        for step, rounded in zip(exact, hand, strict=True)
        if _asked(step)
    ]
    if not questions:
        raise InputError("quiz: this derivation has no line to work out")
    tolerance = 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-12
    model, given = derivation.section("model").steps, derivation.section("known").steps
    return Quiz(questions, tolerance, problem.n, digits, model, given, problem.headline)


def _asked(step: Step) -> bool:
    """A line worth asking: computed (not a definition or a given value) and with a rule to work from."""
    return not step.definition and not step.target.given and step.shown_working is not None


@dataclass(frozen=True)
class Quizzes(Result):
    """Quizzes to put on a course site: one per variant of a problem, each line a numerical question
    (written as Moodle XML by ``rnncalc quiz -o quiz.xml``)."""

    quizzes: tuple[Quiz, ...]
    seed: int | None = None


def quizzes(problems: list[Problem], digits: int = 6, seed: int | None = None) -> Quizzes:
    """A quiz of every problem (the variants of one), each line with its exact and hand-rounded values."""
    return Quizzes(tuple(start_quiz(problem, digits) for problem in problems), seed)
