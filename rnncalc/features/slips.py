"""The usual slips of a hand derivation, recognised from the right value and the student's number."""

from __future__ import annotations

import math
import re


def typed_decimals(typed: str) -> int | None:
    """How many decimals a number was typed with (None when it is not a plain decimal)."""
    return len(typed.partition(".")[2]) if re.fullmatch(r"-?\d+\.\d+", typed) else None


def typed_tolerance(typed: str, tolerance: float) -> float:
    """Half a unit in the last decimal typed (at least the grade's tolerance)."""
    decimals = typed_decimals(typed)
    return max(tolerance, 0.5 * 10.0**-decimals * (1 + 1e-9)) if decimals is not None else tolerance


def name_slip(answer: float, expected: float, typed: str, n: int, tolerance: float) -> str:
    """The usual slip that turns the right value into the student's, in words; "" when none fits."""
    decimals = typed_decimals(typed)
    loose = typed_tolerance(typed, tolerance)

    def near(value: float) -> bool:
        return abs(answer - value) <= loose

    if decimals is not None and loose > tolerance and near(expected):
        places = "1 decimal" if decimals == 1 else f"{decimals} decimals"
        return f"right to the {places} given, but not to the decimals asked for"
    if decimals is not None and answer == math.trunc(expected * 10**decimals) / 10**decimals:
        return f"cut off after {decimals} decimals instead of rounded"  # at the sheet's own decimals too

    if expected != 0 and near(-expected):
        return "the sign is flipped"
    written = round(expected, decimals) if decimals is not None else expected  # the value as rounded
    for factor, words in ((2, "a factor of 2 (the 2 of the square's derivative, or the ½ of ½·SSE)"),):
        doubled = (expected * factor, written * factor, expected / factor, written / factor)
        if expected != 0 and any(abs(answer - value) <= loose * factor for value in doubled):
            return f"off by {words}"
    if n > 2 and expected != 0 and (near(expected * n) or near(expected / n)):
        return f"off by a factor of n = {n} (the 1/n of the mean)"
    swapped = _swapped_digits(typed, expected)
    if swapped:
        return f"two digits swapped: {typed} for {swapped}"
    if abs(answer - expected) <= 50 * tolerance:
        return "close, but not within rounding: rounded too early, or a digit dropped?"
    return ""


def _swapped_digits(typed: str, expected: float) -> str:
    """The right value written with as many decimals as typed, when it is the typed text with two
    neighbouring digits swapped; else ""."""
    decimals = len(typed.partition(".")[2]) if "." in typed else 0
    if not typed or not re.fullmatch(r"-?\d+(\.\d+)?", typed):
        return ""
    right = f"{expected:.{decimals}f}"
    if len(right) != len(typed) or right == typed:
        return ""
    diff = [i for i, (a, b) in enumerate(zip(right, typed, strict=True)) if a != b]
    if (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and right[diff[0]] == typed[diff[1]]
        and right[diff[1]] == typed[diff[0]]
    ):
        return right
    return ""
