"""The preset cells as text: rnncalc cells."""

from __future__ import annotations

from fractions import Fraction

from ..cell.presets import PRESETS


def _decimal(value: Fraction) -> str:
    """3/20 as 0.15, 1 as 1."""
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def presets_text() -> str:
    """Every preset: its name and note, its equations in order, and its parameters' default values."""
    blocks = []
    for preset in PRESETS.values():
        defaults = ", ".join(f"{name} = {_decimal(value)}" for name, value in preset.defaults.items())
        lines = [f"{preset.name}: {preset.about}", *(f"  {equation}" for equation in preset.equations)]
        lines.append(f"  defaults: {defaults}")
        blocks.append("\n".join(lines))
    footer = (
        "Use one with --preset NAME; --param NAME=NUM overrides a default, --init NAME=NUM a state's "
        "initial value (default 0)."
    )
    return "\n\n".join([*blocks, footer]) + "\n"
