"""The numbers of a problem of numbers: the compiled sweep, then the gradients by forward and/or reverse mode.

One function for every cell: ``run_numbers`` sweeps the cell over t = 1..n (exactly, in rationals, when a kink
like relu'(0) must be decided on the exact value), then either the plan's named derivatives as the
derivation shows them (with hand rounding when asked), or, for the numbers alone, the lean reverse
mode the engine generates.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from ..cell.states import initial
from ..engine.evaluate import Backward, Evaluation, Forward
from ..engine.graph import Network, engine_network
from ..engine.plan import plan_of
from ..engine.program import compiled
from ..errors import InputError, RnnCalcError, failure
from ..numbers import round_half_up, round_half_up_exact
from .problem import Problem, Settings
from .trace import Trace

Progress = Callable[[int], None] | None
EXACT_KINKS_MAX_N = 1000
"""Cells with a kink (relu, abs) are swept in exact arithmetic up to this n, so relu'(0) sees an exact 0."""


def network_of(problem: Problem) -> Network:
    """The problem's cell ready to compute (parsed and differentiated once per cell and loss)."""
    return engine_network(problem.spec, problem.loss_weight, problem.loss, problem.loss_term)


def settler(settings: Settings) -> Callable[[float], float]:
    """How a named quantity is written down: exactly, or rounded as by hand."""
    if settings.round_intermediate:
        digits = settings.digits
        return lambda value: round_half_up(value, digits)
    return unchanged


def exact_settler(settings: Settings) -> Callable[[Any], Any]:
    """Hand rounding kept exact (the written decimal as a Fraction), or no rounding at all."""
    if not settings.round_intermediate:
        return unchanged
    digits = settings.digits
    return lambda value: round_half_up_exact(value, digits)


def unchanged(value: Any) -> Any:
    """No rounding."""
    return value


