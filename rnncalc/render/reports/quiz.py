"""The quiz's lines: each question, the feedback on an answer, and the score."""

from __future__ import annotations

from ...features.quiz import Feedback, Question, Quiz
from ..printers import TextPrinter


def intro_lines(quiz: Quiz) -> list[str]:
    """The problem before the first question: the equations, every given value, how to answer and stop."""
    printer = TextPrinter(quiz.digits)
    given = ", ".join(f"{step.target.name.text} = {printer.value(step.target)}" for step in quiz.given)
    return [
        f"Quiz: {quiz.header}; {len(quiz.questions)} lines to work out.",
        *(f"  {step.target.name.text} = {printer.print(step.rule)}" for step in quiz.model if step.rule),
        f"Given: {given}.",
        f"Round every value to {quiz.digits} decimals and go on from your rounded value. "
        "Type ? for a hint, q to stop; Ctrl-C also keeps your score.",
    ]


def hint_line(quiz: Quiz, question: Question) -> str:
    """The rule with the numbers put in, the value still to work out."""
    working = TextPrinter(quiz.digits, values=True).print(quiz.hint(question))
    return f"  hint: {question.name} = {working} = ?"


def question_line(question: Question, position: int, total: int) -> str:
    """The line to work out: its rule in names, with the value left to the student."""
    return f"[{position}/{total}] {question.name} = {TextPrinter().print(question.rule)} = ?"


def feedback_lines(feedback: Feedback, digits: int) -> list[str]:
    """Right, or the right value, the rule worked from the student's own numbers and the slip if known."""
    number = TextPrinter(digits).number
    if feedback.ok:
        return ["  ✓ right"]
    q = feedback.question
    lines = [f"  ✗ {q.name} = {number(q.expected)}, not {feedback.typed}"]
    if feedback.working is not None and feedback.from_yours is not None:
        working = TextPrinter(digits, values=True).print(feedback.working)
        lines.append(f"    from your own numbers: {q.name} = {working} = {number(feedback.from_yours)}")
    if feedback.slip:
        lines.append(f"    {feedback.slip}")
    return lines


def score_line(quiz: Quiz) -> str:
    """The score, and how many lines were left."""
    answered, total = len(quiz.feedback), len(quiz.questions)
    left = f" ({total - answered} of {total} lines not answered)" if answered < total else ""
    hints = f", {quiz.hints} hint{'s' if quiz.hints != 1 else ''}" if quiz.hints else ""
    return f"Score: {quiz.score} of {answered} right{left}{hints}."
