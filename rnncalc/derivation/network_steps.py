"""A network's derivation in the worked example's order: loss, model, knowns, forward pass, local
derivatives, totals through time (forward mode) or deltas (reverse mode), then each gradient."""

from __future__ import annotations

from fractions import Fraction

from ..cell.states import PREV, initial
from ..compute.network import wrt
from ..compute.problem import CUSTOM_LOSS, Problem
from .formula import Add, Const, Form, Mul, Name, Ref, collapse_sums, fill
from .model import Section, Step
from .names import LOSS, gradient
from .network_quantities import NetQuantities
from .quantities import expr_template, spell_out


def _product(parts: list[Form]) -> Form:
    """One term as is; several as a sum; none as 0."""
    if not parts:
        return Const(Fraction(0))
    return parts[0] if len(parts) == 1 else Add(tuple(parts))


def loss_section(q: NetQuantities, problem: Problem, lead: Name) -> Section:
    """The loss written out for this n (only the steps with a target)."""
    terms = Add(tuple(q.at(q.net.loss, t) for t in q.trace.target_steps))
    steps = [Step(Ref(LOSS, q.trace.loss), terms, definition=True)]
    if problem.loss == CUSTOM_LOSS:  # the user's term, as parsed: ℓ_t = |g_t - y_t|
        term = Ref(Name("ℓ_t", r"\ell_{t}", "loss_term"), 0.0)
        steps.insert(0, Step(term, fill(expr_template(q.net.loss), q.generic_binding()), definition=True))
    return Section("loss", problem.loss.upper(), tuple(steps), lead)


def model_section(q: NetQuantities) -> Section:
    """Each equation at a generic step t, in the order the cell evaluates them."""
    binding = q.generic_binding()
    steps = [
        Step(binding[e.name], fill(expr_template(e.expr), binding), definition=True)  # type: ignore[arg-type]
        for e in q.net.spec.equations
    ]
    return Section("model", "Forward pass", tuple(steps))


def known_section(q: NetQuantities) -> Section:
    """Inputs, targets, initial states and parameters."""
    n = q.trace.n
    steps = [Step(q.stream(s, i), t=i + 1) for s in q.net.spec.inputs for i in range(n)]
    steps += [Step(q.g(t), t=t) for t in q.trace.target_steps]
    steps += [Step(q.value(s, 0)) for s in q.net.states]
    steps += [Step(q.params[p]) for p in q.net.params]  # type: ignore[arg-type]
    return Section("known", "Known parameters", tuple(steps))


def forward_section(q: NetQuantities) -> Section:
    """Every named quantity at every step, with its numbers and its value; then the loss."""
    steps = []
    for t in range(1, q.trace.n + 1):
        for e in q.net.spec.equations:
            form = q.at(e.expr, t)
            collapsed = collapse_sums(_collapse_arguments(form))
            written = spell_out(collapsed) or (collapsed if collapsed != form else None)
            steps.append(Step(q.value(e.name, t), form, spelled=written, t=t))
    loss = Add(tuple(q.at(q.net.loss, t) for t in q.trace.target_steps))
    steps.append(Step(Ref(LOSS, q.trace.loss), loss))
    return Section("forward", "Calculations for the forward pass", tuple(steps))


def _collapse_arguments(form: Form) -> Form:
    """A function's argument replaced by its value, as by hand: σ(0.95 · 1 + …) becomes σ(3.2)."""
    from .formula import Call, Rebuild, evaluate_as_written

    class _Arguments(Rebuild):
        def __init__(self) -> None:
            super().__init__(lambda leaf: leaf)

        def call(self, call: Call) -> Form:
            arg = (
                call.arg
                if isinstance(call.arg, (Ref, Const))
                else Ref(Name("(…)", r"(\dots)", "sum"), evaluate_as_written(call.arg))
            )
            return Call(call.function, arg)

    return _Arguments()(form)


def local_section(q: NetQuantities) -> Section:
    """dL_t/dy_t, then ∂k_t/∂u for each equation k and each quantity u it reads (SymPy's derivatives)."""
    steps = [Step(q.dL_dy(t), q.at(q.net.dL_dy, t), t=t) for t in q.trace.target_steps]
    for e in q.net.spec.equations:
        for u in q.net.partials[e.name]:
            if u in q.net.params:
                continue
            for t in range(1, q.trace.n + 1):
                rule = q.partial_rule(e.name, u, t)
                working = collapse_sums(rule)
                steps.append(Step(q.partial(e.name, u, t), rule, working if working != rule else None, t=t))
    return Section("local", "Local derivatives", tuple(steps))


def _total_rule(q: NetQuantities, k: str, theta: str, t: int) -> Form:
    """dk_t/dθ = ∂k_t/∂θ + Σ_u ∂k_t/∂u · du/dθ over what k reads (names now, states before)."""
    now, before = q.reached(theta, t), q.reached(theta, t - 1)
    parts: list[Form] = []
    for u in q.net.partials[k]:
        if u == theta:
            parts.append(q.partial_rule(k, u, t))
        elif u in now:
            parts.append(Mul((q.partial(k, u, t), q.total(u, theta, t))))
        elif u.endswith(PREV) and u[: -len(PREV)] in before:
            state = u[: -len(PREV)]
            starts = t == 1 and initial(state) == theta  # ds_0/ds_0 = 1
            parts.append(
                q.partial(k, u, t) if starts else Mul((q.partial(k, u, t), q.total(state, theta, t - 1)))
            )
    return _product(parts)


