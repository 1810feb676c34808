"""The named derivatives of a derivation, computed exactly as the plan writes them.

Each total dk_t/dθ is its terms added left to right, each term's partials multiplied left to right (as
the line shows them); each adjoint likewise; every named quantity is written down through ``settle``
(hand rounding rounds it, so the next line goes on from the rounded value). Terms that are exactly
zero at a step (a path θ has not reached yet, a step without a target) are left out of both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .plan import Chain, Direct, Plan, Term

Columns = Mapping[tuple[str, str], Sequence[Any]]
Settle = Callable[[Any], Any]


@dataclass
class Forward:
    """Forward mode: every carried total, each step's share dL_t/dθ, and the gradients."""

    totals: dict[str, dict[str, list[Any]]]
    terms: dict[str, list[Any]]
    gradients: dict[str, Any]


@dataclass
class Backward:
    """Reverse mode: every named adjoint, each step's share of each gradient, the gradients and
    dL/d(input) per stream."""

    adjoints: dict[str, list[Any]]
    terms: dict[str, list[Any]]
    gradients: dict[str, Any]
    inputs: dict[str, list[Any]]


def _fsum(values: list[Any]) -> Any:
    """The exact-rounded sum of numbers (exact values summed exactly; vectors entry by entry)."""
    if all(isinstance(v, float) for v in values):
        return math.fsum(values)
    return sum(values[1:], values[0]) if values else 0.0


