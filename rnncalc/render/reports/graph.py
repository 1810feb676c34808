"""Renderers of the unrolled graph: Graphviz DOT, a Rich tree of one parameter's chain, and JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.tree import Tree

from ...errors import InputError
from ...features.graph import Edge, Graph, Node
from ...tensor import shown
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
    """d target / d source = rule = value (the rule left out when it is just the value); a vector or
    matrix larger than the terminal shows as its shape and norm (Graphviz takes labels of 16,384
    characters at most: H = 100 would not fit)."""
    printer = TextPrinter(digits, compact=True)
    return _equation(edge.name.text, printer.print(edge.rule), printer.number(edge.value))


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
    number = TextPrinter(digits, compact=True).number  # big matrices as shape and norm, as on the terminal
    n = graph.problem.n
    per_step = sum(1 for node in graph.nodes if node.t == 1)
    scalar = all(isinstance(node.value, (int, float)) for node in graph.nodes)  # matrices need their width
    size = f' size="{INCHES_PER_STEP * n:g},1000";' if per_step <= CAPPED_NODES and scalar else ""
    # newrank lines the rows up across the step clusters; Graphviz 2.43 cannot rank a gated cell's rows
    # with it ("trouble in init_rank" from n = 5 for an LSTM), so those are laid out without it
    newrank = " newrank=true;" if per_step <= CAPPED_NODES else ""
    lines = [
        "digraph rnncalc {",
        f"  rankdir=TB;{newrank} nodesep=0.55; ranksep=0.35;{size}",
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
    return f"{edge.name.text} = {TextPrinter(digits, compact=True).number(edge.value)}"


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
    from ...derivation.sections import Backward

    q = graph.q
    number = TextPrinter(digits, compact=True).number  # a matrix larger than 4 as shape and norm
    if param not in graph.gradients:
        raise InputError(f"--param {param}: the cell has no parameter {param} ({', '.join(graph.gradients)})")
    back = Backward(q)
    root = Tree(f"dL/d{q.theta(param).text} = {number(shown(graph.gradients[param]))}", guide_style="dim")
    via = VIA[q.values_name]
    n = graph.problem.n
    for t in range(1, n + 1):
        uses = [(j, u) for j, u in q.plan.gradient_uses(param, t) if not back.silent(j, t)]
        if uses and n > ELIDE_ABOVE and KEEP_FIRST < t <= n - KEEP_LAST:
            if t == KEEP_FIRST + 1:
                root.add(f"… time steps {t} to {n - KEEP_LAST} omitted")
            continue
        for j, u in uses:
            via(root, q, back, param, j, u, t, digits)
    return root


def _via(root: Tree, q: Any, back: Any, param: str, j: str, u: str, t: int, digits: int) -> None:
    """θ enters j_t: the local derivative (∂o_2/∂W_i) times dL/dj_t, and where dL/dj_t comes from."""
    printer = TextPrinter(digits)
    local = q.trace.partials[j, u][t - 1]
    name = q.local_name(j, param, t)
    rule = printer.print(q.form(j, u, t))
    if j == "y" and back.plan.trivial_output():
        dL = q.dL_dy(t)
        root.add(
            f"via y_{t}: {_equation(name.text, rule, printer.number(local))}  ×  dL/dy_{t} = "
            f"{printer.number(dL.value)}  →  {printer.number(local * dL.value)}"
        )
        return
    adjoint = q.adjoint(j, t)
    shown = f"dL/d{j}_{t} = {adjoint.name.text}" if q.delta_of == j else adjoint.name.text
    branch = root.add(
        f"via {j}_{t}: {_equation(name.text, rule, printer.number(local))}  ×  {shown} = "
        f"{printer.number(adjoint.value)}  →  {printer.number(local * adjoint.value)}"
    )
    _sources(branch, q, back, j, t, printer)


def _sources(node: Tree, q: Any, back: Any, k: str, t: int, printer: TextPrinter) -> None:
    """Where dL/dk_t comes from: each quantity that reads k_t, down to a named adjoint or the loss."""
    number = printer.number
    for r, u, at in back.parts(k, t):
        local = q.partial(r, u, at)
        if r == "y" and back.plan.trivial_output():
            dL = q.dL_dy(at)
            node.add(
                f"{k}_{t} → y_{at} → L_{at}: {local.name.text} · {dL.name.text} = "
                f"{number(local.value)} · {number(dL.value)}"
            )
        elif r in back.plan.adjoint_carriers:
            adjoint = q.adjoint(r, at)
            node.add(
                f"{k}_{t} → {r}_{at}: {local.name.text} · {adjoint.name.text} = "
                f"{number(local.value)} · {number(adjoint.value)}"
            )
        else:
            _sources(
                node.add(f"{k}_{t} → {r}_{at}: {local.name.text} = {number(local.value)}"),
                q,
                back,
                r,
                at,
                printer,
            )


def _array_via(root: Tree, q: Any, back: Any, param: str, j: str, u: str, t: int, digits: int) -> None:
    """θ enters j_t (arrays): its share there as the derivation writes it (δ_t · x_{t-1}ᵀ), its value,
    and where the adjoint comes from."""
    from ...derivation.writing import writing_of
    from ...engine.evaluate import pull

    printer = TextPrinter(digits, compact=True)
    adjoint = back.adjoint_form(j, t)
    rule = writing_of(q).use_share(q, adjoint, j, u, param, t)  # type: ignore[attr-defined]
    value = pull(_raw_adjoint(q, back, j, t), q.trace.partials[j, u][t - 1])
    branch = root.add(f"via {j}_{t}: {printer.print(rule)} = {printer.number(shown(value))}")
    if not (j == "y" and back.plan.trivial_output()):
        _array_sources(branch, q, back, j, t, printer)


def _raw_adjoint(q: Any, back: Any, k: str, t: int) -> Any:
    """dL/dk_t as computed (dL_t/dy_t for a bare output)."""
    if k == "y" and back.plan.trivial_output():
        return q.trace.dL_dy[t - 1]
    return q.trace.backward.adjoints[k][t - 1]


def _array_sources(node: Tree, q: Any, back: Any, k: str, t: int, printer: TextPrinter) -> None:
    """Where dL/dk_t comes from (arrays): each quantity that reads k_t, its transposed Jacobian times its
    adjoint and that product's value, down to a named adjoint or the loss."""
    from ...engine.evaluate import pull

    for r, u, at in back.parts(k, t):
        local = printer.print(q.transposed(r, u, at))
        partial = q.trace.partials[r, u][at - 1]
        if r == "y" and back.plan.trivial_output() or r in back.plan.adjoint_carriers:
            adjoint = back.adjoint_form(r, at)
            step = f"y_{at} → L_{at}" if r == "y" and back.plan.trivial_output() else f"{r}_{at}"
            value = pull(_raw_adjoint(q, back, r, at), partial)
            node.add(f"{k}_{t} → {step}: {local} · {printer.print(adjoint)} = {printer.number(shown(value))}")
        else:
            _array_sources(node.add(f"{k}_{t} → {r}_{at}: {local}"), q, back, r, at, printer)


VIA = {"numbers": _via, "arrays": _array_via}
"""A branch of the tree of one gradient, for each kind of value (compute.values)."""


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

    text = io.StringIO()
    console = plain_console(text, width=160)
    console.print(renderable(graph, view))
    return text.getvalue()
