"""The textbook BPTT derivation: deltas δ_t = dL/do_t from t = n down to 1, then each gradient from them."""

from __future__ import annotations

from fractions import Fraction

from ..cell.sweep import INITIAL_STATE
from ..compute.backward import Backward
from .formula import Add, Const, Form, Mul, Name, Neg, Ref
from .model import Section, Step
from .names import derivative, gradient, indexed, parameter
from .quantities import Quantities

DELTA_LEAD = Name(
    "δ_t = dL/do_t = (dL_t/dy_t · dy_t/dh_t + δ_{t+1} · do_{t+1}/dh_t) · dh_t/do_t, with δ_{n+1} = 0",
    r"\delta_{t} = \frac{dL}{do_{t}} = \left(\frac{dL_{t}}{dy_{t}} \cdot \frac{dy_{t}}{dh_{t}} + "
    r"\delta_{t+1} \cdot \frac{do_{t+1}}{dh_{t}}\right) \cdot \frac{dh_{t}}{do_{t}}, \quad \delta_{n+1} = 0",
    "delta",
)


def delta(t: int, value: float) -> Ref:
    """δ_t = dL/do_t."""
    return Ref(Name(f"δ_{t}", rf"\delta_{{{t}}}", f"delta_{t}"), value)


def deltas_section(q: Quantities, back: Backward) -> Section:
    """δ_n first, then back to δ_1, each from the one after it."""
    n = q.trace.n
    steps = []
    for t in range(n, 0, -1):
        parts: list[Form] = []
        if q.trace.has_target(t):  # a step without a target has no loss term of its own
            parts.append(Mul((q.local("dL_dy", t), q.local("dy_dh", t))))
        if t < n:
            parts.append(Mul((delta(t + 1, back.delta[t]), q.local("do_dhprev", t + 1))))
        if not parts:  # the last step without a target: nothing flows into δ_n
            rule: Form = Mul((Const(Fraction(0)), q.local("dh_do", t)))
        elif len(parts) == 1 and isinstance(parts[0], Mul):
            rule = Mul((*parts[0].factors, q.local("dh_do", t)))
        else:
            rule = Mul((Add(tuple(parts)), q.local("dh_do", t)))
        steps.append(Step(delta(t, back.delta[t - 1]), rule, t=t))
    return Section("deltas", "Deltas, backward in time", tuple(steps), DELTA_LEAD)


def _term(q: Quantities, back: Backward, p: str, t: int) -> Step:
    """Step t's share of dL/dθ: δ_t · do_t/dθ (and dL_t/dy_t · dy_t/dθ where θ reaches y_t)."""
    value = back.terms[p][t - 1]
    products: list[Form] = []
    if p == INITIAL_STATE:
        products.append(Mul((delta(1, back.delta[0]), q.at(q.cell.do_dhprev, 1))))
        name = Name("δ_1 · do_1/dh_0", r"\delta_{1} \cdot \frac{do_{1}}{dh_{0}}", "delta_1*do_1/dh0")
        return Step(Ref(name, value), products[0], t=1)
    if p in q.cell.do_dparam:
        products.append(Mul((delta(t, back.delta[t - 1]), q.at(q.cell.do_dparam[p], t))))
    if p in q.cell.dy_dparam and q.trace.has_target(t):
        products.append(
            Mul((q.local("dL_dy", t), q.dy_d(p, t) if p in q.trace.dy_d else q.at(q.cell.dy_dparam[p], t)))
        )
    if p in q.cell.do_dparam and (p not in q.cell.dy_dparam or not q.trace.has_target(t)):
        top = derivative(indexed("o", t), parameter(p))
        name = Name(f"δ_{t} · {top.text}", rf"\delta_{{{t}}} \cdot {top.latex}", f"delta_{t}*{top.key}")
    else:
        name = derivative(indexed("L", t), parameter(p))
    return Step(Ref(name, value), products[0] if len(products) == 1 else Add(tuple(products)), t=t)


def gradient_section(q: Quantities, back: Backward, p: str, suffix: str) -> Section:
    """dθ as a sum of δ_t times the local derivative of o_t (or y_t), each term with its value."""
    if p == INITIAL_STATE:
        steps = [1]
    elif p in q.cell.do_dparam:
        steps = list(range(1, q.trace.n + 1))
    else:
        steps = q.trace.target_steps
    terms = [_term(q, back, p, t) for t in steps]
    total = Step(
        Ref(gradient(p), back.gradients[p]),
        Add(tuple(step.target for step in terms)),
        Add(tuple(step.rule for step in terms if step.rule is not None)),
    )
    return Section(
        f"bgrad:{p}",
        f"d{parameter(p).text}{suffix}",
        (*terms, total) if len(terms) > 1 else (terms[0], total),
    )


def agreement_section(forward: dict[str, float], backward: dict[str, float]) -> Section:
    """forward − backward for every gradient: the two derivations agree."""
    steps = []
    for p, value in forward.items():
        g = gradient(p)
        ahead = Ref(
            Name(f"{g.text} (forward)", rf"{g.latex}\Big|_{{\mathrm{{fwd}}}}", f"{g.key}:forward"), value
        )
        behind = Ref(
            Name(f"{g.text} (backward)", rf"{g.latex}\Big|_{{\mathrm{{bwd}}}}", f"{g.key}:backward"),
            backward[p],
        )
        target = Ref(
            Name(
                f"{g.text} (forward − backward)",
                rf"{g.latex}\Big|_{{\mathrm{{fwd}}}} - {g.latex}\Big|_{{\mathrm{{bwd}}}}",
                f"{g.key}:difference",
            ),
            value - backward[p],
        )
        steps.append(Step(target, Add((ahead, Neg(behind)))))
    return Section("agreement", "Forward and backward agree", tuple(steps))
