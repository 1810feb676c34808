"""A problem's values when some of them are vectors or matrices: read exactly, shapes inferred and checked.

The built-in cell and the presets declare their parameters' shapes in H (hidden units), D (inputs) and K
(outputs): a parameter given as one number fills its whole shape, and H, D and K come from whatever was
given (every mismatch names both shapes and where each size came from). Any other cell's parameters are
as given (a number stays a number). Every quantity's shape then follows from the equations
(``engine.shapes``), the initial states default to zeros of their state's shape, and the targets are
rows of the output's size (class indices, or probability rows, for softmax cross-entropy).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..cell.equations import CellSpec
from ..cell.states import initial
from ..engine.shapes import Resolved, describe, resolve
from ..errors import InputError
from ..numbers import as_float, check_representable
from ..tensor import Exact, parse_tensor, shape_of

NO_TARGET = "_"
MAX_ENTRIES = 2_000_000
"""The most numbers one matrix or one quantity over all steps may hold (16 MB of doubles; W_h up to
1414 × 1414): beyond, the run would take over 20 s and gigabytes, so it is refused before any work."""


@dataclass(frozen=True)
class Arrays:
    """Every value of an array problem as float arrays, with their exact values and sizes."""

    streams: dict[str, np.ndarray]
    g: np.ndarray
    mask: np.ndarray
    params: dict[str, np.ndarray]
    init: dict[str, np.ndarray]
    sizes: dict[str, int]
    exact: dict[str, Exact]
    resolved: Resolved


def exact(value: Any, what: str) -> Exact:
    """A number or nested list (text, int, float, Fraction, NumPy array or lists of them), exactly."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return parse_tensor(value, what)
    if isinstance(value, (list, tuple)):
        return tuple(exact(item, what) for item in value)
    if isinstance(value, float):
        return parse_tensor(repr(value), what)
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if value is None:
        raise InputError(f"{what}: _ (no target) stands for a whole step, not for one entry of a row")
    raise InputError(f"{what}: {value!r} is not a number or a list of numbers")


def rows(value: Exact, what: str) -> list[tuple[Fraction, ...]]:
    """A sequence as rows: numbers become rows of one value; a single number is refused."""
    shape = shape_of(value, what)
    if not shape:
        raise InputError(f"{what}: give a list of rows, one per step ([[1, 2], [0, 1]])")
    if len(shape) == 1:
        return [(v,) for v in value]  # type: ignore[union-attr]
    return [tuple(row) for row in value]  # type: ignore[union-attr]


def as_array(value: Any, what: str = "a value") -> np.ndarray:
    """Exact values as float64; one beyond double precision is named in the error."""
    try:
        array = np.array(value, dtype=float)
    except OverflowError:
        array = np.array([np.inf])
    if not np.isfinite(array).all():
        raise InputError(f"{what}: {_first_too_large(value)} is too large for double precision")
    tiny = (array == 0) | (np.abs(array) < sys.float_info.min)
    if tiny.any():  # an entry that rounds to 0 or to a subnormal: named, as for scalars
        for index in zip(*np.nonzero(tiny)):
            entry = value
            for i in index:
                entry = entry[i]
            check_representable(Fraction(entry), f"{what}[{','.join(str(i + 1) for i in index)}]")
    return array


def _first_too_large(value: Any) -> str:
    """The first entry (of a number, row or matrix) that a double cannot hold, shown briefly."""
    for entry in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(entry, (list, tuple)):
            found = _first_too_large(entry)
            if found:
                return found
            continue
        try:
            if np.isfinite(float(entry)):
                continue
        except OverflowError:
            pass
        text = f"{float(entry):g}" if not isinstance(entry, Fraction) else str(entry)
        return text if len(text) <= 24 else text[:12] + "…" + f" ({len(text)} digits)"
    return ""


def _hidden_size(dims: dict[str, tuple[str, ...]], given: dict[str, Exact]) -> tuple[int, str]:
    """H from the first given value whose declared shape has it: square H×H matrices first, then H×D,
    then vectors of H, then the initial state, then K×H."""

    def rank(name: str) -> int:
        shape = dims[name]
        if shape == ("H", "H"):
            return 0
        if shape[:1] == ("H",) and len(shape) == 2:
            return 1
        if shape == ("H",):
            return 2 if name != "h0" else 3
        return 4

    for name in sorted((n for n in dims if "H" in dims[n]), key=rank):
        if name not in given:
            continue
        shape = shape_of(given[name], name)
        axis = dims[name].index("H")
        if len(shape) == 1 and len(dims[name]) == 2 and dims[name][1] == "H":
            return shape[0], name  # a K×H matrix given as one row
        if len(shape) > axis:
            return shape[axis], name
    raise InputError("cannot tell the hidden size H: give Wh as an H×H matrix (or Wi, b or h0 as a vector)")


