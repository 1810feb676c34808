"""What a problem's values are, numbers or arrays: one record of every choice that depends on it.

The rest of the engine asks ``values_of(problem)`` for the record and uses its fields, never which kind
a problem is: adding a kind of value (a batch axis carried through the sweep, say) is one more record.
NumPy is loaded only when an array problem is worked.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell.states import initial
from ..tensor import shown
from .problem import Problem, Settings
from .run_numbers import numbers_loss, run_numbers, unchanged
from .run_numbers import settler as number_settler
from .trace import Trace

Settle = Callable[[Any], Any]


@dataclass(frozen=True)
class Values:
    """One kind of value a problem holds, and how the engine works on it."""

    name: str
    default_method: str
    """The derivation written unless asked: forward mode's totals for numbers (the worked example's);
    the backward (δ) one for arrays, which carries no column per entry of θ."""
    generated_reverse: bool
    """The lean reverse mode generated as code serves for the numbers alone; else the plan's own."""
    sweep: Callable[..., Trace]
    """(problem, settings, method, steps, progress, every_adjoint) → the trace."""
    loss_at: Callable[..., float]
    """(problem, values, streams) → the loss at other parameter and initial values."""
    settler: Callable[[Settings], Settle]
    """How a named quantity is written down (hand rounding of a number, or of every entry)."""
    parameters: Callable[[Problem], dict[str, Any]]
    """Every parameter at its given value (a float, or an array), in the order given."""
    initial: Callable[[Problem], dict[str, Any]]
    """Every initial state (keys as in the plan's ``wrt``: h0) at its given value."""
    streams: Callable[[Problem], dict[str, Any]]
    """Every input stream: a list of floats, or an array of rows."""
    with_parameters: Callable[[Problem, dict[str, Any]], Problem]
    """The same problem with other parameter values."""
    step_seconds: float
    """About how long training takes a step of the worked example's cell (measured)."""
    truncated_cost: Callable[[int], float]
    """How many times full BPTT's cost a step of truncated BPTT with this many sweeps takes (measured:
    the worked example's cell 40 µs a step at K = 1, 57 at K = 10, 90 at K = 50; arrays 2x in chunks,
    5.5x at K = 10)."""
    shown: Callable[[Any], Any]
    """A value as renderers print it: a vector or matrix as a Tensor, a number as it is."""
    columns: Callable[[dict[str, list[Any]]], dict[str, Any]]
    """dL/dx_t of every input stream as returned: lists of floats, or a matrix of one row per step."""
    forward_numbers: Callable[[Problem], int]
    """How many numbers forward mode carries beyond the step budget: a column per entry of θ through
    every quantity at every step for arrays; nothing for numbers (a number per θ, in the budget)."""
    exact_forward: bool
    """--exact can write forward mode's totals (for arrays only the backward derivation's entries)."""
    symbolic: bool
    """check can differentiate the unrolled loss with SymPy (arrays are checked numerically)."""
    named_shares: bool
    """Each step's share of a gradient is a line of its own (arrays), so hand rounding settles it before
    the shares are added."""
    graded_method: str
    """The derivation grade marks against: both methods' quantities for numbers; the backward one's for
    arrays (forward mode's totals carry a column per entry of θ)."""
    target: Callable[[Problem, int], Any]
    """g at step t + 1 as the loss reads it: a number, or a row (a number when the output is one)."""
    follow_through: bool
    """grade reworks the derivation from a student's own numbers (follow-through credit, the path through
    time left out, the rework of the first slip); arrays are marked entry by entry without it."""


def given(problem: Problem) -> dict[str, Any]:
    """Every parameter and initial state (keys as in the plan's ``wrt``) at its given value."""
    values = values_of(problem)
    return values.parameters(problem) | values.initial(problem)


def entries(values: dict[str, Any]) -> int:
    """How many numbers these values hold (a number is one; an array, its size)."""
    return sum(int(getattr(value, "size", 1)) for value in values.values())


