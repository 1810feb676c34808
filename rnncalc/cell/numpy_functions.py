"""Every registry function on NumPy arrays, entry by entry: what generated array code calls."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .functions import NUMERIC_FUNCTIONS

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
