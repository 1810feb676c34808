"""Stacked layers of one cell, as one cell: layer l + 1 reads layer l's state where layer 1 reads x.

A two-layer Elman network is the cell ``o1 = Wi1*x + Wh1*h1_prev + b1, h1 = tanh(o1), o2 = Wi2*h1 +
Wh2*h2_prev + b2, h2 = tanh(o2), y = a*h2 + c``: every layer's names carry its number, the output reads the
top layer. Written out as equations, it runs through the one engine like any cell, so every layer's
forward values, deltas and gradients are in the derivation, and the gradient reaching the lower layer
(dL/dh1_t, from o2_t above it and h1_{t+1} after it) is a line of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .states import PREV

MAX_LAYERS = 8
"""More layers than any course assigns by hand; each adds the cell's equations again."""
OUTPUT = "y"
IDENTIFIER = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\b(\s*\()?")


@dataclass(frozen=True)
class Stacking:
    """How a stack names layer l's copy of a quantity and of a parameter, and which state feeds the next
    layer (layers counted from 1)."""

    quantity: Callable[[str, int], str]
    parameter: Callable[[str, int], str]
    reads: str = "h"
    input: str = "x"


def layer_suffix(name: str, layer: int) -> str:
    """rnncalc's names: layer 2's Wi is Wi2, its state h2."""
    return f"{name}{layer}"


def state_dict_suffix(name: str, layer: int) -> str:
    """PyTorch's state_dict names, layers counted from 0: layer 2's W_ih is W_ih_l1 (weight_ih_l1)."""
    return f"{name}_l{layer - 1}"


RNNCALC = Stacking(layer_suffix, layer_suffix)
PYTORCH = Stacking(layer_suffix, state_dict_suffix)


def stacked_equations(
    equations: tuple[str, ...], layers: int, stacking: Stacking = RNNCALC
) -> tuple[str, ...]:
    """The cell's equations once per layer, each layer reading the one below; the output (y) once, on top."""
    check_layers(layers)
    pairs = _pairs(equations)
    targets = {target for target, _ in pairs}
    if stacking.reads not in targets:
        raise InputError(
            f"this cell has no state {stacking.reads} for the next layer to read: it cannot be stacked"
        )
    if any(f"{OUTPUT}{PREV}" in _read(e) for t, e in pairs if t != OUTPUT):
        raise InputError(
            f"this cell feeds its output back ({OUTPUT}{PREV}): only a cell whose state {stacking.reads} is "
            "read by the next layer can be stacked"
        )
    result: list[str] = []
    for layer in range(1, layers + 1):
        below = stacking.quantity(stacking.reads, layer - 1) if layer > 1 else stacking.input
        result += copy_of(
            equations,
            lambda name, k=layer: stacking.quantity(name, k),  # type: ignore[misc]
            lambda name, k=layer: stacking.parameter(name, k),  # type: ignore[misc]
            {stacking.input: below},
        )
    top = {stacking.reads: stacking.quantity(stacking.reads, layers)}
    return (*result, *(f"{OUTPUT} = {_replaced(e, top)}" for t, e in pairs if t == OUTPUT))


def copy_of(
    equations: tuple[str, ...],
    quantity: Callable[[str], str],
    parameter: Callable[[str], str],
    inputs: dict[str, str],
) -> list[str]:
    """The cell's equations but the output, each quantity and parameter renamed, inputs read anew."""
    pairs = _pairs(equations)
    targets = {t for t, _ in pairs}
    own = {name: parameter(name) for name in _names(pairs) - targets} | {t: quantity(t) for t in targets}
    own |= {f"{t}{PREV}": f"{quantity(t)}{PREV}" for t in targets} | inputs
    return [f"{own[t]} = {_replaced(e, own)}" for t, e in pairs if t != OUTPUT]


def stacked_names(
    names: dict[str, Any], layers: int, outputs: tuple[str, ...], stacking: Stacking = RNNCALC
) -> dict[str, Any]:
    """Per-layer copies of per-parameter data (defaults): every name once per layer, the output layer's
    (``outputs``) once."""
    result: dict[str, Any] = {}
    for layer in range(1, layers + 1):
        result |= {
            stacking.parameter(name, layer): value for name, value in names.items() if name not in outputs
        }
    return result | {name: value for name, value in names.items() if name in outputs}


def stacked_dims(
    dims: dict[str, tuple[str, ...]], layers: int, outputs: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """Each layer's parameter shapes: layer 1 reads D inputs, each layer above the H of the one below."""
    above = {name: tuple("H" if s == "D" else s for s in shape) for name, shape in dims.items()}
    result: dict[str, tuple[str, ...]] = {}
    for layer in range(1, layers + 1):
        source = dims if layer == 1 else above
        result |= {layer_suffix(name, layer): shape for name, shape in source.items() if name not in outputs}
    return result | {name: shape for name, shape in dims.items() if name in outputs}


def output_parameters(equations: tuple[str, ...]) -> tuple[str, ...]:
    """The names the output equation reads other than quantities: the output layer's parameters."""
    pairs = _pairs(equations)
    targets = {t for t, _ in pairs}
    found = [name for t, e in pairs if t == OUTPUT for name in _read(e) if name not in targets]
    return tuple(name for name in found if not name.endswith(PREV))


def recurrent_states(equations: tuple[str, ...]) -> tuple[str, ...]:
    """The quantities the equations read the previous value of (h, c): the states, in order."""
    pairs = _pairs(equations)
    read = {name for _, e in pairs for name in _read(e)}
    return tuple(t for t, _ in pairs if f"{t}{PREV}" in read)


def _pairs(equations: tuple[str, ...]) -> list[tuple[str, str]]:
    """(target, expression) of each equation."""
    return [(t.strip(), e.strip()) for t, _, e in (equation.partition("=") for equation in equations)]


def _names(pairs: list[tuple[str, str]]) -> set[str]:
    """Every name a layer's equations define or read (functions and previous values aside)."""
    found = {t for t, _ in pairs if t != OUTPUT}
    for target, expression in pairs:
        if target != OUTPUT:
            found |= {name for name in _read(expression) if not name.endswith(PREV)}
    return found


def _read(expression: str) -> list[str]:
    """The names an expression reads, functions aside."""
    return [m.group(1) for m in IDENTIFIER.finditer(expression) if m.group(2) is None]


def check_layers(layers: int) -> None:
    """1 to MAX_LAYERS layers."""
    if not 1 <= layers <= MAX_LAYERS:
        raise InputError(f"--layers must be between 1 and {MAX_LAYERS}, got {layers}")


def _replaced(expression: str, names: dict[str, str]) -> str:
    """These names replaced, functions and everything else kept."""

    def replace(match: re.Match[str]) -> str:
        name, call = match.group(1), match.group(2)
        return match.group(0) if call is not None or name not in names else names[name]

    return IDENTIFIER.sub(replace, expression)
