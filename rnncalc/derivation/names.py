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
    """A parameter (or the initial state h0): Wi is written W_i, Wf W_f, Wx_i W_{x,i}; a word such as
    PyTorch's weight_ih_l0 upright, as it is spelled."""
    if key in _PARAMETER_SPELLING:
        text, latex = _PARAMETER_SPELLING[key]
        return Name(text, latex, key)
    return Name(key, parameter_latex(key), key)


def parameter_latex(key: str) -> str:
    """A parameter's name in LaTeX: its first letter, the rest as a subscript (never a product W·f)."""
    base, _, sub = key.partition("_")
    if len(base) >= 3 and base.isalpha() and base.islower():  # a word: weight_ih_l0, bias_hh_l1
        return rf"\mathrm{{{key}}}".replace("_", r"\_")
    head, rest = base[0], base[1:]
    subscript = ",".join(part for part in (rest, sub) if part)
    return f"{head}_{{{subscript}}}" if subscript else head


def symbol_latex(symbol: str) -> str:
    """A quantity's symbol in LaTeX: one letter as it is; a letter and a layer number h^{(2)}; a name of
    several letters upright (og, cc, hc: never the product o·g)."""
    if len(symbol) == 1:
        return symbol
    if symbol[0].isalpha() and symbol[1:].isdigit():
        return f"{symbol[0]}^{{({symbol[1:]})}}"
    return rf"\mathrm{{{symbol}}}"


@cache
def indexed(symbol: str, t: int) -> Name:
    """A per-step quantity such as o_1 or h_0 (og_1 upright, h2_1 as h^{(2)}_1)."""
    return Name(f"{symbol}_{t}", f"{symbol_latex(symbol)}_{{{t}}}", f"{symbol}_{t}")


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
    return Name(f"{state}_0", f"{symbol_latex(state)}_{{0}}", f"{state}0")
