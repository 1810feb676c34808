"""The unrolled computational graph: nodes with value and gradient, edges with their local derivative."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell.states import initial, state_of
from ..compute.problem import Problem, Settings
from ..compute.run import run
from ..derivation.formula import Const, Form, Name
from ..derivation.jacobians import quantities_of
from ..derivation.names import LOSS, derivative, indexed, parameter
from ..derivation.quantities import Quantities
from ..errors import InputError
from ..result import Result
from ..tensor import shown

MAX_GRAPH_STEPS = 2000


@dataclass(frozen=True)
class Node:
    """A quantity of the unrolled network: its value and dL/d(itself)."""

    id: str
    name: Name
    value: float
    grad: float
    kind: str
    t: int | None = None


@dataclass(frozen=True)
class Edge:
    """source -> target, labelled with d target / d source: its name, rule and value."""

    source: str
    target: str
    name: Name
    rule: Form
    value: float
    t: int | None = None


@dataclass(frozen=True)
class Graph(Result):
    """The unrolled graph of one problem, with the deltas that give every node's gradient."""

    problem: Problem
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    gradients: dict[str, float]
    q: Any

    def node(self, node_id: str) -> Node:
        """The node with this id."""
        return next(n for n in self.nodes if n.id == node_id)


def build_graph(problem: Problem, settings: Settings | None = None) -> Graph:
    """Unroll the network for this problem's n: every named quantity at every step, an edge per
    partial derivative, each node with dL/d(itself)."""
    if problem.n > MAX_GRAPH_STEPS:
        raise InputError(f"the graph is drawn for n <= {MAX_GRAPH_STEPS:,} steps (n = {problem.n:,})")
    settings = settings or Settings(digits=6)
    from ..engine.written import written

    trace = run(problem, settings, method="backward", every_adjoint=True)
    net = trace.net
    q = quantities_of(trace, written(net, problem.loss, problem.loss_weight, problem.loss_term))
    grads = {k: shown(v) for k, v in trace.gradients.items()}
    nodes = [Node(p, parameter(p), shown(v), grads[p], "param") for p, v in trace.params.items()]
    nodes += [
        Node(f"{s}_0", indexed(s, 0), shown(trace.init[initial(s)]), grads[initial(s)], "state")
        for s in net.states
    ]
    edges: list[Edge] = []
    for t in range(1, trace.n + 1):
        nodes += [
            Node(
                f"{s}_{t - 1}",
                indexed(s, t - 1),
                shown(column[t - 1]),
                shown(trace.input_gradients[s][t - 1]),
                "input",
                t,
            )
            for s, column in trace.streams.items()
        ]
        for k in net.spec.names:
            kind = "output" if k == "y" else "state"
            value, grad = trace.values[k][t - 1], trace.adjoints[k][t - 1]
            nodes.append(Node(f"{k}_{t}", indexed(k, t), shown(value), shown(grad), kind, t))
            edges += _edges_into(q, k, t)
        if trace.has_target(t):
            nodes.append(Node(f"L_{t}", indexed("L", t), float(trace.loss_terms[t - 1]), 1.0, "loss", t))
            dL = q.dL_dy(t)
            edges.append(Edge(f"y_{t}", f"L_{t}", dL.name, q.local_loss(t), dL.value, t))
            edges.append(Edge(f"L_{t}", "L", derivative(LOSS, indexed("L", t)), Const(Fraction(1)), 1.0, t))
    nodes.append(Node("L", LOSS, trace.loss, 1.0, "loss"))
    return Graph(problem, tuple(nodes), tuple(edges), grads, q)


def _edges_into(q: Quantities, k: str, t: int) -> list[Edge]:
    """The edges into k_t: one per input, quantity, previous state and parameter its formula reads."""
    edges = []
    for u in q.spec.equation(k).uses:
        state = state_of(u)
        if state is not None:
            source = f"{state}_{t - 1}"
        elif u in q.spec.inputs:
            source = f"{u}_{t - 1}"
        else:
            source = u if u in q.spec.params else f"{u}_{t}"
        name, rule, value = q.edge(k, u, t)
        edges.append(Edge(source, f"{k}_{t}", name, rule, value, t))
    return edges
