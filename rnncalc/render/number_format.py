"""How rnncalc writes a number: --digits decimals, zeros dropped only where nothing is lost."""

from __future__ import annotations

import functools
import math
from fractions import Fraction


@functools.lru_cache(maxsize=1 << 16)
def format_number(value: float, digits: int) -> str:
    """Show a value with ``digits`` decimals, dropping zeros only where nothing is lost."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    if abs(value) < 10.0**-digits or abs(value) >= 1e15:
        return f"{value:.{max(digits - 1, 0)}e}"
    fixed = f"{value:.{digits}f}"
    if float(fixed) == value and "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    return "0" if fixed in ("-0", "") else fixed


def format_fraction(value: Fraction) -> str:
    """Plain text of an exact number: 2, -1/2."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
