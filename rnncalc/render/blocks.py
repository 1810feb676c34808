"""Matrices as matrices on the terminal: each one printed as its aligned rows, stacked, inside a line.

A line is printed and wrapped as one line of text in which every matrix stands as a placeholder as
wide as its rows (``MatrixPrinter``); ``stacked`` then writes the line as rows of text: everything
else on the first row, as before, and each matrix's rows one under another from there, so every
equation still starts with its name at the margin:

    do_2/dh_1 = W_h = [0.5, 0.1]
                      [0.2, 0.3]
"""

from __future__ import annotations

from collections.abc import Callable

from ..tensor import Tensor
from .printers import COMPACT_ABOVE, TextPrinter
from .wrapping import Segment

FIRST_MARK = 0xF0000
"""Placeholders are characters of a private-use plane, one per distinct matrix."""


def stackable(value: Tensor) -> bool:
    """A matrix of 2 to COMPACT_ABOVE rows and columns, or a vector of 2 to COMPACT_ABOVE entries (a
    column): written as rows one under another."""
    return len(value) >= 2 and max(value.shape) <= COMPACT_ABOVE


def aligned_rows(value: Tensor, entry: Callable[[float], str]) -> tuple[str, ...]:
    """A matrix as bracketed rows of equal width, its columns aligned: ("[0.5, 0.1]", "[0.2, 0.3]"); a
    vector as a column, an entry per row."""
    cells = [[entry(v) for v in row] for row in value.rows()]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return tuple("[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells)


class MatrixPrinter(TextPrinter):
    """The terminal's value printer: a matrix of 2 to COMPACT_ABOVE rows as a placeholder for its rows."""

    def __init__(self, digits: int = 6) -> None:
        """Values with ``digits`` decimals, large vectors and matrices as shape and norm."""
        super().__init__(digits, values=True, compact=True)
        self.matrices: dict[tuple[str, ...], str] = {}
        self.rows: dict[str, tuple[str, ...]] = {}
        self.inline: dict[str, str] = {}

    def tensor(self, value: Tensor, entry: Callable[[float], str]) -> str:
        """A matrix as the placeholder of its aligned rows; a vector (or a large matrix) as before."""
        plain = TextPrinter(self.digits, values=True, compact=True)
        if value.is_matrix and len(value) == 1:  # a row vector (1 × K): a row, as columns are columns
            return plain.tensor(value[0], entry)
        if not stackable(value):  # on one line, its rows too
            return plain.tensor(value, entry)
        rows = aligned_rows(value, entry)
        if rows not in self.matrices:  # the same matrix gets the same mark, so equal parts stay equal
            mark = chr(FIRST_MARK + len(self.matrices))
            self.matrices[rows] = mark
            self.rows[mark] = rows
            self.inline[mark] = plain.tensor(value, entry)
        return self.matrices[rows] * len(rows[0])

    def stacked(self, line: list[Segment], width: int | None = None) -> list[list[Segment]]:
        """The line as rows of text: the first as the line reads, each matrix's later rows below it.

        A line still wider than ``width`` after wrapping keeps its matrices inline ([[1, 2], [3, 4]]):
        the terminal folds it, which would tear stacked rows apart.
        """
        text = "".join(s for s, _ in line)
        heights = [len(self.rows[ch]) for ch in set(text) if ch in self.rows]
        if not heights:
            return [line]
        if width is not None and len(text) > width:
            return [[(self._inline(piece), style) for piece, style in line]]
        return [_trimmed(self._row(line, r)) for r in range(max(heights))]

    def _inline(self, text: str) -> str:
        """Text with each placeholder run replaced by its matrix written on one line."""
        return "".join(self.inline[piece[0]] if mark else piece for piece, mark in self._runs(text))

    def _row(self, line: list[Segment], r: int) -> list[Segment]:
        """Row ``r`` of the stacked line: on row 0 all the text, below it only each matrix's row r."""
        row: list[Segment] = []
        for text, style in line:
            joined = "".join(self._row_of(piece, mark, r) for piece, mark in self._runs(text))
            row.append((joined, style if joined.strip() else None))
        return row

    def _row_of(self, piece: str, mark: bool, r: int) -> str:
        """Row ``r`` of one run: a matrix's row r (blank below its last), plain text only on row 0."""
        rows = self.rows[piece[0]] if mark else (piece,)
        return rows[r] if r < len(rows) else " " * len(piece)

    def _runs(self, text: str) -> list[tuple[str, bool]]:
        """The text as runs: each matrix's placeholder (True) and the text between them (False)."""
        runs: list[tuple[str, bool]] = []
        i = 0
        while i < len(text):
            if text[i] in self.rows:
                width = len(self.rows[text[i]][0])
                runs.append((text[i : i + width], True))
                i += width
            else:
                j = i
                while j < len(text) and text[j] not in self.rows:
                    j += 1
                runs.append((text[i:j], False))
                i = j
        return runs


def _trimmed(row: list[Segment]) -> list[Segment]:
    """A stacked row without the spaces it ends in."""
    while row and not row[-1][0].strip():
        row = row[:-1]
    if row:
        row = [*row[:-1], (row[-1][0].rstrip(), row[-1][1])]
    return row
