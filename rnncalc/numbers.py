"""The numbers a user types, parsed exactly, and hand rounding (half up, as on a pocket calculator)."""

from __future__ import annotations

import math
import re
import sys
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from functools import lru_cache

from .errors import InputError

_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<{}>[+-]?\d+))?"
_NUMBER = re.compile("^" + _DECIMAL.format("e1") + "(?:/" + _DECIMAL.format("e2") + ")?$", re.ASCII)
ECHO = 40


def shown(text: str) -> str:
    """A value typed by the user, quoted for a message (long values cut: a 50 MB value is not echoed)."""
    return repr(text if len(text) <= ECHO else text[:ECHO] + "…")


_MAX_EXPONENT = 4000


@lru_cache(maxsize=4096)
def looks_like_number(text: str) -> bool:
    """True when the text is a number rnncalc accepts (integer, decimal, 1e-3, 1/2), or _ (no target)."""
    text = text.strip()
    return text == "_" or bool(_NUMBER.match(text))


def as_float(value: Fraction, what: str = "value") -> float:
    """An exact value as a double; one beyond double precision (1e309) is a clear error, not inf."""
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"{what}: {shown(str(value))} is too large for double precision") from None


MAX_NUMBER_LENGTH = 1000
"""The longest number rnncalc reads (Python refuses to convert integers of more than 4,300 digits)."""


def parse_number(text: str, what: str = "value") -> Fraction:
    """Parse an integer, decimal, scientific number or fraction into an exact Fraction."""
    cleaned = text if text[:1].isdigit() and text[-1:].isdigit() else text.strip()
    match = _NUMBER.match(cleaned)
    if match is None:
        comma = re.fullmatch(r"\s*-?\d+,\d+\s*", text) is not None
        hint = (
            f"; a decimal point, not a comma: {text.strip().replace(',', '.')}"
            if comma
            else " (use e.g. 1, -0.5, 2e-3 or 1/2)"
        )
        raise InputError(f"{what}: {shown(text)} is not a number{hint}")
    if len(cleaned) > MAX_NUMBER_LENGTH:
        raise InputError(
            f"{what}: a number of {len(cleaned):,} characters is longer than rnncalc reads "
            f"(at most {MAX_NUMBER_LENGTH:,}); write it with an exponent, e.g. 1.23e400"
        )
    exponents = match.group("e1", "e2")
    if exponents != (None, None) and any(e is not None and abs(int(e)) > _MAX_EXPONENT for e in exponents):
        raise InputError(f"{what}: {shown(text)} is too large or too small to represent")
    if "/" not in cleaned:
        return _decimal(cleaned)
    numerator, _, denominator = cleaned.partition("/")
    value = Fraction(numerator)
    if denominator:
        divisor = Fraction(denominator)
        if divisor == 0:
            raise InputError(f"{what}: {shown(text)} divides by zero")
        value /= divisor
    return value


_POWERS = [10**k for k in range(32)]
WIDE = Context(prec=400)
"""Enough digits for any double (up to 1.8e308) with 30 decimals: hand rounding never runs out."""


def _decimal(text: str) -> Fraction:
    """A matched decimal as a Fraction; plain decimals without exponent take a fast path."""
    whole, point, decimals = text.partition(".")
    if "e" in text or "E" in text or len(decimals) >= len(_POWERS):
        return Fraction(text)
    if not point:
        return Fraction(int(whole))
    return Fraction(int(whole + decimals), _POWERS[len(decimals)])


def parse_values(
    items: list[str] | None, what: str, blank: str | None = None
) -> list[Fraction | None] | None:
    """Parse repeated or comma-separated values (``1 0``, ``1,0``) into Fractions."""
    if items is None:
        return None
    pieces = [piece for item in items for piece in item.split(",")]
    if not pieces or any(not piece.strip() for piece in pieces):
        raise InputError(f"{what}: expected one or more numbers, got {' '.join(items)!r}")
    seen: dict[str, Fraction] = {}  # long sequences repeat their values (0.125 typed 800 times)
    values: list[Fraction | None] = []
    for piece in pieces:
        if blank and piece.strip() == blank:
            values.append(None)
            continue
        value = seen.get(piece)
        if value is None:
            value = seen[piece] = parse_number(piece, what)
        values.append(value)
    return values


def round_half_up(value: float, digits: int) -> float:
    """Round as a person does with a pocket calculator: the shown decimal, half up."""
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP, context=WIDE))


def round_half_up_exact(value: Fraction | float, digits: int) -> Fraction:
    """Round half up to ``digits`` decimals and keep the written decimal exactly (0.1 is 1/10)."""
    if isinstance(value, Fraction):
        shown = WIDE.divide(Decimal(value.numerator), Decimal(value.denominator))
    else:
        shown = Decimal(repr(value))
    quantum = Decimal(1).scaleb(-digits)
    return Fraction(shown.quantize(quantum, rounding=ROUND_HALF_UP, context=WIDE))


def check_representable(value: Fraction, what: str) -> None:
    """Refuse numbers that double precision cannot hold."""
    try:
        as_float = float(value)
    except OverflowError:
        as_float = math.inf
    if as_float == 0 and value != 0 or 0 < abs(as_float) < sys.float_info.min:
        raise InputError(
            f"{what} is too small to represent as a double-precision number (smallest about 2.2e-308); "
            "use 0 or a larger value"
        )
    if not math.isfinite(as_float):
        digits = round((abs(value.numerator).bit_length() - value.denominator.bit_length()) * math.log10(2))
        raise InputError(
            f"{what} (about 1e{digits}) is too large to represent as a double-precision number (at most "
            "about 1.8e308)"
        )
