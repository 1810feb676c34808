"""The numeric evaluator for cells of any shape: a compiled forward sweep recording every quantity and
partial derivative, then the gradients by forward mode (totals through time) or reverse mode (deltas).

Each sweep is Python source printed from the SymPy rules once per cell, so a step is plain arithmetic
on local variables.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..cell.states import PREV, initial
from ..engine.cse import SHARED, common
from ..engine.printer import Printer, namespace
from ..errors import InputError, RnnCalcError
from .forward import (
    EXACT_KINKS_MAX_N,
    _as_floats,
    _failure,
    _unchanged,
    check_outputs_in_range,
    exact_settler,
    settler,
    total,
)
from .problem import Problem, Settings

if TYPE_CHECKING:
    from ..engine.graph import Network

Progress = Callable[[int], None] | None


def _printer(net: Network) -> Printer:
    """Python source of this network's formula trees: names v_, previous values q_, inputs i_,
    parameters p_, the target g, shared subexpressions as they are."""
    variables = {"g": "g"} | {name: f"v_{name}" for name in net.spec.names}
    variables |= {name + PREV: f"q_{name}" for name in net.spec.names}
    variables |= {s: f"i_{s}" for s in net.spec.inputs}
    return Printer(lambda name: variables.get(name, name if name.startswith(SHARED) else f"p_{name}"))


@dataclass(frozen=True)
class Source:
    """Generated code and the constants it reads (bound as floats, or as Fractions for exact work)."""

    text: str
    constants: dict[Fraction, str]


def edges(net: Network) -> list[tuple[str, str]]:
    """Every (name, symbol it uses) pair with a partial derivative."""
    return [(k, u) for k, partials in net.trees.items() for u in partials]


def _settled(text: str, rounding: bool) -> str:
    """Source that writes a named quantity down: through S when rounding as by hand, else as it is."""
    return f"S({text})" if rounding else f"({text})"


def forward_source(net: Network, with_progress: bool, rounding: bool = True, lean: bool = False) -> Source:
    """``sweep(streams, gs, ms, init, params, S, progress)``: every value and partial, step by step.

    ``lean``: the values only; the lean adjoints take the partials as they go.
    """
    code = _printer(net)
    names, states = net.spec.names, net.states
    kept = [] if lean else edges(net)
    lines = [
        "def sweep(streams, gs, ms, init, params, S, progress):",
        f"    {''.join(f'p_{p}, ' for p in net.params)}= params" if net.params else "    pass",
        *(f"    X_{s} = streams[{s!r}]" for s in net.spec.inputs),
        *(f"    q_{s} = S(init[{s!r}])" for s in states),
        *(f"    V_{k} = []; V_{k}_append = V_{k}.append" for k in names),
        *(f"    P_{k}__{u} = []; P_{k}__{u}_append = P_{k}__{u}.append" for k, u in kept),
        "    DLDY = []; LT = []",
        "    for t in range(len(gs)):",
        "        g = gs[t]; m = ms[t]",
        *(f"        i_{s} = X_{s}[t]" for s in net.spec.inputs),
        *(f"        v_{e.name} = {_settled(code(e.tree), rounding)}" for e in net.spec.equations),
        *(f"        V_{k}_append(v_{k})" for k in names),
        *(f"        P_{k}__{u}_append({_settled(code(net.trees[k][u]), rounding)})" for k, u in kept),
        f"        DLDY.append({_settled(code(net.dL_dy_tree), rounding)} if m else 0.0)",
        f"        LT.append(({code(net.loss_tree)}) if m else 0.0)",
        *(f"        q_{s} = v_{s}" for s in states),
        *(["        if t % 4096 == 4095: progress(t + 1)"] if with_progress else []),
        "    return {",
        f"        'values': {{{', '.join(f'{k!r}: V_{k}' for k in names)}}},",
        f"        'partials': {{{', '.join(f'({k!r}, {u!r}): P_{k}__{u}' for k, u in kept)}}},",
        "        'dL_dy': DLDY, 'loss_terms': LT,",
        "    }",
    ]
    return Source("\n".join(lines) + "\n", code.constants)


def wrt(net: Network) -> tuple[str, ...]:
    """What the gradients are taken with respect to: the parameters, then each state's initial value."""
    return (*net.params, *(initial(s) for s in net.states))


