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

from ..cell.losses import LOSSES, VECTOR_TEXT, reduced_text
from ..compute.convention import UPSTREAM_TERM
from ..compute.problem import CUSTOM_LOSS, Problem
from ..engine.plan import Chain
from ..tensor import shown
from .formula import (
    Add,
    Call,
    Const,
    Form,
    Mul,
    Name,
    Neg,
    Rebuild,
    Ref,
    collapse_sums,
    evaluate_as_written,
    fill,
)
from .model import Section, Step
from .names import LOSS, derivative, gradient, indexed
from .quantities import Quantities, generic, spell_out

DELTA_LEAD = Name(
    "δ_t = dL/do_t = (dL_t/dy_t · dy_t/dh_t + δ_{t+1} · do_{t+1}/dh_t) · dh_t/do_t, with δ_{n+1} = 0",
    r"\delta_{t} = \frac{dL}{do_{t}} = \left(\frac{dL_{t}}{dy_{t}} \cdot \frac{dy_{t}}{dh_{t}} + "
    r"\delta_{t+1} \cdot \frac{do_{t+1}}{dh_{t}}\right) \cdot \frac{dh_{t}}{do_{t}}, \quad \delta_{n+1} = 0",
    "delta",
)
VECTOR_DELTA_LEAD = Name(
    "δ_t = dL/do_t = dh_t/do_t · (aᵀ · dL_t/dy_t + W_hᵀ · δ_{t+1}), with δ_{n+1} = 0",
    r"\delta_{t} = \frac{dL}{do_{t}} = \frac{dh_{t}}{do_{t}} \left(a^{\top} \frac{dL_{t}}{dy_{t}} + "
    r"W_{h}^{\top} \delta_{t+1}\right),\ \delta_{n+1} = 0",
    "delta",
)
JACOBIAN_DELTA_LEAD = Name(
    "δ_t = dL/do_t = dh_t/do_t · ((dy_t/dh_t)ᵀ · dL_t/dy_t + (do_{t+1}/dh_t)ᵀ · δ_{t+1}), with δ_{n+1} = 0",
    r"\delta_{t} = \frac{dL}{do_{t}} = \frac{dh_{t}}{do_{t}} \left(\left(\frac{dy_{t}}{dh_{t}}\right)^{\top} "
    r"\frac{dL_{t}}{dy_{t}} + \left(\frac{do_{t+1}}{dh_{t}}\right)^{\top} \delta_{t+1}\right),\ "
    r"\delta_{n+1} = 0",
    "delta",
)
"""The column rule of a cell other than the built-in one (y = a · h + c, o = W_i · x + W_h · h + b)."""
ADJOINT_LEAD = Name(
    "dL/dk_t = dL_t/dy_t (k = y) + Σ_j dL/dj_t · ∂j_t/∂k_t + Σ_j dL/dj_{t+1} · ∂j_{t+1}/∂k_t (k a state)",
    r"\frac{dL}{dk_{t}} = \frac{dL_{t}}{dy_{t}}\Big|_{k=y} + \sum_{j} \frac{dL}{dj_{t}} "
    r"\frac{\partial j_{t}}{\partial k_{t}} + \sum_{j} \frac{dL}{dj_{t+1}} "
    r"\frac{\partial j_{t+1}}{\partial k_{t}}",
    "adjoint",
)


def product(*factors: Form) -> Form:
    """A product with products inside it flattened (δ_2 · do_2/dh_1 · dh_1/do_1)."""
    flat: list[Form] = []
    for factor in factors:
        flat += factor.factors if isinstance(factor, Mul) else [factor]
    return flat[0] if len(flat) == 1 else Mul(tuple(flat))


def addition(parts: list[Form]) -> Form:
    """One term as is; several as a sum; none as 0."""
    if not parts:
        return Const(Fraction(0))
    return parts[0] if len(parts) == 1 else Add(tuple(parts))


