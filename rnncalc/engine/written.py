"""How a cell's formulas and local derivatives are written: SymPy's forms of the engine's network.

The engine computes every number from its own trees (``graph``); a derivation shows each local derivative
as SymPy writes it (common factors pulled out), so the network is also held as SymPy expressions here,
for showing, checking and drawing. Only commands that show steps import this module (and SymPy).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..cell import equations as parsed
from ..cell.size import check_size as check_sympy_size
from ..cell.states import PREV, initial
from ..cell.tree import Tree, to_sympy
from .graph import Network, engine_network

__all__ = ["PREV", "TARGET", "Network", "build_network", "initial", "parse_network"]

TARGET = sympy.Symbol("g", real=True)


@dataclass(frozen=True)
class Equation:
    """One named quantity: its expression in the names it uses directly, its tree, and the text typed."""

    name: str
    expr: sympy.Expr
    text: str
    tree: Tree = ()

    @property
    def uses(self) -> tuple[str, ...]:
        """The symbols the expression reads (names, NAME_prev, inputs, parameters), sorted."""
        return tuple(sorted(s.name for s in self.expr.free_symbols))


@dataclass(frozen=True)
class NetworkSpec:
    """A parsed cell: its equations in order, input streams, states (fed back) and parameters."""

    equations: tuple[Equation, ...]
    inputs: tuple[str, ...]
    states: tuple[str, ...]
    params: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The quantities defined, in order."""
        return tuple(e.name for e in self.equations)


@functools.lru_cache(maxsize=64)
def parse_network(equations: tuple[str, ...], streams: tuple[str, ...] = ("x",)) -> NetworkSpec:
    """Parse ``NAME = EXPR`` equations; NAME_prev reads the previous step's NAME, streams are inputs."""
    spec = parsed.parse_network(equations, streams)
    symbols: dict[str, sympy.Symbol] = {}
    built = tuple(Equation(e.name, to_sympy(e.tree, symbols), e.text, e.tree) for e in spec.equations)
    return NetworkSpec(built, spec.inputs, spec.states, spec.params)


@functools.lru_cache(maxsize=64)
def build_network(
    equations: tuple[str, ...], streams: tuple[str, ...], weight: Fraction, loss_name: str, term: str | None
) -> Network:
    """The engine's network with SymPy's forms of every partial and of the loss, for showing them."""
    import dataclasses

    engine = engine_network(equations, streams, weight, loss_name, term)
    spec = parse_network(equations, streams)
    y = sympy.Symbol("y", real=True)
    if term is not None:
        loss = to_sympy(engine.loss_tree)
    else:
        from ..cell.losses import LOSSES

        loss = sympy.Rational(weight.numerator, weight.denominator) * LOSSES[loss_name].term(sympy, y, TARGET)
    partials = {e.name: _partials(e, set(spec.inputs)) for e in spec.equations}
    return dataclasses.replace(
        engine, spec=spec, loss=loss, dL_dy=sympy.diff(loss, y), partials=partials, compiled={}
    )


def _partials(equation: Equation, inputs: set[str]) -> dict[str, sympy.Expr]:
    """∂k/∂u for each symbol u the equation uses except the inputs, written with k where k appears."""
    result = {}
    own = sympy.Symbol(equation.name, real=True)
    for u in equation.uses:
        if u in inputs:
            continue
        derivative = sympy.diff(equation.expr, sympy.Symbol(u, real=True))
        check_sympy_size(derivative, f"the derivative of {equation.name} by {u}")
        if isinstance(equation.expr, sympy.Function):
            derivative = derivative.subs(equation.expr, own)
        result[u] = derivative
    return result
