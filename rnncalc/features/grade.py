"""rnncalc grade: compare a student's numbers with the derivation, allowing for hand rounding."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..compute.problem import Problem, Settings
from ..compute.values import values_of
from ..derivation.derive import derive
from ..derivation.formula import Evaluate, Form, Rebuild, Ref, with_values
from ..derivation.model import Derivation
from ..derivation.names import parameter
from ..errors import InputError
from ..numbers import looks_like_number, parse_number
from ..result import Result
from ..tensor import Tensor
from .problem_file import checked_table, read_toml_with_text
from .slips import name_slip, typed_tolerance


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
    slip: str = ""
    follows: float | None = None
    """Wrong, but what the student's own earlier answers give (follow-through credit: a slip marked once)."""

    @property
    def credited(self) -> bool:
        """Right, or right from the student's own earlier numbers."""
        return self.ok or self.follows is not None

    @property
    def shown(self) -> str:
        """The answer as the student typed it (else as a number)."""
        return self.typed or repr(self.answer)


@dataclass(frozen=True)
class Rework:
    """The first wrong step's rule worked again from the student's own earlier numbers."""

    name: str
    rule: Form
    working: Form
    value: float
    answer: float
    typed: str
    slip: str = ""


@dataclass(frozen=True)
class Grade(Result):
    """Every answer in derivation order, the first wrong one, and the tolerance used."""

    marks: tuple[Mark, ...]
    first_wrong: str | None
    tolerance: float
    rework: Rework | None = None

    @property
    def ok(self) -> bool:
        """True when every answer is right."""
        return all(mark.ok for mark in self.marks)

    @property
    def later_all_right(self) -> bool | None:
        """After the first wrong answer: True when every later one is right, None when there is none."""
        later = self._later()
        return all(mark.ok for mark in later) if later else None

    @property
    def later_follow(self) -> bool:
        """After the first wrong answer, every later one is right or follows from the student's numbers,
        and at least one only follows: the slip is marked once."""
        later = self._later()
        return bool(later) and all(m.credited for m in later) and any(not m.ok for m in later)

    @property
    def credited(self) -> int:
        """How many answers earn credit: the right ones and those that follow from an earlier slip."""
        return sum(mark.credited for mark in self.marks)

    def _later(self) -> tuple[Mark, ...]:
        """The answers after the first wrong one."""
        index = next((i for i, mark in enumerate(self.marks) if not mark.ok), None)
        return self.marks[index + 1 :] if index is not None else ()


@dataclass(frozen=True)
class ClassGrade(Result):
    """Every student's sheet graded (or why it could not be), and where the class went wrong."""

    sheets: tuple[tuple[str, Grade | str], ...]
    """(the sheet's name, its grade or the one-line reason it could not be graded), in the order given."""

    @property
    def graded(self) -> list[tuple[str, Grade]]:
        """The sheets that could be graded."""
        return [(name, g) for name, g in self.sheets if isinstance(g, Grade)]

    @property
    def ok(self) -> bool:
        """Every sheet read, and every answer on it right."""
        return all(isinstance(g, Grade) and g.ok for _, g in self.sheets)

    def misses(self) -> list[tuple[str, int, int, str]]:
        """(quantity, sheets wrong on it, sheets that answered it, the slip named most often), the most
        missed first: where the class went wrong (an answer following from an earlier slip is no miss)."""
        answered: dict[str, int] = {}
        wrong: dict[str, int] = {}
        slips: dict[str, dict[str, int]] = {}
        for _, result in self.graded:
            for mark in result.marks:
                answered[mark.name] = answered.get(mark.name, 0) + 1
                if not mark.credited:
                    wrong[mark.name] = wrong.get(mark.name, 0) + 1
                    if mark.slip:
                        named = slips.setdefault(mark.name, {})
                        named[mark.slip] = named.get(mark.slip, 0) + 1
        rows = [
            (name, count, answered[name], max(slips.get(name, {"": 0}).items(), key=lambda kv: kv[1])[0])
            for name, count in wrong.items()
        ]
        return sorted(rows, key=lambda row: (-row[1] / row[2], row[0]))


