"""Preset cells, one record each: the equations courses use, with documented parameters and defaults."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Preset:
    """A named cell: its equations (evaluated in order each step), default parameter values, a note, and
    each parameter's shape for vectors in H (hidden units), D (inputs) and K (outputs)."""

    name: str
    about: str
    equations: tuple[str, ...]
    defaults: dict[str, Fraction]
    dims: dict[str, tuple[str, ...]]


def _dims(text: str) -> dict[str, tuple[str, ...]]:
    """``"Wi=HxD b=H"`` as shapes: Wi is H×D, b a vector of H."""
    return {
        name: tuple(shape.split("x")) for name, _, shape in (item.partition("=") for item in text.split())
    }


BUILT_IN_DIMS = _dims("Wi=HxD Wh=HxH b=H a=KxH c=K")
"""The built-in cell's parameters as vectors and matrices: o = W_i x + W_h h + b, y = a h + c."""


def _values(text: str) -> dict[str, Fraction]:
    """``"Wi=0.5 Wh=-1"`` as exact values."""
    return {name: Fraction(value) for name, _, value in (item.partition("=") for item in text.split())}


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "elman",
            "Elman network: the state feeds back (the worked example's cell with tanh)",
            ("o = Wi*x + Wh*h_prev + b", "h = tanh(o)", "y = a*h + c"),
            _values("Wi=0.5 Wh=0.8 b=0 a=1 c=0"),
            BUILT_IN_DIMS,
        ),
        Preset(
            "jordan",
            "Jordan network: the output feeds back (y_prev), not the state",
            ("o = Wi*x + Wy*y_prev + b", "h = tanh(o)", "y = a*h + c"),
            _values("Wi=0.5 Wy=0.8 b=0 a=1 c=0"),
            _dims("Wi=HxD Wy=HxK b=H a=KxH c=K"),
        ),
        Preset(
            "gru",
            "gated recurrent unit: update gate z, reset gate r, candidate hc; h = (1 - z)·h_prev + z·hc",
            (
                "z = sigmoid(Wz*x + Uz*h_prev + bz)",
                "r = sigmoid(Wr*x + Ur*h_prev + br)",
                "hc = tanh(Wc*x + Uc*(r*h_prev) + bc)",
                "h = (1 - z)*h_prev + z*hc",
                "y = a*h + c",
            ),
            _values("Wz=0.5 Uz=0.3 bz=0.1 Wr=0.4 Ur=0.2 br=0.1 Wc=0.7 Uc=0.6 bc=0 a=1 c=0"),
            _dims("Wz=HxD Uz=HxH bz=H Wr=HxD Ur=HxH br=H Wc=HxD Uc=HxH bc=H a=KxH c=K"),
        ),
        Preset(
            "lstm",
            "long short-term memory: forget f, input i, output og gates, candidate cc, cell state s",
            (
                "f = sigmoid(Wf*x + Uf*h_prev + bf)",
                "i = sigmoid(Wi*x + Ui*h_prev + bi)",
                "og = sigmoid(Wo*x + Uo*h_prev + bo)",
                "cc = tanh(Wc*x + Uc*h_prev + bc)",
                "s = f*s_prev + i*cc",
                "h = og*tanh(s)",
                "y = a*h + c",
            ),
            _values(
                "Wf=0.7 Uf=0.1 bf=0.15 Wi=0.95 Ui=0.8 bi=0.65 Wo=0.6 Uo=0.25 bo=0.1 "
                "Wc=0.45 Uc=0.15 bc=0.2 a=1 c=0"
            ),
            _dims("Wf=HxD Uf=HxH bf=H Wi=HxD Ui=HxH bi=H Wo=HxD Uo=HxH bo=H Wc=HxD Uc=HxH bc=H a=KxH c=K"),
        ),
    )
}
