"""derive(): work a problem into the derivation model, sections in the document's order."""

from __future__ import annotations

from collections.abc import Callable

from ..compute.backward import Backward, backward
from ..compute.forward import cell_for, run
from ..compute.problem import Problem, Settings
from ..errors import InputError
from . import backward_steps, flow_steps, forward_steps
from .model import Derivation, ForwardColumns, Section
from .names import gradient
from .quantities import Quantities

ProgressCallback = Callable[[int, int, str], None]
METHODS = ("forward", "backward", "both")
MAX_STEPS = 2_000_000
MAX_STEPS_SHOWN = 20_000
PER_STEP_SHOWN_KB = 45
MAX_EXACT_STEPS = 500


def derive(
    problem: Problem | None = None,
    settings: Settings | None = None,
    scope: str = "grads",
    steps: bool = True,
    progress: ProgressCallback | None = None,
    method: str = "forward",
) -> Derivation:
    """Work the problem: numbers always, the step-by-step sections when ``steps``.

    ``progress(done, total, stage)`` is called now and then during long work.
    """
    problem = problem or Problem()
    settings = settings or Settings()
    _check_size(problem.n, steps, scope, settings.exact)
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if getattr(problem, "vector", False):
        from .vector_derive import derive_vector

        if method == "both":
            raise InputError(
                "--method both compares forward and backward mode on scalar problems; a vector derivation "
                "is the backward (delta) method"
            )
        return derive_vector(problem, settings, scope, steps)  # type: ignore[arg-type]
    if problem.network:
        from .network_derive import derive_network

        return derive_network(problem, settings, scope, steps, progress, method)
    cell = cell_for(problem)
    sweep_progress = (
        (lambda done: progress(done, problem.n, "forward pass and derivatives")) if progress else None
    )
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    trace = run(problem, cell, settings, sweep_progress, lean=not steps and method == "forward")
    back = backward(trace, settings) if method != "forward" else None
    q = Quantities(trace, cell)
    sections = _sections(q, problem, settings, scope, method, back) if steps else ()
    if steps and settings.flow and scope == "grads":
        deltas = back if back is not None else backward(trace, settings)
        defined = (
            () if back is not None else (backward_steps.deltas_section(q, deltas),)
        )  # the shares use δ_t
        sections += (flow_steps.reach_section(q), *defined, flow_steps.shares_section(q, deltas))
    gradients = back.gradients if back is not None and method == "backward" else trace.gradients
    derivation = Derivation(
        problem=problem,
        settings=settings,
        scope=scope,
        columns=ForwardColumns(trace.x, trace.o, trace.h[1:], trace.y),
        loss=trace.loss,
        gradients=dict(gradients),
        gradient_names={p: gradient(p) for p in trace.gradients},
        sections=sections,
        method=method,
        backward_gradients=dict(back.gradients) if back is not None and method == "both" else None,
    )
    if settings.exact and steps:
        from .exact import with_exact

        derivation = with_exact(derivation, progress)
    return derivation


def _check_size(n: int, steps: bool, scope: str, exact: bool) -> None:
    """Refuse sequences whose derivation would not fit in memory or time, before any work."""
    if exact and steps and n > MAX_EXACT_STEPS:
        raise InputError(
            f"--exact is limited to n = {MAX_EXACT_STEPS:,} steps (each exact step takes milliseconds); "
            f"n = {n:,}"
        )
    limit, per_step = (MAX_STEPS_SHOWN, f"{PER_STEP_SHOWN_KB} kB") if steps else (MAX_STEPS, "2.5 kB")
    if n > limit:
        hint = " (drop --show-steps for just the numbers)" if steps and scope == "grads" else ""
        raise InputError(
            f"n = {n:,} steps is too long: rnncalc keeps every step in memory (about {per_step} each) "
            f"and stops at {limit:,}{hint}"
        )


def _sections(
    q: Quantities, problem: Problem, settings: Settings, scope: str, method: str, back: Backward | None
) -> tuple[Section, ...]:
    """The document's sections in its order; the backward derivation after (or instead of) the forward one."""
    sections = [
        forward_steps.loss_section(q, problem),
        forward_steps.model_section(q),
        forward_steps.known_section(q),
        forward_steps.forward_section(q),
    ]
    if scope != "grads":
        return tuple(sections)
    sections.append(forward_steps.local_section(q))
    if method != "backward":
        sections.append(forward_steps.totals_section(q))
        sections += [forward_steps.gradient_section(q, p, settings.per_step) for p in q.trace.terms]
    if back is not None:
        suffix = " (backward)" if method == "both" else ""
        sections.append(backward_steps.deltas_section(q, back))
        sections += [backward_steps.gradient_section(q, back, p, suffix) for p in back.gradients]
    if back is not None and method == "both":
        sections.append(backward_steps.agreement_section(q.trace.gradients, back.gradients))
    return tuple(sections)
