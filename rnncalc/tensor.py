"""Vectors and matrices as values: read from bracket notation, kept as nested tuples, written as JSON lists.

A ``Tensor`` is an immutable nested tuple of floats (a vector, or a matrix as a tuple of rows) that
every renderer can print and the JSON encoder writes as nested lists. Parsing keeps numbers exact.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .errors import InputError
from .numbers import parse_number

Exact = Fraction | tuple[Any, ...]
"""A number, a vector (tuple of Fractions) or a matrix (tuple of rows), all exact."""


class Tensor(tuple):
    """A vector (floats) or a matrix (a tuple of row Tensors); ``repr`` is its JSON text."""

    __slots__ = ()

    @classmethod
    def of(cls, values: Any) -> Tensor:
        """A Tensor from a NumPy array or nested sequences of numbers."""
        if hasattr(values, "tolist"):
            values = values.tolist()
        if values and isinstance(values[0], (list, tuple)):
            return cls(map(cls.of, values))
        return cls(map(float, values))

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, columns) for a matrix, (length,) for a vector."""
        if self and isinstance(self[0], Tensor):
            return (len(self), len(self[0]))
        return (len(self),)

    @property
    def is_matrix(self) -> bool:
        """True for a tuple of rows."""
        return len(self.shape) == 2

    def rows(self) -> list[list[float]]:
        """The values row by row (a vector is one column: one value per row)."""
        return [list(row) for row in self] if self.is_matrix else [[v] for v in self]

    def __repr__(self) -> str:
        """The JSON text: [1.0, 2.0] or [[1.0, 2.0], [3.0, 4.0]]."""
        return "[" + ", ".join(map(repr, self)) + "]"


def magnitude(value: Any) -> float:
    """How big a value is: |x| for a number, the length of a vector, a matrix's largest singular value
    (how much it can stretch a vector: its spectral norm)."""
    if not isinstance(value, Tensor) and not hasattr(value, "shape"):
        return abs(float(value))
    import numpy as np

    array = np.asarray(value, dtype=float)
    return float(np.linalg.norm(array, 2)) if array.ndim == 2 else float(np.linalg.norm(array))


def parse_tensor(text: str, what: str, blank: str | None = None, depth: int = 2) -> Exact:
    """A number, ``[1, 2]`` or ``[[1, 2], [3, 4]]`` (fractions and decimals kept exact).

    ``blank``: a mark (``_``) that may stand for a whole item (a step without a target); it reads as None.
    ``depth``: how deep lists may nest (3 for a mini-batch of sequences: one matrix per sequence).
    """
    text = text.strip()
    if not text.startswith("["):
        return parse_number(text, what)
    value, rest = _parse_list(text, 0, what, blank, depth)
    if text[rest:].strip():
        raise InputError(f"{what}: unexpected {text[rest:].strip()!r} after the closing ]")
    return value


def _parse_list(
    text: str, start: int, what: str, blank: str | None, depth: int = 2
) -> tuple[tuple[Any, ...], int]:
    """The bracketed list that starts at ``start`` and the position after its ]."""
    open_lists: list[list[Any]] = []
    expecting = True  # an item (or the first ]) comes next, not a , or ]
    for match in _PIECE.finditer(text, start):
        piece = match.group()
        if piece == "[":
            if not expecting:
                raise InputError(f"{what}: expected , or ] in {text!r}")
            if len(open_lists) == depth:
                kind = "a vector or a matrix" if depth == 2 else "one matrix per sequence of the batch"
                raise InputError(f"{what}: lists nested more than {DEPTHS[depth]} deep; give {kind}")
            open_lists.append([])
        elif piece in ",]" and expecting:
            if piece == "]" and not open_lists[-1]:
                raise InputError(f"{what}: an empty list []; give at least one number")
            parse_number("", what)  # a missing number: its one-line error
        elif piece == ",":
            expecting = True
        elif piece == "]":
            done = tuple(open_lists.pop())
            if not open_lists:
                return done, match.end()
            open_lists[-1].append(done)
        elif piece.strip():
            if not expecting:
                raise InputError(f"{what}: expected , or ] in {text!r}")
            token = piece.strip()
            open_lists[-1].append(None if blank and token == blank else _number(token, what))
            expecting = False
    raise InputError(f"{what}: a [ is never closed")


DEPTHS = {2: "two", 3: "three"}
_PIECE = re.compile(r"[\[\],]|[^\[\],]+")
"""A bracket, a comma, or the text between them (a number, perhaps with spaces around it)."""


@lru_cache(maxsize=65536)
def _number(token: str, what: str) -> Fraction:
    """A number of a list (matrices repeat their values: each distinct text is parsed once)."""
    return parse_number(token, what)


def shape_of(value: Exact, what: str) -> tuple[int, ...]:
    """() for a number, (n,) for a vector, (rows, columns) for a matrix; ragged or deeper lists refused."""
    if not isinstance(value, tuple):
        return ()
    inner = {shape_of(item, what) for item in value}
    if len(inner) != 1:
        raise InputError(f"{what}: rows of different lengths or a mix of numbers and lists")
    (item,) = inner
    if len(item) > 1:
        raise InputError(f"{what}: lists nested more than two deep; give a vector or a matrix")
    return (len(value), *item)


def describe(shape: tuple[int, ...]) -> str:
    """2×3, a vector of 2, a number."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]}×{shape[1]}"


AMSMATH_COLUMNS = 10
"""amsmath's bmatrix takes at most 10 columns (MaxMatrixCols): a wider matrix is written as an array."""


def latex_matrix(rows: list[list[str]]) -> str:
    """LaTeX of a matrix from its entries' LaTeX: a bmatrix, or a bracketed array when it is wider than
    amsmath's bmatrix allows (so any document, and any \\input fragment, compiles)."""
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    columns = max((len(row) for row in rows), default=1)
    if columns <= AMSMATH_COLUMNS:
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    return rf"\left[\begin{{array}}{{{'c' * columns}}} {body} \end{{array}}\right]"


def shown(value: Any) -> Any:
    """A value as renderers print it: a vector or matrix as a Tensor, a number as it is."""
    if getattr(value, "ndim", 0):
        return Tensor.of(value)
    return float(value) if hasattr(value, "ndim") else value  # a NumPy scalar as a plain number
