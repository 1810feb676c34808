"""Results put back in a course's layout: its stacked weights' gradients stacked again (dWx of CS231n's
D×4H), column biases as columns, dL/dx and per-sequence initial states along the course's axes."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..tensor import shown
from .model import Derivation
from .names import gradient


def in_course_layout(derivation: Derivation) -> Derivation:
    """The derivation with its gradients keyed and shaped as the problem's convention writes them."""
    layout: Any = getattr(derivation.problem, "course", None)
    if layout is None:
        return derivation
    import numpy as np

    states = tuple(derivation.problem.spec.states)
    gradients, names = _restacked(derivation.gradients, dict(derivation.gradient_names), layout, states)
    full = derivation.full_gradients
    if full is not None:  # truncated BPTT: the full gradients in the same layout
        full, _ = _restacked(full, {}, layout, states)
    inputs = derivation.input_gradients
    if inputs is not None and layout.bidirectional:  # x is read twice: forward, and backwards as xr
        inputs = dict(inputs)
        backwards = np.flip(np.asarray(inputs.pop(layout.reversed_input), dtype=float), axis=-2)
        inputs["x"] = np.asarray(inputs["x"], dtype=float) + backwards
    if inputs is not None:  # the upstream gradients given as streams are no inputs of the course's
        inputs = {s: v for s, v in inputs.items() if s not in layout.upstream_streams}
        inputs = {
            s: _course_axes(np.asarray(v, dtype=float), layout.convention.batch) for s, v in inputs.items()
        }
    return dataclasses.replace(
        derivation, gradients=gradients, gradient_names=names, input_gradients=inputs, full_gradients=full
    )


def _restacked(
    given: dict[str, Any], names: dict[str, Any], layout: Any, states: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Gradients (and their names) keyed and shaped as the course writes them (``states``: the cell's)."""
    import numpy as np

    gradients = dict(given)
    for fused in layout.cell.fused:
        if not all(part in gradients and np.ndim(gradients[part]) for part in fused.parts):
            continue  # a part not given as an array (a default number) has no place in the stack
        parts = [np.asarray(gradients.pop(part), dtype=float) for part in fused.parts]
        for part in fused.parts:
            names.pop(part, None)
        gradients[fused.name] = shown(np.concatenate(parts, axis=fused.axis))
        names[fused.name] = gradient(fused.name)
    for key in layout.columns:
        if key in gradients:
            gradients[key] = shown(np.asarray(gradients[key], dtype=float).reshape(-1, 1))
    convention = layout.convention
    if convention.layer_axis:  # every layer's (and direction's) h0 back on PyTorch's axis: (L·dirs, N, H)
        for state in layout.states:
            keys = [f"{slot}0" for slot in layout.slots(state)]
            if all(key in gradients and np.ndim(gradients[key]) for key in keys):
                gradients[f"{state}0"] = shown(
                    np.stack([np.asarray(gradients.pop(k), dtype=float) for k in keys])
                )
                for key in keys:
                    names.pop(key, None)
                names[f"{state}0"] = gradient(f"{state}0")
        return gradients, names
    for state in (s for s in states if f"{s}0" in gradients):
        value = np.asarray(gradients[f"{state}0"], dtype=float)
        if convention.columns and value.ndim == 2:  # a0 per sequence: n_a × m
            gradients[f"{state}0"] = shown(value.T)
    return gradients, names


def _course_axes(array: Any, axes: str) -> Any:
    """rnncalc's (N, T, D) (or one sequence's (T, D)) along the course's axes."""
    if axes == "TND" and array.ndim == 3:
        return array.transpose(1, 0, 2)
    if axes == "DNT":
        return array.transpose(2, 0, 1) if array.ndim == 3 else array.T
    return array
