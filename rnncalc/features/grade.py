"""rnncalc grade: compare a student's numbers with the derivation, allowing for hand rounding."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..compute.problem import Problem, Settings
from ..derivation.derive import derive
from ..derivation.model import Derivation
from ..derivation.names import parameter
from ..errors import InputError
from ..numbers import looks_like_number, parse_number
from ..result import Result
from .problem_file import read_toml_with_text


@dataclass(frozen=True)
class Mark:
    """One answer: the student's number, the exact and hand-rounded values, and whether it is right."""

    key: str
    name: str
    answer: float
    expected: float
    hand_rounded: float
    ok: bool
    typed: str = ""

    @property
    def shown(self) -> str:
        """The answer as the student typed it (else as a number)."""
        return self.typed or repr(self.answer)


@dataclass(frozen=True)
class Grade(Result):
    """Every answer in derivation order, the first wrong one, and the tolerance used."""

    marks: tuple[Mark, ...]
    first_wrong: str | None
    tolerance: float

    @property
    def ok(self) -> bool:
        """True when every answer is right."""
        return all(mark.ok for mark in self.marks)


def read_typed_answers(path: Path) -> dict[str, tuple[float, str]]:
    """Each answer as a number and as the student typed it (0.9640 stays 0.9640, not 0.964)."""
    data, text = read_toml_with_text(path, "answers")
    typed = _typed_values(text)
    answers: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, str) and looks_like_number(value) and value.strip() != "_":
            value = parse_number(value, f"{path}: {key}")
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise InputError(f"{path}: {key} must be a number, got {value!r}")
        try:
            answers[key] = float(value)
        except OverflowError:
            raise InputError(
                f"{path}: {key} is too large for a number (about 1e{round(value.bit_length() * 0.30103)})"
            ) from None
        if not math.isfinite(answers[key]):
            raise InputError(f"{path}: {key} must be a finite number, got {value!r}")
    if not answers:
        where = "standard input" if str(path) == "-" else str(path)
        raise InputError(f"{where} holds no answers (write lines such as h_1 = 0.880797)")
    return {key: (value, typed.get(key, repr(value))) for key, value in answers.items()}


_LINE = re.compile(
    r"""^\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>[A-Za-z0-9_/.-]+))\s*=\s*"?(?P<value>[^"#\n]*?)"?\s*(?:#.*)?$"""
)


def _typed_values(text: str) -> dict[str, str]:
    """key -> the value's text as typed, read off the answers file's lines."""
    found = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            found[match.group("quoted") or match.group("bare")] = match.group("value").strip()
    return found


def _quantities(derivation: Derivation) -> dict[str, tuple[int, str, float]]:
    """Every name a student may use for a quantity -> (position in the derivation, shown name, value)."""
    table: dict[str, tuple[int, str, float]] = {}
    for position, step in enumerate(derivation.steps()):
        if step.definition:
            continue
        name = step.target.name
        for alias in (name.key, name.text, name.text.replace("δ", "delta")):
            table.setdefault(alias.replace(" ", ""), (position, name.text, step.target.value))
    last = len(table) + 10_000
    for p, value in derivation.gradients.items():
        for alias in (f"d{p}", f"d{parameter(p).text}", f"dL/d{p}", f"dL/d{parameter(p).text}"):
            table.setdefault(alias, (last, f"dL/d{parameter(p).text}", value))
    for alias in ("L", "loss"):
        table.setdefault(alias, (last + 1, "L", derivation.loss))
    return table


def grade(
    problem: Problem, answers: dict[str, float], digits: int = 6, typed: dict[str, str] | None = None
) -> Grade:
    """Mark an answer right within half a unit of the last shown digit of the exact or hand-rounded value."""
    exact = _quantities(derive(problem, Settings(digits=digits), method="both"))
    hand = _quantities(derive(problem, Settings(digits=digits, round_intermediate=True), method="both"))
    tolerance = 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-12
    marks = []
    for key, answer in answers.items():
        found = exact.get(key.replace(" ", ""))
        if found is None:
            close = difflib.get_close_matches(key, exact, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"answers: no quantity named {key!r}{hint}")
        position, name, expected = found
        rounded = hand[key.replace(" ", "")][2]
        ok = abs(answer - expected) <= tolerance or abs(answer - rounded) <= tolerance
        typed_text = (typed or {}).get(key, "")
        marks.append((position, Mark(key, name, answer, expected, rounded, ok, typed_text)))
    ordered = tuple(mark for _, mark in sorted(marks, key=lambda item: item[0]))
    first = next((mark.name for mark in ordered if not mark.ok), None)
    return Grade(ordered, first, tolerance)
