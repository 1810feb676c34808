"""The derivation's sections, for every cell, in the worked example's order and form.

Loss, the network, the given values, the forward pass, the local derivatives that later lines use,
then either the totals carried through time and each gradient as the sum of its dL_t/dθ (forward
method), or the adjoints from t = n down and each gradient as the sum of its steps' shares (backward
method). Every line is a rule of the plan (``engine.plan``) written with the trace's numbers; for the
worked example's cell that is the document's derivation, line for line.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from ..cell.losses import reduced_text
from ..compute.convention import UPSTREAM_TERM
from ..compute.problem import CUSTOM_LOSS, Problem
from ..engine.plan import Chain
from ..tensor import shown
from .formula import (
    Add,
    Const,
    Form,
    Mul,
    Name,
    Neg,
    Ref,
    fill,
)
from .model import Section, Step
from .names import LOSS, derivative, gradient, indexed
from .quantities import Quantities
from .writing import NumberWriting, addition, gradient_name, product, writing_of

ADJOINT_LEAD = Name(
    "dL/dk_t = dL_t/dy_t (k = y) + Σ_j dL/dj_t · ∂j_t/∂k_t + Σ_j dL/dj_{t+1} · ∂j_{t+1}/∂k_t (k a state)",
    r"\frac{dL}{dk_{t}} = \frac{dL_{t}}{dy_{t}}\Big|_{k=y} + \sum_{j} \frac{dL}{dj_{t}} "
    r"\frac{\partial j_{t}}{\partial k_{t}} + \sum_{j} \frac{dL}{dj_{t+1}} "
    r"\frac{\partial j_{t+1}}{\partial k_{t}}",
    "adjoint",
)


def loss_lead(problem: Problem, target_steps: list[int], writing: NumberWriting) -> Name:
    """The loss's definition, over the steps with a target (for vector outputs, with norms)."""
    if problem.loss_term == UPSTREAM_TERM:  # a course's backward function: dL/dy_t is given, not a loss
        return Name(
            "L = Σ_t Σ g_t ⊙ y_t, so that dL/dy_t = g_t, the upstream gradient given",
            r"L = \sum_{t} \textstyle\sum g_{t} \odot y_{t},\ \text{so that } \frac{dL}{dy_{t}} = g_{t}"
            r"\text{, the upstream gradient given}",
            "upstream",
        )
    if problem.loss == CUSTOM_LOSS:  # ℓ_t is a step of the section, printed from its formula
        return writing.custom_lead(problem)
    loss = writing.loss_record(problem)
    if problem.reduce_time is not None:  # the steps averaged or summed as --reduce-time says
        text, latex = reduced_text(loss.text, loss.latex, loss.factor, problem.reduce_time)
        loss = dataclasses.replace(loss, text=text, latex=latex)
    if problem.every_step_has_a_target:
        return Name(loss.text, loss.latex, loss.name)
    steps = ", ".join(map(str, target_steps))
    return Name(
        loss.text.replace("1/n", "1/|T|").replace("1/(2n)", "1/(2|T|)").replace("Σ_{t=1}^{n}", "Σ_{t ∈ T}")
        + f" with T = {{{steps}}}",
        loss.latex.replace(r"\frac{1}{n}", r"\frac{1}{|T|}")
        .replace(r"\frac{1}{2n}", r"\frac{1}{2|T|}")
        .replace(r"\sum_{t=1}^{n}", r"\sum_{t \in T}")
        + rf",\ T = \{{{steps}\}}",
        loss.name,
    )