def loss_lead(problem: Problem, target_steps: list[int]) -> Name:
    """The loss's definition, over the steps with a target (for vector outputs, with norms)."""
    if problem.loss_term == UPSTREAM_TERM:  # a course's backward function: dL/dy_t is given, not a loss
        return Name(
            "L = Σ_t Σ g_t ⊙ y_t, so that dL/dy_t = g_t, the upstream gradient given",
            r"L = \sum_{t} \textstyle\sum g_{t} \odot y_{t},\ \text{so that } \frac{dL}{dy_{t}} = g_{t}"
            r"\text{, the upstream gradient given}",
            "upstream",
        )
    if problem.loss == CUSTOM_LOSS and problem.arrays is not None:  # ℓ_t is taken entry by entry
        mean = problem.reduce_time == "mean"  # the weight 1/n is written in L, not in ℓ_t
        text, latex = ("1/n ", r"\frac{1}{n} ") if mean else ("", "")
        return Name(
            f"L = {text}Σ_t Σ ℓ_t, ℓ_t entry by entry, Σ over its entries",
            f"L = {latex}"
            r"\sum_{t} \textstyle\sum \ell_{t},\ \ell_{t} \text{ entry by entry, } \textstyle\sum"
            r" \text{ over its entries}",
            "custom",
        )
    if problem.loss == CUSTOM_LOSS:  # the term itself is a step of the section, printed from its formula
        return Name("L = Σ_t ℓ_t", r"L = \sum_{t} \ell_{t}", "custom")
    if problem.arrays is not None:
        text, latex = VECTOR_TEXT[problem.loss]
        loss = LOSSES.get(problem.loss) or LOSSES["mse"]
        loss = dataclasses.replace(loss, name=problem.loss, text=text, latex=latex)
    else:
        loss = LOSSES[problem.loss]
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
        from .formula import fill
        from .quantities import template

        term = Ref(Name("ℓ_t", r"\ell_{t}", "loss_term"), 0.0)
        forms = q.forms if problem.arrays is None else unweighted(q, problem)  # vectors: weight in L
        steps.insert(0, Step(term, fill(template(forms.loss), q.generic_binding()), definition=True))
    title = "Upstream gradients" if problem.loss_term == UPSTREAM_TERM else problem.loss.upper()
    return Section("loss", title, tuple(steps), loss_lead(problem, q.trace.target_steps))


def unweighted(q: Quantities, problem: Problem) -> Any:
    """A vector problem's forms with its loss term unweighted (each step's weight is written in L)."""
    if problem.loss_weight == 1:
        return q.forms
    from ..engine.written import written

    return written(q.trace.net, problem.loss, Fraction(1), problem.loss_term)


def model_section(q: Quantities) -> Section:
    """Each equation at a generic step t: the output first (as the worked example states it), then the
    cell in the order it is evaluated."""
    from .formula import fill

    binding = q.generic_binding()
    order = ["y", *(k for k in q.spec.names if k != "y")]
    steps = [
        Step(binding[k], fill(q.equation_form(k), binding), definition=True)  # type: ignore[arg-type]
        for k in order
    ]
    if not q.arrays:
        return Section("model", "Forward pass", tuple(steps))
    if q.trace.problem.loss == "softmax-ce":
        steps.append(Step(generic("p"), Call("softmax", generic("y")), definition=True))
    return Section("model", "Forward pass", tuple(steps), note=_sizes_note(q))


def _sizes_note(q: Quantities) -> str:
    """H, D and K, and how the products are read."""
    arrays = q.trace.problem.arrays
    assert arrays is not None  # a vector problem's note
    sizes = arrays.sizes
    acts = (
        f"{q.spec.activation} acts on each unit; " if q.spec.plain and q.spec.activation != "custom" else ""
    )
    entrywise = any("hadamard=True" in repr(q.equation_form(k)) for k in q.spec.names)
    note = (
        f"H = {sizes['H']} hidden unit(s), D = {sizes['D']} input(s), K = {sizes['K']} output(s); {acts}"
        f"· is the matrix product{'; ⊙ multiplies entry by entry' if entrywise else ''}."
    )
    if max(sizes["H"], sizes["D"], sizes["K"]) > 4:
        note += (
            " On the terminal a vector or matrix larger than 4 is shown as its shape and norm;"
            " files and JSON keep every number."
        )
    return note


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
    steps = []
    softmax = q.arrays and q.trace.problem.loss == "softmax-ce"
    for t in range(1, q.trace.n + 1):
        for k in q.spec.names:
            form = q.equation(k, t)
            if q.arrays:  # vectors are shown as they are, their functions not written out
                steps.append(Step(q.value(k, t), form, t=t))
                continue
            collapsed = collapse_sums(_collapse_arguments(form))
            written = spell_out(collapsed) or (collapsed if collapsed != form else None)
            steps.append(Step(q.value(k, t), form, spelled=written, t=t))
        if softmax:
            p = Ref(indexed("p", t), shown(q.trace.softmax[t - 1]))
            steps.append(Step(p, Call("softmax", q.value("y", t)), t=t))
    loss = Add(tuple(q.loss_at(t) for t in q.trace.target_steps))
    steps.append(Step(Ref(LOSS, q.trace.loss), loss))
    return Section("forward", "Calculations for the forward pass", tuple(steps))


