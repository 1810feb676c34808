"""How a line is written, for numbers or for arrays: one record each, the derivation's side of compute.values.

The section builder (sections.py) asks ``writing_of(q)`` for the record and uses it, never which kind
a problem is. Numbers are written as the worked example writes them: a local derivative's rule, then the
rule with numbers, sums in products collapsed to their values, functions spelled out. Arrays are
written as columns: each local derivative a Jacobian (diag(…), a parameter matrix), each adjoint the
transposed Jacobian times the adjoint after it, and each step's share of a gradient a product of its own.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..cell.losses import LOSSES, VECTOR_TEXT, Loss
from ..tensor import shown
from .forms import array_form, generic, spell_out
from .formula import Add, Call, Const, Form, Mul, Name, Rebuild, Ref, collapse_sums, evaluate_as_written, fill
from .model import Section, Step
from .names import LOSS, derivative, gradient, indexed

if TYPE_CHECKING:
    from ..compute.problem import Problem
    from .quantities import Quantities

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


def gradient_name(q: Quantities, theta: str) -> Name:
    """dL/dθ for a parameter or an initial state."""
    return gradient(theta) if theta in q.spec.params else derivative(LOSS, q.theta(theta))


COLUMNS_NOTE = (
    "On vectors a total dk_t/dθ is a matrix: a row for each entry of k_t, a column for each entry of θ "
    "(a matrix θ's entries row by row: W[1,1], W[1,2], …); dL_t/dθ = dL_t/dy_t · (the chain) is then a "
    "row, written as θ's shape."
)


class NumberWriting:
    """Numbers, as the worked example writes them."""

    local_title = "Local derivatives"
    totals_note: str | None = None

    def loss_record(self, problem: Problem) -> Loss:
        """The loss as its registry record writes it."""
        return LOSSES[problem.loss]

    def custom_lead(self, problem: Problem) -> Name:
        """L for a loss term of the user's own (the term itself is a step of the section)."""
        return Name("L = Σ_t ℓ_t", r"L = \sum_{t} \ell_{t}", "custom")

    def loss_forms(self, q: Quantities, problem: Problem) -> Any:
        """The forms the loss term ℓ_t is written from (weighted)."""
        return q.forms

    def model_section(self, q: Quantities, steps: list[Step]) -> Section:
        """The equations at a generic step."""
        return Section("model", "Forward pass", tuple(steps))

    def forward_steps(self, q: Quantities, k: str, t: int) -> list[Step]:
        """k_t with its numbers and value: function arguments that are sums collapsed to their values, a
        function spelled out (σ(0.73) = 1/(1 + e^(-0.73)))."""
        form = q.equation(k, t)
        collapsed = collapse_sums(_collapse_arguments(form))
        written = spell_out(collapsed) or (collapsed if collapsed != form else None)
        return [Step(q.value(k, t), form, spelled=written, t=t)]

    def local(self, target: Ref, rule: Form, t: int) -> Step:
        """A local derivative, sums in its products evaluated: h_1 · (1 - h_1) = 0.880797 · 0.119203."""
        working = collapse_sums(rule)
        return Step(target, rule, working if working != rule else None, t=t)

    def local_note(self, q: Quantities) -> str | None:
        """What the local derivatives section notes."""
        return None

    def adjoint_part(self, q: Quantities, adjoint: Form, j: str, u: str, at: int) -> Form:
        """One part of dL/du: dL/dj · ∂j/∂u."""
        return product(adjoint, q.partial(j, u, at))

    def delta_lead(self, q: Quantities) -> Name:
        """δ_t's rule, as the worked example writes it."""
        return DELTA_LEAD

    def share(self, b: Any, theta: str, t: int) -> Form | None:
        """A number's share: dL_t/dk_s · ∂k_s/∂θ over what reads θ at step s."""
        step = b.share(theta, t)
        return step.rule if step is not None else None

    def gradient_section(self, b: Any, theta: str, suffix: str) -> Section:
        """dθ as the sum of each step's share, each with its value."""
        q = b.q
        terms = [step for t in range(1, b.n + 1) if (step := b.share(theta, t)) is not None]
        value = q.trace.backward.gradients[theta]
        if terms:
            total = Step(
                Ref(gradient_name(q, theta), value),
                Add(tuple(step.target for step in terms)),
                Add(tuple(step.rule for step in terms if step.rule is not None)),
            )
        else:
            total = Step(Ref(gradient_name(q, theta), value), Const(Fraction(0)))
        return Section(f"bgrad:{theta}", f"d{q.theta(theta).text}{suffix}", (*terms, total))


