"""The named quantities of one trace as references carrying their values, and the cell's forms per step."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..cell.states import PREV, initial, state_of
from ..engine.plan import Chain, Direct, Link, Term
from .formula import Call, Form, Mul, Name, Rebuild, Ref, fill, from_template
from .names import LOSS, derivative, indexed, initial_state, parameter, partial

if TYPE_CHECKING:
    from ..cell.template import Template
    from ..compute.run import Trace
    from ..engine.written import Written


@functools.lru_cache(maxsize=4096)
def template(data: Template) -> Form:
    """A display template as a formula (made once per template)."""
    return from_template(data)


@functools.lru_cache(maxsize=64)
def closed_form(function: str) -> Form | None:
    """A function spelled out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if it has one."""
    from ..cell.data import spelled
    from ..cell.functions import BY_SHOWN_NAME

    record = BY_SHOWN_NAME.get(function)
    if record is None or not record.spell_out:
        return None
    shipped = spelled(function)
    return from_template(shipped) if shipped is not None else None


class SpellOut(Rebuild):
    """Functions written out with their argument's value: σ(2) becomes 1/(1 + e^(-2))."""

    def __init__(self) -> None:
        super().__init__(lambda leaf: leaf)

    def call(self, form: Call) -> Form:
        written, arg = closed_form(form.function), self(form.arg)
        return fill(written, {"z": arg}) if written is not None else Call(form.function, arg)


def spell_out(form: Form) -> Form | None:
    """The form with its functions written out, or None when it has none to write out."""
    written = SpellOut()(form)
    return None if written == form else written


def generic(symbol: str, previous: bool = False) -> Ref:
    """A quantity at a generic step: a_t, or x_{t-1} and s_{t-1} for what step t reads from before."""
    text = f"{symbol}_{{t-1}}" if previous else f"{symbol}_t"
    return Ref(Name(text, f"{symbol}_{{t-1}}" if previous else f"{symbol}_{{t}}", text), 0.0)


DELTA = "δ"