def reach(net: Network, theta: str, before: frozenset[str]) -> frozenset[str]:
    """The names whose value at a step depends on θ, given the states that did at the step before."""
    reached: set[str] = set()
    for e in net.spec.equations:
        uses = net.trees[e.name]
        if (
            theta in uses
            or any(u in reached for u in uses)
            or any(u.endswith(PREV) and u[: -len(PREV)] in before for u in uses)
        ):
            reached.add(e.name)
    return frozenset(reached)


def stable_reach(net: Network, theta: str) -> frozenset[str]:
    """The names that depend on θ at some step (the union over steps, which settles quickly)."""
    state = next((s for s in net.states if initial(s) == theta), None)
    before = frozenset({state} if state else ())
    seen: frozenset[str] = frozenset()
    while True:
        now = reach(net, theta, before) | seen
        if now == seen:
            return seen
        seen, before = now, now & frozenset(net.states)


def totals_source(net: Network, rounding: bool = True) -> str:
    """``totals(R, S)``: forward mode, dk_t/dθ = ∂k/∂θ + Σ_u ∂k/∂u · du/dθ, carried through time."""
    lines = ["def totals(R, S):", "    P = R['partials']; n = len(R['dL_dy']); out = {}"]
    lines += [f"    P_{k}__{u} = P[({k!r}, {u!r})]" for k, u in edges(net)]
    for theta in wrt(net):
        reached = stable_reach(net, theta)
        carried = [s for s in net.states if s in reached]
        lines += [f"    c_{s} = {1.0 if initial(s) == theta else 0.0}" for s in net.states]
        lines += [f"    D_{k} = []" for k in reached]
        lines.append("    for t in range(n):")
        for e in net.spec.equations:
            if e.name not in reached:
                continue
            parts = [f"P_{e.name}__{theta}[t]"] if theta in net.trees[e.name] else []
            for u in net.trees[e.name]:
                if u in reached:
                    parts.append(f"P_{e.name}__{u}[t] * d_{u}")
                elif u.endswith(PREV) and (u[: -len(PREV)] in carried or initial(u[: -len(PREV)]) == theta):
                    parts.append(f"P_{e.name}__{u}[t] * c_{u[: -len(PREV)]}")
            lines.append(f"        d_{e.name} = {_settled(' + '.join(parts) or '0.0', rounding)}")
            lines.append(f"        D_{e.name}.append(d_{e.name})")
        lines += [f"        c_{s} = d_{s}" for s in net.states if s in reached]
        # a seeded state θ = s_0 that its own next value does not reach: ds_t/ds_0 = 0 after step 1
        lines += [f"        c_{s} = 0.0" for s in net.states if s not in reached and initial(s) == theta]
        lines.append(f"    out[{theta!r}] = {{{', '.join(f'{k!r}: D_{k}' for k in reached)}}}")
    lines.append("    return out")
    return "\n".join(lines) + "\n"