def _output_size(
    dims: dict[str, tuple[str, ...]], given: dict[str, Exact], targets: list[Exact | None] | None, loss: str
) -> tuple[int, str]:
    """K from a parameter whose declared shape has it, else the targets' rows, else the largest class index
    + 1 (softmax-ce), else 1."""
    for name in (n for n in dims if dims[n][:1] == ("K",)):
        if name in given:
            shape = shape_of(given[name], name)
            if len(shape) == len(dims[name]):
                return shape[0], name
    entries = [entry for entry in targets or () if entry is not None]
    if entries:
        shape = target_shape(entries)
        if shape:
            return shape[0], "g"
        if loss == "softmax-ce":
            return int(max(entries)) + 1, "the largest class index in g"  # type: ignore[arg-type]
    return 1, "a single output (give a as a K×H matrix for more)"


def _fit(
    value: Exact, dims: tuple[str, ...], sizes: dict[str, int], origins: dict[str, str], name: str
) -> Any:
    """The value as an array of the shape ``dims`` asks for; a number fills it, a vector of one row fits."""
    want = tuple(sizes[d] for d in dims)
    shape = shape_of(value, name)
    if not shape:
        return np.full(want, as_float(value, name))  # type: ignore[arg-type]
    if len(want) == 2 and len(shape) == 1 and (want[0] == 1 or want[1] == 1) and shape[0] == max(want):
        return as_array(value, name).reshape(want)
    if shape != want:
        symbolic = (
            f"{'×'.join(dims)} = {describe(want)}" if len(dims) == 2 else f"a vector of {dims[0]} = {want[0]}"
        )
        why = ", ".join(f"{d} = {sizes[d]} from {origins[d]}" for d in dict.fromkeys(dims))
        raise InputError(f"{name} is {describe(shape)} but must be {symbolic} ({why})")
    return as_array(value, name)


def is_blank(entry: Any) -> bool:
    """A step without a target: None or ``_``."""
    return entry is None or (isinstance(entry, str) and entry.strip() == NO_TARGET)


def target_shape(given: list[Exact]) -> tuple[int, ...]:
    """() when the targets are numbers, (K,) when they are rows; a mix is refused."""
    shapes = {shape_of(entry, "g") for entry in given}
    if len(shapes) != 1:
        raise InputError("g: rows of different lengths or a mix of numbers and lists")
    (shape,) = shapes
    if len(shape) > 1:
        raise InputError("g: lists nested more than two deep; give one number or one row per step")
    return shape


def target_entries(g: Any) -> list[Exact | None] | None:
    """g as one entry per step (a number or a row), None for a step without a target (``_``)."""
    if g is None:
        return None
    if hasattr(g, "tolist"):
        g = g.tolist()
    g = parse_tensor(g, "g", NO_TARGET) if isinstance(g, str) else g
    if not isinstance(g, (list, tuple)):
        raise InputError("g: give a list of targets, one per step (_ for a step without one)")
    return [None if is_blank(entry) else exact(entry, "g") for entry in g]