def read_answers_file(path: Path) -> tuple[dict[str, tuple[float, str]], dict[str, Any] | None]:
    """The answers (as numbers and as typed) and the file's [problem] table, if it has one; a student's
    NumPy arrays (an .npz archive, np.savez("mine.npz", dWh=dWh, ...)) are answers by their names."""
    if path.suffix.lower() == ".npz":
        from .npz import read_arrays

        return typed_answers(path, _per_step(read_arrays(path, "answers")), ""), None
    data, text = read_toml_with_text(path, "answers")
    problem = data.pop("problem", None)
    if problem is not None and not isinstance(problem, dict):
        raise InputError(f"{path}: problem must be a table ([problem] with x = [...], g = [...], ...)")
    return typed_answers(path, data, text), checked_table(path, problem) if problem is not None else None


def _per_step(arrays: dict[str, Any]) -> dict[str, Any]:
    """A student's arrays as answers: a gradient (d + the name: dWh, dx, dh0) or the loss as it is; a
    per-step quantity (h, o, y) with the time axis first, one answer per step (h_1, h_2, ...)."""
    answers: dict[str, Any] = {}
    for name, array in arrays.items():
        if name.startswith("d") or name in ("L", "loss") or array.ndim == 0:
            answers[name] = array.tolist()
        else:
            answers |= {f"{name}_{t}": row.tolist() for t, row in enumerate(array, start=1)}
    return answers


def typed_answers(path: Path, data: dict[str, Any], text: str) -> dict[str, tuple[float, str]]:
    """Each answer as a number and as the student typed it (0.9640 stays 0.9640, not 0.964)."""
    typed = _typed_values(text)
    answers: dict[str, float] = {}
    for key, value in _entries(data).items():
        if isinstance(value, str) and looks_like_number(value) and value.strip() != "_":
            value = parse_number(value, f"{path}: {key}")
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise InputError(f"{path}: {key} must be a number, got {value!r}")
        try:
            answers[key] = float(value)
        except OverflowError:
            raise InputError(f"{path}: {key} is too large for a double-precision number") from None
        if not math.isfinite(answers[key]):
            raise InputError(f"{path}: {key} must be a finite number, got {value!r}")
    typed |= {key: str(value) for key, value in _entries(data).items() if key not in data}
    if not answers:
        where = "standard input" if str(path) == "-" else str(path)
        raise InputError(f"{where} holds no answers (write lines such as h_1 = 0.880797)")
    return {key: (value, typed.get(key, repr(value))) for key, value in answers.items()}


def _entries(data: dict[str, Any]) -> dict[str, Any]:
    """Answers with every vector or matrix answer split into its entries: h_1 = [0.46, 0.29] gives
    h_1[1] and h_1[2] (indices from 1, as in the derivation's matrices)."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            for index, entry in _flattened(value, ()):
                result[f"{key}[{','.join(str(i + 1) for i in index)}]"] = entry
        else:
            result[key] = value
    return result


def _flattened(value: Any, index: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
    """(index, entry) for every entry of a nested list."""
    if not isinstance(value, list):
        return [(index, value)]
    return [item for i, v in enumerate(value) for item in _flattened(v, (*index, i))]


_LINE = re.compile(
    r"""^\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>[A-Za-z0-9_/.-]+))\s*=\s*"?(?P<value>[^"#\n]*?)"?\s*(?:#.*)?$"""
)


def _typed_values(text: str) -> dict[str, str]:
    """key -> the value's text as typed, read off the answers file's lines."""
    found = {}
    for line in text.splitlines():
        if line.strip().startswith("["):  # a table such as [problem]: its keys are not answers
            break
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
            _add(table, alias.replace(" ", ""), (position, name.text, step.target.value))
    last = len(table) + 10_000
    for p, value in derivation.gradients.items():
        for alias in (f"d{p}", f"d{parameter(p).text}", f"dL/d{p}", f"dL/d{parameter(p).text}"):
            _add(table, alias, (last, f"dL/d{parameter(p).text}", value))
    for s, value in (derivation.input_gradients or {}).items():  # dx: what every backward function returns
        rows = Tensor.of(value)
        for alias in (f"d{s}", f"dL/d{s}"):
            _add(table, alias, (last, f"dL/d{s}", rows))
    for alias in ("L", "loss"):
        table.setdefault(alias, (last + 1, "L", derivation.loss))
    return table