def totals_section(q: NetQuantities) -> Section:
    """dk_t/dθ for every θ and every quantity k it reaches, carried forward in time."""
    steps = [
        Step(q.total(e.name, theta, t), _total_rule(q, e.name, theta, t), t=t)
        for theta in wrt(q.net)
        for t in range(1, q.trace.n + 1)
        for e in q.net.spec.equations
        if e.name in q.reached(theta, t)
    ]
    return Section("totals", "Derivatives through time", tuple(steps))


def gradient_section(q: NetQuantities, theta: str, per_step: bool) -> Section:
    """dθ on one line: the sum of the dL_t/dθ, each dL_t/dy_t · dy_t/dθ, then numbers, then the value."""
    steps_with = [t for t in q.trace.target_steps if "y" in q.reached(theta, t)]
    chains = {t: Mul((q.dL_dy(t), q.total("y", theta, t))) for t in steps_with}
    steps = [Step(q.term(theta, t), chain, t=t) for t, chain in chains.items()] if per_step else []
    total = Ref(gradient_name(q, theta), q.trace.gradients[theta])
    rule = _product([q.term(theta, t) for t in steps_with])
    working = _product(list(chains.values()))
    steps.append(Step(total, rule, working, expansion=None if per_step or not chains else working))
    return Section(f"grad:{theta}", f"d{q.theta(theta).text}", tuple(steps))


def gradient_name(q: NetQuantities, theta: str) -> Name:
    """dL/dθ for a parameter or an initial state."""
    return gradient(theta) if theta in q.net.params else _initial_gradient(q, theta)


def _initial_gradient(q: NetQuantities, key: str) -> Name:
    """dL/ds_0."""
    from .names import derivative

    return derivative(LOSS, q.theta(key))


ADJOINT_LEAD = Name(
    "dL/dk_t = dL_t/dy_t (k = y) + Σ_j dL/dj_t · ∂j_t/∂k_t + Σ_j dL/dj_{t+1} · ∂j_{t+1}/∂k_t (k a state)",
    r"\frac{dL}{dk_{t}} = \frac{dL_{t}}{dy_{t}}\Big|_{k=y} + \sum_{j} \frac{dL}{dj_{t}} "
    r"\frac{\partial j_{t}}{\partial k_{t}} + \sum_{j} \frac{dL}{dj_{t+1}} "
    r"\frac{\partial j_{t+1}}{\partial k_{t}}",
    "adjoint",
)


def _adjoint_rule(q: NetQuantities, k: str, t: int) -> Form:
    """dL/dk_t from what reads k_t: the loss, later equations at t, and equations at t + 1 (states)."""
    parts: list[Form] = []
    if k == "y" and q.trace.has_target(t):
        parts.append(q.dL_dy(t))
    for e in q.net.spec.equations:
        if k in q.net.partials[e.name]:
            parts.append(Mul((q.adjoint(e.name, t), q.partial(e.name, k, t))))
    if t < q.trace.n:
        for e in q.net.spec.equations:
            if k + PREV in q.net.partials[e.name]:
                parts.append(Mul((q.adjoint(e.name, t + 1), q.partial(e.name, k + PREV, t + 1))))
    return _product(parts)


def adjoint_section(q: NetQuantities) -> Section:
    """dL/dk_t for every quantity, from t = n down to 1, then dL/ds_0 for every state."""
    steps = [
        Step(q.adjoint(e.name, t), _adjoint_rule(q, e.name, t), t=t)
        for t in range(q.trace.n, 0, -1)
        for e in reversed(q.net.spec.equations)
    ]
    for s in q.net.states:
        parts: list[Form] = [
            Mul((q.adjoint(e.name, 1), q.partial(e.name, s + PREV, 1)))
            for e in q.net.spec.equations
            if s + PREV in q.net.partials[e.name]
        ]
        key = initial(s)
        steps.append(Step(Ref(gradient_name(q, key), q.trace.backward_gradients[key]), _product(parts), t=0))
    return Section("deltas", "Deltas, backward in time", tuple(steps), ADJOINT_LEAD)


def backward_gradient_section(q: NetQuantities, p: str, suffix: str) -> Section:
    """dθ = Σ_t Σ_j dL/dj_t · ∂j_t/∂θ over the equations j that use θ."""
    users = [e.name for e in q.net.spec.equations if p in q.net.partials[e.name]]
    parts: list[Form] = [
        Mul((q.adjoint(j, t), q.partial_rule(j, p, t))) for t in range(1, q.trace.n + 1) for j in users
    ]
    step = Step(Ref(gradient(p), q.trace.backward_gradients[p]), _product(parts))
    return Section(f"bgrad:{p}", f"d{q.theta(p).text}{suffix}", (step,))
