"""The JSON export: plain dicts dumped with json.dumps, full-precision numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..compute.problem import Problem
from ..compute.values import ARRAYS, NUMBERS, values_of
from ..derivation.model import Derivation, NamedColumns, Section, Step
from ..tensor import Tensor
from . import View
from .printers import TextPrinter


def as_data(derivation: Derivation, fast_rows: bool = False) -> dict[str, Any]:
    """The derivation as plain data (``fast_rows``: the forward rows as a pre-formatted block for render)."""
    from .. import __version__

    problem, settings = derivation.problem, derivation.settings
    data: dict[str, Any] = {
        "rnncalc": __version__,
        "problem": PROBLEM_DATA[values_of(problem).name](problem),
        "settings": {
            "digits": settings.digits,
            "round_intermediate": settings.round_intermediate,
            "exact": settings.exact,
        },
        "forward": ForwardRows(derivation.columns) if fast_rows else list(ForwardRows(derivation.columns)),
        "loss": derivation.loss,
    }
    if derivation.scope == "grads":
        data["method"] = derivation.method
        data["gradients"] = (
            {k: None for k in derivation.gradients} if derivation.blank else dict(derivation.gradients)
        )
        if derivation.full_gradients is not None:  # truncated BPTT: the full gradients, and how far off
            data |= _truncation(derivation)
        if derivation.input_gradients and not derivation.blank:  # dL/dx_t, as courses return dx
            data["input_gradients"] = {
                s: Tensor.of(v) if hasattr(v, "tolist") else v for s, v in derivation.input_gradients.items()
            }
    if derivation.blank_mode:
        data["exercise"] = True
        data["blank"] = derivation.blank_mode
    if derivation.blank:
        data["loss"] = None
        data["forward"] = [{"t": t, "x": x} for t, x in enumerate(derivation.columns.x, start=1)]
    if derivation.backward_gradients is not None:
        backward = derivation.backward_gradients
        data["gradients_backward"] = dict.fromkeys(backward) if derivation.blank else dict(backward)
        data["methods_agree"] = None if derivation.blank else derivation.methods_agree
    if derivation.sections:
        data["derivation"] = [_section(s, settings.digits) for s in derivation.sections]
    return data


def _truncation(derivation: Derivation) -> dict[str, Any]:
    """truncation (K, chunked), gradients_full, and each relative difference |trunc − full| / |full|."""
    from ..compute.truncation import relative_difference

    full = derivation.full_gradients or {}
    if derivation.blank:
        return {"gradients_full": dict.fromkeys(full)}
    truncation = derivation.truncation
    return {
        "truncation": {"steps": truncation.steps, "chunked": truncation.chunked},
        "gradients_full": dict(full),
        "relative_difference": {
            key: relative_difference(_number(value), _number(full[key]))
            for key, value in derivation.gradients.items()
        },
    }


def _number(value: Any) -> Any:
    """A gradient as a float or a NumPy array (shown vectors are Tensors)."""
    if isinstance(value, Tensor):
        import numpy as np

        return np.array(value, dtype=float)
    return value


def _number_problem(problem: Problem) -> dict[str, Any]:
    """A problem of numbers as data: its values, cell and loss."""
    return {
        "n": problem.n,
        "x": problem.x_floats if problem.reads_x else None,
        "g": [g if target else None for g, target in zip(problem.g_floats, problem.targets)],
        "h0": float(problem.h0),
        "params": {k: float(v) for k, v in problem.params.items()},
        "activation": problem.activation,
        "cell": list(problem.cell) if problem.cell else None,
        "loss": problem.loss,
        "reduce_time": problem.over_time,
        **_network_problem(problem),
    }


def _array_problem(problem: Problem) -> dict[str, Any]:
    """A problem of vectors and matrices: its sizes, then every value as a nested list in its shape (a
    batch: its size, reduction and shown sequence, then each sequence)."""
    if problem.batch is not None:
        batch = problem.batch
        return {
            "batch": len(batch.sequences),
            "reduce_batch": batch.reduction,
            "sequence": batch.shown + 1,
            "sequences": [_array_problem(sequence) for sequence in batch.sequences],
        }
    arrays = problem.arrays
    assert arrays is not None
    spec = problem.spec
    data: dict[str, Any] = {
        "n": problem.n,
        "sizes": {k: arrays.sizes[k] for k in ("H", "D", "K") if k in arrays.sizes},
        "x": arrays.streams["x"].tolist() if problem.reads_x else None,
        "g": [row if given else None for row, given in zip(arrays.g.tolist(), problem.targets)],
    }
    if "h" in spec.states:
        data["h0"] = arrays.init["h"].tolist()
    data["params"] = {name: arrays.params[name].tolist() for name in spec.params}
    data["activation"] = problem.activation
    if problem.network:
        data["cell"] = list(problem.cell or ())
        data["inputs"] = {s: arrays.streams[s].tolist() for s in spec.inputs if s != "x"}
        data["init"] = {s: arrays.init[s].tolist() for s in spec.states}
        data["loss_term"] = problem.loss_term
    data["loss"] = problem.loss
    data["reduce_time"] = problem.over_time
    return data


def _network_problem(problem: Problem) -> dict[str, Any]:
    """What only a network problem has: its input streams, initial states and loss term."""
    if not problem.network:
        return {}
    return {
        "inputs": {name: [float(v) for v in values] for name, values in problem.inputs.items()},
        "init": {name: float(v) for name, v in problem.init.items()},
        "loss_term": problem.loss_term,
    }


def _section(section: Section, digits: int) -> dict[str, Any]:
    """A section as data."""
    return {
        "key": section.key,
        "title": section.title,
        "lead": section.lead.text if section.lead else None,
        **({"note": section.note} if section.note else {}),
        "steps": [_step(step, digits) for step in section.steps],
    }


def _step(step: Step, digits: int) -> dict[str, Any]:
    """A step as data: its name, rule and working as text, and its full-precision value."""
    data: dict[str, Any] = {
        "key": step.target.name.key,
        "name": step.target.name.text,
        "rule": TextPrinter(digits).print(step.rule)
        if step.rule is not None and not step.rule_blank
        else None,
        "working": TextPrinter(digits, values=True).print(step.shown_working)
        if step.shown_working is not None and not (step.definition or step.blank or step.rule_blank)
        else None,
        "value": None if step.definition or step.blank else step.target.value,
    }
    if step.exact is not None and not step.blank:
        data["exact"] = TextPrinter(digits).print(step.exact)
    if step.explanation:
        data["explain"] = step.explanation
    return data


def render(derivation: Derivation, view: View | None = None) -> str:
    """The JSON text: nested containers indented, each record of scalars on one line."""
    return _pretty(as_data(derivation, fast_rows=not derivation.blank), 0) + "\n"


def _pretty(value: Any, depth: int) -> str:
    """Indent containers of containers; dump flat records with the fast C encoder."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, ForwardRows):
        return value.dumps(depth)
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {_pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):  # lists are uniform
        return "[\n" + ",\n".join(inner + _pretty(v, depth + 1) for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


class ForwardRows:
    """The forward rows {"t", "x", "o", "h", "y"}, written as JSON straight from the columns."""

    def __init__(self, columns: NamedColumns) -> None:
        """Keep the columns."""
        self.columns = columns

    def __iter__(self) -> Iterator[dict[str, float]]:
        """The rows as dicts."""
        yield from (dict(zip(self.columns.keys, row)) for row in self.columns.rows())

    def dumps(self, depth: int) -> str:
        """The JSON array, one row per line; every number is finite, so repr() is what json.dumps writes."""
        inner = "  " * (depth + 1)
        c = self.columns
        row = inner + "{{" + ", ".join(f"{json.dumps(k)}: {{}}" for k in c.keys) + "}}"
        columns = [*c.streams.values(), *c.values.values()]
        steps = map(str, range(1, len(columns[-1]) + 1))
        rows = ",\n".join(map(row.format, steps, *(map(repr, column) for column in columns)))
        return "[\n" + rows + "\n" + "  " * depth + "]"


PROBLEM_DATA = {NUMBERS.name: _number_problem, ARRAYS.name: _array_problem}
"""The problem as data, for each kind of value (compute.values)."""
