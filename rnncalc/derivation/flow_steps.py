"""The gradient through time made visible: how a change in the state s_k reaches s_n (∂s_n/∂s_k, k = n … 1),
and how much of each gradient comes through each step; with a note when the gradient vanishes or
explodes. The state is the cell's one state (h in the worked example)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..cell.states import PREV
from ..errors import InputError
from ..tensor import magnitude, shown
from .formula import Add, Div, Form, Mul, Name, Ref
from .model import Section, Step
from .names import gradient, partial
from .quantities import Quantities
from .writing import product

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


def reach(state: str, n: int, k: int, value: Any, total: bool = False) -> Ref:
    """∂s_n/∂s_k: how a change in s_k reaches s_n (``total``: written ds_n/ds_k, where the cell's own
    partial ∂s_t/∂s_{t-1} is one path of several and would share its name)."""
    d, latex_d = ("d", "d") if total else ("∂", r"\partial ")
    return Ref(
        Name(
            f"{d}{state}_{n}/{d}{state}_{k}",
            rf"\frac{{{latex_d}{state}_{{{n}}}}}{{{latex_d}{state}_{{{k}}}}}",
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
    """∂s_n/∂s_k = ∂s_n/∂s_{k+1} · ds_{k+1}/ds_k (the step's partials), from k = n down to 1; for
    vectors each factor is a Jacobian matrix and the products are matrix products."""
    state, n = the_state(q), q.trace.n
    ways = paths(q, state)
    factors = {n: q.identity(state)}
    total = len(ways) > 1
    steps = [Step(reach(state, n, n, shown(factors[n]), total), q.one(state), t=n)]
    for k in range(n - 1, 0, -1):
        products = [[q.partial(j, u, k + 1) for j, u in way] for way in ways]
        raws = [[q.dense_partial(j, u, k + 1) for j, u in way] for way in ways]
        before = reach(state, n, k + 1, shown(factors[k + 1]), total)
        if len(products) == 1:
            rule: Form = product(before, *products[0])
            factors[k] = _product([factors[k + 1], *raws[0]])
        else:
            rule = Mul((before, Add(tuple(product(*refs) for refs in products))))
            factors[k] = _product([factors[k + 1], _sum([_product(way) for way in raws])])
        steps.append(Step(reach(state, n, k, shown(factors[k]), total), rule, t=k))
    return Section("flow", "The gradient through time", tuple(steps), note=_verdict(state, n, factors[1]))


def _product(values: list[Any]) -> Any:
    """Numbers multiplied, or matrices multiplied left to right."""
    result = values[0]
    for value in values[1:]:
        result = result @ value if hasattr(result, "shape") else result * value
    return result


def _sum(values: list[Any]) -> Any:
    """Numbers added exactly rounded (math.fsum), or matrices added."""
    return math.fsum(values) if not hasattr(values[0], "shape") else sum(values[1:], values[0])


def _verdict(state: str, n: int, first: Any) -> str:
    """Whether the path from s_1 to s_n shrinks or grows the gradient, in words (a matrix by its largest
    singular value: the most it stretches a change in s_1)."""
    if n == 1:
        return "One step: nothing travels through time."
    by = "at most " if hasattr(first, "shape") else ""
    first = magnitude(first)
    size = f"{by}{first:.3g}"
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
        whole = Ref(Name(f"({name.text})", name.latex, name.key), shown(total))
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
                shown(part),
            )
            steps.append(SHARES[q.values_name][0](label, term, whole, part, total, t))
    return Section("shares", "Each step's share of the gradient", tuple(steps), note=SHARES[q.values_name][1])


def _ratio_share(label: Name, term: Ref, whole: Ref, part: float, total: float, t: int) -> Step:
    """A number's share: its part over the whole."""
    share = part / total if total and math.isfinite(part / total) else 0.0
    return Step(Ref(label, share), Div(term, whole), t=t)


PROJECTED = (
    "For vectors and matrices a step's share is its part's projection on the whole gradient, "
    "⟨part, whole⟩ / ‖whole‖²: the shares of a gradient add up to 1, as for numbers."
)


def _projected_share(label: Name, term: Ref, whole: Ref, part: Any, total: Any, t: int) -> Step:
    """A step's share of a vector or matrix gradient: ⟨part, whole⟩ / ‖whole‖² (entries multiplied and
    added), a number."""
    import numpy as np

    inner, squared = float(np.vdot(part, total)), float(np.vdot(total, total))
    share = inner / squared if squared and math.isfinite(inner / squared) else 0.0
    top = Ref(
        Name(
            f"⟨{term.name.text}, {whole.name.text}⟩",
            rf"\left\langle {term.name.latex}, {whole.name.latex} \right\rangle",
            f"inner:{term.name.key}",
        ),
        inner,
    )
    bottom = Ref(
        Name(f"‖{whole.name.text}‖²", rf"\lVert {whole.name.latex} \rVert^2", f"norm:{whole.name.key}"),
        squared,
    )
    return Step(Ref(label, share), Div(top, bottom), t=t)


SHARES: dict[str, tuple[Callable[..., Step], str | None]] = {
    "numbers": (_ratio_share, None),
    "arrays": (_projected_share, PROJECTED),
}
"""A step's share of a gradient and the section's note, for each kind of value (compute.values): a ratio
of numbers, or the projection of a matrix on the whole."""
