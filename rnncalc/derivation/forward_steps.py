"""The forward-mode derivation, in the worked example's order: loss, knowns, forward pass, local
derivatives, derivatives carried through time, then each gradient."""

from __future__ import annotations

from ..cell.losses import LOSSES
from ..cell.sweep import INITIAL_STATE
from ..compute.problem import Problem
from .formula import Add, Form, Mul, Name, Ref, collapse_sums
from .model import Section, Step
from .names import LOSS, gradient, parameter
from .quantities import GENERIC, Quantities, spell_out


def _loss_sum(q: Quantities) -> Form:
    """L = Σ_t loss term at t, written out for this n (only the steps with a target)."""
    return Add(tuple(q.at(q.cell.loss, t) for t in q.trace.target_steps))


def loss_section(q: Quantities, problem: Problem) -> Section:
    """The loss function, written out for this n."""
    loss = LOSSES[problem.loss]
    lead = Name(loss.text, loss.latex, loss.name)
    if not problem.every_step_has_a_target:
        steps = ", ".join(map(str, q.trace.target_steps))
        lead = Name(
            loss.text.replace("1/n", "1/|T|").replace("Σ_{t=1}^{n}", "Σ_{t ∈ T}") + f" with T = {{{steps}}}",
            loss.latex.replace(r"\frac{1}{n}", r"\frac{1}{|T|}").replace(r"\sum_{t=1}^{n}", r"\sum_{t \in T}")
            + rf",\ T = \{{{steps}\}}",
            loss.name,
        )
    step = Step(Ref(LOSS, q.trace.loss), _loss_sum(q), definition=True)
    return Section("loss", problem.loss.upper(), (step,), lead)


def model_section(q: Quantities) -> Section:
    """The network at a generic step, in the worked example's order: y_t, o_t, h_t."""
    names = {"y": q.cell.y, "o": q.cell.o, "h": q.cell.h}
    steps = [Step(GENERIC[symbol], q.generic(rule), definition=True) for symbol, rule in names.items()]
    return Section("model", "Forward pass", tuple(steps))


def known_section(q: Quantities) -> Section:
    """Inputs, targets, initial state and parameters."""
    n = q.trace.n
    steps = [Step(q.x(i), t=i + 1) for i in range(n)] + [Step(q.g(t), t=t) for t in q.trace.target_steps]
    steps += [Step(q.h(0))] + [Step(q.params[p]) for p in q.cell.params]
    return Section("known", "Known parameters", tuple(steps))


def forward_section(q: Quantities) -> Section:
    """o_t, h_t, y_t for each step, then the loss value."""
    steps = []
    for t in range(1, q.trace.n + 1):
        for target, rule in ((q.o(t), q.cell.o), (q.h(t), q.cell.h), (q.y(t), q.cell.y)):
            form = q.at(rule, t)
            steps.append(Step(target, form, spelled=spell_out(form), t=t))
    steps.append(Step(Ref(LOSS, q.trace.loss), _loss_sum(q)))
    return Section("forward", "Calculations for the forward pass", tuple(steps))


def local_section(q: Quantities) -> Section:
    """dL_t/dy_t, dy_t/dh_t, dh_t/do_t and do_t/dh_{t-1}, each from SymPy's derivative of the cell."""
    n = q.trace.n
    rules = {
        "dL_dy": q.cell.dL_dy,
        "dy_dh": q.cell.dy_dh,
        "dh_do": q.cell.dh_do,
        "do_dhprev": q.cell.do_dhprev,
    }
    at_targets = q.trace.target_steps
    steps = [
        _collapsed_step(q.local(kind, t), q.at(rule, t), t)
        for kind, rule in rules.items()
        for t in (at_targets if kind in ("dL_dy", "dy_dh") else range(2 if kind == "do_dhprev" else 1, n + 1))
    ]
    return Section("local", "Local derivatives", tuple(steps))


def _collapsed_step(target: Ref, rule: Form, t: int) -> Step:
    """A local derivative whose working evaluates sums in products: h_1 · (1 - h_1) = 0.880797 · 0.119203."""
    working = collapse_sums(rule)
    return Step(target, rule, working if working != rule else None, t=t)


def _carried(q: Quantities, p: str, t: int) -> Form:
    """do_t/dθ = ∂o_t/∂θ + do_t/dh_{t-1} · dh_{t-1}/do_{t-1} · do_{t-1}/dθ."""
    explicit = q.at(q.cell.do_dhprev if p == INITIAL_STATE else q.cell.do_dparam[p], t)
    if t == 1:
        return explicit
    through = Mul((q.local("do_dhprev", t), q.local("dh_do", t - 1), q.do_d(p, t - 1)))
    return through if p == INITIAL_STATE else Add((explicit, through))


def totals_section(q: Quantities) -> Section:
    """Total derivatives of o_t (carried forward in time) and of y_t, for each parameter."""
    n = q.trace.n
    steps = []
    for p in q.trace.terms:
        if p in q.trace.do_d:
            steps += [Step(q.do_d(p, t), _carried(q, p, t), t=t) for t in range(1, n + 1)]
        if p in q.trace.dy_d:
            steps += [Step(q.dy_d(p, t), q.at(q.cell.dy_dparam[p], t), t=t) for t in q.trace.target_steps]
    return Section("totals", "Derivatives through time", tuple(steps))


def _chain(q: Quantities, p: str, t: int) -> Form:
    """dL_t/dθ as a chain-rule product (or a sum of two, if θ reaches y_t both ways)."""
    products: list[Form] = []
    if p in q.trace.dy_d:
        products.append(Mul((q.local("dL_dy", t), q.dy_d(p, t))))
    if p in q.trace.do_d:
        products.append(Mul((q.local("dL_dy", t), q.local("dy_dh", t), q.local("dh_do", t), q.do_d(p, t))))
    return products[0] if len(products) == 1 else Add(tuple(products))


def gradient_section(q: Quantities, p: str, per_step: bool) -> Section:
    """dθ on one line as the worked example writes it: the sum of the dL_t/dθ, each as its chain-rule
    product, then with numbers, then the value (``per_step``: each dL_t/dθ on a line of its own first)."""
    at_targets = q.trace.target_steps
    steps = [Step(q.term(p, t), _chain(q, p, t), t=t) for t in at_targets] if per_step else []
    total = Ref(gradient(p), q.trace.gradients[p])
    rule = Add(tuple(q.term(p, t) for t in at_targets))
    working = Add(tuple(_chain(q, p, t) for t in at_targets))
    steps.append(Step(total, rule, working, expansion=None if per_step else working))
    return Section(f"grad:{p}", f"d{parameter(p).text}", tuple(steps))
