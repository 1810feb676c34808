"""Variants of a problem for a class: the same cell and shapes, new values drawn from a seed, each kept
only when its numbers stay well-conditioned (no saturated unit, no vanishing or exploding gradient)."""

from __future__ import annotations

import math
import random
from typing import Any

from ..compute.problem import Problem, Settings
from ..compute.values import ARRAYS, NUMBERS, values_of
from ..derivation.derive import derive
from ..errors import InputError, RnnCalcError

MAX_VARIANTS = 200
TRIES = 200
LARGEST_VALUE = 4.0
"""No named quantity larger than this in size (a sigmoid or tanh of 4 is nearly flat: little to learn)."""
GRADIENT_RANGE = (1e-3, 50.0)
"""The largest gradient entry within this range: neither vanished nor exploded."""


def variants(problem: Problem, count: int, seed: int) -> list[Problem]:
    """``count`` problems like this one (same cell, loss, shapes and missing targets), new values for the
    inputs, targets and parameters, one decimal each; the same seed gives the same problems."""
    if not 1 <= count <= MAX_VARIANTS:
        raise InputError(f"--variants must be between 1 and {MAX_VARIANTS}, got {count}")
    if problem.batch is not None or problem.course is not None:
        raise InputError(
            "--variants draws single sequences in rnncalc's own convention: drop the batch or --convention"
        )
    rng = random.Random(seed)
    found: list[Problem] = []
    for _ in range(count * TRIES):
        candidate = _drawn(problem, rng)
        if candidate is not None and _well_conditioned(candidate):
            found.append(candidate)
            if len(found) == count:
                return found
    raise InputError(
        f"could not draw {count} well-conditioned variants of this problem in {count * TRIES} tries; "
        "try another --seed or fewer variants"
    )


def _drawn_arrays(problem: Problem, rng: random.Random) -> tuple[Any, dict[str, Any], Any]:
    """New inputs, parameters and targets of the same shapes (class indices for softmax)."""
    arrays = problem.arrays
    assert arrays is not None
    x = _like(arrays.streams["x"].tolist(), rng, -10, 10)
    params = {p: _like(v.tolist(), rng, -12, 12, nonzero=True) for p, v in arrays.params.items()}
    g: list[Any] = [
        _like(row, rng, -10, 10) if keep else "_" for row, keep in zip(arrays.g.tolist(), problem.targets)
    ]
    if problem.loss == "softmax-ce":
        classes = int(arrays.sizes.get("K", 2))
        g = [str(rng.randrange(classes)) if keep else "_" for keep in problem.targets]
    return x, params, g


def _drawn_numbers(problem: Problem, rng: random.Random) -> tuple[Any, dict[str, Any], Any]:
    """New inputs, parameters and targets (in (0, 10) for bce)."""
    x = [_number(rng, -10, 10) for _ in range(problem.n)]
    params = {p: _number(rng, -12, 12, nonzero=True) for p in problem.spec.params}
    low = 0 if problem.loss == "bce" else -10
    g: list[Any] = [_number(rng, low, 10) if keep else "_" for keep in problem.targets]
    return x, params, g


DRAWN_VALUES = {NUMBERS.name: _drawn_numbers, ARRAYS.name: _drawn_arrays}
"""A variant's values, for each kind of value (compute.values)."""


def _drawn(problem: Problem, rng: random.Random) -> Problem | None:
    """One new problem of the same shape (None when its values are refused)."""
    x, params, g = DRAWN_VALUES[values_of(problem).name](problem, rng)
    try:
        return Problem(
            x=x,
            g=g,
            h0=problem.h0,
            params=params,
            activation=problem.activation if problem.spec.plain else "sigmoid",
            loss=problem.loss,
            cell=problem.base_cell if problem.layers != 1 else problem.cell,
            init=dict(problem.init),
            loss_term=problem.loss_term,
            preset=problem.preset,
            layers=problem.layers,
        )
    except InputError:
        return None


def _number(rng: random.Random, low: int, high: int, nonzero: bool = False) -> str:
    """One decimal in [low/10, high/10] (not 0 when ``nonzero``), as exact text."""
    while True:
        tenths = rng.randint(low, high)
        if tenths or not nonzero:
            text = f"{tenths / 10:.1f}"  # 1.2, -0.9; a whole number as 1, -1
            return text.removesuffix(".0")


def _like(value: Any, rng: random.Random, low: int, high: int, nonzero: bool = False) -> Any:
    """A nested list of the same shape, new entries."""
    if isinstance(value, list):
        return [_like(item, rng, low, high, nonzero) for item in value]
    return _number(rng, low, high, nonzero)


def _well_conditioned(problem: Problem) -> bool:
    """Every value finite and moderate, the largest gradient neither vanished nor exploded."""
    try:
        derivation = derive(problem, Settings(), steps=False)
    except RnnCalcError:  # refused, or overflowed: draw again
        return False
    values = [v for column in derivation.columns.values.values() for v in column]
    sizes = [_size(v) for v in values]
    gradients = [_size(v) for v in derivation.gradients.values()]
    if not all(math.isfinite(s) for s in (*sizes, *gradients)):
        return False
    low, high = GRADIENT_RANGE
    return max(sizes, default=0.0) <= LARGEST_VALUE and low <= max(gradients, default=0.0) <= high


def _size(value: Any) -> float:
    """The largest entry's size."""
    if isinstance(value, tuple):
        return max((_size(v) for v in value), default=0.0)
    return abs(float(value))