def loss_section(q: Quantities, problem: Problem) -> Section:
    """The loss written out for this n (only the steps with a target)."""
    terms = Add(tuple(q.loss_at(t) for t in q.trace.target_steps))
    steps = [Step(Ref(LOSS, q.trace.loss), terms, definition=True)]
    if problem.loss == CUSTOM_LOSS:  # the user's term, as parsed: ℓ_t = |g_t - y_t|
        from .forms import template
        from .formula import fill

        term = Ref(Name("ℓ_t", r"\ell_{t}", "loss_term"), 0.0)
        forms = writing_of(q).loss_forms(q, problem)
        steps.insert(0, Step(term, fill(template(forms.loss), q.generic_binding()), definition=True))
    title = "Upstream gradients" if problem.loss_term == UPSTREAM_TERM else problem.loss.upper()
    return Section("loss", title, tuple(steps), loss_lead(problem, q.trace.target_steps, writing_of(q)))


def model_section(q: Quantities) -> Section:
    """Each equation at a generic step t: the output first (as the worked example states it), then the
    cell in the order it is evaluated."""

    binding = q.generic_binding()
    order = ["y", *(k for k in q.spec.names if k != "y")]
    steps = [
        Step(binding[k], fill(q.equation_form(k), binding), definition=True)  # type: ignore[arg-type]
        for k in order
    ]
    return writing_of(q).model_section(q, steps)


def known_section(q: Quantities) -> Section:
    """Inputs, targets, initial states and parameters."""
    n = q.trace.n
    steps = [Step(q.stream(s, i), t=i + 1) for s in q.spec.inputs for i in range(n)]
    steps += [Step(q.g(t), t=t) for t in q.trace.target_steps]
    steps += [Step(q.value(s, 0)) for s in q.spec.states]
    steps += [Step(q.params[p]) for p in q.spec.params]  # type: ignore[arg-type]
    return Section("known", "Known parameters", tuple(steps))


def forward_section(q: Quantities) -> Section:
    """Every named quantity at every step, with its numbers and its value; then the loss."""
    writing = writing_of(q)
    steps = [
        step for t in range(1, q.trace.n + 1) for k in q.spec.names for step in writing.forward_steps(q, k, t)
    ]
    loss = Add(tuple(q.loss_at(t) for t in q.trace.target_steps))
    steps.append(Step(Ref(LOSS, q.trace.loss), loss))
    return Section("forward", "Calculations for the forward pass", tuple(steps))


def local_section(q: Quantities, used: set[tuple[str, str, int]]) -> Section:
    """dL_t/dy_t, then each local derivative that a later line uses: from the output back to the input,
    one partial at a time, step by step."""
    writing = writing_of(q)
    steps = [writing.local(q.dL_dy(t), q.local_loss(t), t) for t in q.trace.target_steps]
    g = q.plan.graph
    for k in reversed(g.names):
        for u in sorted(u for u in g.edges(k) if u not in g.params):
            steps += [
                writing.local(q.partial(k, u, t), q.local_rule(k, u, t), t)
                for t in range(1, q.trace.n + 1)
                if (k, u, t) in used
            ]
    return Section("local", writing.local_title, tuple(steps), note=writing.local_note(q))


