"""Wrapping's break points against a plain character-by-character scan, and wrapped lines kept whole."""

from __future__ import annotations

import random

from rnncalc.render.wrapping import LEVELS, break_points, wrap


def scanned(text: str, operators: tuple[str, ...], depth: int) -> list[int]:
    """The break points by reading every character: the definition break_points must agree with."""
    points, level = [], 0
    for i, ch in enumerate(text):
        if ch in "([{":
            level += 1
        elif ch in ")]}":
            level -= 1
        elif ch == " " and level == depth and i > 0 and text[i : i + 3] in operators:
            points.append(i)
    return points


PIECES = ["a", "1.5", " = ", " + ", " - ", " · ", *"()[]{}", " ", "-", "·", "=", "+", "x_1"]


def test_break_points_agree_with_a_scan_of_every_character() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 40)))
        for operators in LEVELS:
            for depth in range(3):
                assert break_points(text, operators, depth) == scanned(text, operators, depth), text


def test_breaks_overlapping_operators_each() -> None:
    assert break_points("a · + b", (" + ", " - "), 0) == [3]  # " · " and " + " share a space
    assert break_points("a · + b", (" · ",), 0) == [1]


def test_wrapped_lines_keep_every_number_whole() -> None:
    terms = " + ".join(f"0.{i:06d} · (1 - 0.{i:06d})" for i in range(1, 30))
    line = f"dL/dW = {terms}"
    lines = wrap([(line, None)], 60)
    assert len(lines) > 1
    joined = " ".join("".join(text for text, _ in segments).strip() for segments in lines)
    assert joined.split() == line.split()
    assert all(len("".join(text for text, _ in segments)) <= 60 for segments in lines)
