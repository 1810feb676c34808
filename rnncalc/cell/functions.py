"""The function registry: every function a cell may use, one record each (activations among them).

A record holds everything rnncalc needs of a function: its one definition ``formula(m, z)`` written
against a math namespace ``m`` (``math``, ``mpmath``, ``torch`` or ``sympy``: the same text gives the
float value, the 40-digit check, the PyTorch twin and the SymPy closed form), its derivative in
terms of registry functions, and how it is written in text and LaTeX. Adding a function is one entry.
No SymPy here: renderers read the spellings without importing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Formula = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Function:
    """One function of one argument: value, derivative, SymPy form, spellings, PyTorch twin."""

    name: str
    formula: Formula
    text: str
    latex: str
    derivative: Callable[[Any, Any], Any] | None = None
    sympy_name: str | None = None
    activation: bool = False
    kink: bool = False
    numeric: Callable[[float], float] | None = None
    about: str = ""
    spell_out: bool = False

    @property
    def shown_name(self) -> str:
        """The name SymPy gives the function (``Abs`` for abs): how formula trees call it."""
        return self.sympy_name or self.name

    def value(self, z: float) -> float:
        """The function at a float."""
        return self.numeric(z) if self.numeric is not None else self.formula(math, z)

    def torch(self, z: Any) -> Any:
        """The PyTorch twin, applied to a tensor."""
        import torch

        return self.formula(torch, z)


def _stable_sigmoid(z: float) -> float:
    """Logistic function, stable for any finite input."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _stable_softplus(z: float) -> float:
    """log(1 + e^z), stable for large |z|."""
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


REGISTRY: tuple[Function, ...] = (
    Function(
        "sigmoid",
        lambda m, z: 1 / (1 + m.exp(-z)),
        "σ({})",
        r"\sigma\left({}\right)",
        derivative=lambda f, z: f.sigmoid(z) * (1 - f.sigmoid(z)),
        activation=True,
        numeric=_stable_sigmoid,
        spell_out=True,
        about="σ(o) = 1/(1 + e^-o); σ' = σ(1 - σ)",
    ),
    Function(
        "tanh",
        lambda m, z: m.tanh(z),
        "tanh({})",
        r"\tanh\left({}\right)",
        derivative=lambda f, z: 1 - f.tanh(z) ** 2,
        sympy_name="tanh",
        activation=True,
        numeric=math.tanh,
        about="tanh' = 1 - tanh²",
    ),
    Function(
        "relu",
        lambda m, z: z if z > 0 else 0 * z,
        "relu({})",
        r"\operatorname{{relu}}\left({}\right)",
        derivative=lambda f, z: f.unit_step(z),
        activation=True,
        kink=True,
        about="max(0, o); derivative 0 at exactly 0",
    ),
    Function(
        "leaky_relu",
        lambda m, z: z if z > 0 else z / 100,
        "leaky_relu({})",
        r"\operatorname{{leaky\_relu}}\left({}\right)",
        derivative=lambda f, z: f.leaky_step(z),
        activation=True,
        kink=True,
        about="o for o > 0, else 0.01·o; derivative 0.01 at exactly 0",
    ),
    Function(
        "softplus",
        lambda m, z: m.log(1 + m.exp(z)),
        "softplus({})",
        r"\operatorname{{softplus}}\left({}\right)",
        derivative=lambda f, z: f.sigmoid(z),
        activation=True,
        numeric=_stable_softplus,
        about="log(1 + e^o); derivative σ(o)",
    ),
    Function(
        "identity", lambda m, z: z, "{}", "{}", derivative=lambda f, z: 1, activation=True, about="h = o"
    ),
    Function(
        "unit_step",
        lambda m, z: 1 + 0 * z if z > 0 else 0 * z,
        "[{} > 0]",
        r"\left[{} > 0\right]",
        derivative=lambda f, z: 0,
        kink=True,
    ),
    Function(
        "leaky_step",
        lambda m, z: 1 + 0 * z if z > 0 else (1 + 0 * z) / 100,
        "leaky_step({})",
        r"\operatorname{{leaky\_step}}\left({}\right)",
        derivative=lambda f, z: 0,
        kink=True,
    ),
    Function(
        "exp",
        lambda m, z: m.exp(z),
        "e^({})",
        r"e^{{{}}}",
        derivative=lambda f, z: f.exp(z),
        sympy_name="exp",
        numeric=math.exp,
    ),
    Function(
        "log",
        lambda m, z: m.log(z),
        "log({})",
        r"\log\left({}\right)",
        derivative=lambda f, z: 1 / z,
        sympy_name="log",
        numeric=math.log,
    ),
    Function(
        "sin",
        lambda m, z: m.sin(z),
        "sin({})",
        r"\sin\left({}\right)",
        derivative=lambda f, z: f.cos(z),
        sympy_name="sin",
        numeric=math.sin,
    ),
    Function(
        "cos",
        lambda m, z: m.cos(z),
        "cos({})",
        r"\cos\left({}\right)",
        derivative=lambda f, z: -f.sin(z),
        sympy_name="cos",
        numeric=math.cos,
    ),
    Function(
        "sqrt",
        lambda m, z: m.sqrt(z),
        "sqrt({})",
        r"\sqrt{{{}}}",
        derivative=lambda f, z: 1 / (2 * f.sqrt(z)),
        sympy_name="sqrt",
        numeric=math.sqrt,
    ),
    Function(
        "abs",
        lambda m, z: abs(z),
        "|{}|",
        r"\left|{}\right|",
        derivative=lambda f, z: f.sign(z),
        sympy_name="Abs",
        kink=True,
    ),
    Function(
        "sign",
        lambda m, z: (z > 0) - (z < 0),
        "sign({})",
        r"\operatorname{{sign}}\left({}\right)",
        derivative=lambda f, z: 0,
        sympy_name="sign",
        kink=True,
    ),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in REGISTRY}
BY_SHOWN_NAME: dict[str, Function] = {f.shown_name: f for f in REGISTRY}
ACTIVATIONS: dict[str, Function] = {f.name: f for f in REGISTRY if f.activation}
CELL_FUNCTIONS: tuple[str, ...] = tuple(
    f.name for f in REGISTRY if f.name not in ("identity", "unit_step", "leaky_step", "sign")
)
NUMERIC_FUNCTIONS: dict[str, Callable[[float], float]] = {
    f.shown_name: f.numeric or f.value for f in REGISTRY
}
KINKED: frozenset[str] = frozenset(f.shown_name for f in REGISTRY if f.kink)
