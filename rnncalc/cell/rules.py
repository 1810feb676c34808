"""The recurrent cell as SymPy expressions, and the local derivatives SymPy takes of them.

This is where a cell is differentiated: ``symbolic_cell`` (the expressions, for ``check`` and the
vector engine) and ``cell_data`` / ``loss_data`` (the same rules as Python code and display templates,
the plain data ``cell.data`` ships for built-in cells and caches for custom ones). ``derived_data``
is everything the package ships; scripts/make_cell_data.py writes it and a test re-derives it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from . import PARAMETERS
from .data import RULES
from .size import check_size
from .sympy_functions import sympy_function

__all__ = [
    "PARAMETERS",
    "SymbolicCell",
    "SymbolicRule",
    "cell_data",
    "derived_data",
    "loss_data",
    "symbolic_cell",
    "vector_data",
]
x, h_prev, o, h, y, g = sympy.symbols("x h_prev o h y g", real=True)
STEP_SYMBOLS: tuple[sympy.Symbol, ...] = (x, h_prev, o, h, y, g)


@dataclass(frozen=True)
class SymbolicRule:
    """One rule of the cell: the SymPy expression computed, and the expression shown."""

    expr: sympy.Expr
    display: sympy.Expr


@dataclass(frozen=True)
class SymbolicCell:
    """The cell's equations and every local derivative the chain rule needs, as SymPy expressions."""

    params: tuple[str, ...]
    o: SymbolicRule
    h: SymbolicRule
    y: SymbolicRule
    loss: SymbolicRule
    dL_dy: SymbolicRule
    dy_dh: SymbolicRule
    dh_do: SymbolicRule
    do_dhprev: SymbolicRule
    do_dx: SymbolicRule
    do_dparam: dict[str, SymbolicRule]
    dy_dparam: dict[str, SymbolicRule]
    kinked: bool = False


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
    from .tree import to_sympy

    spec = parse_cell(cell)
    symbols = {"x": x, "h_prev": h_prev, "o": o, "h": h, "y": y}
    state, activation, output = (to_sympy(e.tree, symbols) for e in spec.equations)
    return state, activation, output, spec.params


@functools.lru_cache(maxsize=64)
def symbolic_cell(cell: str | tuple[str, ...], weight: Fraction, loss_name: str = "mse") -> SymbolicCell:
    """Differentiate the cell (an activation name, or the user's equations) once for a loss weight."""
    state, activation, output, names = _equations(cell)
    params = tuple(sympy.Symbol(p, real=True) for p in names)

    def derivative(expr: sympy.Expr, by: sympy.Symbol) -> SymbolicRule:
        """A local derivative, written in terms of the activation's output where it appears."""
        result = sympy.diff(expr, by)
        check_size(result, f"the derivative of {expr} by {by}")
        if activation != o:
            result = result.subs(activation, h)
        if isinstance(output, sympy.Function):
            result = result.subs(output, y)
        return SymbolicRule(result, sympy.factor_terms(result))

    loss = loss_term(loss_name, weight)
    return SymbolicCell(
        params=names,
        o=SymbolicRule(state, state),
        h=SymbolicRule(activation, activation),
        y=SymbolicRule(output, output),
        loss=SymbolicRule(loss, loss),
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


def _rule_data(rule: SymbolicRule) -> list[Any]:
    """A rule as plain data: its Python code and its display template."""
    from .codegen import code
    from .template import encode

    return [code(rule.expr), encode(rule.display)]


def cell_data(cell: str | tuple[str, ...]) -> dict[str, Any]:
    """Everything the sweep and the derivation need of a cell except its loss, as plain data."""
    symbolic = symbolic_cell(cell, Fraction(1))
    return {
        "activation": cell if isinstance(cell, str) else _activation_name(cell),
        "params": list(symbolic.params),
        "kinked": symbolic.kinked,
        "rules": {name: _rule_data(getattr(symbolic, name)) for name in RULES},
        "do_dparam": {p: _rule_data(rule) for p, rule in symbolic.do_dparam.items()},
        "dy_dparam": {p: _rule_data(rule) for p, rule in symbolic.dy_dparam.items()},
    }


def _activation_name(equations: tuple[str, ...]) -> str:
    """How a custom cell's activation is named in the summary line (tanh, or custom)."""
    from .equations import parse_cell

    return parse_cell(equations).activation


def loss_data(loss_name: str, weight: Fraction) -> dict[str, Any]:
    """One step's loss term and its derivative dL_t/dy_t for a loss weight, as plain data."""
    loss = loss_term(loss_name, weight)
    derivative = sympy.diff(loss, y)
    return {
        "loss": _rule_data(SymbolicRule(loss, loss)),
        "dL_dy": _rule_data(SymbolicRule(derivative, sympy.factor_terms(derivative))),
    }


SHIPPED_TARGET_COUNTS = 64
"""Loss rules are shipped for 1/k weights up to this many targets; beyond, derived once and cached."""


def shipped_weights(loss_name: str) -> list[Fraction]:
    """The loss weights whose rules the package ships: every weight(k) for k = 1..64 targets."""
    from .losses import LOSSES

    return sorted({LOSSES[loss_name].weight(k) for k in range(1, SHIPPED_TARGET_COUNTS + 1)})


def derived_data() -> dict[str, Any]:
    """What the package ships: every built-in activation's cell, the loss rules, the spelled-out functions."""
    from ..errors import InputError
    from .equations import parse_network
    from .functions import ACTIVATIONS, REGISTRY
    from .losses import LOSSES
    from .presets import PRESETS
    from .template import encode

    z = sympy.Symbol("z", real=True)
    cells = {name: cell_data(name) for name in ACTIVATIONS}
    for preset in PRESETS.values():  # the presets of the worked example's o, h, y shape (elman)
        if not set(parse_network(preset.equations).names) <= {"o", "h", "y"}:
            continue
        try:
            cells["\n".join(preset.equations)] = cell_data(preset.equations)
        except InputError:
            continue
    return {
        "cells": cells,
        "losses": {
            f"{name}:{weight}": loss_data(name, weight) for name in LOSSES for weight in shipped_weights(name)
        },
        "spelled": {
            record.shown_name: encode(record.formula(sympy, z)) for record in REGISTRY if record.spell_out
        },
        "vector": vector_data(),
    }


def vector_data() -> dict[str, dict[str, str]]:
    """The vector engine's rules as code that runs on arrays: each activation's dh/do (in o and h) and
    each loss term's derivative d term/dy (in y and g, the weight not included)."""
    from .codegen import array_code
    from .functions import ACTIVATIONS
    from .losses import LOSSES

    return {
        "slopes": {name: array_code(symbolic_cell(name, Fraction(1)).dh_do.expr) for name in ACTIVATIONS},
        "loss_slopes": {name: array_code(sympy.diff(LOSSES[name].term(sympy, y, g), y)) for name in LOSSES},
    }