class _Arguments(Rebuild):
    """A function's sum argument replaced by its value, as by hand: σ(0.95 · 1 + …) becomes σ(3.2) (a
    name or a single product is short enough to keep: σ(1 · 0.462117))."""

    def __init__(self) -> None:
        super().__init__(lambda leaf: leaf)

    def call(self, call: Call) -> Form:
        if not isinstance(call.arg, Add):
            return Call(call.function, self(call.arg))
        return Call(call.function, Ref(Name("(…)", r"(\dots)", "sum"), evaluate_as_written(call.arg)))


def _collapse_arguments(form: Form) -> Form:
    """See ``_Arguments``."""
    return _Arguments()(form)


def local_section(q: Quantities, used: set[tuple[str, str, int]]) -> Section:
    """dL_t/dy_t, then each local derivative that a later line uses: from the output back to the input,
    one partial at a time, step by step."""
    steps = [
        Step(q.dL_dy(t), q.local_loss(t), t=t) if q.arrays else _collapsed(q.dL_dy(t), q.local_loss(t), t)
        for t in q.trace.target_steps
    ]
    g = q.plan.graph
    for k in reversed(g.names):
        for u in sorted(u for u in g.edges(k) if u not in g.params):
            steps += [_local(q, k, u, t) for t in range(1, q.trace.n + 1) if (k, u, t) in used]
    if not q.arrays:
        return Section("local", "Local derivatives", tuple(steps))
    if q.spec.plain and q.spec.activation != "custom":
        note = f"dh_t/do_t is diagonal: {q.spec.activation} acts on each unit alone."
    else:
        note = "diag(…) is a diagonal matrix: its function acts on each unit alone."
    return Section("local", "Local derivatives (Jacobians)", tuple(steps), note=note)


def _local(q: Quantities, k: str, u: str, t: int) -> Step:
    """One local derivative at step t: its rule, the rule with numbers, its value (a Jacobian for
    vectors: diag(…) and matrices)."""
    if not q.arrays:
        return _collapsed(q.partial(k, u, t), q.form(k, u, t), t)
    return Step(q.partial(k, u, t), q.jacobian(k, u, t), t=t)


def _collapsed(target: Ref, rule: Form, t: int) -> Step:
    """A local derivative whose working evaluates sums in products: h_1 · (1 - h_1) = 0.880797 · 0.119203."""
    working = collapse_sums(rule)
    return Step(target, rule, working if working != rule else None, t=t)


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
        note = COLUMNS_NOTE if q.arrays else None
        return Section("totals", "Derivatives through time", tuple(steps), note=note)

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


COLUMNS_NOTE = (
    "On vectors a total dk_t/dθ is a matrix: a row for each entry of k_t, a column for each entry of θ "
    "(a matrix θ's entries row by row: W[1,1], W[1,2], …); dL_t/dθ = dL_t/dy_t · (the chain) is then a "
    "row, written as θ's shape."
)


