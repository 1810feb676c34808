"""A mini-batch: N sequences of the same cell and parameters, each with its own inputs, targets and
(optionally) initial states; the batch's loss is the mean (or the sum) of the sequences' losses.

x nested three deep is a batch, one matrix (a row per step) per sequence; g likewise (or one list of
class indices or numbers per sequence); an initial state given one row per sequence is per sequence,
given as one vector it is shared by all. Each sequence is an ordinary problem, so every number of the
batch is the one engine's; the batch adds its sequences' gradients with the reduction's weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell.losses import REDUCTIONS
from ..errors import InputError

MAX_SEQUENCES = 10_000


@dataclass(frozen=True)
class Batch:
    """The sequences of a mini-batch, how their losses combine, which one a derivation shows, and which
    initial states were given per sequence."""

    sequences: tuple[Any, ...]
    reduction: str
    shown: int
    per_sequence: frozenset[str]

    @property
    def weight(self) -> Fraction:
        """Each sequence's share of the batch loss: 1/N for the mean, 1 for the sum."""
        return Fraction(1, len(self.sequences)) if self.reduction == "mean" else Fraction(1)


def depth(value: Any) -> int:
    """How deep lists nest in a value (a number: 0; NumPy arrays by their ndim)."""
    if hasattr(value, "ndim"):
        return int(value.ndim)
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        return 0
    return 1 + max(depth(item) for item in value)


def is_batch(x: Any) -> bool:
    """x nested three deep: one matrix of inputs per sequence."""
    return depth(x) == 3


def split(value: Any, n: int, what: str, per_sequence_depth: int) -> list[Any] | None:
    """A value given per sequence (nested one level deeper than one sequence needs) as N values, or None
    when it is shared by every sequence."""
    if value is None or depth(value) < per_sequence_depth:
        return None
    items = value.tolist() if hasattr(value, "tolist") else list(value)
    if len(items) != n:
        raise InputError(f"{what} has {len(items)} row(s) for a batch of {n} sequences; give one each")
    return items


def check_batch(n: int, reduction: str, sequence: int) -> None:
    """The batch's size, reduction and shown sequence make sense."""
    if n > MAX_SEQUENCES:
        raise InputError(f"a batch of {n:,} sequences is more than rnncalc works with ({MAX_SEQUENCES:,})")
    if reduction not in REDUCTIONS:
        raise InputError(f"--reduce-batch must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    if not 1 <= sequence <= n:
        raise InputError(f"--sequence {sequence}: the batch has sequences 1 to {n}")
