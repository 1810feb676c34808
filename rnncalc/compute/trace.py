"""The trace of one problem: every value, local derivative and gradient, step by step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cell.states import initial
from ..engine.evaluate import Backward, Forward
from ..engine.plan import Plan
from .problem import Problem


@dataclass
class Trace:
    """Every number of one problem; lists hold steps 1..n (index t-1). A value is a number, or for
    vectors a NumPy array (Any below); a partial a number, or a Jacobian."""

    net: Any
    """The cell: a ``Network``, or for vectors an ``ArrayCell`` (its Jacobian maps and shapes)."""
    plan: Plan
    problem: Problem
    streams: dict[str, list[Any]]
    g: list[Any]
    targets: tuple[bool, ...]
    params: dict[str, Any]
    init: dict[str, Any]
    values: dict[str, list[Any]]
    partials: dict[tuple[str, str], list[Any]]
    dL_dy: list[Any]
    loss_terms: list[float]
    loss: float = 0.0
    forward: Forward | None = None
    backward: Backward | None = None
    gradients: dict[str, Any] = field(default_factory=dict)
    adjoints: dict[str, list[Any]] = field(default_factory=dict)
    input_gradients: dict[str, list[Any]] = field(default_factory=dict)
    softmax: list[Any] = field(default_factory=list)
    """p_t = softmax(y_t) at each step (softmax cross-entropy only)."""

    @property
    def n(self) -> int:
        """Sequence length."""
        return len(self.g)

    def has_target(self, t: int) -> bool:
        """True when step t has a target."""
        return self.targets[t - 1]

    @property
    def target_steps(self) -> list[int]:
        """The steps with a target."""
        return [t for t in range(1, self.n + 1) if self.targets[t - 1]]

    def value(self, name: str, t: int) -> Any:
        """A quantity at step t (t = 0: a state's initial value)."""
        return self.init[initial(name)] if t == 0 else self.values[name][t - 1]
