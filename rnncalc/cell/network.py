"""A cell of any shape: named equations evaluated in order at every step, NAME_prev feeding NAME back.

Each equation is kept in terms of the names it uses directly (never inlined), so a chain of gates
stays as small as the user wrote it; SymPy takes each equation's partial derivative by each name,
previous value and parameter it uses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from ..errors import InputError
from .equations import Builder, check_characters, parse_expression, split_equations
from .size import check_size
from .states import PREV, initial

TARGET = sympy.Symbol("g", real=True)


@dataclass(frozen=True)
class Equation:
    """One named quantity: its expression in the names it uses directly, and the text typed."""

    name: str
    expr: sympy.Expr
    text: str

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


@dataclass(frozen=True)
class Network:
    """A cell ready to compute: the spec, the loss rules, and every partial derivative SymPy takes.

    ``partials[k][u]`` is ∂k/∂u for each name, previous value (``s_prev``) and parameter u that the
    equation of k uses; ``loss`` is one step's weighted loss term in y and g, ``dL_dy`` its derivative.
    """

    spec: NetworkSpec
    loss: sympy.Expr
    dL_dy: sympy.Expr
    partials: dict[str, dict[str, sympy.Expr]]
    kinked: bool
    compiled: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters, in the order the user wrote them."""
        return self.spec.params

    @property
    def states(self) -> tuple[str, ...]:
        """The quantities fed back to the next step."""
        return self.spec.states

    def equation(self, name: str) -> Equation:
        """The equation defining ``name``."""
        return next(e for e in self.spec.equations if e.name == name)


@functools.lru_cache(maxsize=64)
def parse_network(equations: tuple[str, ...], streams: tuple[str, ...] = ("x",)) -> NetworkSpec:
    """Parse ``NAME = EXPR`` equations; NAME_prev reads the previous step's NAME, streams are inputs."""
    sides = split_equations(equations, set(streams))
    names = [name for _, name, _ in sides]
    prev = {name + PREV: sympy.Symbol(name + PREV, real=True) for name in names}
    inputs: dict[str, sympy.Expr] = {s: sympy.Symbol(s, real=True) for s in streams} | prev
    known: dict[str, sympy.Expr] = {}
    built: list[Equation] = []
    params: dict[str, sympy.Symbol] = {}
    for index, (equation, name, right) in enumerate(sides):
        builder = Builder(equation, dict(known), set(names[index:]), inputs)
        expr = builder.build(parse_expression(equation, right))
        check_size(expr, name)
        built.append(Equation(name, expr, equation))
        known[name] = sympy.Symbol(name, real=True)
        params |= builder.params
    used = set().union(*(e.expr.free_symbols for e in built))
    states = tuple(n for n in names if prev[n + PREV] in used)
    clashes = sorted(p for p in params if p in {initial(s) for s in states})
    if clashes:
        raise InputError(
            f"--cell: the parameter {clashes[0]} has the name of an initial state; rename the parameter"
        )
    if not params and not states:
        raise InputError("--cell: the cell has no parameter and no state, so it has no gradient to compute")
    named = sorted(n for n in names if n in {initial(s) for s in states})
    if named:
        raise InputError(
            f"--cell: the quantity {named[0]} has the name of an initial state "
            f"({named[0][:-1]}'s value before step 1); rename the quantity"
        )
    order = [p for e in built for p in _in_order(e.text, params)]
    return NetworkSpec(
        tuple(built),
        tuple(s for s in streams if inputs[s] in used),
        states,
        tuple(dict.fromkeys(order)),
    )


def _in_order(text: str, params: dict[str, sympy.Symbol]) -> list[str]:
    """The parameters an equation's text names, in the order they appear."""
    import re

    return [word for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text.partition("=")[2]) if word in params]


def parse_loss_term(text: str) -> sympy.Expr:
    """A per-step loss term in y and g (``abs(y - g)``), parsed safely."""
    label = f"--loss-term {text!r}"
    if len(text) > 200:
        raise InputError(f"{label[:40]}…: write a short formula in y and g (at most 200 characters)")
    check_characters(label, text)
    builder = Builder(label, {}, set(), {"y": sympy.Symbol("y", real=True), "g": TARGET})
    try:
        expr = builder.build(parse_expression(label, text))
    except InputError as error:
        reason = str(error).partition(": ")[2]
        raise InputError(f"{label}: {reason}") from None
    if builder.params:
        raise InputError(
            f"{label}: a loss term may use only y, g, numbers and functions, not {next(iter(builder.params))}"
        )
    if not expr.has(sympy.Symbol("y", real=True)):
        raise InputError(f"{label}: the loss term must depend on y")
    return expr


@functools.lru_cache(maxsize=64)
def build_network(
    equations: tuple[str, ...], streams: tuple[str, ...], weight: Fraction, loss_name: str, term: str | None
) -> Network:
    """Differentiate every equation by what it uses, and the loss by y, once per cell and loss."""
    from .losses import LOSSES
    from .rules import _has_kink

    spec = parse_network(equations, streams)
    y = sympy.Symbol("y", real=True)
    shape = parse_loss_term(term) if term is not None else LOSSES[loss_name].term(sympy, y, TARGET)
    loss = sympy.Rational(weight.numerator, weight.denominator) * shape
    partials = {e.name: _partials(e, set(spec.inputs)) for e in spec.equations}
    return Network(
        spec,
        loss,
        sympy.diff(loss, y),
        partials,
        any(_has_kink(e.expr) for e in spec.equations) or _has_kink(shape),
    )


def _partials(equation: Equation, inputs: set[str]) -> dict[str, sympy.Expr]:
    """∂k/∂u for each symbol u the equation uses except the inputs, written with k where k appears."""
    result = {}
    own = sympy.Symbol(equation.name, real=True)
    for u in equation.uses:
        if u in inputs:
            continue
        derivative = sympy.diff(equation.expr, sympy.Symbol(u, real=True))
        check_size(derivative, f"the derivative of {equation.name} by {u}")
        if isinstance(equation.expr, sympy.Function):
            derivative = derivative.subs(equation.expr, own)
        result[u] = derivative
    return result
