"""Textbook BPTT: deltas δ_t = dL/do_t from t = n down to 1, and the gradients they give."""

from __future__ import annotations

from dataclasses import dataclass

from ..cell.sweep import INITIAL_STATE
from .forward import Trace, settler, total
from .problem import Settings


@dataclass
class Backward:
    """Textbook BPTT: deltas δ_t = dL/do_t from t = n down to 1, and the gradients they give."""

    delta: list[float]
    terms: dict[str, list[float]]
    gradients: dict[str, float]
    inputs: list[float]


def backward(trace: Trace, settings: Settings) -> Backward:
    """δ_t = (dL_t/dy_t · dy_t/dh_t + δ_{t+1} · do_{t+1}/dh_t) · dh_t/do_t, then Σ_t δ_t · ∂o_t/∂θ."""
    settle = settler(settings)
    n = trace.n
    delta = [0.0] * n
    later = 0.0
    for i in range(n - 1, -1, -1):
        through_next = later * trace.do_dhprev[i + 1] if i + 1 < n else 0.0
        delta[i] = later = settle((trace.dL_dy[i] * trace.dy_dh[i] + through_next) * trace.dh_do[i])
    terms: dict[str, list[float]] = {}
    for p in trace.params:
        through_state = (
            [d * e for d, e in zip(delta, trace.explicit[p])] if p in trace.explicit else [0.0] * n
        )
        through_output = (
            [dl * dy for dl, dy in zip(trace.dL_dy, trace.dy_d[p])] if p in trace.dy_d else [0.0] * n
        )
        terms[p] = [a + b for a, b in zip(through_state, through_output)]
    terms[INITIAL_STATE] = [delta[0] * trace.do_dhprev[0]]
    gradients = {p: settle(total(values)) for p, values in terms.items()}
    inputs = [settle(d * dx) for d, dx in zip(delta, trace.do_dx)]
    return Backward(delta, terms, gradients, inputs)
