"""The numeric evaluator: forward pass and forward-mode BPTT, one linear sweep over time."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..cell.data import Cell, build_cell
from ..cell.sweep import INITIAL_STATE, compile_sweep
from ..errors import InputError, RnnCalcError
from ..numbers import round_half_up, round_half_up_exact
from .problem import Problem, Settings

__all__ = ["INITIAL_STATE", "Trace", "cell_for", "run", "settler"]

Progress = Callable[[int], None] | None


@dataclass
class Trace:
    """Every named quantity of the derivation; index t-1 holds step t (h holds h_0..h_n)."""

    x: list[float]
    g: list[float]
    params: dict[str, float]
    h: list[float]
    targets: tuple[bool, ...] = ()
    o: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    dL_dy: list[float] = field(default_factory=list)
    dy_dh: list[float] = field(default_factory=list)
    dh_do: list[float] = field(default_factory=list)
    do_dhprev: list[float] = field(default_factory=list)
    do_d: dict[str, list[float]] = field(default_factory=dict)
    explicit: dict[str, list[float]] = field(default_factory=dict)
    do_dx: list[float] = field(default_factory=list)
    dy_d: dict[str, list[float]] = field(default_factory=dict)
    terms: dict[str, list[float]] = field(default_factory=dict)
    gradients: dict[str, float] = field(default_factory=dict)
    loss: float = 0.0
    loss_terms: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Sequence length."""
        return len(self.x)

    def has_target(self, t: int) -> bool:
        """True when step t has a target g_t (so a loss term L_t)."""
        return not self.targets or self.targets[t - 1]

    @property
    def target_steps(self) -> list[int]:
        """The steps t with a target."""
        return [t for t in range(1, self.n + 1) if self.has_target(t)]


EXACT_KINKS_MAX_N = 1000
"""Cells with a kink (relu, abs) are swept in exact arithmetic up to this n, so relu'(0) sees an exact 0."""


def mask_of(problem: Problem) -> list[int]:
    """1 for each step with a target, 0 for each without."""
    return [int(target) for target in problem.targets]


def _exact_sweep(
    problem: Problem,
    cell: Cell,
    sweep: Callable[..., Any],
    progress: Progress,
    mask: list[int] | None,
    settle: Callable[[Any], Any],
) -> dict[str, Any]:
    """The sweep in exact rational arithmetic (smooth functions fall back to floats), results as floats.

    In floating point 0.1 + 0.2 - 0.3 is 5.6e-17, so relu'(o) would be 1 where the exact o is 0
    and the derivative is 0; with Fractions every kink is decided on the exact value.
    """
    params = tuple(problem.params[p] for p in cell.params)
    targets = [g if g is not None else 0 for g in problem.g or ()]
    swept = sweep(list(problem.x), targets, problem.h0, params, settle, progress, mask)
    return {key: _as_floats(value) for key, value in swept.items()}


def _unchanged(value: Any) -> Any:
    """No rounding."""
    return value


def _as_floats(value: Any) -> Any:
    """Lists (and dicts of lists) of exact or float numbers as floats."""
    if isinstance(value, dict):
        return {key: _as_floats(item) for key, item in value.items()}
    return [float(item) for item in value]


