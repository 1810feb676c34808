"""Activations and loss terms applied elementwise to NumPy arrays, their derivatives taken by SymPy.

A vector RNN applies the scalar activation to every unit and the scalar loss term to every output, so
the derivatives are the scalar cell's: SymPy differentiates once (``rules.vector_data``), the rule is
shipped as code in derived.json and compiled here for arrays, so no vector run imports SymPy; softmax
cross-entropy, which is not elementwise, is its own record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import shipped
from .functions import FUNCTIONS, NUMERIC_FUNCTIONS

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    """The logistic function, stable for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


NUMPY_FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda z: np.logaddexp(0, z),
    "identity": lambda z: np.asarray(z, dtype=float),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, z / 100),
    "unit_step": lambda z: np.where(z > 0, 1.0, 0.0),
    "leaky_step": lambda z: np.where(z > 0, 1.0, 0.01),
    "Abs": np.abs,
    "sign": np.sign,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "sqrt": np.sqrt,
}
"""Each registry function on arrays (a test checks every entry against the registry's scalar value)."""


def numpy_function(name: str) -> Callable[[Array], Array]:
    """A registry function applied elementwise (vectorised from its scalar value when not listed)."""
    if name in NUMPY_FUNCTIONS:
        return NUMPY_FUNCTIONS[name]
    return np.vectorize(NUMERIC_FUNCTIONS[name], otypes=[float])


@dataclass(frozen=True)
class Elementwise:
    """An activation on arrays and its derivative dh/do (SymPy's rule, in terms of o and h) on arrays."""

    name: str
    value: Callable[[Array], Array]
    slope: Callable[[Array, Array], Array]


@functools.lru_cache(maxsize=32)
def activation(name: str) -> Elementwise:
    """The activation ``name`` elementwise, with its derivative dh/do (SymPy's rule, shipped as code)."""
    code = _vector_rule("slopes", name)
    slope = _broadcast(_compiled(("o", "h"), code))
    return Elementwise(name, numpy_function(FUNCTIONS[name].shown_name), slope)


@functools.lru_cache(maxsize=16)
def loss_slope(loss: str) -> Callable[[Array, Array], Array]:
    """d term(y, g)/dy of an elementwise loss term (SymPy's rule, shipped as code), weight not included."""
    return _broadcast(_compiled(("y", "g"), _vector_rule("loss_slopes", loss)))


def _vector_rule(kind: str, name: str) -> str:
    """A rule's array code as shipped in derived.json (SymPy derives it only if it is missing)."""
    found = shipped().get("vector", {}).get(kind, {}).get(name)
    if found is None:
        from .rules import vector_data

        found = vector_data()[kind][name]
    return found


def _compiled(arguments: tuple[str, ...], code: str) -> Callable[..., Any]:
    """A rule's code as a function of the named arrays, registry functions bound to their NumPy versions."""
    return eval(f"lambda {', '.join(arguments)}: {code}", {"__builtins__": {}} | NUMPY_FUNCTIONS)


def loss_value(loss: str) -> Callable[[Array, Array], Array]:
    """The loss term on arrays (elementwise), for the squared errors and binary cross-entropy."""
    from .losses import LOSSES

    term = LOSSES[loss].term
    return lambda ys, gs: term(np, ys, gs)


def _broadcast(function: Callable[..., Any]) -> Callable[..., Array]:
    """A compiled rule that returns an array of its first argument's shape even when it is constant."""
    return lambda first, *rest: np.broadcast_to(np.asarray(function(first, *rest), dtype=float), first.shape)


def softmax(y: Array) -> Array:
    """softmax over the last axis, shifted by the maximum so it never overflows."""
    shifted = np.exp(y - y.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