def adjoints_source(net: Network, rounding: bool = True, lean: bool = False) -> Source:
    """``adjoints(R, S, streams, init, params)``: reverse mode, dL/dk_t from t = n down to 1; each θ's
    share at each step. ``lean``: each partial is computed where it is used, from the step's values,
    what the partials share computed once."""
    users: dict[str, list[str]] = {}
    for k, u in edges(net):
        users.setdefault(u, []).append(k)
    names = net.spec.names
    kept = () if lean else names  # the lean adjoints keep no table of deltas
    code = _printer(net)
    pairs = edges(net)
    shared, reduced = common([net.trees[k][u] for k, u in pairs]) if lean else ([], [])
    inline = dict(zip(pairs, reduced, strict=True)) if lean else {}

    def partial(k: str, u: str) -> str:
        return f"({code(inline[k, u])})" if lean else f"P_{k}__{u}[t]"

    lines = [
        "def adjoints(R, S, streams, init, params):",
        "    P = R['partials']; V = R['values']; DLDY = R['dL_dy']; n = len(DLDY)",
        *(f"    P_{k}__{u} = P[({k!r}, {u!r})]" for k, u in ([] if lean else edges(net))),
        *(_lean_loads(net) if lean else []),
        *(f"    c_{s} = 0.0" for s in net.states),
        *(f"    A_{k} = [0.0] * n" for k in kept),
        *(f"    T_{p} = [0.0] * n" for p in net.params),
        "    for t in range(n - 1, -1, -1):",
        *(_lean_step(net) if lean else []),
        *(f"        {name} = {code(tree)}" for name, tree in shared),
    ]
    for k in reversed(names):
        parts = ["DLDY[t]"] if k == "y" else []
        parts += [f"c_{k}"] if k in net.states else []
        parts += [f"b_{j} * {partial(j, k)}" for j in users.get(k, [])]
        stored = "" if lean else f"A_{k}[t] = "
        lines.append(f"        b_{k} = {stored}{_settled(' + '.join(parts) or '0.0', rounding)}")
    for p in net.params:
        parts = [f"b_{j} * {partial(j, p)}" for j in users.get(p, [])]
        lines.append(f"        T_{p}[t] = {' + '.join(parts) or '0.0'}")
    for s in net.states:
        parts = [f"b_{j} * {partial(j, s + PREV)}" for j in users.get(s + PREV, [])]
        lines.append(f"        c_{s} = {_settled(' + '.join(parts) or '0.0', rounding)}")
    lines += [
        "    return {",
        f"        'adjoints': {{{', '.join(f'{k!r}: A_{k}' for k in kept)}}},",
        f"        'terms': {{{', '.join(f'{p!r}: T_{p}' for p in net.params)}}},",
        f"        'initial': {{{', '.join(f'{initial(s)!r}: c_{s}' for s in net.states)}}},",
        "    }",
    ]
    return Source("\n".join(lines) + "\n", code.constants)


def _lean_loads(net: Network) -> list[str]:
    """The lean adjoints' set-up: parameters, input streams and value columns as locals."""
    return [
        f"    {''.join(f'p_{p}, ' for p in net.params)}= params" if net.params else "    pass",
        *(f"    X_{s} = streams[{s!r}]" for s in net.spec.inputs),
        *(f"    V_{k} = V[{k!r}]" for k in net.spec.names),
    ]


def _lean_step(net: Network) -> list[str]:
    """The lean adjoints' step: the step's inputs, values and previous states, named as in the sweep."""
    return [
        *(f"        i_{s} = X_{s}[t]" for s in net.spec.inputs),
        *(f"        v_{k} = V_{k}[t]" for k in net.spec.names),
        *(f"        q_{s} = V_{s}[t - 1] if t else init[{s!r}]" for s in net.states),
    ]


def numbers_network(problem: Problem) -> Network:
    """The problem's cell for its numbers: parsed and differentiated by the engine (no SymPy, no cache)."""
    from ..engine.graph import engine_network

    streams = ("x", *problem.inputs)
    equations = tuple(problem.cell or ())
    return engine_network(equations, streams, problem.loss_weight, problem.loss, problem.loss_term)


MAX_SOURCE = 500_000
"""The longest generated source rnncalc compiles (characters); Python's compiler is slow far below
memory limits."""


