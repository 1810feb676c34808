"""Truncated backpropagation through time, both kinds, on the one engine's reverse mode.

``--truncate K`` keeps, of each loss term L_t, the uses of θ at steps t - K + 1 .. t (d2l's truncated
sum: the terms of the total derivative further back are dropped); ``--truncate K --chunked`` cuts the
sequence into chunks of K steps, carries the state across and stops the gradient at each chunk's start
(what a training loop's ``detach()`` does), so L_t keeps the uses from its chunk's first step to t.
Both are reverse mode with the links to previous states stopped at chosen steps (``detached``): the
chunks in one sweep, the window in K sweeps (the loss terms t ≡ r mod K share their cuts), so the
numbers cost K sweeps at most, whatever n.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..cell.states import PREV
from ..engine.evaluate import Backward, Evaluation
from .trace import Trace
from .values import values_of

Settle = Callable[[Any], Any]


@dataclass(frozen=True)
class Truncation:
    """How far back each loss term's gradient reaches: K steps (its own included), sliding or in chunks."""

    steps: int
    chunked: bool = False

    def kept(self, t: int, s: int) -> bool:
        """Whether L_t keeps θ's use at step s (s ≤ t)."""
        if self.chunked:
            return (s - 1) // self.steps == (t - 1) // self.steps
        return t - s < self.steps

    def first_kept(self, t: int) -> int:
        """The earliest step whose uses L_t keeps."""
        if self.chunked:
            return (t - 1) // self.steps * self.steps + 1
        return max(1, t - self.steps + 1)

    @property
    def label(self) -> str:
        """K = 2, or K = 2, in chunks."""
        return f"K = {self.steps}" + (", in chunks" if self.chunked else "")

    def describe(self) -> str:
        """What is kept, in words."""
        if self.chunked:
            return (
                f"the sequence is cut into chunks of {self.steps} steps; the state is carried across, but "
                "the gradient stops at each chunk's first step (detach): each loss term keeps the uses "
                "of a parameter from its chunk's first step to its own"
            )
        if self.steps == 1:
            return (
                "each loss term keeps the uses of a parameter at its own step only; every path through "
                "time is dropped"
            )
        before = "the step before" if self.steps == 2 else f"the {self.steps - 1} steps before"
        return (
            f"each loss term keeps the uses of a parameter at its own step and {before}; the terms further "
            "back are dropped"
        )


def evaluation(
    trace: Trace, targets: Iterable[bool] | None = None, detached: Iterable[int] = ()
) -> Evaluation:
    """The trace's reverse mode, with only these loss terms and these steps detached."""
    return Evaluation(
        trace.plan,
        trace.partials,
        trace.dL_dy,
        tuple(targets) if targets is not None else trace.targets,
        named_shares=values_of(trace.problem).named_shares,
        detached=frozenset(detached),
    )


def loss_term_backward(trace: Trace, t: int, settle: Settle) -> Backward:
    """Reverse mode of the loss term L_t alone, nothing cut: dL_t/dk_s, and each step's share of dL_t/dθ."""
    only = (step == t and trace.targets[step - 1] for step in range(1, trace.n + 1))
    return evaluation(trace, only).backward(settle, trace.net.spec.inputs)


def truncated_backward(trace: Trace, truncation: Truncation, settle: Settle, lean: bool = False) -> Backward:
    """The truncated gradients (and dL/d(input)): one detached sweep in chunks, or K sweeps for the window.

    ``lean``: numbers in floats without hand rounding, by the generated reverse mode (the plan's
    evaluation otherwise: vectors, hand rounding).
    """
    n, k = trace.n, min(truncation.steps, trace.n)
    sweep = _lean_sweep if lean else _planned_sweep
    if truncation.chunked:
        return sweep(trace, trace.targets, range(k + 1, n + 1, k), settle)
    parts = []
    for r in range(k):
        group = tuple(t % k == r and trace.targets[t - 1] for t in range(1, n + 1))
        cuts = [t - k + 1 for t in range(1, n + 1) if t % k == r and t - k + 1 > 1]
        parts.append(sweep(trace, group, cuts, settle))
    return _added(parts, settle)


def _planned_sweep(trace: Trace, targets: tuple[bool, ...], cuts: Iterable[int], settle: Settle) -> Backward:
    """Reverse mode by the plan's evaluation, these loss terms only, these steps detached."""
    return evaluation(trace, targets, cuts).backward(settle, trace.net.spec.inputs)


def _lean_sweep(trace: Trace, targets: tuple[bool, ...], cuts: Iterable[int], settle: Settle) -> Backward:
    """Reverse mode by the generated code: the links to previous states zeroed at the detached steps, the
    other loss terms' dL_t/dy_t zeroed."""
    from ..engine.program import compiled

    stopped = set(cuts)
    partials = {
        edge: [0.0 if t in stopped else v for t, v in enumerate(column, start=1)]
        if edge[1].endswith(PREV)
        else column
        for edge, column in trace.partials.items()
    }
    dL_dy = [v if kept else 0.0 for v, kept in zip(trace.dL_dy, targets, strict=True)]
    swept = {"partials": partials, "values": trace.values, "dL_dy": dL_dy}
    out = compiled(trace.net, "adjoints")(swept, {}, {}, ())
    terms: dict[str, list[Any]] = dict(out["terms"])
    terms |= {key: [value] + [0.0] * (trace.n - 1) for key, value in out["initial"].items()}
    gradients = {key: math.fsum(column) for key, column in terms.items()}
    return Backward({}, terms, gradients, dict(out["inputs"]))


def _added(parts: list[Backward], settle: Settle) -> Backward:
    """The sum of reverse sweeps over disjoint groups of loss terms."""
    first = parts[0]
    terms = {
        theta: [sum(values) for values in zip(*(p.terms[theta] for p in parts))] for theta in first.terms
    }
    inputs = {s: [settle(sum(values)) for values in zip(*(p.inputs[s] for p in parts))] for s in first.inputs}
    gradients = {theta: settle(sum(p.gradients[theta] for p in parts)) for theta in first.gradients}
    return replace(first, adjoints={}, terms=terms, gradients=gradients, inputs=inputs)


def relative_difference(truncated: Any, full: Any) -> float:
    """|truncated - full| / |full| (norms for arrays; 0 when both are 0)."""

    def norm(value: Any) -> float:
        """The Euclidean norm of a number or an array."""
        flat = getattr(value, "ravel", None)
        return math.sqrt(sum(float(v) ** 2 for v in flat())) if flat else abs(float(value))

    size = norm(full)
    gap = norm(truncated - full)
    if size == 0:
        return 0.0 if gap == 0 else math.inf
    return gap / size