def gradient_name(q: Quantities, theta: str) -> Name:
    """dL/dθ for a parameter or an initial state."""
    return gradient(theta) if theta in q.spec.params else derivative(LOSS, q.theta(theta))


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
        for j, u, at in self.parts(k, t):
            if q.arrays:  # a column: the Jacobian's transpose times dL/dj
                parts.append(product(q.transposed(j, u, at), self.adjoint_form(j, at)))
            else:
                parts.append(product(self.adjoint_form(j, at), q.partial(j, u, at)))
        return addition(parts)

    def deltas_section(self) -> Section:
        """Every named adjoint from t = n down to 1, the later quantities of a step first."""
        q = self.q
        steps = [
            Step(q.adjoint(k, t), self.rule(k, t), t=t) for t in range(self.n, 0, -1) for k in self.named
        ]
        lead = (self.vector_lead() if q.arrays else DELTA_LEAD) if q.delta_of is not None else ADJOINT_LEAD
        return Section("deltas", "Deltas, backward in time", tuple(steps), lead)

    def vector_lead(self) -> Name:
        """δ_t's rule for columns: with a and W_h for the built-in cell, with Jacobians for any other."""
        return VECTOR_DELTA_LEAD if {"a", "Wh"} <= set(self.q.spec.params) else JACOBIAN_DELTA_LEAD

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
        """dθ as the sum of each step's share, each with its value."""
        if self.q.arrays:
            return self.array_gradient_section(theta, suffix)
        q = self.q
        terms = [step for t in range(1, self.n + 1) if (step := self.share(theta, t)) is not None]
        value = q.trace.backward.gradients[theta]  # type: ignore[union-attr]
        if terms:
            total = Step(
                Ref(gradient_name(q, theta), value),
                Add(tuple(step.target for step in terms)),
                Add(tuple(step.rule for step in terms if step.rule is not None)),
            )
        else:
            total = Step(Ref(gradient_name(q, theta), value), Const(Fraction(0)))
        return Section(f"bgrad:{theta}", f"d{q.theta(theta).text}{suffix}", (*terms, total))

    def array_share(self, theta: str, t: int) -> Form | None:
        """Step t's share of dL/dθ for vectors: δ_t · x_{t-1}ᵀ for a matrix in a matrix product, δ_t for
        a vector added, the transposed Jacobian times δ_1 for an initial state; None when nothing."""
        q = self.q
        forms: list[Form] = []
        for j, u in self.plan.gradient_uses(theta, t):
            if self.silent(j, t):
                continue
            adjoint = self.adjoint_form(j, t)
            if u != theta:  # the initial state, through what reads it at step 1
                forms.append(product(q.transposed(j, u, t), adjoint))
                continue
            for term in q.trace.net.maps[j, u]:
                forms.append(self._share_term(adjoint, term, t))
        return addition(forms) if forms else None

    def _share_term(self, adjoint: Form, term: tuple[tuple[object, ...], ...], t: int) -> Form:
        """One term of a parameter's share: diagonal factors entry by entry (⊙), then δ ⊗ v or Σ(δ)."""
        from .quantities import array_form

        q = self.q
        factors: list[Form] = []

        def scaled() -> Form:
            return Mul((*factors, adjoint), hadamard=True) if factors else adjoint

        for factor in term:
            kind = factor[0]
            if kind == "outer":
                return Mul((scaled(), q.row(factor[1], t)))
            if kind == "outer_left":  # x · W_x: W_x's share is x_{t-1} · δ_tᵀ
                column = fill(array_form(factor[1], q.trace.net.shapes), q.binding(t))
                return Mul((column, q.as_row(scaled())))
            if kind == "diag":
                factors.append(fill(array_form(factor[1], q.trace.net.shapes), q.binding(t)))
            if kind == "sum":
                return Call("sum", scaled())
        return scaled()

    def array_gradient_section(self, theta: str, suffix: str) -> Section:
        """dθ for vectors: each step's product on a line of its own (dL/dW_i (t = 1) = δ_1 · x_0ᵀ), then
        their sum; a sum of adjoints (dL/db = δ_1 + δ_2) or a single product on one line."""
        q = self.q
        shares = {t: f for t in range(1, self.n + 1) if (f := self.array_share(theta, t)) is not None}
        value = shown(q.trace.backward.gradients[theta])  # type: ignore[union-attr]
        total = Ref(gradient_name(q, theta), value)
        title = f"d{q.theta(theta).text}{suffix}"
        bare = all(isinstance(f, Ref) for f in shares.values())
        if bare or len(shares) == 1:
            rule = addition(list(shares.values()))
            return Section(f"bgrad:{theta}", title, (Step(total, rule),))
        steps = []
        for t, form in shares.items():
            name = gradient_name(q, theta)
            label = Name(f"{name.text} (t = {t})", rf"{name.latex}\Big|_{{t={t}}}", f"{name.key}@{t}")
            part = q.trace.backward.terms[theta][t - 1]  # type: ignore[union-attr]
            steps.append(Step(Ref(label, shown(part)), form, t=t))
        rule = Add(tuple(step.target for step in steps))
        return Section(f"bgrad:{theta}", title, (*steps, Step(total, rule)))


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
