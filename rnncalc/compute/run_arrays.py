"""The numbers of a problem of vectors and matrices: the generated sweep, then reverse mode by the plan.

The sweep computes every value and every Jacobian factor; the derivation's adjoints (δ_t) and every
gradient's share at each step then follow the plan, each product a vector-Jacobian product.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..cell.states import initial
from ..engine.arrays import ArrayCell, array_cell, compiled_sweep, jacobians
from ..engine.evaluate import Evaluation
from ..engine.plan import plan_of
from ..errors import RnnCalcError
from ..numbers import round_half_up
from .problem import Problem, Settings

Settle = Callable[[Any], Any]


def settler(settings: Settings) -> Settle:
    """Every entry rounded as by hand (--round-intermediate), or left alone."""
    if not settings.round_intermediate:
        return lambda value: value
    digits = settings.digits
    rounded = np.vectorize(lambda v: round_half_up(float(v), digits), otypes=[float])
    return lambda value: rounded(value) if np.ndim(value) else round_half_up(float(value), digits)


def run_arrays(
    problem: Problem,
    settings: Settings,
    progress: Callable[[int], None] | None = None,
    every_adjoint: bool = False,
) -> Any:
    """The trace of an array problem: values, Jacobians, the adjoints and the gradients (backward)."""
    from .run import Trace

    arrays = problem.arrays
    assert arrays is not None
    spec = problem.spec
    cell = _cell(problem)
    settle = settler(settings)
    params = tuple(arrays.params[p] for p in spec.params)
    with np.errstate(all="raise", under="ignore"):  # a value too small for a double is 0, as by hand
        try:
            swept = compiled_sweep(cell)(
                arrays.streams,
                _targets(problem),
                [int(m) for m in arrays.mask],
                arrays.init,
                params,
                settle,
                progress or (lambda done: None),
                float(problem.loss_weight),
            )
            partials = jacobians(cell, swept, arrays.params)
            evaluation = Evaluation(
                plan_of(spec), partials, swept["dL_dy"], problem.targets, named_shares=True
            )
            backward = evaluation.backward(settle, spec.inputs)
        except FloatingPointError as error:
            raise RnnCalcError(
                f"the computation overflows or divides by zero ({error}); use smaller values"
            ) from None
    loss = float(settle(np.array(sum(swept["loss_terms"]))))
    trace = Trace(
        net=cell,  # type: ignore[arg-type]
        plan=plan_of(spec),
        problem=problem,
        streams={s: list(arrays.streams[s]) for s in spec.inputs},
        g=list(arrays.g),
        targets=problem.targets,
        params=dict(arrays.params),
        init={f"{s}0": arrays.init[s] for s in spec.states},
        values=swept["values"],
        partials=partials,
        dL_dy=swept["dL_dy"],
        loss_terms=swept["loss_terms"],
        loss=loss,
        backward=backward,
        gradients=dict(backward.gradients),
        softmax=swept["p"],
    )
    if every_adjoint:  # dL/dk_t of every quantity and dL/d(every input), for the graph and the check
        every = range(1, problem.n + 1)
        named = backward.adjoints
        trace.adjoints = {k: [evaluation.adjoint(k, t, named) for t in every] for k in spec.names}
        trace.input_gradients = backward.inputs
    _check_finite({"the loss L": loss, **{f"dL/d{k}": v for k, v in trace.gradients.items()}})
    return trace


def array_loss(problem: Problem, values: dict[str, Any], streams: dict[str, Any] | None = None) -> float:
    """The loss with these parameter and initial arrays (keys as in the plan's ``wrt``), nan where the
    shifted point is outside double precision."""
    arrays = problem.arrays
    assert arrays is not None
    spec = problem.spec
    cell = _cell(problem)
    with np.errstate(all="ignore"):
        swept = compiled_sweep(cell)(
            streams or arrays.streams,
            _targets(problem),
            [int(m) for m in arrays.mask],
            {s: values[initial(s)] for s in spec.states},
            tuple(values[p] for p in spec.params),
            lambda value: value,
            lambda done: None,
            float(problem.loss_weight),
        )
    return math.fsum(swept["loss_terms"])


def _cell(problem: Problem) -> ArrayCell:
    """The problem's array cell (its shapes are those of the given values)."""
    arrays = problem.arrays
    assert arrays is not None
    shapes = tuple(sorted((k, v) for k, v in arrays.resolved.shapes.items() if k in _given(problem)))
    return array_cell(problem.spec, shapes, problem.loss, problem.loss_weight, problem.loss_term)


def _targets(problem: Problem) -> np.ndarray:
    """g as rows, or as numbers when the output is a number."""
    arrays = problem.arrays
    assert arrays is not None
    return arrays.g if arrays.resolved.shapes["y"] else arrays.g[:, 0]


def _given(problem: Problem) -> set[str]:
    """The names whose shapes are given, not inferred: inputs, parameters and initial states."""
    spec = problem.spec
    return {*spec.inputs, *spec.params, *(s + "_prev" for s in spec.states)}


def _check_finite(values: dict[str, Any]) -> None:
    """Refuse to print inf or nan (matrix products do not raise): name the first result that overflowed."""
    for name, value in values.items():
        if not np.isfinite(value).all():
            raise RnnCalcError(f"{name} overflows double precision; use smaller values")
