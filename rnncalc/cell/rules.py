"""The recurrent cell as data: SymPy expressions, and the local derivatives SymPy takes of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from . import PARAMETERS
from .size import check_size
from .sympy_functions import sympy_function

__all__ = ["PARAMETERS", "Cell", "Rule", "build_cell"]
x, h_prev, o, h, y, g = sympy.symbols("x h_prev o h y g", real=True)
STEP_SYMBOLS: tuple[sympy.Symbol, ...] = (x, h_prev, o, h, y, g)


@dataclass(frozen=True)
class Rule:
    """One rule of the cell: the SymPy expression computed, and the expression shown."""

    expr: sympy.Expr
    display: sympy.Expr


@dataclass(frozen=True)
class Cell:
    """The cell's equations and every local derivative the chain rule needs."""

    params: tuple[str, ...]
    o: Rule
    h: Rule
    y: Rule
    loss: Rule
    dL_dy: Rule
    dy_dh: Rule
    dh_do: Rule
    do_dhprev: Rule
    do_dx: Rule
    do_dparam: dict[str, Rule]
    dy_dparam: dict[str, Rule]
    kinked: bool = False
    compiled: dict[tuple[bool, ...], Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )


def default_equations(activation: str) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    """The worked example's cell: o = Wi x + Wh h_prev + b, h = act(o), y = a h + c."""
    Wi, Wh, a, b, c = sympy.symbols(PARAMETERS, real=True)
    state = sympy.Add(
        sympy.Mul(Wi, x, evaluate=False), sympy.Mul(Wh, h_prev, evaluate=False), b, evaluate=False
    )
    output = sympy.Add(sympy.Mul(a, h, evaluate=False), c, evaluate=False)
    return state, sympy_function(activation)(o), output


def loss_term(loss: str, weight: Fraction) -> sympy.Expr:
    """One step's share of the loss: weight · term(y, g) (weight · (y - g)^2 for the squared errors)."""
    from .losses import LOSSES

    return sympy.Rational(weight.numerator, weight.denominator) * LOSSES[loss].term(sympy, y, g)


def _equations(cell: str | tuple[str, ...]) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr, tuple[str, ...]]:
    """o, h, y and the parameter names: the built-in cell for an activation name, or the user's equations."""
    if isinstance(cell, str):
        return (*default_equations(cell), PARAMETERS)
    from .equations import parse_cell

    spec = parse_cell(cell)
    return spec.state, spec.activation, spec.output, spec.params


@functools.lru_cache(maxsize=64)
def build_cell(cell: str | tuple[str, ...], weight: Fraction, loss_name: str = "mse") -> Cell:
    """Differentiate the cell (an activation name, or the user's equations) once for a loss weight."""
    state, activation, output, names = _equations(cell)
    params = tuple(sympy.Symbol(p, real=True) for p in names)

    def derivative(expr: sympy.Expr, by: sympy.Symbol) -> Rule:
        """A local derivative, written in terms of the activation's output where it appears."""
        result = sympy.diff(expr, by)
        check_size(result, f"the derivative of {expr} by {by}")
        if activation != o:
            result = result.subs(activation, h)
        if isinstance(output, sympy.Function):
            result = result.subs(output, y)
        return Rule(result, sympy.factor_terms(result))

    loss = loss_term(loss_name, weight)
    return Cell(
        params=names,
        o=Rule(state, state),
        h=Rule(activation, activation),
        y=Rule(output, output),
        loss=Rule(loss, loss),
        dL_dy=derivative(loss, y),
        dy_dh=derivative(output, h),
        dh_do=derivative(activation, o),
        do_dhprev=derivative(state, h_prev),
        do_dx=derivative(state, x),
        do_dparam={p.name: derivative(state, p) for p in params if sympy.diff(state, p) != 0},
        dy_dparam={p.name: derivative(output, p) for p in params if sympy.diff(output, p) != 0},
        kinked=any(_has_kink(expr) for expr in (state, activation, output)),
    )


def _has_kink(expr: sympy.Expr) -> bool:
    """True when the expression uses a function whose derivative jumps (relu, leaky_relu, abs)."""
    from .functions import KINKED

    return any(type(f).__name__ in KINKED for f in expr.atoms(sympy.Function))
