"""Renderers of the unrolled graph: Graphviz DOT, a Rich tree of one parameter's chain, and JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.tree import Tree

from ...cell.sweep import INITIAL_STATE
from ...derivation.names import gradient, parameter
from ...errors import InputError
from ...features.graph import Edge, Graph, Node
from .. import View
from ..layout import ELIDE_ABOVE, KEEP_FIRST, KEEP_LAST
from ..printers import TextPrinter

STYLES = {
    "param": 'shape=box, style="rounded,filled", fillcolor="#fde9c9"',
    "input": 'shape=box, style=filled, fillcolor="#e4f0fb"',
    "state": "shape=box",
    "output": 'shape=box, style=filled, fillcolor="#e6f5e1"',
    "loss": 'shape=box, style="filled,bold", fillcolor="#f6dada"',
}


def _quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_label(node: Node, number: Any) -> str:
    """name = value, and dL/d(name) = gradient."""
    return f"{node.name.text} = {number(node.value)}\ndL/d{node.name.text} = {number(node.grad)}"


def _edge_label(edge: Edge, digits: int) -> str:
    """d target / d source = rule = value (the rule left out when it is just the value)."""
    return _equation(
        edge.name.text, TextPrinter(digits).print(edge.rule), TextPrinter(digits).number(edge.value)
    )


ROW = re.compile(r"_\d+$")
INCHES_PER_STEP = 6.25
"""At most this wide per time step (6.25 in = 600 px at 96 dpi): the worked example at n = 2 fits in
1200 px. Only cells of at most CAPPED_NODES nodes per step are held to it: a gated cell (GRU, LSTM)
drawn that narrow would be too small to read, so it keeps its natural width."""
CAPPED_NODES = 6


def dot(graph: Graph, digits: int) -> str:
    """The graph in Graphviz DOT: time steps left to right as columns, each quantity a row across them.

    Within a step the computation flows down (x, o, h, y, L_t); the parameters float between the columns
    that use them; an edge shows its name and value, its rule as a tooltip.
    """
    number = TextPrinter(digits).number
    n = graph.problem.n
    per_step = sum(1 for node in graph.nodes if node.t == 1)
    scalar = not getattr(graph.problem, "vector", False)  # matrices in the labels need their width
    size = f' size="{INCHES_PER_STEP * n:g},1000";' if per_step <= CAPPED_NODES and scalar else ""
    lines = [
        "digraph rnncalc {",
        f"  rankdir=TB; newrank=true; nodesep=0.15; ranksep=0.3;{size}",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    initial = [node for node in graph.nodes if node.kind == "state" and node.t in (None, 0)]
    column: dict[int, list[Node]] = {t: [] for t in range(1, n + 1)}
    column[1] += initial
    for node in graph.nodes:
        if node.t is not None and node.t > 0:
            column[node.t].append(node)
        elif node not in initial:
            lines.append(f"  {_node(node, number)}")
    for t, nodes in column.items():
        lines += [f"  subgraph cluster_{t} {{", f'    label="t = {t}"; color="#bbbbbb";']
        lines += [f"    {_node(node, number)}" for node in nodes]
        lines.append("  }")
    for edge in graph.edges:
        label, rule = _quote(_edge_value(edge, digits)), _quote(_edge_label(edge, digits))
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [label={label}, tooltip={rule}];")
    lines += [f"  {{rank=same; {row}}}" for row in _rows(graph, initial)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(node: Node, number: Any) -> str:
    """A node statement: its id, its label (value and gradient) and its style."""
    return f"{_quote(node.id)} [label={_quote(_node_label(node, number))}, {STYLES[node.kind]}];"


def _edge_value(edge: Edge, digits: int) -> str:
    """d target / d source = value (the rule goes in the tooltip, so the picture stays narrow)."""
    return f"{edge.name.text} = {TextPrinter(digits).number(edge.value)}"


def _rows(graph: Graph, initial: list[Node]) -> list[str]:
    """One row per quantity (x_t, o_t, ...) across the steps, kept in time order by invisible edges.

    An initial state sits left of the row it feeds first.
    """
    rows: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.t is not None and node.t > 0:
            rows.setdefault(ROW.sub("", node.name.text), []).append(node.id)
    by_id = {node.id: ROW.sub("", node.name.text) for node in graph.nodes if node.t}
    for state in initial:
        first = next((e.target for e in graph.edges if e.source == state.id and e.target in by_id), None)
        if first is not None:
            rows[by_id[first]].insert(0, state.id)
    return [
        "; ".join(map(_quote, ids)) + "; " + " -> ".join(map(_quote, ids)) + " [style=invis];"
        if len(ids) > 1
        else _quote(ids[0]) + ";"
        for ids in rows.values()
    ]


def _equation(name: str, rule: str, value: str) -> str:
    """name = rule = value, without repeating the value."""
    return f"{name} = {rule}" + (f" = {value}" if rule != value else "")


def tree(graph: Graph, param: str, digits: int) -> Tree:
    """How dL/dθ is assembled: each place θ enters, and the paths from there to the loss."""
    number = TextPrinter(digits).number
    if getattr(graph.problem, "vector", False):
        raise InputError("the tree of one gradient is drawn for scalar problems; use -f dot or -f json")
    q, trace = graph.q, graph.q.trace
    if graph.back is None:
        return _network_tree(graph, param, digits)
    root = Tree(f"{gradient(param).text} = {number(graph.gradients[param])}", guide_style="dim")
    n = graph.problem.n
    steps = [1] if param == INITIAL_STATE else list(range(1, n + 1))
    for t in steps:
        if n > ELIDE_ABOVE and KEEP_FIRST < t <= n - KEEP_LAST:
            if t == KEEP_FIRST + 1:
                root.add(f"… time steps {t} to {n - KEEP_LAST} omitted")
            continue
        if param in q.cell.dy_dparam:
            local = q.dy_d(param, t)
            rule = TextPrinter(digits).print(q.at(q.cell.dy_dparam[param], t))
            root.add(
                f"via y_{t}: {_equation(local.name.text, rule, number(local.value))}  ×  dL/dy_{t} = "
                f"{number(trace.dL_dy[t - 1])}"
                f"  →  {number(local.value * trace.dL_dy[t - 1])}"
            )
        if param in q.cell.do_dparam or param == INITIAL_STATE:
            _via_state(root, graph, param, t, digits)
    return root


def _network_tree(graph: Graph, param: str, digits: int) -> Tree:
    """dL/dθ for a network: each equation j reading θ at each step, ∂j_t/∂θ times dL/dj_t."""
    printer = TextPrinter(digits)
    number = printer.number
    q = graph.q
    root = Tree(f"dL/d{q.theta(param).text} = {number(graph.gradients[param])}", guide_style="dim")
    if param not in q.net.params:  # an initial state: what reads it at step 1
        state = next(s for s in q.net.states if f"{s}0" == param)
        param, steps = state + "_prev", [1]
    else:
        steps = list(range(1, graph.problem.n + 1))
    for t in steps:
        for e in q.net.spec.equations:
            if param not in q.net.partials[e.name]:
                continue
            local, adjoint = q.partial(e.name, param, t), q.adjoint(e.name, t)
            rule = printer.print(q.partial_rule(e.name, param, t))
            root.add(
                f"via {e.name}_{t}: {_equation(local.name.text, rule, number(local.value))}  ×  "
                f"{adjoint.name.text} = {number(adjoint.value)}  →  {number(local.value * adjoint.value)}"
            )
    return root


def _via_state(root: Tree, graph: Graph, param: str, t: int, digits: int) -> None:
    """θ enters o_t: the local derivative times δ_t, and where δ_t comes from."""
    number = TextPrinter(digits).number
    q, trace, back, n = graph.q, graph.q.trace, graph.back, graph.problem.n
    rule_form = q.at(q.cell.do_dhprev, 1) if param == INITIAL_STATE else q.at(q.cell.do_dparam[param], t)
    local = trace.do_dhprev[0] if param == INITIAL_STATE else trace.explicit[param][t - 1]
    name = f"do_{t}/d{parameter(param).text}"
    branch = root.add(
        f"via o_{t}: {_equation(name, TextPrinter(digits).print(rule_form), number(local))}  ×  "
        f"dL/do_{t} = δ_{t} = {number(back.delta[t - 1])}"
        f"  →  {number(local * back.delta[t - 1])}"
    )
    state = branch.add(f"o_{t} → h_{t}: dh_{t}/do_{t} = {number(trace.dh_do[t - 1])}")
    state.add(
        f"h_{t} → y_{t} → L_{t}: dy_{t}/dh_{t} · dL_{t}/dy_{t} = {number(trace.dy_dh[t - 1])} · "
        f"{number(trace.dL_dy[t - 1])}"
    )
    if t < n:
        state.add(
            f"h_{t} → o_{t + 1}: do_{t + 1}/dh_{t} · δ_{t + 1} = {number(trace.do_dhprev[t])} · "
            f"{number(back.delta[t])}"
        )


def as_data(graph: Graph) -> dict[str, Any]:
    """The graph as plain data."""
    return {
        "nodes": [
            {"id": n.id, "name": n.name.text, "kind": n.kind, "t": n.t, "value": n.value, "grad": n.grad}
            for n in graph.nodes
        ],
        "edges": [
            {"from": e.source, "to": e.target, "name": e.name.text, "value": e.value} for e in graph.edges
        ],
    }


def chosen_parameter(graph: Graph, view: View) -> str:
    """The parameter whose chain the tree shows: the one asked for, else W_h (or the first)."""
    if view.param is not None:
        return view.param
    if view.param is None and graph.back is None:
        return next(iter(graph.gradients))
    return "Wh" if "Wh" in graph.gradients else next(iter(graph.gradients))


def renderable(graph: Graph, view: View) -> Tree:
    """The tree of one parameter's chain."""
    return tree(graph, chosen_parameter(graph, view), view.digits)


def render(graph: Graph, format_name: str, view: View) -> str:
    """DOT, the tree as plain text, or JSON."""
    if format_name == "dot":
        return dot(graph, view.digits)
    if format_name == "json":
        return json.dumps(as_data(graph), indent=2, ensure_ascii=False) + "\n"
    import io

    from ..terminal import plain_console

    console = plain_console(io.StringIO(), width=160)
    console.print(renderable(graph, view))
    return console.file.getvalue()