def _add(table: dict[str, tuple[int, str, float]], alias: str, entry: tuple[int, str, Any]) -> None:
    """One name for a quantity; a vector or matrix also under each entry's name (h_1[2], dWh[1,2])."""
    position, shown, value = entry
    if not isinstance(value, tuple):
        table.setdefault(alias, entry)
        return
    rows = value.rows() if value.is_matrix else [[v] for v in value]  # type: ignore[attr-defined]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            index = f"{i + 1},{j + 1}" if value.is_matrix else f"{i + 1}"  # type: ignore[attr-defined]
            table.setdefault(f"{alias}[{index}]", (position, f"{shown}[{index}]", v))


def grade(
    problem: Problem, answers: dict[str, float], digits: int = 6, typed: dict[str, str] | None = None
) -> Grade:
    """Mark an answer right within half a unit of the last shown digit of the exact or hand-rounded value."""
    values = values_of(problem)
    method = values.graded_method
    derivation = derive(problem, Settings(digits=digits), method=method)
    exact = _quantities(derivation)
    hand = _quantities(derive(problem, Settings(digits=digits, round_intermediate=True), method=method))
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
        slip = "" if ok else name_slip(answer, expected, typed_text, problem.n, tolerance)
        marks.append((position, Mark(key, name, answer, expected, rounded, ok, typed_text, slip)))
    ordered = tuple(mark for _, mark in sorted(marks, key=lambda item: item[0]))
    ordered = _with_array_slips(problem, ordered, exact, tolerance)
    if values.follow_through:
        ordered = _with_time_slips(problem, ordered, tolerance)
        ordered = _with_follow_through(derivation, ordered, tolerance)
    first = next((mark for mark in ordered if not mark.ok), None)
    rework = _rework(derivation, first, ordered) if first is not None and values.follow_through else None
    return Grade(ordered, first.name if first else None, tolerance, rework)


def _with_array_slips(
    problem: Problem, marks: tuple[Mark, ...], exact: dict[str, tuple[int, str, float]], tolerance: float
) -> tuple[Mark, ...]:
    """Name the slip of a whole wrong vector or matrix answer (a student's array): transposed, the sign
    flipped, n times or 1/n of the answer (a sum for a mean, or the other way), or the path through time
    left out."""
    import dataclasses

    groups: dict[str, list[Mark]] = {}
    for mark in marks:
        if "[" in mark.key and not mark.ok:  # a slip of the whole array explains an entry's best
            groups.setdefault(mark.key.split("[")[0], []).append(mark)
    found: dict[int, str] = {}
    for base, group in groups.items():
        for slip, value_of in _array_slip_rules(problem, base, exact):
            if all(_close(mark, value_of(mark), tolerance) for mark in group):
                found |= dict.fromkeys(map(id, group), slip)
                break
    return tuple(dataclasses.replace(m, slip=found[id(m)]) if id(m) in found else m for m in marks)


def _close(mark: Mark, value: float | None, tolerance: float) -> bool:
    """The answer equals this value, to the digits it was given with."""
    return value is not None and abs(mark.answer - value) <= typed_tolerance(mark.shown, tolerance)


def _array_slip_rules(
    problem: Problem, base: str, exact: dict[str, tuple[int, str, float]]
) -> list[tuple[str, Callable[[Mark], float | None]]]:
    """Each array slip and the entry it would give for a mark."""
    n = problem.n

    def transposed(mark: Mark) -> float | None:
        index = mark.key[len(base) + 1 : -1].split(",")
        entry = exact.get(f"{base}[{','.join(reversed(index))}]") if len(index) == 2 else None
        return entry[2] if entry is not None and len(index) == 2 and index[0] != index[1] else None

    rules: list[tuple[str, Callable[[Mark], float | None]]] = [
        (
            "transposed: the answer's transpose (W · h where the course writes h · W, or the other way)",
            transposed,
        ),
        ("the sign is flipped throughout", lambda mark: -mark.expected),
    ]
    if problem.batch is not None and len(problem.batch.sequences) > 1:  # before the steps' (N may be n)
        count = len(problem.batch.sequences)
        if problem.batch.reduction == "mean":
            slip = f"{count} times the answer: the batch's gradients summed where its loss is their mean"
            rules.append((slip, lambda m: count * m.expected))
        else:
            slip = f"1/{count} of the answer: the batch's mean where its loss is the sum of the sequences'"
            rules.append((slip, lambda m: m.expected / count))
    if problem.over_time == "mean":
        slip = f"{n} times the answer: a sum over the steps where the loss takes their mean"
        rules.append((slip, lambda m: n * m.expected))
    else:
        rules.append(
            (f"1/{n} of the answer: a mean over the steps where the loss sums them", lambda m: m.expected / n)
        )
    without = _without_time(problem, base)
    if without is not None:
        rules.append(("the path through time is missing (only each step's direct term is summed)", without))
    return rules + _stacking_rules(problem, base, exact)


