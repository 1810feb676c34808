"""The generated code of a cell: the forward sweep and reverse mode, written from its formula trees.

``sweep`` records every value, each step's loss term and dL_t/dy_t and (unless ``lean``) every partial
derivative, the inputs' included; ``adjoints`` runs reverse mode from t = n down to 1: dL/dk_t for
every quantity, each parameter's share at each step, dL/d(initial state) and dL/d(input). The lean
adjoints compute each partial where they use it (what the partials of a step share, once) and keep
no table. Code is generated from the parsed trees at every run and never read back from anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell.states import PREV, initial
from ..cell.tree import ONE
from ..errors import InputError
from .cse import SHARED, common
from .graph import Network
from .printer import Printer, namespace

MAX_SOURCE = 500_000
"""The longest generated source rnncalc compiles (characters); Python's compiler is slow far below
memory limits."""


@dataclass(frozen=True)
class Source:
    """Generated code and the constants it reads (bound as floats, or as Fractions for exact work)."""

    text: str
    constants: dict[Fraction, str]


def printer(net: Network) -> Printer:
    """Python source of this network's trees: names v_, previous values q_, inputs i_, parameters p_,
    the target g, shared subexpressions as they are."""
    variables = {"g": "g"} | {name: f"v_{name}" for name in net.spec.names}
    variables |= {name + PREV: f"q_{name}" for name in net.spec.names}
    variables |= {s: f"i_{s}" for s in net.spec.inputs}
    return Printer(lambda name: variables.get(name, name if name.startswith(SHARED) else f"p_{name}"))


def edges(net: Network, inputs: bool = False) -> list[tuple[str, str]]:
    """Every (name, what it uses) pair with a partial derivative (the input streams' too if asked)."""
    found = [(k, u) for k, partials in net.trees.items() for u in partials]
    if inputs:
        found += [(k, u) for k, partials in net.input_trees.items() for u in partials]
    return found


def _settled(text: str, rounding: bool) -> str:
    """Source that writes a named quantity down: through S when rounding as by hand, else as it is."""
    return f"S({text})" if rounding else f"({text})"


def sweep_source(
    net: Network, with_progress: bool, rounding: bool, lean: bool, masked: bool = True
) -> Source:
    """``sweep(streams, gs, ms, init, params, S, progress)``: every value and partial, step by step.

    ``masked``: some step has no target (its loss term and dL_t/dy_t are 0); else no test per step.
    """
    code = printer(net)
    names, states = net.spec.names, net.states
    kept = [] if lean else edges(net, inputs=True)
    trees = net.trees | {k: net.trees.get(k, {}) | net.input_trees.get(k, {}) for k in net.input_trees}
    when = " if m else 0.0" if masked else ""
    lines = [
        "def sweep(streams, gs, ms, init, params, S, progress):",
        f"    {''.join(f'p_{p}, ' for p in net.params)}= params" if net.params else "    pass",
        *(f"    X_{s} = streams[{s!r}]" for s in net.spec.inputs),
        *(f"    q_{s} = S(init[{s!r}])" for s in states),
        *(f"    V_{k} = []; V_{k}_append = V_{k}.append" for k in names),
        *(f"    P_{k}__{u} = []; P_{k}__{u}_append = P_{k}__{u}.append" for k, u in kept),
        "    DLDY = []; DLDY_append = DLDY.append; LT = []; LT_append = LT.append",
        "    for t in range(len(gs)):",
        "        g = gs[t]" + ("; m = ms[t]" if masked else ""),
        *(f"        i_{s} = X_{s}[t]" for s in net.spec.inputs),
        *(f"        v_{e.name} = {_settled(code(e.tree), rounding)}" for e in net.spec.equations),
        *(f"        V_{k}_append(v_{k})" for k in names),
        *(f"        P_{k}__{u}_append({_settled(code(trees[k][u]), rounding)})" for k, u in kept),
        f"        DLDY_append({_settled(code(net.dL_dy_tree), rounding)}{when})",
        f"        LT_append(({code(net.loss_tree)}){when})",
        *(f"        q_{s} = v_{s}" for s in states),
        *(["        if t % 4096 == 4095: progress(t + 1)"] if with_progress else []),
        "    return {",
        f"        'values': {{{', '.join(f'{k!r}: V_{k}' for k in names)}}},",
        f"        'partials': {{{', '.join(f'({k!r}, {u!r}): P_{k}__{u}' for k, u in kept)}}},",
        "        'dL_dy': DLDY, 'loss_terms': LT,",
        "    }",
    ]
    return Source("\n".join(lines) + "\n", code.constants)


def adjoints_source(net: Network, lean: bool) -> Source:
    """``adjoints(R, streams, init, params)``: reverse mode, dL/dk_t from t = n down to 1, each
    parameter's share at each step, dL/d(initial state) and dL/d(each input)."""
    users: dict[str, list[str]] = {}
    for k, u in edges(net, inputs=True):
        users.setdefault(u, []).append(k)
    names = net.spec.names
    kept = () if lean else names  # the lean adjoints keep no table of deltas
    code = printer(net)
    pairs = edges(net)
    shared, reduced = common([net.trees[k][u] for k, u in pairs]) if lean else ([], [])
    inline = dict(zip(pairs, reduced, strict=True)) if lean else {}

    def partial(k: str, u: str) -> str:
        return f"({code(inline[k, u])})" if lean else f"P_{k}__{u}[t]"

    def times(adjoint: str, k: str, u: str) -> str:
        """adjoint · ∂k/∂u, the factor left out where the partial is 1."""
        return adjoint if lean and inline[k, u] == ONE else f"{adjoint} * {partial(k, u)}"

    streams = net.spec.inputs

    def input_partial(k: str, s: str) -> str:
        return f"({code(net.input_trees[k][s])})" if lean else f"P_{k}__{s}[t]"

    body: list[str] = [f"        {name} = {code(tree)}" for name, tree in shared]
    for k in reversed(names):
        parts = ["DLDY[t]"] if k == "y" else []
        parts += [f"c_{k}"] if k in net.states else []
        parts += [times(f"b_{j}", j, k) for j in users.get(k, [])]
        stored = "" if lean else f"A_{k}[t] = "
        body.append(f"        b_{k} = {stored}{' + '.join(parts) or '0.0'}")
    for p in net.params:
        parts = [times(f"b_{j}", j, p) for j in users.get(p, [])]
        body.append(f"        T_{p}[t] = {' + '.join(parts) or '0.0'}")
    for s in streams:
        parts = [f"b_{j} * {input_partial(j, s)}" for j in users.get(s, [])]
        body.append(f"        I_{s}[t] = {' + '.join(parts) or '0.0'}")
    for s in net.states:
        parts = [times(f"b_{j}", j, s + PREV) for j in users.get(s + PREV, [])]
        body.append(f"        c_{s} = {' + '.join(parts) or '0.0'}")
    lines = [
        "def adjoints(R, streams, init, params):",
        "    P = R['partials']; V = R['values']; DLDY = R['dL_dy']; n = len(DLDY)",
        *(f"    P_{k}__{u} = P[({k!r}, {u!r})]" for k, u in ([] if lean else edges(net, inputs=True))),
        *(_lean_loads(net) if lean else []),
        *(f"    c_{s} = 0.0" for s in net.states),
        *(f"    A_{k} = [0.0] * n" for k in kept),
        *(f"    T_{p} = [0.0] * n" for p in net.params),
        *(f"    I_{s} = [0.0] * n" for s in streams),
        "    for t in range(n - 1, -1, -1):",
        *(_lean_step(net, "\n".join(body)) if lean else []),
        *body,
    ]
    lines += [
        "    return {",
        f"        'adjoints': {{{', '.join(f'{k!r}: A_{k}' for k in kept)}}},",
        f"        'terms': {{{', '.join(f'{p!r}: T_{p}' for p in net.params)}}},",
        f"        'initial': {{{', '.join(f'{initial(s)!r}: c_{s}' for s in net.states)}}},",
        f"        'inputs': {{{', '.join(f'{s!r}: I_{s}' for s in streams)}}},",
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


def _lean_step(net: Network, body: str) -> list[str]:
    """The lean adjoints' step: the step's inputs, values and previous states that ``body`` reads,
    named as in the sweep."""
    read = set(re.findall(r"\b[viq]_\w+", body))
    return [
        *(f"        i_{s} = X_{s}[t]" for s in net.spec.inputs if f"i_{s}" in read),
        *(f"        v_{k} = V_{k}[t]" for k in net.spec.names if f"v_{k}" in read),
        *(f"        q_{s} = V_{s}[t - 1] if t else init[{s!r}]" for s in net.states if f"q_{s}" in read),
    ]


def compiled(
    net: Network, kind: str, with_progress: bool = False, rounding: bool = False, lean: bool = False,
    exact: bool = False, masked: bool = True,
) -> Callable[..., Any]:  # fmt: skip
    """The compiled ``sweep`` or ``adjoints`` of this network, made once per variant."""
    key = (kind, with_progress, rounding, lean, exact, masked)
    if key not in net.compiled:
        if kind == "sweep":
            source = sweep_source(net, with_progress, rounding, lean, masked)
        else:
            source = adjoints_source(net, lean)
        if len(source.text) > MAX_SOURCE:
            raise InputError(
                f"--cell: the cell's rules written out take {len(source.text):,} characters, more than the "
                f"{MAX_SOURCE:,} rnncalc compiles; use a smaller cell"
            )
        scope = namespace(source.constants, exact)
        exec(compile(source.text, f"<rnncalc {kind}>", "exec"), scope)  # generated here, from parsed trees
        net.compiled[key] = scope[kind]
    return net.compiled[key]