def _compiled(
    net: Network,
    kind: str,
    with_progress: bool = False,
    rounding: bool = True,
    lean: bool = False,
    exact: bool = False,
) -> Callable[..., Any]:
    """The compiled function of one kind (sweep, totals, adjoints), made once per network and variant."""
    key = (kind, with_progress, rounding, lean, exact)
    if key not in net.compiled:
        source = {
            "sweep": lambda: forward_source(net, with_progress, rounding, lean),
            "totals": lambda: Source(totals_source(net, rounding), {}),
            "adjoints": lambda: adjoints_source(net, rounding, lean),
        }[kind]()
        if len(source.text) > MAX_SOURCE:
            raise InputError(
                f"--cell: the cell's rules written out take {len(source.text):,} characters, more than the "
                f"{MAX_SOURCE:,} rnncalc compiles; use a smaller cell"
            )
        scope = namespace(source.constants, exact)
        exec(compile(source.text, f"<rnncalc {kind}>", "exec"), scope)  # generated here, from parsed trees
        net.compiled[key] = scope[kind]
    return net.compiled[key]


@dataclass
class NetTrace:
    """Every quantity of a network's derivation; lists hold steps 1..n (index t-1)."""

    streams: dict[str, list[float]]
    g: list[float]
    targets: tuple[bool, ...]
    params: dict[str, float]
    init: dict[str, float]
    values: dict[str, list[float]]
    partials: dict[tuple[str, str], list[float]]
    dL_dy: list[float]
    loss_terms: list[float]
    loss: float = 0.0
    totals: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    adjoints: dict[str, list[float]] = field(default_factory=dict)
    backward_terms: dict[str, list[float]] = field(default_factory=dict)
    gradients: dict[str, float] = field(default_factory=dict)
    backward_gradients: dict[str, float] = field(default_factory=dict)

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

    def term(self, theta: str, t: int) -> float:
        """dL_t/dθ = dL_t/dy_t · dy_t/dθ (forward mode)."""
        column = self.totals[theta].get("y")
        return self.dL_dy[t - 1] * column[t - 1] if column else 0.0


def run_network(
    problem: Problem,
    net: Network,
    settings: Settings,
    progress: Progress = None,
    forward_mode: bool = True,
    reverse_mode: bool = True,
    lean: bool = False,
) -> NetTrace:
    """Sweep the network over t = 1..n, then take the gradients by forward and/or reverse mode.

    ``lean`` (reverse mode only, for the numbers without the steps): no table of partials is kept.
    """
    settle = settler(settings)
    exact = net.kinked and problem.n <= EXACT_KINKS_MAX_N
    streams = {s: list(problem.stream(s)) if exact else problem.stream_floats(s) for s in net.spec.inputs}
    gs = [g if g is not None else 0 for g in problem.g] if exact else problem.g_floats
    params = {p: problem.params[p] for p in net.params}
    init = {s: problem.initial(s) for s in net.states}
    numbers = (lambda v: v) if exact else float
    S = exact_settler(settings) if exact else settle
    init_values = {s: numbers(v) for s, v in init.items()}
    param_values = tuple(numbers(v) for v in params.values())
    try:
        rounding = bool(settings.round_intermediate)
        lean = lean and not forward_mode and not rounding
        swept = _compiled(net, "sweep", progress is not None, rounding, lean, exact)(
            streams,
            gs,
            [int(t) for t in problem.targets],
            init_values,
            param_values,
            S,
            progress,
        )
        totals = _compiled(net, "totals", rounding=rounding, exact=exact)(swept, S) if forward_mode else {}
        back = (
            _compiled(net, "adjoints", rounding=rounding, lean=lean, exact=exact)(
                swept, S, streams, init_values, param_values
            )
            if reverse_mode
            else None
        )
    except (OverflowError, ValueError, ZeroDivisionError, TypeError) as error:
        _name_output_out_of_range(problem, settings)
        raise RnnCalcError(f"the computation {_failure(error)}") from None
    if exact:
        swept = {
            k: _as_floats(v) if k != "partials" else {e: _as_floats(c) for e, c in v.items()}
            for k, v in swept.items()
        }
        totals = {theta: _as_floats(columns) for theta, columns in totals.items()}
        back = _floats_of(back)
    trace = NetTrace(
        streams={s: problem.stream_floats(s) for s in net.spec.inputs},
        g=problem.g_floats,
        targets=problem.targets,
        params={p: float(v) for p, v in params.items()},
        init={initial(s): float(v) for s, v in init.items()},
        values=swept["values"],
        partials=swept["partials"],
        dL_dy=swept["dL_dy"],
        loss_terms=swept["loss_terms"],
        totals=totals,
    )
    trace.loss = settle(total(trace.loss_terms))
    if forward_mode:
        trace.gradients = {
            theta: settle(total([trace.term(theta, t) for t in trace.target_steps])) for theta in wrt(net)
        }
    if back is not None:
        trace.adjoints = back["adjoints"]
        trace.backward_terms = back["terms"]
        trace.backward_gradients = {p: settle(total(back["terms"][p])) for p in net.params} | back["initial"]
        if not forward_mode:
            trace.gradients = dict(trace.backward_gradients)
    _check_finite(trace)
    return trace