def _stacking_rules(
    problem: Problem, base: str, exact: dict[str, tuple[int, str, float]]
) -> list[tuple[str, Callable[[Mark], float | None]]]:
    """For a course's stacked gradient (CS231n's dWx of D×4H): each other order of its blocks (the gates
    i, f, g, o where the course stacks i, f, o, g), and the entry a student's array in that order holds."""
    import itertools

    layout: Any = problem.course
    fused = next((f for f in layout.cell.fused if f"d{f.name}" == base), None) if layout is not None else None
    if fused is None or len(fused.parts) < 2 or problem.arrays is None:
        return []
    count = len(fused.parts)
    sizes = [problem.arrays.sizes[size] for size in fused.sizes]  # H for a gate, D for [a_prev; x]'s x
    labels = [part.removeprefix(fused.name).lstrip("_") or part for part in fused.parts]
    rules: list[tuple[str, Callable[[Mark], float | None]]] = []
    for order in itertools.permutations(range(count)):
        if order == tuple(range(count)):
            continue
        given = ", ".join(labels[k] for k in order)
        slip = (
            f"the blocks stacked in the order {given}, where {layout.convention.name} stacks "
            f"{', '.join(labels)} (along axis {fused.axis})"
        )
        rules.append((slip, _reordered(base, exact, order, fused.axis, sizes)))
    return rules


def _reordered(
    base: str, exact: dict[str, tuple[int, str, float]], order: tuple[int, ...], axis: int, sizes: list[int]
) -> Callable[[Mark], float | None]:
    """The entry of a stacked array whose blocks (of these sizes, in the course's order) come in ``order``
    (the student's block k is the course's block order[k])."""
    starts = [sum(sizes[:k]) for k in range(len(sizes))]  # where each of the course's blocks begins

    def entry(mark: Mark) -> float | None:
        index = _index(mark.key, base)
        if axis >= len(index):
            return None
        position = index[axis] - 1
        for block in order:  # the student's blocks, one after another
            if position < sizes[block]:
                index[axis] = starts[block] + position + 1
                found = exact.get(f"{base}[{','.join(map(str, index))}]")
                return found[2] if found is not None else None
            position -= sizes[block]
        return None

    return entry


def _index(key: str, base: str) -> list[int]:
    """An entry's 1-based index from its name: dWx[2,3] → [2, 3]."""
    return [int(i) for i in key[len(base) + 1 : -1].split(",")]


def _without_time(problem: Problem, base: str) -> Callable[[Mark], float | None] | None:
    """The entries of a gradient with every path through time cut, for a gradient's answer."""
    params = {f"d{p}": p for p in problem.params} | {f"d{parameter(p).text}": p for p in problem.params}
    if base not in params:
        return None
    from ..compute.run import gradients_without_time

    value = gradients_without_time(problem).get(params[base])
    if value is None:
        return None
    entries = Tensor.of(value).rows() if int(getattr(value, "ndim", 0)) else [[value]]

    def entry(mark: Mark) -> float | None:
        index = [int(i) - 1 for i in mark.key[len(base) + 1 : -1].split(",")]
        row, column = (index[0], index[1]) if len(index) == 2 else (index[0], 0)
        rows = entries if len(index) == 2 else [[v] for row in entries for v in row]
        return rows[row][column] if row < len(rows) and column < len(rows[row]) else None

    return entry