class Forward:
    """The forward method's lines: which totals are used, and each total's and gradient's rule."""

    used_links: set[tuple[str, str, int]]

    def __init__(self, q: Quantities) -> None:
        self.q = q
        self.plan, self.n = q.plan, q.trace.n
        self.used_totals: set[tuple[str, str, int]] = set()
        self.used_links: set[tuple[str, str, int]] = set()
        for theta in self.plan.graph.wrt:
            for t in q.trace.target_steps:
                chain = self.plan.gradient_chain(theta, t, self.n)
                if chain is not None:
                    self._use(theta, chain, t)

    def _use(self, theta: str, chain: Chain, t: int) -> None:
        """Mark a chain's partials and total as used, and (once) everything that total uses."""
        if chain.end is not None and len(chain.links) > 0 or chain.end is None and len(chain.links) > 1:
            self.used_links |= {(k, u, t + dt) for k, u, dt in chain.links}
        if chain.end is None:
            return
        k, at = chain.end[0], t + chain.end[1]
        if (theta, k, at) in self.used_totals:
            return
        self.used_totals.add((theta, k, at))
        for term in self.plan.total_rule(theta, k, at, self.n):
            if isinstance(term, Chain):
                self._use(theta, term, at)

    def totals_section(self) -> Section:
        """dk_t/dθ for every θ and every quantity that carries it, as far as later lines use it."""
        q = self.q
        steps = [
            Step(q.total(k, theta, t), addition(self.total_terms(theta, k, t)), t=t)
            for theta in self.plan.graph.wrt
            for t in range(1, self.n + 1)
            for k in self.plan.graph.names
            if (theta, k, t) in self.used_totals
        ]
        return Section("totals", "Derivatives through time", tuple(steps), note=writing_of(q).totals_note)

    def total_terms(self, theta: str, k: str, t: int) -> list[Form]:
        """The terms of dk_t/dθ as written."""
        return [self.q.rule_term(term, k, theta, t) for term in self.plan.total_rule(theta, k, t, self.n)]

    def chain(self, theta: str, t: int) -> Form | None:
        """dL_t/dθ as a chain-rule product, or None when θ does not reach y_t."""
        chain = self.plan.gradient_chain(theta, t, self.n)
        if chain is None:
            return None
        return product(self.q.dL_dy(t), self.q.chain(chain, t, theta))

    def gradient_section(self, theta: str, per_step: bool) -> Section:
        """dθ on one line as the worked example writes it: the sum of the dL_t/dθ, each as its chain-rule
        product, then with numbers, then the value (``per_step``: each dL_t/dθ on its own line first)."""
        q = self.q
        chains = {t: c for t in q.trace.target_steps if (c := self.chain(theta, t)) is not None}
        steps = [Step(q.term(theta, t), chain, t=t) for t, chain in chains.items()] if per_step else []
        total = Ref(gradient_name(q, theta), shown(q.trace.forward.gradients[theta]))  # type: ignore[union-attr]
        if chains:
            rule: Form = Add(tuple(q.term(theta, t) for t in chains))
            working: Form | None = Add(tuple(chains.values()))
        else:
            rule, working = Const(Fraction(0)), None
        steps.append(Step(total, rule, working, expansion=None if per_step else working))
        return Section(f"grad:{theta}", f"d{q.theta(theta).text}", tuple(steps))