def gradients_without_time(problem: Problem, net: Network) -> dict[str, float]:
    """dL/dθ with every path through time cut (each state's previous value held constant): what a
    hand derivation gives when it keeps only each step's direct terms."""
    trace = run_network(problem, net, Settings(), forward_mode=False, reverse_mode=False)
    cut = {e: [0.0] * len(c) if e[1].endswith(PREV) else c for e, c in trace.partials.items()}
    swept = {"partials": cut, "values": trace.values, "dL_dy": trace.dL_dy}
    back = _compiled(net, "adjoints", rounding=False)(swept, _unchanged, {}, {}, ())
    return {p: math.fsum(back["terms"][p]) for p in net.params}


def _name_output_out_of_range(problem: Problem, settings: Settings) -> None:
    """When the loss is defined on an interval only (bce), rerun under SSE and name the y_t outside it."""
    import dataclasses

    from ..cell.losses import LOSSES
    from ..engine.written import build_network

    if LOSSES.get(problem.loss) is None or LOSSES[problem.loss].y_range is None:
        return
    squared = build_network(tuple(problem.cell or ()), ("x", *problem.inputs), Fraction(1), "sse", None)
    try:
        trace = run_network(dataclasses.replace(problem, loss="sse"), squared, settings, reverse_mode=False)
    except RnnCalcError:
        return
    check_outputs_in_range(problem, trace.values["y"])


def _floats_of(back: dict[str, Any] | None) -> dict[str, Any] | None:
    """Reverse-mode results as floats."""
    if back is None:
        return None
    return {
        "adjoints": _as_floats(back["adjoints"]),
        "terms": _as_floats(back["terms"]),
        "initial": {k: float(v) for k, v in back["initial"].items()},
    }


def _check_finite(trace: NetTrace) -> None:
    """Refuse to print inf or nan: name the first quantity that overflowed."""
    checks = {**trace.values, "L": [trace.loss], **{f"dL/d{p}": [v] for p, v in trace.gradients.items()}}
    for name, values in checks.items():
        if not all(map(math.isfinite, values)):
            raise RnnCalcError(
                f"{name} is infinite or undefined (it overflows double precision, or a log of 0); "
                "use smaller values"
            )


def loss_at(
    problem: Problem, net: Network, values: dict[str, float], streams: dict[str, list[float]] | None = None
) -> float:
    """The loss with these parameter and initial values (keys as in ``wrt``), in plain floats."""
    try:
        swept = _compiled(net, "sweep")(
            streams or {s: problem.stream_floats(s) for s in net.spec.inputs},
            problem.g_floats,
            [int(t) for t in problem.targets],
            {s: values[initial(s)] for s in net.states},
            tuple(values[p] for p in net.params),
            _unchanged,
            None,
        )
        return math.fsum(swept["loss_terms"])
    except (OverflowError, ValueError, ZeroDivisionError, TypeError):
        return math.nan  # the shifted point is outside double precision: no finite difference there
