"""The named quantities of one trace, as references carrying their values, and the cell's rules per step."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..cell.sweep import INITIAL_STATE
from ..compute.forward import Trace
from .formula import Call, Form, Name, Rebuild, Ref, fill, from_sympy, from_template
from .names import derivative, indexed, parameter

if TYPE_CHECKING:
    import sympy

    from ..cell.data import Cell, Rule
    from ..cell.template import Template


@functools.lru_cache(maxsize=1024)
def template(data: Template) -> Form:
    """A rule's display template as a formula (made once per template)."""
    return from_template(data)


@functools.lru_cache(maxsize=1024)
def expr_template(expr: sympy.Expr) -> Form:
    """A SymPy expression as a formula template (network cells, still differentiated each run)."""
    return from_sympy(expr)


@functools.lru_cache(maxsize=64)
def closed_form(function: str) -> Form | None:
    """A function spelled out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if it has one."""
    from ..cell.data import spelled
    from ..cell.functions import BY_SHOWN_NAME

    record = BY_SHOWN_NAME.get(function)
    if record is None or not record.spell_out:
        return None
    shipped = spelled(function)
    if shipped is not None:
        return from_template(shipped)
    import sympy

    return from_sympy(record.formula(sympy, sympy.Symbol("z", real=True)))


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


GENERIC = {
    "x": Ref(Name("x_{t-1}", "x_{t-1}", "x_{t-1}"), 0.0),
    "h_prev": Ref(Name("h_{t-1}", "h_{t-1}", "h_{t-1}"), 0.0),
    "o": Ref(Name("o_t", "o_{t}", "o_t"), 0.0),
    "h": Ref(Name("h_t", "h_{t}", "h_t"), 0.0),
    "y": Ref(Name("y_t", "y_{t}", "y_t"), 0.0),
    "g": Ref(Name("g_t", "g_{t}", "g_t"), 0.0),
}
"""The cell's symbols at a generic step t, for the model block."""


class Quantities:
    """The named quantities of one trace, as references carrying their values."""

    def __init__(self, trace: Trace, cell: Cell) -> None:
        """Index a trace."""
        self.trace = trace
        self.cell = cell
        self.params = {p: Ref(parameter(p), v, given=True) for p, v in trace.params.items()}
        self.params[INITIAL_STATE] = self.h(0)
        self._locals: dict[tuple[str, int], Ref] = {}
        self._bindings: dict[int, dict[str, Form]] = {}

    def x(self, i: int) -> Ref:
        """Input x_i (used at step i + 1)."""
        return Ref(indexed("x", i), self.trace.x[i], given=True)

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), self.trace.g[t - 1], given=True)

    def h(self, t: int) -> Ref:
        """State h_t (t = 0 is the initial state)."""
        return Ref(indexed("h", t), self.trace.h[t], given=t == 0)

    def o(self, t: int) -> Ref:
        """Pre-activation o_t."""
        return Ref(indexed("o", t), self.trace.o[t - 1])

    def y(self, t: int) -> Ref:
        """Output y_t."""
        return Ref(indexed("y", t), self.trace.y[t - 1])

    def local(self, kind: str, t: int) -> Ref:
        """A local derivative at step t: dL_dy, dy_dh, dh_do or do_dhprev (each made once)."""
        ref = self._locals.get((kind, t))
        if ref is None:
            ref = self._locals[kind, t] = self._make_local(kind, t)
        return ref

    def _make_local(self, kind: str, t: int) -> Ref:
        """A new reference to a local derivative."""
        top, bottom = {
            "dL_dy": ("L", "y"),
            "dy_dh": ("y", "h"),
            "dh_do": ("h", "o"),
            "do_dhprev": ("o", "h"),
        }[kind]
        below = t - 1 if kind == "do_dhprev" else t
        return Ref(derivative(indexed(top, t), indexed(bottom, below)), getattr(self.trace, kind)[t - 1])

    def do_d(self, p: str, t: int) -> Ref:
        """Total derivative do_t/dθ carried through time."""
        return Ref(derivative(indexed("o", t), parameter(p)), self.trace.do_d[p][t - 1])

    def dy_d(self, p: str, t: int) -> Ref:
        """Local derivative dy_t/dθ."""
        return Ref(derivative(indexed("y", t), parameter(p)), self.trace.dy_d[p][t - 1])

    def term(self, p: str, t: int) -> Ref:
        """Step t's share of the gradient, dL_t/dθ."""
        return Ref(derivative(indexed("L", t), parameter(p)), self.trace.terms[p][t - 1])

    def binding(self, t: int) -> dict[str, Form]:
        """What the cell's symbols mean at step t (made once per step)."""
        if t not in self._bindings:
            step = {
                "x": self.x(t - 1),
                "h_prev": self.h(t - 1),
                "o": self.o(t),
                "h": self.h(t),
                "y": self.y(t),
                "g": self.g(t),
            }
            self._bindings[t] = step | self.params
        return self._bindings[t]

    def generic(self, rule: Rule) -> Form:
        """A cell rule written for a generic step t (o_t = W_i · x_{t-1} + ...)."""
        return fill(template(rule.template), GENERIC | self.params)

    def at(self, rule: Rule, t: int) -> Form:
        """A cell rule written for step t."""
        return fill(template(rule.template), self.binding(t))
