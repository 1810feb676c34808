"""The numbers of a problem of vectors and matrices: the generated sweep, then reverse mode by the plan.

The sweep computes every value and every Jacobian factor; the derivation's adjoints (δ_t) and every
gradient's share at each step then follow the plan, each product a vector-Jacobian product.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ..cell.states import initial
from ..engine.arrays import ArrayCell, array_cell, compiled_sweep, jacobians, kinked
from ..engine.evaluate import Evaluation
from ..engine.plan import plan_of
from ..errors import RnnCalcError, failure
from ..numbers import round_half_up
from .problem import Problem, Settings
from .trace import Trace

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
    method: str = "backward",
    steps: bool = True,
    progress: Callable[[int], None] | None = None,
    every_adjoint: bool = False,
) -> Any:
    """The trace of an array problem: values, Jacobians, the adjoints and the gradients (backward); with
    ``method`` forward or both also every total dk_t/dθ (forward mode, a column per entry of θ); the
    derivatives are always named (``steps`` is in the signature every kind of value shares)."""
    arrays = problem.arrays
    assert arrays is not None
    spec = problem.spec
    cell = _cell(problem)
    settle = settler(settings)
    exact = _exactly(problem, cell, settings)
    number = _fractions if exact else (lambda value: value)
    params = tuple(number(arrays.params[p]) for p in spec.params)
    with np.errstate(all="raise", under="ignore"):  # a value too small for a double is 0, as by hand
        try:
            swept = compiled_sweep(cell, exact)(
                {s: number(v) for s, v in arrays.streams.items()},
                number(_targets(problem)),
                [int(m) for m in arrays.mask],
                {s: number(v) for s, v in arrays.init.items()},
                params,
                settle,
                progress or (lambda done: None),
                problem.loss_weight if exact else float(problem.loss_weight),
            )
            if exact:
                swept = _in_floats(swept)
            partials = jacobians(cell, swept, arrays.params)
            wrt_shapes = {p: np.shape(arrays.params[p]) for p in spec.params}
            wrt_shapes |= {initial(s): np.shape(arrays.init[s]) for s in spec.states}
            evaluation = Evaluation(
                plan_of(spec),
                partials,
                swept["dL_dy"],
                problem.targets,
                named_shares=True,
                wrt_shapes=wrt_shapes,
            )
            backward = evaluation.backward(settle, spec.inputs)
            forward = evaluation.forward(settle) if method != "backward" else None
        except FloatingPointError as error:
            raise RnnCalcError(
                f"the computation overflows or divides by zero ({error}); use smaller values"
            ) from None
        except (OverflowError, ValueError, ZeroDivisionError, TypeError) as error:  # the exact sweep's
            raise RnnCalcError(f"the computation {failure(error)}") from None
    loss = float(settle(np.array(sum(swept["loss_terms"]))))
    trace = Trace(
        net=cell,
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
        forward=forward,
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


EXACT_KINKS_MAX_ENTRIES = 4_000
"""A cell with a kink (relu, abs) on vectors is swept in exact arithmetic while n times the widest
quantity is at most this: relu'(0) then sees an exact 0 (0.1 + 0.2 - 0.3 is 0, not 5.6e-17)."""


def _exactly(problem: Problem, cell: ArrayCell, settings: Settings) -> bool:
    """Sweep in Fractions: a kinked cell, small enough, not rounded by hand, not softmax (irrational)."""
    if settings.round_intermediate or problem.loss == "softmax-ce" or not kinked(cell):
        return False
    widest = max((int(np.prod(shape)) for shape in cell.shapes.values()), default=1)
    return problem.n * widest <= EXACT_KINKS_MAX_ENTRIES


def _fractions(values: np.ndarray) -> np.ndarray:
    """Floats as the decimals they were typed as (0.1 as 1/10), in an array of Fractions."""
    return np.frompyfunc(lambda v: Fraction(repr(float(v))), 1, 1)(values)


def _in_floats(swept: dict[str, Any]) -> dict[str, Any]:
    """An exact sweep's values as float arrays (numbers as floats)."""

    def floats(value: Any) -> Any:
        array = np.asarray(value, dtype=float)
        return float(array) if array.ndim == 0 else array

    return {
        "values": {k: [floats(v) for v in column] for k, column in swept["values"].items()},
        "factors": [[floats(v) for v in column] for column in swept["factors"]],
        "dL_dy": [floats(v) for v in swept["dL_dy"]],
        "loss_terms": [float(v) for v in swept["loss_terms"]],
        "p": swept["p"],
    }


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
