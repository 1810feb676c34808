"""rnncalc quiz: the derivation asked line by line, each answer checked as `grade` checks it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compute.problem import Problem, Settings
from ..derivation.derive import derive
from ..derivation.formula import Evaluate, Form, with_values
from ..derivation.model import Step
from ..errors import InputError
from ..numbers import parse_number
from .slips import name_slip


@dataclass(frozen=True)
class Question:
    """One line of the derivation to work out: its name, its rule, the exact and hand-rounded values."""

    name: str
    rule: Form
    expected: float
    hand_rounded: float


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
    answers: dict[str, float] = field(default_factory=dict)
    feedback: list[Feedback] = field(default_factory=list)

    @property
    def score(self) -> int:
        """How many answers were right."""
        return sum(f.ok for f in self.feedback)

    def answer(self, question: Question, typed: str) -> Feedback:
        """Check one answer (an InputError when it is not a number); remember it for later reworks."""
        value = float(parse_number(typed.strip(), question.name))
        ok = any(abs(value - v) <= self.tolerance for v in (question.expected, question.hand_rounded))
        working = with_values(question.rule, self.answers) if not ok else None
        from_yours = Evaluate()(working) if working is not None else None
        slip = "" if ok else name_slip(value, question.expected, typed.strip(), self.n, self.tolerance)
        self.answers[question.name] = value
        result = Feedback(question, value, typed.strip(), ok, working, from_yours, slip)
        self.feedback.append(result)
        return result


def start_quiz(problem: Problem, digits: int = 6) -> Quiz:
    """Every computed line of the derivation, with its exact and hand-rounded values."""
    exact = derive(problem, Settings(digits=digits)).steps()
    hand = derive(problem, Settings(digits=digits, round_intermediate=True)).steps()
    questions = [
        Question(step.target.name.text, step.shown_working, step.target.value, rounded.target.value)
        for step, rounded in zip(exact, hand, strict=True)
        if _asked(step)
    ]
    if not questions:
        raise InputError("quiz: this derivation has no line to work out")
    return Quiz(questions, 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-12, problem.n)


def _asked(step: Step) -> bool:
    """A line worth asking: computed (not a definition or a given value) and with a rule to work from."""
    return not step.definition and not step.target.given and step.shown_working is not None
