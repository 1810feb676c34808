"""Wrapping an equation to a width the way mathematics is wrapped: never inside a number or a name,
only before ` = `, ` + `, ` - ` or ` · `, continuation lines hanging under the first `=`."""

from __future__ import annotations

import re

Segment = tuple[str, "str | None"]
MIN_WIDTH = 40


LEVELS = ((" = ",), (" + ", " - "), (" · ",))
"""Where to break first: between the parts of the chain, then between terms, then between factors."""


_TOKENS = re.compile(r"[(\[{]|[)\]}]| (?=[=+\-·] )")
"""What break_points reads: brackets, and the operators it may break before (the text between is skipped)."""


def break_points(text: str, operators: tuple[str, ...], depth: int) -> list[int]:
    """Positions just before each of these operators at this parenthesis depth."""
    points, level = [], 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "([{":
            level += 1
        elif token in ")]}":
            level -= 1
        elif level == depth and (i := match.start()) > 0 and text[i : i + 3] in operators:
            points.append(i)
    return points


def _pieces(text: str, start: int, end: int, room: int, level: int = 0) -> list[tuple[int, int]]:
    """text[start:end] as pieces: split at the coarsest breaks first, finer only where a piece is too wide."""
    if level >= len(LEVELS) * 4:
        return [(start, end)]
    operators, depth = LEVELS[level % len(LEVELS)], level // len(LEVELS)
    cuts = break_points(text[start:end], operators, depth)
    bounds = [start, *(start + c for c in cuts), end]
    pieces: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        pieces += _pieces(text, a, b, room, level + 1) if b - a > room else [(a, b)]
    return pieces


def wrap(segments: list[Segment], width: int | None) -> list[list[Segment]]:
    """The line as one or more lines no wider than ``width`` (where breaks allow), styles kept."""
    text = "".join(s for s, _ in segments)
    if width is None or len(text) <= width:
        return [segments]
    width = max(width, MIN_WIDTH)
    equals = text.find(" = ")
    hang = equals + 1 if 0 <= equals < width // 2 else 4
    indent = " " * hang
    lines: list[tuple[int, int]] = []
    current_start, current_end = 0, 0
    for a, b in _pieces(text, 0, len(text), width - hang):
        used = (current_end - current_start) + (hang if lines else 0)
        if current_end > current_start and used + (b - a) > width:
            lines.append((current_start, current_end))
            current_start = a + 1  # drop the space before the operator
        current_end = b
    lines.append((current_start, current_end))
    return [
        (_slice(segments, a, b) if i == 0 else [(indent, None), *_slice(segments, a, b)])
        for i, (a, b) in enumerate(lines)
    ]


def _slice(segments: list[Segment], start: int, end: int) -> list[Segment]:
    """The styled segments covering text[start:end]."""
    result, position = [], 0
    for text, style in segments:
        a, b = max(start, position), min(end, position + len(text))
        if a < b:
            result.append((text[a - position : b - position], style))
        position += len(text)
    return result
