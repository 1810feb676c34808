"""Bidirectional networks on the one engine: the reverse direction is a second copy of the cell that reads
x backwards (the stream xr, xr_{k-1} = x_{n-k}), so one forward sweep carries both directions.

The reverse direction's quantities end in b (hb_k is its state after k steps, PyTorch's reverse output at
step n - k + 1), its parameters in _reverse as PyTorch's state_dict names them (weight_ih_l0_reverse).
The two directions meet only in the loss, so a bidirectional problem takes upstream gradients of the
output [h_t; hb_t] (forward half, then reverse, as PyTorch concatenates them): L = Σ dh ⊙ h + Σ dhb ⊙ hb.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..cell.stacking import OUTPUT, copy_of
from ..errors import InputError

REVERSE_QUANTITY = "b"
"""The reverse direction's quantities: h → hb."""
REVERSE_PARAMETER = "_reverse"
"""The reverse direction's parameters, as PyTorch names them: weight_ih_l0 → weight_ih_l0_reverse."""
REVERSED_INPUT = "xr"


def reverse_quantity(name: str) -> str:
    """The reverse direction's copy of a quantity: hb for h."""
    return f"{name}{REVERSE_QUANTITY}"


def with_reverse_direction(cell: Any) -> Any:
    """A course's cell (CourseCell) and its reverse copy (reading xr) side by side, the output once; each
    stacked weight twice."""
    forward = [e for e in cell.equations if e.partition("=")[0].strip() != OUTPUT]
    backward = copy_of(
        cell.equations, reverse_quantity, lambda name: f"{name}{REVERSE_PARAMETER}", {"x": REVERSED_INPUT}
    )
    output = [e for e in cell.equations if e.partition("=")[0].strip() == OUTPUT]
    fused = cell.fused + tuple(
        replace(
            part,
            name=f"{part.name}{REVERSE_PARAMETER}",
            parts=tuple(f"{p}{REVERSE_PARAMETER}" for p in part.parts),
        )
        for part in cell.fused
    )
    return replace(cell, equations=(*forward, *backward, *output), fused=fused)


def reversed_in_time(array: Any) -> Any:
    """Steps in reverse order, along the time axis (second to last: (N, T, D) or (T, D))."""
    import numpy as np

    return np.flip(array, axis=-2)


def split_upstream(array: Any, state: str) -> dict[str, Any]:
    """dL/d[h_t; hb_t] (an array, last axis 2H, in rnncalc's axes) as each direction's: h's forward in
    time, hb's reversed, since hb's step k is the reverse direction's k-th."""
    if array.ndim < 2 or array.shape[-1] % 2:
        raise InputError(
            "--upstream of a bidirectional network: dL/d[h_t; hb_t] for every step, the forward direction's "
            "H entries then the reverse direction's (2H in all)"
        )
    half = array.shape[-1] // 2
    return {
        state: array[..., :half].tolist(),
        reverse_quantity(state): reversed_in_time(array[..., half:]).tolist(),
    }


def split_initial(array: Any, state: str) -> dict[str, Any] | None:
    """h0 given for both directions ((2, N, H) or (2, H), forward first) as h0 and hb0; None when it is
    not shaped so."""
    if array.ndim < 2 or array.shape[0] != 2:
        return None
    return {state: array[0], reverse_quantity(state): array[1]}
