"""How a cell's states are named, without SymPy: NAME_prev is a state's previous value, NAME0 its first."""

from __future__ import annotations

PREV = "_prev"
"""The suffix that reads the previous step's value of a quantity (h_prev, s_prev)."""


def initial(state: str) -> str:
    """The key of a state's initial value: h0, s0, y0."""
    return f"{state}0"


def state_of(use: str) -> str | None:
    """s for s_prev (a state's previous value), else None."""
    return use[: -len(PREV)] if use.endswith(PREV) else None