def total(values: list[float]) -> float:
    """The exact-rounded sum (math.fsum); a sum that overflows is a clear error, not inf - inf."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        raise RnnCalcError("a sum overflows double precision; use smaller values") from None
    except TypeError as error:  # x ** 0.25 of a negative x is complex in Python, without an error
        raise RnnCalcError(f"the computation {failure(error)}") from None


def run_numbers(
    problem: Problem,
    settings: Settings,
    method: str,
    steps: bool = True,
    progress: Progress = None,
    every_adjoint: bool = False,
) -> Trace:
    """The trace of a problem of numbers (see compute.run.run)."""
    net = network_of(problem)
    plan = plan_of(net.spec)
    rounding = settings.round_intermediate
    lean = not steps and method == "forward" and not rounding and not every_adjoint
    exact = (net.kinked or rounding) and problem.n <= EXACT_KINKS_MAX_N  # ties of hand rounding too
    numbers = unchanged if exact else float
    streams = {s: list(problem.stream(s)) if exact else problem.stream_floats(s) for s in net.spec.inputs}
    gs = [g if g is not None else 0 for g in problem.g or ()] if exact else problem.g_floats
    init = {s: numbers(problem.initial(s)) for s in net.states}
    params = tuple(numbers(problem.params[p]) for p in net.params)
    settle = exact_settler(settings) if exact else settler(settings)
    try:
        masked = not problem.every_step_has_a_target
        swept = compiled(net, "sweep", progress is not None, rounding, lean, exact, masked)(
            streams, gs, problem.mask, init, params, settle, progress
        )
        evaluation = Evaluation(plan, swept["partials"], swept["dL_dy"], problem.targets)
        named = not lean and (steps or rounding or method != "forward")  # not for dL/d(every quantity) alone
        forward = evaluation.forward(settle) if named and method != "backward" else None
        backward = evaluation.backward(settle, net.spec.inputs) if named and method != "forward" else None
        if lean or every_adjoint:
            every = compiled(net, "adjoints", lean=lean, exact=exact)(swept, streams, init, params)
        else:
            every = None
    except (OverflowError, ValueError, ZeroDivisionError, TypeError) as error:
        _name_output_out_of_range(problem, settings)
        raise RnnCalcError(f"the computation {failure(error)}") from None
    numbers_of = _floats if exact else unchanged
    trace = Trace(
        net=net,
        plan=plan,
        problem=problem,
        streams={s: problem.stream_floats(s) for s in net.spec.inputs},
        g=problem.g_floats,
        targets=problem.targets,
        params={p: float(problem.params[p]) for p in net.params},
        init={initial(s): float(problem.initial(s)) for s in net.states},
        values=numbers_of(swept["values"]),
        partials=numbers_of(swept["partials"]),
        dL_dy=numbers_of(swept["dL_dy"]),
        loss_terms=numbers_of(swept["loss_terms"]),
        forward=numbers_of(forward) if forward is not None else None,
        backward=numbers_of(backward) if backward is not None else None,
    )
    trace.loss = settler(settings)(total(trace.loss_terms))
    if every is not None:
        trace.adjoints = numbers_of(every["adjoints"])
        trace.input_gradients = numbers_of(every["inputs"])
        trace.gradients = {p: total(numbers_of(every["terms"][p])) for p in net.params}
        trace.gradients |= {k: float(v) for k, v in every["initial"].items()}
    if trace.backward is not None and method == "backward":
        trace.gradients = dict(trace.backward.gradients)
    if trace.forward is not None:
        trace.gradients = dict(trace.forward.gradients)
    _check_finite(trace)
    return trace


def _floats(value: Any) -> Any:
    """Numbers (in lists, dicts or results) as floats: exact sweeps come back as Fractions."""
    if isinstance(value, (Forward, Backward)):
        fields = {f.name: _floats(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [float(item) for item in value] if value and not isinstance(value[0], (list, dict)) else value
    return float(value)


def check_outputs_in_range(problem: Problem, ys: list[float]) -> None:
    """Name the first y_t with a target outside the interval the loss is defined on."""
    from ..cell.losses import LOSSES

    loss = LOSSES.get(problem.loss)
    bounds = loss.y_range if loss is not None else None
    if bounds is None:
        return
    for t, y in enumerate(ys, start=1):
        if problem.targets[t - 1] and not bounds[0] < y < bounds[1]:
            raise InputError(
                f"--loss {problem.loss} needs {bounds[0]:g} < y_t < {bounds[1]:g} where there is a target, "
                f"but y_{t} = {y:.6g} (use an output in (0, 1), e.g. y = sigmoid(a*h + c) with --cell)"
            )


def _name_output_out_of_range(problem: Problem, settings: Settings) -> None:
    """When the loss is defined on an interval only (bce), rerun under SSE and name the y_t outside it."""
    from ..cell.losses import LOSSES

    if LOSSES.get(problem.loss) is None or LOSSES[problem.loss].y_range is None:
        return
    try:
        trace = run_numbers(dataclasses.replace(problem, loss="sse"), settings, "forward", steps=False)
    except RnnCalcError:
        return
    check_outputs_in_range(problem, trace.values["y"])


def _check_finite(trace: Trace) -> None:
    """Refuse to print inf or nan: name the first quantity that overflowed."""
    checks = {**trace.values, "L": [trace.loss], **{f"dL/d{p}": [v] for p, v in trace.gradients.items()}}
    for name, values in checks.items():
        if not math.isfinite(sum(values)) and not all(map(math.isfinite, values)):  # the sum first: fast
            raise RnnCalcError(
                f"{name} is infinite or undefined (it overflows double precision, or a log of 0); "
                "use smaller values"
            )


def numbers_loss(
    problem: Problem, values: dict[str, float], streams: dict[str, list[float]] | None = None
) -> float:
    """The loss with these parameter and initial values (keys as in the plan's ``wrt``), in floats."""
    net = network_of(problem)
    try:
        swept = compiled(net, "sweep", lean=True)(
            streams or {s: problem.stream_floats(s) for s in net.spec.inputs},
            problem.g_floats,
            problem.mask,
            {s: values[initial(s)] for s in net.states},
            tuple(values[p] for p in net.params),
            unchanged,
            None,
        )
        return math.fsum(swept["loss_terms"])
    except (OverflowError, ValueError, ZeroDivisionError, TypeError):
        return math.nan  # the shifted point is outside double precision: no finite difference there