class ArrayWriting(NumberWriting):
    """Vectors and matrices as columns: Jacobians, transposed Jacobians times adjoints, shares as products."""

    local_title = "Local derivatives (Jacobians)"
    totals_note = COLUMNS_NOTE

    def loss_record(self, problem: Problem) -> Loss:
        """The loss over a vector's entries (with norms)."""
        import dataclasses

        text, latex = VECTOR_TEXT[problem.loss]
        loss = LOSSES.get(problem.loss) or LOSSES["mse"]
        return dataclasses.replace(loss, name=problem.loss, text=text, latex=latex)

    def custom_lead(self, problem: Problem) -> Name:
        """L for a loss term of the user's own, taken entry by entry (the weight 1/n in L, not in ℓ_t)."""
        mean = problem.reduce_time == "mean"
        text, latex = ("1/n ", r"\frac{1}{n} ") if mean else ("", "")
        return Name(
            f"L = {text}Σ_t Σ ℓ_t, ℓ_t entry by entry, Σ over its entries",
            f"L = {latex}"
            r"\sum_{t} \textstyle\sum \ell_{t},\ \ell_{t} \text{ entry by entry, } \textstyle\sum"
            r" \text{ over its entries}",
            "custom",
        )

    def loss_forms(self, q: Quantities, problem: Problem) -> Any:
        """The forms with the loss term unweighted (each step's weight is written in L)."""
        return unweighted(q, problem)

    def model_section(self, q: Quantities, steps: list[Step]) -> Section:
        """The equations at a generic step, softmax's p after y, and a note of the sizes."""
        if q.trace.problem.loss == "softmax-ce":
            steps.append(Step(generic("p"), Call("softmax", generic("y")), definition=True))
        return Section("model", "Forward pass", tuple(steps), note=_sizes_note(q))

    def forward_steps(self, q: Quantities, k: str, t: int) -> list[Step]:
        """k_t as it is, its functions not written out (and softmax's p_t after y_t)."""
        steps = [Step(q.value(k, t), q.equation(k, t), t=t)]
        if k == q.spec.names[-1] and q.trace.problem.loss == "softmax-ce":  # after the step's last
            p = Ref(indexed("p", t), shown(q.trace.softmax[t - 1]))
            steps.append(Step(p, Call("softmax", q.value("y", t)), t=t))
        return steps

    def local(self, target: Ref, rule: Form, t: int) -> Step:
        """A Jacobian: its rule, then its value."""
        return Step(target, rule, t=t)

    def local_note(self, q: Quantities) -> str | None:
        """Which Jacobians are diagonal."""
        if q.spec.plain and q.spec.activation != "custom":
            return f"dh_t/do_t is diagonal: {q.spec.activation} acts on each unit alone."
        return "diag(…) is a diagonal matrix: its function acts on each unit alone."

    def adjoint_part(self, q: Quantities, adjoint: Form, j: str, u: str, at: int) -> Form:
        """A column: the Jacobian's transpose times dL/dj."""
        return product(q.transposed(j, u, at), adjoint)  # type: ignore[attr-defined]

    def delta_lead(self, q: Quantities) -> Name:
        """δ_t's rule for columns: with a and W_h for the built-in cell, with Jacobians for any other."""
        return VECTOR_DELTA_LEAD if {"a", "Wh"} <= set(q.spec.params) else JACOBIAN_DELTA_LEAD

    def share(self, b: Any, theta: str, t: int) -> Form | None:
        """Step t's share of dL/dθ for vectors: δ_t · x_{t-1}ᵀ for a matrix in a matrix product, δ_t for
        a vector added, the transposed Jacobian times δ_1 for an initial state; None when nothing."""
        forms = [
            self.use_share(b.q, b.adjoint_form(j, t), j, u, theta, t)
            for j, u in b.plan.gradient_uses(theta, t)
            if not b.silent(j, t)
        ]
        return addition(forms) if forms else None

    def use_share(self, q: Any, adjoint: Form, j: str, u: str, theta: str, t: int) -> Form:
        """The part of step t's share that comes through j_t reading u: the transposed Jacobian times
        the adjoint for an initial state, else each term's product (δ_t · x_{t-1}ᵀ)."""
        if u != theta:  # the initial state, through what reads it at step 1
            return product(q.transposed(j, u, t), adjoint)
        return addition([self._share_term(q, adjoint, term, t) for term in q.trace.net.maps[j, u]])

    def _share_term(self, q: Any, adjoint: Form, term: tuple[tuple[object, ...], ...], t: int) -> Form:
        """One term of a parameter's share: diagonal factors entry by entry (⊙), then δ ⊗ v or Σ(δ)."""
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

    def gradient_section(self, b: Any, theta: str, suffix: str) -> Section:
        """dθ for vectors: each step's product on a line of its own (dL/dW_i (t = 1) = δ_1 · x_0ᵀ), then
        their sum; a sum of adjoints (dL/db = δ_1 + δ_2) or a single product on one line."""
        q = b.q
        shares = {t: f for t in range(1, b.n + 1) if (f := self.share(b, theta, t)) is not None}
        value = shown(q.trace.backward.gradients[theta])
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
            part = q.trace.backward.terms[theta][t - 1]
            steps.append(Step(Ref(label, shown(part)), form, t=t))
        rule = Add(tuple(step.target for step in steps))
        return Section(f"bgrad:{theta}", title, (*steps, Step(total, rule)))


def unweighted(q: Quantities, problem: Problem) -> Any:
    """A vector problem's forms with its loss term unweighted (each step's weight is written in L)."""
    if problem.loss_weight == 1:
        return q.forms
    from ..engine.written import written

    return written(q.trace.net, problem.loss, Fraction(1), problem.loss_term)


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


WRITINGS: dict[str, NumberWriting] = {"numbers": NumberWriting(), "arrays": ArrayWriting()}
"""How lines are written, for each kind of value (compute.values), by the quantities' ``values_name``."""


def writing_of(q: Quantities) -> NumberWriting:
    """The record of how the quantities' lines are written."""
    return WRITINGS[q.values_name]
