"""The named quantities of one trace as references carrying their values, and the cell's forms per step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cell.states import PREV, initial, state_of
from ..engine.plan import Chain, Direct, Link, Term
from ..tensor import shown
from .forms import generic, template
from .formula import Form, Mul, Name, Ref, fill
from .names import LOSS, derivative, indexed, initial_state, parameter, partial

if TYPE_CHECKING:
    from ..compute.trace import Trace
    from ..engine.written import Written


DELTA = "δ"


class Quantities:
    """The named quantities of one trace (its values, partials, totals and adjoints) as references: of
    numbers here, of arrays in ``jacobians.ArrayQuantities``."""

    values_name = "numbers"
    """The kind of value (compute.values: NUMBERS.name) the records of writing are looked up by."""

    def __init__(self, trace: Trace, forms: Written) -> None:
        """Index a trace and the forms its cell is shown by."""
        self.trace = trace
        self.forms = forms
        self.plan = trace.plan
        self.spec = trace.net.spec
        self.params: dict[str, Form] = {p: Ref(parameter(p), v, given=True) for p, v in trace.params.items()}
        self._bindings: dict[int, dict[str, Form]] = {}
        self._thetas: dict[str, Name] = {}
        self._single: dict[str, bool] = {}
        self._partials: dict[tuple[str, str, int], Ref] = {}
        self._totals: dict[tuple[str, str, int], Ref] = {}
        carriers = [k for k in self.plan.adjoint_carriers if not (k == "y" and self.plan.trivial_output())]
        self.delta_of = carriers[0] if len(carriers) == 1 and self.spec.plain else None
        self.loss_name = LOSS
        """The loss the adjoints are of: L, or one loss term L_t (truncated BPTT)."""

    def theta(self, key: str) -> Name:
        """How a parameter or initial state is named: W_i, ba, s_0."""
        name = self._thetas.get(key)
        if name is None:
            state = next((s for s in self.spec.states if initial(s) == key), None)
            name = self._thetas[key] = initial_state(state) if state is not None else parameter(key)
        return name

    def stream(self, name: str, i: int) -> Ref:
        """Input ``name`` at index i (read by step i + 1)."""
        return Ref(indexed(name, i), shown(self.trace.streams[name][i]), given=True)

    def value(self, name: str, t: int) -> Ref:
        """A named quantity at step t (t = 0: a state's initial value)."""
        return Ref(indexed(name, t), shown(self.trace.value(name, t)), given=t == 0)

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), shown(self.trace.g[t - 1]), given=True)

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
        found = self._single.get(k)
        if found is None:
            g = self.plan.graph
            found = self._single[k] = len([u for u in g.edges(k) if u not in g.params]) <= 1
        return found

    def local_name(self, k: str, theta: str, t: int) -> Name:
        """k_t's own derivative by θ: ∂o_2/∂W_i for a parameter (the total do_2/dW_i also comes through
        h_1, and both appear side by side in --method both), d for an initial state or when k reads only θ."""
        top = indexed(k, t)
        if theta in self.spec.params or not self.single(k):
            return partial(top, self.theta(theta))
        return derivative(top, self.theta(theta))

    def partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u: a local derivative at step t (written dk/du when k reads nothing else; for vectors
        the Jacobian as a matrix; made once per step)."""
        found = self._partials.get((k, u, t))
        if found is None:
            found = self._partials[k, u, t] = self._partial(k, u, t)
        return found

    def _partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u, made."""
        top, bottom = indexed(k, t), self.below(u, t)
        local = u in self.spec.params  # ∂o_2/∂W_i: the total do_2/dW_i also comes through h_1
        name = derivative(top, bottom) if self.single(k) and not local else partial(top, bottom)
        return self.partial_ref(name, k, u, self.trace.partials[k, u][t - 1])

    def partial_ref(self, name: Name, k: str, u: str, value: Any) -> Ref:
        """∂k_t/∂u named, with its value."""
        return Ref(name, value)

    def link(self, link: Link, t: int) -> Ref:
        """A partial of a chain, at step t + dt."""
        k, u, dt = link
        return self.partial(k, u, t + dt)

    def form(self, k: str, u: str, t: int) -> Form:
        """The local derivative's form at step t, in that step's quantities."""
        return fill(template(self.forms.partials[f"{k}|{u}"]), self.binding(t))

    def equation(self, k: str, t: int) -> Form:
        """k's formula at step t."""
        return fill(self.equation_form(k), self.binding(t))

    def equation_form(self, k: str) -> Form:
        """k's formula with slots."""
        return template(self.forms.equations[k])

    def local_rule(self, k: str, u: str, t: int) -> Form:
        """∂k_t/∂u's rule in step t's quantities."""
        return self.form(k, u, t)

    def dense_partial(self, k: str, u: str, t: int) -> Any:
        """∂k_t/∂u's value, as a number."""
        return self.trace.partials[k, u][t - 1]

    def identity(self, state: str) -> Any:
        """∂s/∂s: 1."""
        return 1.0

    def one(self, state: str) -> Form:
        """∂s/∂s as written: 1."""
        from fractions import Fraction

        from .formula import Const

        return Const(Fraction(1))

    def edge(self, k: str, u: str, t: int) -> tuple[Name, Form, Any]:
        """∂k_t/∂u as the graph labels an edge: its name, its rule and its value."""
        ref = self.partial(k, u, t)
        return ref.name, self.form(k, u, t), ref.value

    def total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, the total derivative carried through time (made once)."""
        found = self._totals.get((k, theta, t))
        if found is None:
            found = self._totals[k, theta, t] = self._total(k, theta, t)
        return found

    def _total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, made."""
        column = self.trace.forward.totals[theta].get(k) if self.trace.forward else None
        return Ref(derivative(indexed(k, t), self.theta(theta)), shown(column[t - 1]) if column else 0.0)

    def term(self, theta: str, t: int) -> Ref:
        """Step t's share dL_t/dθ (forward mode)."""
        value = self.trace.forward.terms[theta][t - 1] if self.trace.forward else 0.0
        return Ref(derivative(indexed("L", t), self.theta(theta)), shown(value))

    def dL_dy(self, t: int) -> Ref:
        """dL_t/dy_t."""
        return Ref(derivative(indexed("L", t), indexed("y", t)), shown(self.trace.dL_dy[t - 1]))

    def adjoint(self, k: str, t: int) -> Ref:
        """dL/dk_t (δ_t when one quantity carries every adjoint of the worked example's cell)."""
        value = shown(self.trace.backward.adjoints[k][t - 1]) if self.trace.backward else 0.0
        if k == self.delta_of:
            return Ref(Name(f"{DELTA}_{t}", rf"\delta_{{{t}}}", f"delta_{t}"), value)
        return Ref(derivative(self.loss_name, indexed(k, t)), value)

    def chain(self, chain: Chain, t: int, theta: str) -> Form:
        """A chain's partials and the total it ends in, as a product (one link back to the initial state
        θ itself: that partial's form)."""
        factors: list[Form] = [self.link(link, t) for link in chain.links]
        if chain.end is None:
            k, u, dt = chain.links[0]
            if len(chain.links) > 1:
                return Mul(tuple(factors))
            return self.local_rule(k, u, t + dt)
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


def identity_ref() -> Ref:
    """I, the identity matrix."""
    return Ref(Name("I", "I", "I"), 1.0, given=True)


def transposed_name(name: Name, brackets: bool = False) -> Name:
    """The transpose: W_hᵀ, (∂z_2/∂h_1)ᵀ."""
    text, latex = (f"({name.text})", rf"\left({name.latex}\right)") if brackets else (name.text, name.latex)
    return Name(f"{text}ᵀ", rf"{latex}^{{\top}}", f"{name.key}^T")