class Evaluation:
    """The plan's rules over one trace's partials."""

    def __init__(
        self,
        plan: Plan,
        partials: Columns,
        dL_dy: Sequence[Any],
        targets: tuple[bool, ...],
        named_shares: bool = False,
        detached: frozenset[int] = frozenset(),
        wrt_shapes: dict[str, tuple[int, ...]] | None = None,
    ):
        """``named_shares``: each step's share of a gradient is a line of its own (vectors), so it is
        written down (rounded by hand rounding) before the shares are added; ``detached``: the steps whose
        previous states are read as constants (PyTorch's ``detach()``): reverse mode stops there;
        ``wrt_shapes``: for vectors, each θ's shape (forward mode carries one column per entry of θ)."""
        self.plan = plan
        self.wrt_shapes = wrt_shapes
        self.detached = detached
        self.named_shares = named_shares
        self.partials = partials
        self.dL_dy = dL_dy
        self.targets = targets
        self.n = len(targets)

    def term(self, term: Term, k: str, t: int, totals: dict[str, list[Any]], theta: str = "") -> Any:
        """One term of dk_t/dθ (for vectors a matrix: a column per entry of θ)."""
        if isinstance(term, Direct):
            partial = self.partials[k, term.use][t - 1]
            return partial if self.wrt_shapes is None else partial.jvp(self.seed(theta))
        return self.chain(term, t, totals, theta=theta)

    def seed(self, theta: str) -> Any:
        """dθ/dθ for vectors: the identity, one column per entry of θ."""
        import numpy as np

        return np.eye(math.prod(self.wrt_shapes[theta]))  # type: ignore[index]

    def chain(
        self, chain: Chain, t: int, totals: dict[str, list[Any]], first: Any = None, theta: str = ""
    ) -> Any:
        """``first`` (if any), the chain's partials and the total (or the seed) it ends in, multiplied
        left to right as the line writes them (for vectors: Jacobian-vector products, right to left)."""
        if self.wrt_shapes is not None:
            return self.carried(chain, t, totals, first, theta)
        value: Any = first
        for k, u, dt in chain.links:
            factor = self.partials[k, u][t + dt - 1]
            value = factor if value is None else value * factor
        if chain.end is None:  # reached back to the initial state θ itself: dθ/dθ = 1
            return 1.0 if value is None else value
        end = totals[chain.end[0]][t + chain.end[1] - 1]
        return end if value is None else value * end

    def carried(self, chain: Chain, t: int, totals: dict[str, list[Any]], first: Any, theta: str) -> Any:
        """A chain on vectors: the total it ends in (or dθ/dθ) pushed through its partials from the
        last to the first (J · columns), then ``first`` (dL_t/dy_t) times the result, shaped as θ."""
        import numpy as np

        if chain.end is None:
            value = self.seed(theta)
        else:
            value = totals[chain.end[0]][t + chain.end[1] - 1]
        for k, u, dt in reversed(chain.links):
            partial = self.partials[k, u][t + dt - 1]
            if np.ndim(value) == 0:  # a total not reached yet: 0 in every entry
                value = np.zeros((partial.size[1], math.prod(self.wrt_shapes[theta])))  # type: ignore[index]
            value = partial.jvp(value)
        if first is None:
            return value
        return (np.ravel(first) @ value).reshape(self.wrt_shapes[theta])  # type: ignore[index]

    def forward(self, settle: Settle) -> Forward:
        """Every total dk_t/dθ for t = 1..n, then dL_t/dθ = dL_t/dy_t · (chain from y_t)."""
        plan, n = self.plan, self.n
        result = Forward({}, {}, {})
        for theta in plan.graph.wrt:
            carriers = [k for k in plan.graph.names if k in plan.carriers(theta, n)]
            totals: dict[str, list[Any]] = {k: [0.0] * n for k in carriers}
            for t in range(1, n + 1):
                reached = plan.reached(theta, t)
                for k in carriers:
                    if k in reached:
                        rule = plan.total_rule(theta, k, t, n)
                        value = _sum(self.term(term, k, t, totals, theta) for term in rule)
                        if self.waiting(theta, k, rule):
                            value = value + 0.0  # a path through time not reached yet adds 0 (1 is 1.0)
                        totals[k][t - 1] = settle(value)
            terms: list[Any] = [0.0] * n
            for t in range(1, n + 1):
                chain = plan.gradient_chain(theta, t, n) if self.targets[t - 1] else None
                if chain is not None:
                    terms[t - 1] = self.chain(chain, t, totals, first=self.dL_dy[t - 1], theta=theta)
            result.totals[theta], result.terms[theta] = totals, terms
            gradient = _fsum(terms)
            if self.wrt_shapes is not None:  # θ's shape even where it reaches no loss term
                import numpy as np

                gradient = np.zeros(self.wrt_shapes[theta]) + gradient
            result.gradients[theta] = settle(gradient)
        return result

    def waiting(self, theta: str, k: str, rule: tuple[Term, ...]) -> bool:
        """k reads a previous state that θ has not reached through yet (a term that is 0 for now)."""
        taken = {term.links[0][1] for term in rule if isinstance(term, Chain)}
        return any(u.endswith("_prev") and u not in taken for u in self.plan.graph.uses[k])

    def adjoint(self, k: str, t: int, adjoints: dict[str, list[Any]]) -> Any:
        """dL/dk_t: a named one as written down, any other worked out from its parts."""
        if k in adjoints:
            return adjoints[k][t - 1]
        return _sum(self.adjoint_parts(k, t, adjoints))

    def adjoint_parts(self, k: str, t: int, adjoints: dict[str, list[Any]]) -> list[Any]:
        """dL_t/dy_t (for y, at a step with a target), then dL/dj · ∂j/∂k over what reads k_t."""
        parts = [self.dL_dy[t - 1]] if k == "y" and self.targets[t - 1] else []
        for j, u, dt in self.plan.adjoint_parts(k):
            if t + dt <= self.n and not self.silent(j, t + dt) and not self.cut(u, t + dt):
                parts.append(pull(self.adjoint(j, t + dt, adjoints), self.partials[j, u][t + dt - 1]))
        return parts

    def cut(self, use: str, t: int) -> bool:
        """The link from step t back to a previous state is stopped (step t is detached)."""
        return t in self.detached and use.endswith("_prev")

    def silent(self, k: str, t: int) -> bool:
        """dL/dk_t is 0 by the problem's shape: the output at a step without a target, read by nothing."""
        return k == "y" and self.plan.trivial_output() and not self.targets[t - 1]

    def backward(self, settle: Settle, inputs: Sequence[str]) -> Backward:
        """Every named adjoint from t = n down to 1, then each gradient's shares and dL/d(input)."""
        plan, n = self.plan, self.n
        adjoints: dict[str, list[Any]] = {k: [0.0] * n for k in plan.adjoint_carriers}
        for t in range(n, 0, -1):
            for k in reversed(plan.adjoint_carriers):
                if k == "y" and plan.trivial_output():
                    adjoints[k][t - 1] = self.dL_dy[t - 1] if self.targets[t - 1] else 0.0
                else:
                    adjoints[k][t - 1] = settle(_sum(self.adjoint_parts(k, t, adjoints)))
        result = Backward(adjoints, {}, {}, {})
        for theta in plan.graph.wrt:
            terms = [_sum(self.share(theta, t, adjoints)) for t in range(1, n + 1)]
            if self.named_shares:
                terms = [settle(term) for term in terms]
            result.terms[theta] = terms
            result.gradients[theta] = settle(_fsum(terms))
        for s in inputs:
            result.inputs[s] = [settle(_sum(self.input_share(s, t, adjoints))) for t in range(1, n + 1)]
        return result

    def share(self, theta: str, t: int, adjoints: dict[str, list[Any]]) -> list[Any]:
        """Step t's parts of dL/dθ: dL/dj_t · ∂j_t/∂θ over what reads θ (θ a state's initial value: its
        readers at step 1)."""
        return [
            pull(self.adjoint(j, t, adjoints), self.partials[j, u][t - 1])
            for j, u in self.plan.gradient_uses(theta, t)
            if not self.silent(j, t)
        ]

    def input_share(self, stream: str, t: int, adjoints: dict[str, list[Any]]) -> list[Any]:
        """dL/d(input read at step t) as its parts."""
        return [
            pull(self.adjoint(j, t, adjoints), self.partials[j, stream][t - 1])
            for j in self.plan.graph.users(stream)
            if not self.silent(j, t)
        ]


def pull(adjoint: Any, partial: Any) -> Any:
    """dL/dk · ∂k/∂u: a product of numbers, or for vectors a vector-Jacobian product."""
    vjp = getattr(partial, "vjp", None)
    return adjoint * partial if vjp is None else vjp(adjoint)


def _sum(values: Any) -> Any:
    """Left to right, as the line is written (nothing: 0)."""
    total: Any = None
    for value in values:
        total = value if total is None else total + value
    return 0.0 if total is None else total