def total(values: list[float]) -> float:
    """The exact-rounded sum (math.fsum); a sum that overflows is a clear error, not inf - inf."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        raise RnnCalcError("a sum overflows double precision; use smaller values") from None
    except TypeError as error:  # x ** 0.25 of a negative x is complex in Python, without an error
        raise RnnCalcError(f"the computation {_failure(error)}") from None


def cell_for(problem: Problem) -> Cell:
    """The cell of a problem, differentiated once and shared by every problem like it."""
    return build_cell(problem.cell or problem.activation, problem.loss_weight, problem.loss)


def settler(settings: Settings) -> Callable[[float], float]:
    """How a named quantity is written down: exactly, or rounded as by hand."""
    if settings.round_intermediate:
        digits = settings.digits
        return lambda value: round_half_up(value, digits)
    return lambda value: value


def exact_settler(settings: Settings) -> Callable[[Any], Any]:
    """Hand rounding kept exact (the written decimal as a Fraction), or no rounding at all."""
    if not settings.round_intermediate:
        return _unchanged
    digits = settings.digits
    return lambda value: round_half_up_exact(value, digits)


def run(
    problem: Problem, cell: Cell, settings: Settings, progress: Progress = None, lean: bool = False
) -> Trace:
    """Compute every quantity of the derivation in one pass over t = 1..n (``lean``: only the numbers)."""
    settle = settler(settings)
    params = {p: float(problem.params[p]) for p in cell.params}
    xs, gs = problem.x_floats, problem.g_floats
    masked = not problem.every_step_has_a_target
    sweep = compile_sweep(cell, settings.round_intermediate, progress is not None, lean, masked)
    mask = mask_of(problem) if masked else None
    try:
        if cell.kinked and problem.n <= EXACT_KINKS_MAX_N:
            swept = _exact_sweep(problem, cell, sweep, progress, mask, exact_settler(settings))
        else:
            swept = sweep(xs, gs, float(problem.h0), tuple(params.values()), settle, progress, mask)
    except (OverflowError, ValueError, ZeroDivisionError, TypeError) as error:
        _check_output_range(problem, settings)
        raise RnnCalcError(f"the computation {_failure(error)}") from None
    trace = Trace(x=xs, g=gs, params=params, targets=problem.targets, **swept)
    trace.loss = settle(total(swept["loss_terms"]))
    trace.gradients = {p: settle(total(terms)) for p, terms in trace.terms.items()}
    _check_finite(trace)
    return trace


def _check_output_range(problem: Problem, settings: Settings) -> None:
    """For a loss defined on an interval (binary cross-entropy: 0 < y < 1), name the first y_t outside it."""
    from ..cell.losses import LOSSES

    bounds = LOSSES[problem.loss].y_range
    if bounds is None:
        return
    import dataclasses

    squared = dataclasses.replace(problem, loss="sse")  # the same outputs under a loss defined everywhere
    check_outputs_in_range(problem, run(squared, cell_for(squared), settings, lean=True).y)


def check_outputs_in_range(problem: Problem, ys: list[float]) -> None:
    """Name the first y_t with a target outside the interval the loss is defined on."""
    from ..cell.losses import LOSSES

    bounds = LOSSES[problem.loss].y_range
    if bounds is None:
        return
    for t, y in enumerate(ys, start=1):
        if problem.targets[t - 1] and not bounds[0] < y < bounds[1]:
            raise InputError(
                f"--loss {problem.loss} needs {bounds[0]:g} < y_t < {bounds[1]:g} where there is a target, "
                f"but y_{t} = {y:.6g} (use an output in (0, 1), e.g. y = sigmoid(a*h + c) with --cell)"
            )


def _failure(error: Exception) -> str:
    """Why the sweep stopped, in words: overflow, division by zero, a domain error, a complex number."""
    if isinstance(error, OverflowError) or "range" in str(error):
        return "overflows double precision; use smaller values"
    if isinstance(error, ZeroDivisionError):
        return "divides by zero"
    if isinstance(error, TypeError) and "complex" in str(error):
        return "gives a complex number (a fractional power of a negative value?); rnncalc works with reals"
    if isinstance(error, TypeError):
        raise error
    return f"is undefined ({error}: e.g. the log or square root of a negative number)"


def _check_finite(trace: Trace) -> None:
    """Refuse to print inf or nan: name the first quantity that overflowed."""
    checks = {
        "o": trace.o,
        "h": trace.h,
        "y": trace.y,
        "loss": [trace.loss],
        **{f"d{p}": [v] for p, v in trace.gradients.items()},
    }
    for name, values in checks.items():
        if not math.isfinite(sum(values)) and not all(map(math.isfinite, values)):
            raise RnnCalcError(
                f"{name} is infinite or undefined (it overflows double precision, or a log of 0); "
                "use smaller values"
            )