class Backward:
    """The backward method's lines: the named adjoints from t = n down, and each gradient's shares."""

    def __init__(self, q: Quantities) -> None:
        self.q = q
        self.plan, self.n = q.plan, q.trace.n
        self.named = [
            k for k in reversed(self.plan.adjoint_carriers) if not (k == "y" and self.plan.trivial_output())
        ]

    def silent(self, k: str, t: int) -> bool:
        """dL/dk_t is 0 by the problem's shape (the output at a step without a target)."""
        return k == "y" and self.plan.trivial_output() and not self.q.trace.targets[t - 1]

    def parts(self, k: str, t: int) -> list[tuple[str, str, int]]:
        """(j, u, t'): dL/dj_{t'} · ∂j_{t'}/∂u over what reads k_t and adds something."""
        return [
            (j, u, t + dt)
            for j, u, dt in self.plan.adjoint_parts(k)
            if t + dt <= self.n and not self.silent(j, t + dt)
        ]

    def used_links(self) -> set[tuple[str, str, int]]:
        """Every partial the adjoints' rules use (those written out inside them included)."""
        used: set[tuple[str, str, int]] = set()

        def visit(k: str, t: int) -> None:
            for j, u, at in self.parts(k, t):
                used.add((j, u, at))
                if j not in self.plan.adjoint_carriers:
                    visit(j, at)

        for t in range(1, self.n + 1):
            for k in self.named:
                visit(k, t)
        return used

    def adjoint_form(self, k: str, t: int) -> Form:
        """dL/dk_t as it appears in a rule: its name if named (dL_t/dy_t for a bare output), else
        written out from its parts."""
        if k == "y" and self.plan.trivial_output():
            return self.q.dL_dy(t)
        if k in self.plan.adjoint_carriers:
            return self.q.adjoint(k, t)
        return self.rule(k, t)

    def rule(self, k: str, t: int) -> Form:
        """dL/dk_t's rule: dL_t/dy_t (for y with a target), then dL/dj · ∂j/∂k over what reads k_t."""
        q = self.q
        parts: list[Form] = [q.dL_dy(t)] if k == "y" and q.trace.targets[t - 1] else []
        writing = writing_of(q)
        for j, u, at in self.parts(k, t):
            parts.append(writing.adjoint_part(q, self.adjoint_form(j, at), j, u, at))
        return addition(parts)

    def deltas_section(self) -> Section:
        """Every named adjoint from t = n down to 1, the later quantities of a step first."""
        q = self.q
        steps = [
            Step(q.adjoint(k, t), self.rule(k, t), t=t) for t in range(self.n, 0, -1) for k in self.named
        ]
        lead = writing_of(q).delta_lead(q) if q.delta_of is not None else ADJOINT_LEAD
        return Section("deltas", "Deltas, backward in time", tuple(steps), lead)

    def share(self, theta: str, t: int) -> Step | None:
        """Step t's share of dL/dθ as its own line, or None when θ adds nothing at step t."""
        q = self.q
        uses = [(j, u) for j, u in self.plan.gradient_uses(theta, t) if not self.silent(j, t)]
        if not uses:
            return None
        value = q.trace.backward.terms[theta][t - 1]  # type: ignore[union-attr]
        forms: list[Form] = []
        for j, u in uses:
            if j == "y" and self.plan.trivial_output():  # dL_t/dy_t · ∂y_t/∂θ: the loss at step t
                named = Ref(q.local_name("y", theta, t), q.trace.partials[j, u][t - 1])
                forms.append(Mul((q.dL_dy(t), named)))
            else:
                forms.append(Mul((self.adjoint_form(j, t), q.form(j, u, t))))
        if len(uses) == 1 and not (uses[0][0] == "y" and self.plan.trivial_output()):
            j, _ = uses[0]
            adjoint = self.adjoint_form(j, t)
            top = q.local_name(j, theta, t)
            name = Name(
                f"{adjoint.name.text} · {top.text}",  # type: ignore[union-attr]
                rf"{adjoint.name.latex} \cdot {top.latex}",  # type: ignore[union-attr]
                f"{adjoint.name.key}*{top.key}",  # type: ignore[union-attr]
            )
        else:
            name = derivative(indexed("L", t), q.theta(theta))
        return Step(Ref(name, value), addition(forms), t=t)

    def gradient_section(self, theta: str, suffix: str) -> Section:
        """dθ as the sum of each step's share (as the values are written)."""
        return writing_of(self.q).gradient_section(self, theta, suffix)


def agreement_section(forward: dict[str, Any], backward: dict[str, Any]) -> Section:
    """forward − backward for every gradient: the two derivations agree (vectors entry by entry)."""
    steps = []
    for p, raw in forward.items():
        value = shown(raw)
        g = gradient(p)
        ahead = Ref(
            Name(f"{g.text} (forward)", rf"{g.latex}\Big|_{{\mathrm{{fwd}}}}", f"{g.key}:forward"), value
        )
        behind = Ref(
            Name(f"{g.text} (backward)", rf"{g.latex}\Big|_{{\mathrm{{bwd}}}}", f"{g.key}:backward"),
            shown(backward[p]),
        )
        target = Ref(
            Name(
                f"{g.text} (forward − backward)",
                rf"{g.latex}\Big|_{{\mathrm{{fwd}}}} - {g.latex}\Big|_{{\mathrm{{bwd}}}}",
                f"{g.key}:difference",
            ),
            shown(raw - backward[p]),
        )
        steps.append(Step(target, Add((ahead, Neg(behind)))))
    return Section("agreement", "Forward and backward agree", tuple(steps))
