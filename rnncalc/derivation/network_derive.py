"""derive() for a network cell: the numbers, then the sections in the worked example's order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cell.losses import LOSSES
from ..compute.network import numbers_network, run_network, wrt
from ..compute.problem import CUSTOM_LOSS, Problem, Settings
from ..errors import InputError
from . import backward_steps, network_steps
from .formula import Name
from .model import Derivation, NamedColumns, Section
from .network_quantities import NetQuantities

if TYPE_CHECKING:
    from ..engine.graph import Network


def network_of(problem: Problem) -> Network:
    """The problem's cell, differentiated once and shared by every problem like it."""
    from ..engine.written import build_network

    streams = ("x", *problem.inputs)
    return build_network(
        tuple(problem.cell or ()), streams, problem.loss_weight, problem.loss, problem.loss_term
    )


def loss_lead(problem: Problem, target_steps: list[int]) -> Name:
    """The loss's definition, over the steps with a target."""
    if problem.loss == CUSTOM_LOSS:  # the term itself is a step of the section, printed from its formula
        return Name("L = Σ_t ℓ_t", r"L = \sum_{t} \ell_{t}", "custom")
    loss = LOSSES[problem.loss]
    if problem.every_step_has_a_target:
        return Name(loss.text, loss.latex, loss.name)
    steps = ", ".join(map(str, target_steps))
    return Name(
        loss.text.replace("1/n", "1/|T|").replace("Σ_{t=1}^{n}", "Σ_{t ∈ T}") + f" with T = {{{steps}}}",
        loss.latex.replace(r"\frac{1}{n}", r"\frac{1}{|T|}").replace(r"\sum_{t=1}^{n}", r"\sum_{t \in T}")
        + rf",\ T = \{{{steps}\}}",
        loss.name,
    )


def derive_network(
    problem: Problem, settings: Settings, scope: str, steps: bool, progress: object, method: str
) -> Derivation:
    """Work a network problem: numbers always, the step-by-step sections when ``steps``."""
    if settings.flow:
        raise InputError(
            "--flow follows one state h through time; this cell has its own states, leave out --flow"
        )
    # without the steps only the numbers are shown; reverse mode finds them in O(n · edges), forward mode
    # in O(n · edges · parameters) (hand rounding keeps forward mode: its last digits follow its order);
    # those numbers need only the cell's compiled sources, cached per user, so no SymPy after the first run
    numbers_only = not steps and method == "forward" and not settings.round_intermediate
    net = numbers_network(problem) if numbers_only else network_of(problem)
    sweep_progress = (
        (lambda done: progress(done, problem.n, "forward pass and derivatives")) if progress else None
    )  # type: ignore[operator]
    forward = method != "backward"
    trace = run_network(
        problem,
        net,
        settings,
        sweep_progress,
        forward_mode=forward and not numbers_only,
        reverse_mode=method != "forward" or numbers_only,
        lean=numbers_only,
    )
    q = NetQuantities(trace, net)
    sections = _sections(q, problem, settings, scope, method) if steps else ()
    gradients = trace.gradients if forward and not numbers_only else trace.backward_gradients
    derivation = Derivation(
        problem=problem,
        settings=settings,
        scope=scope,
        columns=NamedColumns(trace.streams, trace.values),
        loss=trace.loss,
        gradients=dict(gradients),
        gradient_names={theta: network_steps.gradient_name(q, theta) for theta in wrt(net)},
        sections=sections,
        method=method,
        backward_gradients=dict(trace.backward_gradients) if method == "both" else None,
    )
    if settings.exact and steps:
        from .exact import with_exact

        derivation = with_exact(derivation, progress)  # type: ignore[arg-type]
    return derivation


def _sections(
    q: NetQuantities, problem: Problem, settings: Settings, scope: str, method: str
) -> tuple[Section, ...]:
    """The document's sections in its order; the backward derivation after (or instead of) the forward one."""
    sections = [
        network_steps.loss_section(q, problem, loss_lead(problem, q.trace.target_steps)),
        network_steps.model_section(q),
        network_steps.known_section(q),
        network_steps.forward_section(q),
    ]
    if scope != "grads":
        return tuple(sections)
    sections.append(network_steps.local_section(q))
    if method != "backward":
        sections.append(network_steps.totals_section(q))
        sections += [network_steps.gradient_section(q, theta, settings.per_step) for theta in wrt(q.net)]
    if method != "forward":
        suffix = " (backward)" if method == "both" else ""
        sections.append(network_steps.adjoint_section(q))
        sections += [network_steps.backward_gradient_section(q, p, suffix) for p in q.net.params]
    if method == "both":
        sections.append(backward_steps.agreement_section(q.trace.gradients, q.trace.backward_gradients))
    return tuple(sections)
