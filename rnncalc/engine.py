"""The numeric evaluator: forward pass and forward-mode BPTT, one linear sweep over time."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from .cell import Cell
from .errors import RnnCalcError
from .numbers import round_half_up
from .problem import Problem, Settings

INITIAL_STATE = "h0"


@dataclass
class Trace:
    """Every named quantity of the derivation; index t-1 holds step t (h holds h_0..h_n)."""

    x: list[float]
    g: list[float]
    params: dict[str, float]
    h: list[float]
    o: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    dL_dy: list[float] = field(default_factory=list)
    dy_dh: list[float] = field(default_factory=list)
    dh_do: list[float] = field(default_factory=list)
    do_dhprev: list[float] = field(default_factory=list)
    do_d: dict[str, list[float]] = field(default_factory=dict)
    dy_d: dict[str, list[float]] = field(default_factory=dict)
    terms: dict[str, list[float]] = field(default_factory=dict)
    gradients: dict[str, float] = field(default_factory=dict)
    loss: float = 0.0

    @property
    def n(self) -> int:
        """Sequence length."""
        return len(self.x)


def settler(settings: Settings) -> Callable[[float], float]:
    """How a named quantity is written down: exactly, or rounded as by hand."""
    if settings.round_intermediate:
        digits = settings.digits
        return lambda value: round_half_up(value, digits)
    return lambda value: value


def run(problem: Problem, cell: Cell, settings: Settings) -> Trace:
    """Compute every quantity of the derivation in one pass over t = 1..n."""
    settle = settler(settings)
    trace = Trace(
        x=[float(v) for v in problem.x],
        g=[float(v) for v in problem.g],
        params={p: float(problem.params[p]) for p in cell.params},
        h=[settle(float(problem.h0))],
    )
    carried = [*cell.do_dparam, INITIAL_STATE]
    trace.do_d = {p: [] for p in carried}
    trace.dy_d = {p: [] for p in cell.dy_dparam}
    trace.terms = {p: [] for p in [*cell.params, INITIAL_STATE]}
    env = [0.0] * 6 + list(trace.params.values())
    for t in range(1, trace.n + 1):
        _step(trace, cell, settle, env, t)
    trace.loss = settle(math.fsum(cell.loss.compute(*_at(env, y=yt, g=gt)) for yt, gt in zip(trace.y, trace.g)))
    trace.gradients = {p: settle(math.fsum(terms)) for p, terms in trace.terms.items()}
    _check_finite(trace)
    return trace


def _at(env: list[float], **values: float) -> list[float]:
    """The argument list with some step symbols set (x, h_prev, o, h, y, g)."""
    order = ("x", "h_prev", "o", "h", "y", "g")
    for key, value in values.items():
        env[order.index(key)] = value
    return env


def _step(trace: Trace, cell: Cell, settle: Callable[[float], float], env: list[float], t: int) -> None:
    """Forward step t, its local derivatives, the carried totals and the gradient terms."""
    env[0], env[1], env[5] = trace.x[t - 1], trace.h[t - 1], trace.g[t - 1]
    env[2] = o = settle(cell.o.compute(*env))
    env[3] = h = settle(cell.h.compute(*env))
    env[4] = y = settle(cell.y.compute(*env))
    trace.o.append(o)
    trace.h.append(h)
    trace.y.append(y)
    dL_dy = _record(trace.dL_dy, settle(cell.dL_dy.compute(*env)))
    dy_dh = _record(trace.dy_dh, settle(cell.dy_dh.compute(*env)))
    dh_do = _record(trace.dh_do, settle(cell.dh_do.compute(*env)))
    do_dhprev = _record(trace.do_dhprev, settle(cell.do_dhprev.compute(*env)))
    back = do_dhprev * trace.dh_do[t - 2] if t > 1 else 0.0
    for p, rule in cell.do_dparam.items():
        earlier = trace.do_d[p][-1] if t > 1 else 0.0
        trace.do_d[p].append(settle(rule.compute(*env) + back * earlier))
    trace.do_d[INITIAL_STATE].append(do_dhprev if t == 1 else settle(back * trace.do_d[INITIAL_STATE][-1]))
    for p, rule in cell.dy_dparam.items():
        trace.dy_d[p].append(settle(rule.compute(*env)))
    through_state = dL_dy * dy_dh * dh_do
    for p, terms in trace.terms.items():
        term = through_state * trace.do_d[p][-1] if p in trace.do_d else 0.0
        if p in trace.dy_d:
            term += dL_dy * trace.dy_d[p][-1]
        terms.append(term)


def _record(values: list[float], value: float) -> float:
    """Append a value and return it."""
    values.append(value)
    return value


def _check_finite(trace: Trace) -> None:
    """Refuse to print inf or nan: name the first quantity that overflowed."""
    checks = {"loss": [trace.loss], "o": trace.o, "h": trace.h, "y": trace.y, **{f"d{p}": [v] for p, v in trace.gradients.items()}}
    for name, values in checks.items():
        if not all(math.isfinite(v) for v in values):
            raise RnnCalcError(f"{name} overflows double precision; use smaller values (or --exact for exact values)")