class Quantities:
    """The named quantities of one trace (its values, partials, totals and adjoints) as references."""

    def __init__(self, trace: Trace, forms: Written) -> None:
        """Index a trace and the forms its cell is shown by."""
        self.trace = trace
        self.forms = forms
        self.plan = trace.plan
        self.spec = trace.net.spec
        self.params: dict[str, Form] = {p: Ref(parameter(p), v, given=True) for p, v in trace.params.items()}
        self._bindings: dict[int, dict[str, Form]] = {}
        carriers = [k for k in self.plan.adjoint_carriers if not (k == "y" and self.plan.trivial_output())]
        self.delta_of = carriers[0] if len(carriers) == 1 and self.spec.plain else None

    def theta(self, key: str) -> Name:
        """How a parameter or initial state is named: W_i, ba, s_0."""
        state = next((s for s in self.spec.states if initial(s) == key), None)
        return initial_state(state) if state is not None else parameter(key)

    def stream(self, name: str, i: int) -> Ref:
        """Input ``name`` at index i (read by step i + 1)."""
        return Ref(indexed(name, i), self.trace.streams[name][i], given=True)

    def value(self, name: str, t: int) -> Ref:
        """A named quantity at step t (t = 0: a state's initial value)."""
        return Ref(indexed(name, t), self.trace.value(name, t), given=t == 0)

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), self.trace.g[t - 1], given=True)

    def below(self, u: str, t: int) -> Name:
        """The name a partial is taken by at step t: a_t, s_{t-1} for s_prev, or a parameter."""
        state = state_of(u)
        if state is not None:
            return indexed(state, t - 1)
        if u in self.spec.names or u in self.spec.inputs:
            return indexed(u, t - (1 if u in self.spec.inputs else 0))
        return parameter(u)

    def single(self, k: str) -> bool:
        """k's formula reads one quantity: its local derivative is also the total one, written d."""
        g = self.plan.graph
        return len([u for u in g.edges(k) if u not in g.params]) <= 1

    def partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u: a local derivative at step t (written dk/du when k reads nothing else)."""
        top, bottom = indexed(k, t), self.below(u, t)
        name = derivative(top, bottom) if self.single(k) else partial(top, bottom)
        return Ref(name, self.trace.partials[k, u][t - 1])

    def link(self, link: Link, t: int) -> Ref:
        """A partial of a chain, at step t + dt."""
        k, u, dt = link
        return self.partial(k, u, t + dt)

    def form(self, k: str, u: str, t: int) -> Form:
        """The local derivative's form at step t, in that step's quantities."""
        return fill(template(self.forms.partials[f"{k}|{u}"]), self.binding(t))

    def equation(self, k: str, t: int) -> Form:
        """k's formula at step t."""
        return fill(template(self.forms.equations[k]), self.binding(t))

    def total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, the total derivative carried through time."""
        column = self.trace.forward.totals[theta].get(k) if self.trace.forward else None
        return Ref(derivative(indexed(k, t), self.theta(theta)), column[t - 1] if column else 0.0)

    def term(self, theta: str, t: int) -> Ref:
        """Step t's share dL_t/dθ (forward mode)."""
        value = self.trace.forward.terms[theta][t - 1] if self.trace.forward else 0.0
        return Ref(derivative(indexed("L", t), self.theta(theta)), value)

    def dL_dy(self, t: int) -> Ref:
        """dL_t/dy_t."""
        return Ref(derivative(indexed("L", t), indexed("y", t)), self.trace.dL_dy[t - 1])

    def adjoint(self, k: str, t: int) -> Ref:
        """dL/dk_t (δ_t when one quantity carries every adjoint of the worked example's cell)."""
        value = self.trace.backward.adjoints[k][t - 1] if self.trace.backward else 0.0
        if k == self.delta_of:
            return Ref(Name(f"{DELTA}_{t}", rf"\delta_{{{t}}}", f"delta_{t}"), value)
        return Ref(derivative(LOSS, indexed(k, t)), value)

    def chain(self, chain: Chain, t: int, theta: str) -> Form:
        """A chain's partials and the total it ends in, as a product (one link back to the initial state
        θ itself: that partial's form)."""
        factors: list[Form] = [self.link(link, t) for link in chain.links]
        if chain.end is None:
            k, u, dt = chain.links[0]
            return self.form(k, u, t + dt) if len(chain.links) == 1 else Mul(tuple(factors))
        factors.append(self.total(chain.end[0], theta, t + chain.end[1]))
        return factors[0] if len(factors) == 1 else Mul(tuple(factors))

    def rule_term(self, term: Term, k: str, theta: str, t: int) -> Form:
        """One term of dk_t/dθ."""
        if isinstance(term, Direct):
            return self.form(k, term.use, t)
        return self.chain(term, t, theta)

    def binding(self, t: int) -> dict[str, Form]:
        """What the cell's symbols mean at step t (made once per step)."""
        if t not in self._bindings:
            step: dict[str, Form] = {s: self.stream(s, t - 1) for s in self.spec.inputs}
            step |= {s + PREV: self.value(s, t - 1) for s in self.spec.states}
            step |= {k: self.value(k, t) for k in self.spec.names}
            self._bindings[t] = step | {"g": self.g(t)} | self.params
        return self._bindings[t]

    def generic_binding(self) -> dict[str, Form]:
        """The cell's symbols at a generic step t."""
        step: dict[str, Form] = {s: generic(s, True) for s in self.spec.inputs}
        step |= {s + PREV: generic(s, True) for s in self.spec.states}
        step |= {k: generic(k) for k in self.spec.names}
        return step | {"g": generic("g")} | self.params

    def loss_at(self, t: int) -> Form:
        """Step t's loss term."""
        return fill(template(self.forms.loss), self.binding(t))

    def local_loss(self, t: int) -> Form:
        """dL_t/dy_t's form at step t."""
        return fill(template(self.forms.dL_dy), self.binding(t))
