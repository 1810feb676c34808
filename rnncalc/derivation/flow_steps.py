"""The gradient through time made visible: how a change in the state s_k reaches s_n (∂s_n/∂s_k, k = n … 1),
and how much of each gradient comes through each step; with a note when the gradient vanishes or
explodes. The state is the cell's one state (h in the worked example)."""

from __future__ import annotations

import math

from ..cell.states import PREV
from ..errors import InputError
from .formula import Add, Const, Div, Form, Mul, Name, Ref
from .model import Section, Step
from .names import gradient, partial
from .quantities import Quantities
from .sections import product

VANISHES_BELOW = 1e-2
EXPLODES_ABOVE = 1e2


def the_state(q: Quantities) -> str:
    """The one state the gradient flows through."""
    states = q.spec.states
    if len(states) != 1:
        raise InputError(
            f"--flow follows one state through time; this cell has {len(states)} ({', '.join(states)}): "
            "leave out --flow"
        )
    return states[0]


def reach(state: str, n: int, k: int, value: float) -> Ref:
    """∂s_n/∂s_k: how a change in s_k reaches s_n."""
    return Ref(
        Name(
            f"∂{state}_{n}/∂{state}_{k}",
            rf"\frac{{\partial {state}_{{{n}}}}}{{\partial {state}_{{{k}}}}}",
            f"d{state}_{n}/d{state}_{k}",
        ),
        value,
    )


def paths(q: Quantities, state: str) -> list[list[tuple[str, str]]]:
    """Every way from the state back to its previous value within one step: lists of (k, u) partials."""
    found: list[list[tuple[str, str]]] = []
    g = q.plan.graph

    def walk(k: str, trail: list[tuple[str, str]]) -> None:
        for u in g.edges(k):
            if u == state + PREV:
                found.append([*trail, (k, u)])
            elif u in g.names:
                walk(u, [*trail, (k, u)])

    walk(state, [])
    return found


def reach_section(q: Quantities) -> Section:
    """∂s_n/∂s_k = ∂s_n/∂s_{k+1} · ds_{k+1}/ds_k (the step's partials), from k = n down to 1."""
    state, n = the_state(q), q.trace.n
    ways = paths(q, state)
    factors = {n: 1.0}
    steps = [Step(reach(state, n, n, 1.0), Const(1), t=n)]
    for k in range(n - 1, 0, -1):
        products = [[q.partial(j, u, k + 1) for j, u in way] for way in ways]
        value = factors[k + 1]
        if len(products) == 1:
            for ref in products[0]:
                value *= ref.value
            rule: Form = product(reach(state, n, k + 1, factors[k + 1]), *products[0])
        else:
            step_value = math.fsum(math.prod(ref.value for ref in refs) for refs in products)
            value *= step_value
            terms = tuple(product(*refs) for refs in products)
            rule = Mul((reach(state, n, k + 1, factors[k + 1]), Add(terms)))
        factors[k] = value
        steps.append(Step(reach(state, n, k, factors[k]), rule, t=k))
    return Section("flow", "The gradient through time", tuple(steps), note=_verdict(state, n, factors[1]))


def _verdict(state: str, n: int, first: float) -> str:
    """Whether the path from s_1 to s_n shrinks or grows the gradient, in words."""
    if n == 1:
        return "One step: nothing travels through time."
    size = f"{abs(first):.3g}"
    if abs(first) < VANISHES_BELOW:
        return (
            f"The gradient vanishes: a change in {state}_1 reaches {state}_{n} scaled by {size}, so what the "
            f"first steps did barely reaches the loss at step {n} (long-range dependence is lost)."
        )
    if abs(first) > EXPLODES_ABOVE:
        return (
            f"The gradient explodes: a change in {state}_1 reaches {state}_{n} scaled by {size}, so paths "
            "through many steps dominate the gradients of the last losses (clip the gradient when training)."
        )
    return f"Neither vanishing nor exploding over {n} steps: {state}_1 reaches {state}_{n} scaled by {size}."


def shares_section(q: Quantities) -> Section:
    """Each step's share of every gradient the cell's own equations take: dL/dj_t · ∂j_t/∂θ (the local
    partial, not the total carried through time) as a part of dL/dθ."""
    g, back = q.plan.graph, q.trace.backward
    steps = []
    for p in g.params:
        users = g.users(p)
        if "y" in users or len(users) != 1 or back is None:
            continue
        (j,) = users
        total = back.gradients[p]
        name = gradient(p)
        whole = Ref(Name(f"({name.text})", name.latex, name.key), total)
        theta = q.theta(p)
        for t in range(1, q.trace.n + 1):
            part = back.terms[p][t - 1]
            adjoint = q.adjoint(j, t).name
            local = partial(q.value(j, t).name, theta)
            label = Name(
                f"share of step {t} in d{theta.text}",
                rf"\text{{share of step {t} in }} d{theta.latex}",
                f"share:{p}:{t}",
            )
            term = Ref(
                Name(
                    f"({adjoint.text} · {local.text})",
                    rf"{adjoint.latex} \cdot {local.latex}",
                    f"term:{p}:{t}",
                ),
                part,
            )
            share = part / total if total and math.isfinite(part / total) else 0.0
            steps.append(Step(Ref(label, share), Div(term, whole), t=t))
    return Section("shares", "Each step's share of the gradient", tuple(steps))
