"""The named quantities of one trace, as references carrying their values, and the cell's rules per step."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..cell.sweep import INITIAL_STATE
from ..compute.forward import Trace
from .formula import Form, Ref, fill, from_sympy
from .names import derivative, indexed, parameter

if TYPE_CHECKING:
    import sympy

    from ..cell.rules import Cell, Rule


@functools.lru_cache(maxsize=1024)
def template(expr: sympy.Expr) -> Form:
    """A rule's display expression as a formula template (made once per expression)."""
    return from_sympy(expr)


class Quantities:
    """The named quantities of one trace, as references carrying their values."""

    def __init__(self, trace: Trace, cell: Cell) -> None:
        """Index a trace."""
        self.trace = trace
        self.cell = cell
        self.params = {p: Ref(parameter(p), v) for p, v in trace.params.items()}
        self.params[INITIAL_STATE] = self.h(0)
        self._locals: dict[tuple[str, int], Ref] = {}
        self._bindings: dict[int, dict[str, Form]] = {}

    def x(self, i: int) -> Ref:
        """Input x_i (used at step i + 1)."""
        return Ref(indexed("x", i), self.trace.x[i])

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), self.trace.g[t - 1])

    def h(self, t: int) -> Ref:
        """State h_t (t = 0 is the initial state)."""
        return Ref(indexed("h", t), self.trace.h[t])

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

    def at(self, rule: Rule, t: int) -> Form:
        """A cell rule written for step t."""
        return fill(template(rule.display), self.binding(t))