def _with_time_slips(problem: Problem, marks: tuple[Mark, ...], tolerance: float) -> tuple[Mark, ...]:
    """Name "the path through time is missing" on a wrong gradient that equals the direct terms only."""
    import dataclasses

    by_name = {f"dL/d{parameter(p).text}": p for p in problem.params}
    wrong = [m for m in marks if not m.ok and not m.slip and m.name in by_name]
    if not wrong:
        return marks
    from ..compute.run import gradients_without_time

    direct = gradients_without_time(problem)
    found = {
        id(m): "the path through time is missing (only each step's direct term is summed)"
        for m in wrong
        if by_name[m.name] in direct
        and abs(m.answer - direct[by_name[m.name]]) <= typed_tolerance(m.shown, tolerance)
        and abs(m.expected - direct[by_name[m.name]]) > typed_tolerance(m.shown, tolerance)
    }
    return tuple(dataclasses.replace(m, slip=found[id(m)]) if id(m) in found else m for m in marks)


def _with_follow_through(
    derivation: Derivation, marks: tuple[Mark, ...], tolerance: float
) -> tuple[Mark, ...]:
    """Credit a wrong answer that is right from the student's own earlier numbers: every line of the
    derivation worked again in order, each quantity the student answered taken as they wrote it."""
    import dataclasses

    answers = {mark.name: mark.answer for mark in marks}
    theirs: dict[str, float] = {}
    follows: dict[str, float] = {}
    for step in derivation.steps():
        working = step.shown_working
        if step.definition or working is None or step.target.name.text in follows:
            continue
        name = step.target.name.text
        try:
            value = float(Evaluate()(with_values(working, theirs)))
        except (ArithmeticError, TypeError, ValueError):
            continue
        follows[name] = value
        theirs[name] = answers.get(name, value)
    credited = []
    for mark in marks:
        own = follows.get(mark.name)
        if mark.ok or own is None or abs(own - mark.expected) <= tolerance:
            credited.append(mark)  # right, or no earlier slip changes what it should be
            continue
        loose = 2 * tolerance + 1e-9 * abs(own)  # right to the decimals asked, from their own numbers
        credited.append(dataclasses.replace(mark, follows=own) if abs(mark.answer - own) <= loose else mark)
    return tuple(credited)


def _rework(derivation: Derivation, wrong: Mark, marks: tuple[Mark, ...]) -> Rework | None:
    """The wrong step's rule with the student's earlier answers put in for the quantities it uses."""
    step = next(
        (s for s in derivation.steps() if s.target.name.text == wrong.name and not s.definition), None
    )
    if step is None or step.shown_working is None:
        return None
    theirs = {mark.name: mark.answer for mark in marks if mark is not wrong}
    working = with_values(step.shown_working, theirs)
    value = Evaluate()(working)
    later = _later_step_used(derivation, working, wrong)
    return Rework(wrong.name, step.shown_working, working, value, wrong.answer, wrong.shown, later)


def _later_step_used(derivation: Derivation, working: Form, wrong: Mark) -> str:
    """ "h_2 used for h_1" when putting a quantity's next-step value into the rule gives the answer."""
    values = {s.target.name.text: s.target.value for s in derivation.steps() if not s.definition}
    loose = typed_tolerance(wrong.shown, 1e-9)
    if abs(Evaluate()(working) - wrong.answer) <= loose:  # right at the precision typed: nothing to tell
        return ""
    for ref in _refs(working):
        match = re.fullmatch(r"(.+)_(\d+)", ref.name.text)
        later = f"{match.group(1)}_{int(match.group(2)) + 1}" if match else ""
        if later not in values:
            continue
        swapped = Rebuild(lambda f, r=ref, v=values[later]: Ref(f.name, v) if f == r else f)(working)  # type: ignore[misc]
        if abs(Evaluate()(swapped) - wrong.answer) <= loose:
            return f"{later} used where {ref.name.text} belongs"
    return ""


def _refs(form: Form) -> list[Ref]:
    """Every quantity a filled form uses, in order, once each."""
    found: list[Ref] = []

    def note(f: Form) -> Form:
        if type(f) is Ref and f not in found:
            found.append(f)
        return f

    Rebuild(note)(form)
    return found
