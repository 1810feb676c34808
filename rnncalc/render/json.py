"""The JSON export: plain dicts dumped with json.dumps, full-precision numbers."""

from __future__ import annotations

import itertools
import json
from typing import Any

from . import View
from ..model import Derivation, Section, Step
from .formula import TextPrinter
from .lines import step_parts


def as_data(derivation: Derivation) -> dict[str, Any]:
    """The derivation as plain data."""
    from .. import __version__

    problem, settings = derivation.problem, derivation.settings
    data: dict[str, Any] = {
        "rnncalc": __version__,
        "problem": {
            "n": problem.n,
            "x": problem.x_floats,
            "g": problem.g_floats,
            "h0": float(problem.h0),
            "params": {k: float(v) for k, v in problem.params.items()},
            "activation": problem.activation,
            "loss": problem.loss,
        },
        "settings": {"digits": settings.digits, "round_intermediate": settings.round_intermediate, "exact": settings.exact},
        "forward": NumericRecords(
            {"t": t, "x": x, "o": o, "h": h, "y": y}
            for t, x, o, h, y in zip(itertools.count(1), *(getattr(derivation.columns, c) for c in "xohy"))
        ),
        "loss": derivation.loss,
    }
    if derivation.scope == "grads":
        data["gradients"] = dict(derivation.gradients)
    if derivation.sections:
        data["derivation"] = [_section(s, settings.digits) for s in derivation.sections]
    return data


def _section(section: Section, digits: int) -> dict[str, Any]:
    """A section as data."""
    return {
        "key": section.key,
        "title": section.title,
        "lead": section.lead.text if section.lead else None,
        "steps": [_step(step, digits) for step in section.steps],
    }


def _step(step: Step, digits: int) -> dict[str, Any]:
    """A step as data: its name, rule and working as text, and its full-precision value."""
    data: dict[str, Any] = {
        "key": step.target.name.key,
        "name": step.target.name.text,
        "rule": TextPrinter(digits).print(step.rule) if step.rule is not None else None,
        "working": TextPrinter(digits, values=True).print(step.shown_working) if step.shown_working is not None and not step.definition else None,
        "value": None if step.definition else step.target.value,
    }
    if step.exact is not None:
        from ..exact import exact_form

        data["exact"] = TextPrinter(digits).print(exact_form(step.exact))
    return data


def render(derivation: Derivation, view: View | None = None) -> str:
    """The JSON text: nested containers indented, each record of scalars on one line."""
    return _pretty(as_data(derivation), 0) + "\n"


def _pretty(value: Any, depth: int) -> str:
    """Indent containers of containers; dump flat records with the fast C encoder."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, NumericRecords):
        return "[\n" + inner + json.dumps(value)[1:-1].replace("}, {", "},\n" + inner + "{") + f"\n{pad}]"
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {_pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + _pretty(v, depth + 1) for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


class NumericRecords(list):  # type: ignore[type-arg]
    """A list of flat dicts of numbers: dumped in one call and split into lines at '}, {'."""
