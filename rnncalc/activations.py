"""The activation registry: name -> numeric function and SymPy function (imported lazily)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import sympy


def sigmoid(z: float) -> float:
    """Logistic function, stable for any finite input."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def relu(z: float) -> float:
    """max(0, z)."""
    return z if z > 0 else 0.0


def unit_step(z: float) -> float:
    """The derivative of relu: 1 for z > 0, else 0 (so relu'(0) = 0)."""
    return 1.0 if z > 0 else 0.0


NUMERIC_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": sigmoid,
    "relu": relu,
    "unit_step": unit_step,
    "tanh": math.tanh,
}


@dataclass(frozen=True)
class Activation:
    """One activation: its CLI name and how to apply it to a SymPy expression."""

    name: str

    def apply(self, expr: sympy.Expr) -> sympy.Expr:
        """act(expr) as a SymPy expression."""
        from . import symbolic

        return symbolic.ACTIVATION_FUNCTIONS[self.name](expr)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid"),
        Activation("tanh"),
        Activation("relu"),
        Activation("identity"),
    )
}
