"""The numbers of one problem, whatever its values: the sweep, then the gradients.

``run`` takes the record of the problem's values (compute.values) and lets it sweep: the compiled
cell over t = 1..n, then forward and/or reverse mode by the plan, or the lean reverse mode alone.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .problem import Problem, Settings
from .run_numbers import Progress, unchanged
from .trace import Trace
from .values import values_of

METHODS = ("forward", "backward", "both")


def run(
    problem: Problem,
    settings: Settings | None = None,
    method: str | None = None,
    steps: bool = True,
    progress: Progress = None,
    every_adjoint: bool = False,
) -> Trace:
    """Sweep the cell over t = 1..n, then take the gradients.

    ``steps``: the derivation's named derivatives (forward mode, reverse mode or both, as ``method``
    says, by default the one the values are written with; hand rounding and a comparison of the methods
    need them too); without, the lean reverse mode gives the numbers alone.
    ``every_adjoint``: also dL/dk_t of every quantity and dL/d(every input), for the graph and check.
    """
    settings = settings or Settings()
    if problem.batch is not None and len(problem.batch.sequences) == 1:
        problem = problem.batch.sequences[0]  # a batch of one (N = 1) is that sequence, weight 1
    if problem.batch is not None:
        raise InputError(
            "this works on one sequence at a time for now: give one sequence (or --sequence K with grads, "
            "which derives the whole batch)"
        )
    values = values_of(problem)
    method = method or values.default_method
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return values.sweep(problem, settings, method, steps, progress, every_adjoint)


def gradients_without_time(problem: Problem) -> dict[str, float]:
    """dL/dθ with every path through time cut (each state's previous value held constant): what a
    hand derivation gives when it keeps only each step's direct terms."""
    from .truncation import Truncation, truncated_backward

    if problem.batch is not None:  # a mini-batch: each sequence's, weighted as the batch loss adds them
        weight = float(problem.batch.weight)
        parts = [gradients_without_time(sequence) for sequence in problem.batch.sequences]
        return {p: weight * sum(part[p] for part in parts) for p in parts[0]}
    trace = run(problem, Settings(), every_adjoint=True)
    lean = values_of(problem).generated_reverse
    back = truncated_backward(trace, Truncation(1), unchanged, lean=lean)  # each L_t sees its own step only
    return {p: back.gradients[p] for p in trace.net.params}


def loss_at(problem: Problem, values: dict[str, Any], streams: dict[str, Any] | None = None) -> float:
    """The loss with these parameter and initial values (keys as in the plan's ``wrt``), in floats (for
    arrays: arrays); nan where the shifted point is outside double precision."""
    return values_of(problem).loss_at(problem, values, streams)


__all__ = ["METHODS", "gradients_without_time", "loss_at", "run"]
