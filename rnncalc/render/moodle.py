"""Moodle XML: every line of a quiz a numerical question, its exact and hand-rounded values both right
within half a unit of the last decimal asked; one question category per variant.

The elements are those Moodle's XML import reads (question/format/xml/format.php: ``name``,
``questiontext``, ``generalfeedback``, ``defaultgrade``, ``penalty``, and per ``answer`` its ``fraction``,
``text``, ``tolerance`` and ``feedback``). Every piece of text is escaped by the XML writer, and is
HTML-escaped inside the question's HTML.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import InputError
from ..tensor import Tensor
from . import View
from .printers import TextPrinter

PENALTY = "0.3333333"
"""Moodle's usual penalty per wrong try (a third)."""


def render(result: Any, format_name: str = "moodle", view: View | None = None) -> str:
    """The quizzes as one Moodle XML file (only Moodle XML is written)."""
    if type(result).__name__ != "Quizzes":
        raise InputError("a Moodle quiz is made from a problem: rnncalc quiz -o quiz.xml")
    if format_name != "moodle":
        raise InputError(f"a quiz is written as Moodle XML (rnncalc quiz -o quiz.xml), not as {format_name}")
    root = ET.Element("quiz")
    for number, quiz in enumerate(result.quizzes, start=1):
        variant = f"variant {number}" if len(result.quizzes) > 1 else "the problem"
        root.append(_category(f"$course$/top/rnncalc/{quiz.header.replace('/', '-')}/{variant}"))
        statement = _statement(quiz)
        for position, question in enumerate(quiz.questions, start=1):
            for name, exact, rounded in _blanks(question):
                root.append(_numerical(f"{number:02d}.{position:03d} {name}", name, question, exact, rounded,
                                       statement, quiz))  # fmt: skip
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _category(path: str) -> ET.Element:
    """A question category (each variant its own, so a quiz can draw one per student)."""
    question = ET.Element("question", type="category")
    _text(ET.SubElement(question, "category"), path)
    return question


def _blanks(question: Any) -> list[tuple[str, float, float]]:
    """(name, exact, hand-rounded) of each number a line asks for: one, or each entry of a vector."""
    if not isinstance(question.expected, Tensor):
        return [(question.name, float(question.expected), float(question.hand_rounded))]
    exact, rounded = question.expected.rows(), Tensor.of(question.hand_rounded).rows()
    matrix = question.expected.is_matrix
    return [
        (f"{question.name}[{i + 1},{j + 1}]" if matrix else f"{question.name}[{i + 1}]", value, rounded[i][j])
        for i, row in enumerate(exact)
        for j, value in enumerate(row)
    ]


def _numerical(
    title: str, name: str, question: Any, exact: float, rounded: float, statement: str, quiz: Any
) -> ET.Element:
    """One numerical question: the problem, the line to work out, both values right."""
    element = ET.Element("question", type="numerical")
    _text(ET.SubElement(element, "name"), title)
    rule = TextPrinter().print(question.rule)
    ask = f"<p>Work out <b>{html.escape(name)}</b> = {html.escape(rule)}</p>"
    _text(ET.SubElement(element, "questiontext", format="html"), statement + ask)
    working = TextPrinter(quiz.digits, values=True).print(question.rule)
    shown = TextPrinter(quiz.digits).number(exact)
    feedback = f"<p>{html.escape(question.name)} = {html.escape(working)} = {html.escape(shown)}</p>"
    _text(ET.SubElement(element, "generalfeedback", format="html"), feedback)
    ET.SubElement(element, "defaultgrade").text = "1"
    ET.SubElement(element, "penalty").text = PENALTY
    ET.SubElement(element, "hidden").text = "0"
    tolerance = f"{quiz.tolerance:.3g}"
    values = [(exact, "Right (exact).")]
    if abs(rounded - exact) > quiz.tolerance:
        values.append((rounded, "Right (rounded as you went)."))
    for value, said in values:
        answer = ET.SubElement(element, "answer", fraction="100", format="moodle_auto_format")
        ET.SubElement(answer, "text").text = repr(float(value))
        ET.SubElement(answer, "tolerance").text = tolerance
        _text(ET.SubElement(answer, "feedback", format="html"), f"<p>{said}</p>")
    return element


def _statement(quiz: Any) -> str:
    """The problem as HTML: the cell, every given value, and how to round."""
    printer = TextPrinter(quiz.digits)
    rules = "".join(
        f"<li>{html.escape(step.target.name.text)} = {html.escape(printer.print(step.rule))}</li>"
        for step in quiz.model
        if step.rule is not None
    )
    given = ", ".join(f"{step.target.name.text} = {printer.value(step.target)}" for step in quiz.given)
    return (
        f"<p>{html.escape(quiz.header)}.</p><ul>{rules}</ul><p>Given: {html.escape(given)}.</p>"
        f"<p>Round every value to {quiz.digits} decimals and go on from your rounded value.</p>"
    )


def _text(parent: ET.Element, text: str) -> None:
    """A <text> child holding this text (escaped by the XML writer)."""
    ET.SubElement(parent, "text").text = text