def targets(entries: list[Exact | None] | None, n: int, k: int, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """g as an n×K array (ones by default; zeros where a step has no target) and the mask of the steps
    that have one; for softmax-ce, class indices become one-hot rows."""
    if entries is None:
        if loss == "softmax-ce":
            raise InputError("--loss softmax-ce needs targets: g = class indices, one per step")
        return np.ones((n, k)), np.ones(n)
    mask = np.array([entry is not None for entry in entries], dtype=float)
    given = [entry for entry in entries if entry is not None]
    if not given:
        raise InputError("g: every step is _ (no target); give at least one target")
    classes = loss == "softmax-ce" and not target_shape(given)
    if len(entries) != n:
        what = "class index(es)" if classes else "row(s)"
        raise InputError(f"g has {len(entries)} {what} but x has {n} steps; give one target per step")
    if classes:
        return _one_hot(entries, k), mask
    found = [(entry,) if not isinstance(entry, tuple) else entry for entry in given]
    if len(found[0]) != k:
        raise InputError(f"g has rows of {len(found[0])} but the output y_t has K = {k} values")
    if loss == "softmax-ce":
        _check_probabilities(found, entries)
    g = np.zeros((n, k))
    g[mask.astype(bool)] = as_array(found, "g")
    return g, mask


def _check_probabilities(found: list[tuple[Fraction, ...]], entries: list[Exact | None]) -> None:
    """softmax-ce's target rows must be probabilities: each entry in [0, 1], each row summing to 1."""
    steps = [t for t, entry in enumerate(entries, start=1) if entry is not None]
    for t, row in zip(steps, found):
        if any(v < 0 or v > 1 for v in row) or sum(row) != 1:
            shown = "[" + ", ".join(format(float(v), "g") for v in row) + "]"
            raise InputError(
                f"g_{t} = {shown} is not a probability row (entries in [0, 1] summing to 1); "
                "for --loss softmax-ce give class indices (g = [0, 2]) or rows such as [0.2, 0.8]"
            )


def _one_hot(classes: list[Exact | None], k: int) -> np.ndarray:
    """Class indices as one-hot rows (a zero row for a step without a target), each index checked."""
    found = np.zeros((len(classes), k))
    for t, value in enumerate(classes, start=1):
        if value is None:
            continue
        if not isinstance(value, Fraction) or value.denominator != 1 or not 0 <= value < k:
            raise InputError(f"g_{t} = {value} is not a class index 0..{k - 1} (K = {k} outputs)")
        found[t - 1, int(value)] = 1.0
    return found


def check_sizes(sizes: dict[str, int], shapes: dict[str, tuple[int, ...]]) -> None:
    """Refuse matrices or step-by-step values that would not fit in memory, before any work."""
    for name, shape in shapes.items():
        if len(shape) == 2 and shape[0] * shape[1] > MAX_ENTRIES:
            raise InputError(
                f"{name} would be {shape[0]}×{shape[1]} = {shape[0] * shape[1]:,} numbers; rnncalc works "
                f"with at most {MAX_ENTRIES:,} in one matrix"
            )
    widest = max((shape[0] for shape in shapes.values() if len(shape) == 1), default=1)
    n = sizes["n"]
    if n * widest > MAX_ENTRIES:
        raise InputError(
            f"n = {n:,} steps of {widest:,} values each is {n * widest:,} numbers per quantity; rnncalc "
            f"works with at most {MAX_ENTRIES:,}: use fewer steps or a smaller network"
        )


def arrays_of(
    spec: CellSpec,
    dims: dict[str, tuple[str, ...]] | None,
    x: Any,
    streams: dict[str, Any],
    g: Any,
    params: dict[str, Any],
    init: dict[str, Any],
    loss: str,
) -> Arrays:
    """Every value of an array problem, read exactly, shapes inferred from the cell and checked."""
    if x is None:
        raise InputError('--x: give the inputs of a vector problem, one row per step: --x "[[1, 2], [0, 1]]"')
    given_streams = {"x": rows(exact(x, "x"), "x")} | {s: rows(exact(v, s), s) for s, v in streams.items()}
    n = len(given_streams["x"])
    for name, values in given_streams.items():
        if len(values) != n:
            raise InputError(f"--input {name} has {len(values)} row(s) but the sequence has {n}")
    given = {name: exact(value, name) for name, value in params.items()}
    states = {state: exact(value, f"{state}0") for state, value in init.items()}
    entries = target_entries(g)
    sizes = {"n": n, "D": len(given_streams["x"][0])}
    origins = {"D": "x"}
    arrays: dict[str, np.ndarray] = {}
    if dims is not None:
        declared = {**dims, "h0": ("H",)}
        found = given | ({"h0": states["h"]} if "h" in states else {})
        sizes["H"], origins["H"] = _hidden_size(declared, found)
        sizes["K"], origins["K"] = _output_size(dims, given, entries, loss)
        for name, shape in dims.items():
            arrays[name] = _fit(given.get(name, Fraction(1)), shape, sizes, origins, name)
        if "h" in states:
            states["h"] = _fit(states["h"], ("H",), sizes, origins, "h0")
    else:
        arrays = {name: as_array(given.get(name, Fraction(1)), name) for name in spec.params}
    stream_arrays = {name: as_array(values, name) for name, values in given_streams.items()}
    known: dict[str, tuple[int, ...]] = {
        name: (array.shape[1],) for name, array in stream_arrays.items() if name in spec.inputs
    }
    known |= {name: array.shape for name, array in arrays.items()}
    init_arrays = {state: as_array(value, f"{state}0") for state, value in states.items()}
    known |= {state + "_prev": array.shape for state, array in init_arrays.items()}
    resolved = resolve([(e.name, e.grouped) for e in spec.equations], known, spec.states)
    for state in spec.states:
        init_arrays.setdefault(state, np.zeros(resolved.shapes[state]))
    output = resolved.shapes["y"]
    sizes["K"] = output[0] if output else 1
    sizes.setdefault("H", max((resolved.shapes[s][0] for s in spec.states if resolved.shapes[s]), default=1))
    target_array, mask = targets(entries, n, sizes["K"], loss)
    check_sizes(sizes, {**known, **resolved.shapes})
    exact_values = {name: value for name, value in given.items()} | {
        initial(state): value for state, value in states.items() if not isinstance(value, np.ndarray)
    }
    return Arrays(stream_arrays, target_array, mask, arrays, init_arrays, sizes, exact_values, resolved)
