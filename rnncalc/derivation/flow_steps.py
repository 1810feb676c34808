"""The gradient through time made visible: how a change in h_k reaches h_n (∂h_n/∂h_k, k = n … 1), and
how much of each gradient comes through each step; with a note when the gradient vanishes or explodes."""

from __future__ import annotations

import math

from ..compute.backward import Backward
from .formula import Const, Div, Mul, Name, Ref
from .model import Section, Step
from .names import gradient, parameter
from .quantities import Quantities

VANISHES_BELOW = 1e-2
EXPLODES_ABOVE = 1e2


def reach(n: int, k: int, value: float) -> Ref:
    """∂h_n/∂h_k: how a change in h_k reaches h_n."""
    return Ref(
        Name(f"∂h_{n}/∂h_{k}", rf"\frac{{\partial h_{{{n}}}}}{{\partial h_{{{k}}}}}", f"dh_{n}/dh_{k}"), value
    )


def reach_section(q: Quantities) -> Section:
    """∂h_n/∂h_k = ∂h_n/∂h_{k+1} · dh_{k+1}/do_{k+1} · do_{k+1}/dh_k, from k = n down to 1."""
    trace, n = q.trace, q.trace.n
    factors = {n: 1.0}
    steps = [Step(reach(n, n, 1.0), Const(1), t=n)]
    for k in range(n - 1, 0, -1):
        factors[k] = factors[k + 1] * trace.dh_do[k] * trace.do_dhprev[k]
        rule = Mul((reach(n, k + 1, factors[k + 1]), q.local("dh_do", k + 1), q.local("do_dhprev", k + 1)))
        steps.append(Step(reach(n, k, factors[k]), rule, t=k))
    return Section("flow", "The gradient through time", tuple(steps), note=_verdict(n, factors[1]))


def _verdict(n: int, first: float) -> str:
    """Whether the path from h_1 to h_n shrinks or grows the gradient, in words."""
    if n == 1:
        return "One step: nothing travels through time."
    size = f"{abs(first):.3g}"
    if abs(first) < VANISHES_BELOW:
        return (
            f"The gradient vanishes: a change in h_1 reaches h_{n} scaled by {size}, so what the first "
            f"steps did barely reaches the loss at step {n} (long-range dependence is lost)."
        )
    if abs(first) > EXPLODES_ABOVE:
        return (
            f"The gradient explodes: a change in h_1 reaches h_{n} scaled by {size}, so paths through "
            "many steps dominate the gradients of the last losses (clip the gradient when training)."
        )
    return f"Neither vanishing nor exploding over {n} steps: h_1 reaches h_{n} scaled by {size}."


def shares_section(q: Quantities, back: Backward) -> Section:
    """Each step's share of every gradient of the state equation: δ_t · ∂o_t/∂θ (the local partial, not
    the total do_t/dθ carried through time) as a part of dL/dθ."""
    steps = []
    for p in q.cell.do_dparam:
        total = back.gradients[p]
        name = gradient(p)
        whole = Ref(Name(f"({name.text})", name.latex, name.key), total)
        for t in range(1, q.trace.n + 1):
            part = back.terms[p][t - 1]
            name = Name(
                f"share of step {t} in d{parameter(p).text}",
                rf"\text{{share of step {t} in }} d{parameter(p).latex}",
                f"share:{p}:{t}",
            )
            latex = rf"\delta_{{{t}}} \cdot \frac{{\partial o_{{{t}}}}}{{\partial {parameter(p).latex}}}"
            term = Ref(Name(f"(δ_{t} · ∂o_{t}/∂{parameter(p).text})", latex, f"term:{p}:{t}"), part)
            share = part / total if total and math.isfinite(part / total) else 0.0
            steps.append(Step(Ref(name, share), Div(term, whole), t=t))
    return Section("shares", "Each step's share of the gradient", tuple(steps))