def _number_streams(problem: Problem) -> dict[str, Any]:
    """Every input stream as a list of floats."""
    return {s: problem.stream_floats(s) for s in problem.spec.inputs}


def _number_parameters(problem: Problem, params: dict[str, Any]) -> Problem:
    """The problem with these parameter values (read exactly from their floats; the problem is not read
    again, so a course's problem keeps the cell its convention gave)."""
    new = copy.copy(problem)
    object.__setattr__(new, "params", {k: Fraction(v) for k, v in params.items()})
    return new


def _array_forward_numbers(problem: Problem) -> int:
    """n × (entries of θ) × (entries of every quantity)."""
    widest = sum(max(1, math.prod(shape)) for shape in _arrays(problem).resolved.shapes.values())
    return problem.n * entries(given(problem)) * widest


def _array_columns(found: dict[str, list[Any]]) -> dict[str, Any]:
    """Each stream's dL/dx_t as a matrix of one row per step."""
    import numpy as np

    return {s: np.array(column, dtype=float).reshape(len(column), -1) for s, column in found.items()}


def _array_target(problem: Problem, t: int) -> Any:
    """g at step t + 1: a row, or a number when the output is one."""
    arrays = _arrays(problem)
    return arrays.g[t] if arrays.resolved.shapes["y"] else arrays.g[t, 0]


def _arrays(problem: Problem) -> Any:
    """The problem's arrays (there are, for the array record)."""
    assert problem.arrays is not None
    return problem.arrays


def _in_run_arrays(name: str) -> Callable[..., Any]:
    """A function of run_arrays, NumPy loaded only when it is called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        from . import run_arrays

        return getattr(run_arrays, name)(*args, **kwargs)

    call.__doc__ = f"run_arrays.{name}, NumPy loaded only when called."
    return call


NUMBERS = Values(
    name="numbers",
    default_method="forward",
    generated_reverse=True,
    sweep=run_numbers,
    loss_at=numbers_loss,
    settler=number_settler,
    parameters=lambda problem: {k: float(v) for k, v in problem.params.items()},
    initial=lambda problem: {initial(s): float(problem.initial(s)) for s in problem.spec.states},
    streams=_number_streams,
    with_parameters=_number_parameters,
    step_seconds=32e-6,
    truncated_cost=lambda sweeps: 2 + 0.05 * sweeps,
    shown=unchanged,
    columns=dict,
    forward_numbers=lambda problem: 0,
    exact_forward=True,
    symbolic=True,
    named_shares=False,
    graded_method="both",
    target=lambda problem, t: problem.g_floats[t],
    follow_through=True,
)
ARRAYS = Values(
    name="arrays",
    default_method="backward",
    generated_reverse=False,
    sweep=_in_run_arrays("run_arrays"),
    loss_at=_in_run_arrays("array_loss"),
    settler=_in_run_arrays("settler"),
    parameters=lambda problem: dict(_arrays(problem).params),
    initial=lambda problem: {initial(s): _arrays(problem).init[s] for s in problem.spec.states},
    streams=lambda problem: {s: _arrays(problem).streams[s] for s in problem.spec.inputs},
    with_parameters=lambda problem, params: problem.with_parameters(params),
    step_seconds=100e-6,
    truncated_cost=lambda sweeps: 1 + 0.5 * sweeps,
    shown=shown,
    columns=_array_columns,
    forward_numbers=_array_forward_numbers,
    exact_forward=False,
    symbolic=False,
    named_shares=True,
    graded_method="backward",
    target=_array_target,
    follow_through=False,
)


def values_of(problem: Problem) -> Values:
    """The record of the problem's values: the one place that asks which kind they are."""
    return NUMBERS if problem.arrays is None else ARRAYS


__all__ = ["ARRAYS", "NUMBERS", "Values", "entries", "given", "unchanged", "values_of"]
