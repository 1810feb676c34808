"""The engine's view of a cell: its parsed formulas, the loss as a formula, every partial by the chain rule.

Built without SymPy from the user's equations at every run (parsing and differentiating a cell takes
milliseconds), so the numbers never depend on anything cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..cell.equations import Builder, CellSpec, check_characters, check_size, parse_expression
from ..cell.functions import FUNCTIONS
from ..cell.tree import TREES, Formula, Tree, functions, slot, uses
from ..errors import InputError
from .diff import derivative, mul, partial


@dataclass(frozen=True, eq=False)
class Network:
    """A cell ready to compute: the parsed spec, one step's weighted loss term, every partial derivative.

    ``trees[k][u]`` is ∂k/∂u for each name, previous value (``s_prev``) and parameter u that the
    equation of k reads; ``input_trees[k][s]`` the same for the input streams; ``loss_tree`` is one
    step's weighted loss term in y and g and ``dL_dy_tree`` its derivative.
    """

    spec: CellSpec
    loss_tree: Tree
    dL_dy_tree: Tree
    trees: dict[str, dict[str, Tree]]
    input_trees: dict[str, dict[str, Tree]]
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

    def equation(self, name: str) -> Tree:
        """The tree of the equation of ``name``, as the cell computes it."""
        return next(e.tree for e in self.spec.equations if e.name == name)


def parse_loss_term(text: str) -> Tree:
    """A per-step loss term in y and g (``abs(y - g)``), parsed safely into a tree."""
    label = f"--loss-term {text!r}"
    if len(text) > 200:
        raise InputError(f"{label[:40]}…: write a short formula in y and g (at most 200 characters)")
    check_characters(label, text)
    builder = Builder(label, {}, set(), ("y", "g"))
    try:
        tree = builder.build(parse_expression(label, text))
    except InputError as error:
        reason = str(error).partition(": ")[2]
        raise InputError(f"{label}: {reason}") from None
    if builder.params:
        raise InputError(
            f"{label}: a loss term may use only y, g, numbers and functions, not {next(iter(builder.params))}"
        )
    if "y" not in uses(tree):
        raise InputError(f"{label}: the loss term must depend on y")
    return tree


def loss_tree(loss_name: str, weight: Fraction, term: str | None) -> Tree:
    """One step's weighted loss term as a tree: weight · term(y, g)."""
    from ..cell.losses import LOSSES

    shape = (
        parse_loss_term(term)
        if term is not None
        else Formula.of(LOSSES[loss_name].term(TREES, Formula(slot("y")), Formula(slot("g"))))
    )
    return mul(("const", str(weight)), shape) if weight != 1 else shape


@functools.lru_cache(maxsize=64)
def engine_network(spec: CellSpec, weight: Fraction, loss_name: str, term: str | None) -> Network:
    """A parsed cell ready to compute, without SymPy: each partial by the engine's chain rule."""
    loss = loss_tree(loss_name, weight, term)
    trees = {
        e.name: {u: partial(e.tree, u, e.name) for u in e.uses if u not in spec.inputs}
        for e in spec.equations
    }
    for name, table in trees.items():
        for u, tree in table.items():
            check_size(tree, f"the derivative of {name} by {u}")
    inputs = {
        e.name: {u: partial(e.tree, u, e.name) for u in e.uses if u in spec.inputs}
        for e in spec.equations
        if any(u in spec.inputs for u in e.uses)
    }
    called = frozenset().union(functions(loss), *(functions(e.tree) for e in spec.equations))
    kinked = any(FUNCTIONS[f].kink for f in called)
    return Network(spec, loss, derivative(loss, "y"), trees, inputs, kinked)
