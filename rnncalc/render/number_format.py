"""How rnncalc writes a number: --digits decimals, zeros dropped only where nothing is lost."""

from __future__ import annotations

import functools
import math
from fractions import Fraction


@functools.lru_cache(maxsize=1 << 16)
def format_number(value: float, digits: int) -> str:
    """The one number format: whole numbers as they are (2, -1), every other value with ``digits``
    decimals (1.748500), and a value too small or too large for that in scientific notation with
    ``digits`` significant digits (5.60343e-07)."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    if abs(value) < _smallest_fixed(digits) or abs(value) >= 1e15:
        return f"{value:.{max(digits - 1, 0)}e}"
    if value == int(value):
        return str(int(value))
    fixed = f"{value:.{digits}f}"
    return "0" if fixed.strip("-0.") == "" else fixed


def _smallest_fixed(digits: int) -> float:
    """Below this a value is written in scientific notation: with 6 decimals, below 1e-4, where fixed
    notation would keep fewer than 3 significant digits (0.000002 for 2.328e-06)."""
    return 10.0 ** -(digits - 2) if digits >= 4 else 10.0**-digits


@functools.lru_cache(maxsize=1 << 12)
def format_given(value: float, digits: int) -> str:
    """A value the user typed, as typed where it has at most ``digits`` decimals (0.5, -1/2 as -0.5)."""
    shortest = repr(value)
    if "e" not in shortest and len(shortest.partition(".")[2]) <= digits:
        return shortest.removesuffix(".0")
    return format_number(value, digits)


def format_fraction(value: Fraction) -> str:
    """Plain text of an exact number: 2, -1/2."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
