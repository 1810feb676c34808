"""How quantities are named in text, LaTeX and JSON."""

from __future__ import annotations

from functools import cache

from .formula import Name

_PARAMETER_SPELLING: dict[str, tuple[str, str]] = {
    "Wi": ("W_i", "W_{i}"),
    "Wh": ("W_h", "W_{h}"),
    "h0": ("h_0", "h_{0}"),
}

LOSS = Name("L", "L", "L")


@cache
def parameter(key: str) -> Name:
    """A parameter (or the initial state h0): Wi is written W_i."""
    if key in _PARAMETER_SPELLING:
        text, latex = _PARAMETER_SPELLING[key]
        return Name(text, latex, key)
    base, _, sub = key.partition("_")
    latex = base if len(base) == 1 else rf"\mathit{{{base}}}"
    return Name(key, f"{latex}_{{{sub}}}" if sub else latex, key)


@cache
def indexed(symbol: str, t: int) -> Name:
    """A per-step quantity such as o_1 or h_0."""
    return Name(f"{symbol}_{t}", f"{symbol}_{{{t}}}", f"{symbol}_{t}")


@cache
def derivative(numerator: Name, denominator: Name) -> Name:
    """d numerator / d denominator, written as in the worked example."""
    return Name(
        f"d{numerator.text}/d{denominator.text}",
        rf"\frac{{d{numerator.latex}}}{{d{denominator.latex}}}",
        f"d{numerator.key}/d{denominator.key}",
    )


@cache
def gradient(key: str) -> Name:
    """The gradient of the whole loss with respect to a parameter: dL/dW_i."""
    return derivative(LOSS, parameter(key))


@cache
def partial(numerator: Name, denominator: Name) -> Name:
    """∂ numerator / ∂ denominator: a local derivative of one equation, other inputs held fixed."""
    return Name(
        f"∂{numerator.text}/∂{denominator.text}",
        rf"\frac{{\partial {numerator.latex}}}{{\partial {denominator.latex}}}",
        f"∂{numerator.key}/∂{denominator.key}",
    )


@cache
def initial_state(state: str) -> Name:
    """A state's initial value: s_0, keyed s0 like h0."""
    return Name(f"{state}_0", f"{state}_{{0}}", f"{state}0")
