"""derive(): work a problem into the derivation model, sections in the document's order."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

from ..compute.problem import Problem, Settings
from ..compute.run import METHODS, run
from ..compute.run_numbers import unchanged
from ..compute.trace import Trace
from ..compute.truncation import Truncation, truncated_backward
from ..compute.values import ARRAYS, NUMBERS, Values, given, values_of
from ..compute.values import entries as count
from ..errors import InputError
from . import flow_steps
from .convention import in_course_layout
from .formula import Name
from .jacobians import quantities_of
from .model import Derivation, NamedColumns, Section
from .sections import (
    Backward,
    Forward,
    agreement_section,
    forward_section,
    gradient_name,
    known_section,
    local_section,
    loss_section,
    model_section,
)
from .truncation import truncation_sections

ProgressCallback = Callable[[int, int, str], None]
MAX_STEPS = 1_000_000
MAX_STEPS_SHOWN = (
    14_000  # the worked example's cell: about 10 s and 350 MB at the limit (benchmarks/limits.py)
)
PER_STEP_SHOWN_KB = 45
MAX_EXACT_STEPS = 500
MAX_NUMBERS_SHOWN = 800_000
"""--show-steps on arrays: n times the entries of the parameters and initial states (each step's share
of every gradient is a line of its own) at most this: about 70 MB of LaTeX or Markdown, 15 s
(benchmarks/limits.py)."""


def derive(
    problem: Problem | None = None,
    settings: Settings | None = None,
    scope: str = "grads",
    steps: bool = True,
    progress: ProgressCallback | None = None,
    method: str | None = None,
    *,
    course: bool = True,
) -> Derivation:
    """Work the problem: numbers always, the step-by-step sections when ``steps``.

    ``progress(done, total, stage)`` is called now and then during long work; ``course=False`` keeps
    a course convention's results in rnncalc's own layout (each gate's part, as the problem holds them).
    """
    with collector_paused():
        return _derive(problem or Problem(), settings or Settings(), scope, steps, progress, method, course)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a derivation is built: it makes hundreds of thousands of
    acyclic objects, and the collector's passes over them cost a third of the time (measured: LSTM
    n = 400, 1.03 s → 0.68 s); memory is still freed by reference counting."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _derive(
    problem: Problem,
    settings: Settings,
    scope: str,
    steps: bool,
    progress: ProgressCallback | None,
    method: str | None,
    course: bool,
) -> Derivation:
    """derive(), with its defaults filled in."""
    if problem.batch is not None:  # each sequence by the same engine, then the batch's sums
        from .batch import derive_batch

        batch = derive_batch(problem, settings, derive, scope, steps, method)
        return in_course_layout(batch) if course else batch
    values = values_of(problem)
    _check_size(problem, values, steps, scope, settings.exact)
    method = method or values.default_method
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method != "backward":
        _check_forward_size(problem, values)
        if settings.exact and steps and not values.exact_forward:
            raise InputError(
                "--exact on vectors writes the backward (delta) derivation's entries exactly; forward mode's "
                "totals have a column per entry of θ: drop --exact or --method"
            )
    if settings.truncate is not None and method == "both":
        raise InputError(
            "--method both compares two full derivations; with --truncate the full gradient is shown beside "
            "the truncated one: drop one of them"
        )
    flow = steps and settings.flow and scope == "grads"
    sweep_progress = (
        (lambda done: progress(done, problem.n, "forward pass and derivatives")) if progress else None
    )
    computed = "both" if flow and method == "forward" else method
    truncation = (
        Truncation(settings.truncate, settings.chunked) if settings.truncate and scope == "grads" else None
    )
    trace = run(
        problem, settings, computed, steps, sweep_progress, every_adjoint=bool(truncation and not steps)
    )
    forward = trace.forward is not None and method != "backward"
    gradients = trace.forward.gradients if forward else trace.gradients  # type: ignore[union-attr]
    lean = values.generated_reverse and not settings.round_intermediate
    cut = truncated_backward(trace, truncation, values.settler(settings), lean) if truncation else None
    sections = _sections(trace, problem, settings, scope, method) if steps else ()
    if cut is not None and steps:
        q = quantities_of(trace, _written(trace, problem))
        assert truncation is not None  # a cut is made only for truncated BPTT
        sections += tuple(
            truncation_sections(q, truncation, cut.gradients, gradients, values.settler(settings))
        )
    full, gradients = (gradients, cut.gradients) if cut is not None else (None, gradients)
    derivation = Derivation(
        problem=problem,
        settings=settings,
        scope=scope,
        columns=NamedColumns(_shown(trace.streams, values), _shown(trace.values, values)),
        loss=trace.loss,
        gradients={key: values.shown(value) for key, value in gradients.items()},
        gradient_names={theta: _name(trace, theta) for theta in trace.plan.graph.wrt},
        sections=sections,
        method=method,
        backward_gradients=(
            {key: values.shown(value) for key, value in trace.backward.gradients.items()}
            if method == "both" and trace.backward
            else None
        ),
        input_gradients=_input_gradients(trace, problem, values, settings, cut) if scope == "grads" else None,
        full_gradients={key: values.shown(value) for key, value in full.items()}
        if full is not None
        else None,
        truncation=truncation,
    )
    if settings.exact and steps:
        derivation = WRITTEN_EXACTLY[values.name](derivation, progress)
    return in_course_layout(derivation) if course else derivation


def _exact_numbers(derivation: Derivation, progress: ProgressCallback | None) -> Derivation:
    """Every quantity of a problem of numbers written exactly."""
    from .exact import with_exact

    return with_exact(derivation, progress)


def _exact_entries(derivation: Derivation, progress: ProgressCallback | None) -> Derivation:
    """Every entry of the backward derivation of an array problem written exactly."""
    from .exact_entries import with_exact_entries

    return with_exact_entries(derivation)


WRITTEN_EXACTLY: dict[str, Callable[[Derivation, ProgressCallback | None], Derivation]] = {
    NUMBERS.name: _exact_numbers,
    ARRAYS.name: _exact_entries,
}
"""--exact, for each kind of value (compute.values)."""


def _shown(columns: dict[str, list[Any]], values: Values) -> dict[str, list[Any]]:
    """Columns of values as renderers print them (vectors as Tensors; numbers as they are)."""
    if values.shown is unchanged:
        return columns  # n = 100,000 numbers are not copied
    return {name: [values.shown(v) for v in column] for name, column in columns.items()}


def _input_gradients(
    trace: Trace, problem: Problem, values: Values, settings: Settings, cut: Any = None
) -> dict[str, Any]:
    """dL/dx_t for every input stream and step (as every course's backward function returns dx; truncated
    when the gradients are): a list of numbers, or for vectors a NumPy matrix of one row per step (made a
    Tensor when written)."""
    found = trace.input_gradients or (trace.backward.inputs if trace.backward is not None else None)
    found = cut.inputs if cut is not None else found
    if not found:  # forward mode carried no adjoints: the lean reverse sweep gives them
        found = run(problem, settings, "forward", steps=False, every_adjoint=True).input_gradients
    return values.columns(found)  # floats already (an exact sweep's are made floats in run)


def _name(trace: Trace, theta: str) -> Name:
    """dL/dθ's name."""
    from .names import LOSS, derivative, gradient, initial_state

    if theta in trace.net.params:
        return gradient(theta)
    state = next(s for s in trace.net.states if f"{s}0" == theta)
    return derivative(LOSS, initial_state(state))


def cell_weight(spec: Any) -> float:
    """How much one step of the cell costs to derive, relative to the worked example's cell: (names its
    equations use)^1.5 over the worked example's (measured: an LSTM step costs about 5.5 of its steps)."""
    uses = sum(len(e.uses) for e in spec.equations)
    return max(1.0, (uses / BUILT_IN_USES) ** 1.5)


BUILT_IN_USES = 9
"""The worked example's cell reads 9 names: o (Wi, x, Wh, h_prev, b), h (o), y (a, h, c)."""


def _check_size(problem: Problem, values: Values, steps: bool, scope: str, exact: bool) -> None:
    """Refuse sequences whose derivation would not fit in memory or time, before any work: a budget of
    steps, scaled down for a cell that costs more per step than the worked example's."""
    n = problem.n
    weight = cell_weight(problem.spec) if steps else 1.0
    exact_limit = int(MAX_EXACT_STEPS / weight)
    if exact and steps and n > exact_limit:
        raise InputError(
            f"--exact is limited to n = {exact_limit:,} steps for this cell (each exact step takes "
            f"milliseconds{scaled(weight)}); n = {n:,}"
        )
    entries = count(given(problem))
    if steps and scope == "grads" and values.named_shares and n * entries > MAX_NUMBERS_SHOWN:
        raise InputError(
            f"--show-steps would write out n × {entries:,} numbers (every step's share of every "
            f"gradient) for n = {n:,}: above {MAX_NUMBERS_SHOWN:,}; give fewer steps or smaller "
            "matrices, or drop --show-steps for just the gradients"
        )
    limit, per_step = (
        (int(MAX_STEPS_SHOWN / weight), f"{PER_STEP_SHOWN_KB} kB") if steps else (MAX_STEPS, "2.5 kB")
    )
    if n > limit:
        hint = " (drop --show-steps for just the numbers)" if steps and scope == "grads" else ""
        raise InputError(
            f"n = {n:,} steps is too long: rnncalc keeps every step in memory (about {per_step} each"
            f"{scaled(weight)}) and stops at {limit:,}{hint}"
        )


MAX_FORWARD_NUMBERS = 2_000_000
"""Forward mode on arrays carries, at every step, a matrix of (entries of the quantity) × (entries of
θ) for every total: n times that, added over θ and the quantities, at most this."""


def _check_forward_size(problem: Problem, values: Values) -> None:
    """Refuse forward mode too big to carry (on arrays it costs a column per entry of every θ)."""
    carried = values.forward_numbers(problem)
    if carried > MAX_FORWARD_NUMBERS:
        raise InputError(
            f"--method forward carries a column for each of the {count(given(problem)):,} entries of the "
            f"parameters and initial states through every quantity at every step: about {carried:,} "
            f"numbers, above {MAX_FORWARD_NUMBERS:,}; use the backward (delta) method (drop --method) or "
            "smaller sizes"
        )


def scaled(weight: float) -> str:
    """How the budget was scaled for the cell, when it was."""
    return f"; this cell's steps cost {weight:.1f} times the worked example's" if weight > 1 else ""


def _sections(
    trace: Trace, problem: Problem, settings: Settings, scope: str, method: str
) -> tuple[Section, ...]:
    """The document's sections in its order; the backward derivation after (or instead of) the forward one."""
    q = quantities_of(trace, _written(trace, problem))
    sections = [loss_section(q, problem), model_section(q), known_section(q), forward_section(q)]
    if scope != "grads":
        return tuple(sections)
    forward = Forward(q) if method != "backward" else None
    backward = Backward(q)
    used = backward.used_links() | (forward.used_links if forward is not None else set())
    sections.append(local_section(q, used))
    if forward is not None and method != "backward":
        sections.append(forward.totals_section())
        sections += [forward.gradient_section(theta, settings.per_step) for theta in q.plan.graph.wrt]
    if method != "forward":
        suffix = " (backward)" if method == "both" else ""
        sections.append(backward.deltas_section())
        sections += [backward.gradient_section(theta, suffix) for theta in q.plan.graph.wrt]
    if method == "both":
        sections.append(agreement_section(trace.forward.gradients, trace.backward.gradients))  # type: ignore[union-attr]
    if settings.flow:
        deltas = [] if method != "forward" else [backward.deltas_section()]  # the shares use δ_t
        sections += [flow_steps.reach_section(q), *deltas, flow_steps.shares_section(q)]
    return tuple(sections)


def _written(trace: Trace, problem: Problem) -> Any:
    """How the problem's cell and loss are written (the display templates)."""
    from ..engine.written import written

    return written(trace.net, problem.loss, problem.loss_weight, problem.loss_term)


__all__ = ["collector_paused", "derive", "gradient_name"]
