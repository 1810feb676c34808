"""The named quantities of a network's trace as references carrying their values, and its rules per step."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from ..cell.states import PREV, initial
from ..compute.network import NetTrace, reach
from .formula import Form, Name, Ref, evaluate, fill
from .names import derivative, indexed, initial_state, parameter, partial
from .quantities import expr_template

if TYPE_CHECKING:
    import sympy

    from ..engine.graph import Network


@functools.lru_cache(maxsize=1024)
def display(expr: sympy.Expr) -> Form:
    """A partial derivative as shown: common factors pulled out (x1 · (1 - a²))."""
    import sympy

    return expr_template(sympy.factor_terms(expr))


def generic(symbol: str, previous: bool = False) -> Ref:
    """A quantity at a generic step: a_t, or x1_{t-1} and s_{t-1} for what step t reads from before."""
    text = f"{symbol}_{{t-1}}" if previous else f"{symbol}_t"
    return Ref(Name(text, f"{symbol}_{{t-1}}" if previous else f"{symbol}_{{t}}", text), 0.0)


class NetQuantities:
    """The named quantities of one network trace, as references carrying their values."""

    def __init__(self, trace: NetTrace, net: Network) -> None:
        """Index a trace."""
        self.trace = trace
        self.net = net
        self.params: dict[str, Form] = {p: Ref(parameter(p), v, given=True) for p, v in trace.params.items()}
        self._bindings: dict[int, dict[str, Form]] = {}
        self._reach: dict[tuple[str, int], frozenset[str]] = {}

    def theta(self, key: str) -> Name:
        """How a parameter or initial state is named: W_i, ba, s_0."""
        state = next((s for s in self.net.states if initial(s) == key), None)
        return initial_state(state) if state is not None else parameter(key)

    def stream(self, name: str, i: int) -> Ref:
        """Input ``name`` at index i (read by step i + 1)."""
        return Ref(indexed(name, i), self.trace.streams[name][i], given=True)

    def value(self, name: str, t: int) -> Ref:
        """A named quantity at step t (t = 0: a state's initial value)."""
        if t == 0:
            return Ref(indexed(name, 0), self.trace.init[initial(name)], given=True)
        return Ref(indexed(name, t), self.trace.values[name][t - 1])

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), self.trace.g[t - 1], given=True)

    def below(self, u: str, t: int) -> Name:
        """The name a partial is taken by at step t: a_t, s_{t-1} for s_prev, or a parameter."""
        if u.endswith(PREV):
            return indexed(u[: -len(PREV)], t - 1)
        if u in self.net.spec.names:
            return indexed(u, t)
        return parameter(u)

    def partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u: a local derivative at step t."""
        return Ref(partial(indexed(k, t), self.below(u, t)), self.trace.partials[k, u][t - 1])

    def partial_rule(self, k: str, u: str, t: int) -> Form:
        """The local derivative's rule at step t, in that step's quantities."""
        return fill(display(self.net.partials[k][u]), self.binding(t))

    def input_partial(self, k: str, stream: str, t: int) -> tuple[Name, Form, float]:
        """∂k_t/∂(input read at step t): its name, its rule at step t, and its value."""
        import sympy

        rule = fill(
            display(sympy.diff(self.net.equation(k).expr, sympy.Symbol(stream, real=True))), self.binding(t)
        )
        return partial(indexed(k, t), indexed(stream, t - 1)), rule, evaluate(rule)

    def input_gradient(self, stream: str, i: int) -> float:
        """dL/d(input i) = Σ_k dL/dk_{i+1} · ∂k_{i+1}/∂input (reverse mode)."""
        users = [e.name for e in self.net.spec.equations if stream in e.uses]
        return math.fsum(self.trace.adjoints[k][i] * self.input_partial(k, stream, i + 1)[2] for k in users)

    def total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, the total derivative carried through time."""
        column = self.trace.totals[theta].get(k)
        return Ref(derivative(indexed(k, t), self.theta(theta)), column[t - 1] if column else 0.0)

    def term(self, theta: str, t: int) -> Ref:
        """Step t's share dL_t/dθ."""
        return Ref(derivative(indexed("L", t), self.theta(theta)), self.trace.term(theta, t))

    def dL_dy(self, t: int) -> Ref:
        """dL_t/dy_t."""
        return Ref(derivative(indexed("L", t), indexed("y", t)), self.trace.dL_dy[t - 1])

    def adjoint(self, k: str, t: int) -> Ref:
        """dL/dk_t (reverse mode)."""
        return Ref(derivative(Name("L", "L", "L"), indexed(k, t)), self.trace.adjoints[k][t - 1])

    def reached(self, theta: str, t: int) -> frozenset[str]:
        """The names that depend on θ at step t (t = 0: the state θ is the initial value of, if any)."""
        key = (theta, t)
        if key not in self._reach:
            if t == 0:
                self._reach[key] = frozenset(s for s in self.net.states if initial(s) == theta)
            else:
                before = self.reached(theta, t - 1) & frozenset(self.net.states)
                self._reach[key] = reach(self.net, theta, before)
        return self._reach[key]

    def binding(self, t: int) -> dict[str, Form]:
        """What the cell's symbols mean at step t (made once per step)."""
        if t not in self._bindings:
            step: dict[str, Form] = {s: self.stream(s, t - 1) for s in self.net.spec.inputs}
            step |= {s + PREV: self.value(s, t - 1) for s in self.net.states}
            step |= {k: self.value(k, t) for k in self.net.spec.names}
            self._bindings[t] = step | {"g": self.g(t)} | self.params
        return self._bindings[t]

    def generic_binding(self) -> dict[str, Form]:
        """The cell's symbols at a generic step t."""
        step: dict[str, Form] = {s: generic(s, True) for s in self.net.spec.inputs}
        step |= {s + PREV: generic(s, True) for s in self.net.states}
        step |= {k: generic(k) for k in self.net.spec.names}
        return step | {"g": generic("g")} | self.params

    def at(self, expr: sympy.Expr, t: int) -> Form:
        """An expression of the cell written for step t."""
        return fill(expr_template(expr), self.binding(t))
