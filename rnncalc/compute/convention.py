"""A problem written in a course's convention, read into rnncalc's own: the course's cell, its stacked
weights split into the cell's parts, its batch axes and column biases put as rnncalc takes them.

``course_args`` gives the Problem's fields in rnncalc's layout; ``CourseLayout`` remembers what to undo
so that gradients come back as the course writes them (``derivation.convention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell.conventions import CONVENTIONS, Convention, CourseCell, Fused, layered
from ..cell.stacking import check_layers, recurrent_states
from ..errors import InputError
from ..tensor import Exact, shape_of
from .batch import is_batch
from .bidirectional import (
    REVERSED_INPUT,
    reverse_quantity,
    reversed_in_time,
    split_initial,
    split_upstream,
    with_reverse_direction,
)

UPSTREAM_TERM = "g*y"
"""The loss whose gradient by y_t is the upstream gradient given in g_t: L = Σ_t Σ g_t ⊙ y_t."""


@dataclass(frozen=True)
class CourseLayout:
    """What a convention changed, to put results back in the course's layout."""

    convention: Convention
    cell: CourseCell
    columns: frozenset[str]
    upstream_streams: tuple[str, ...] = ()
    layers: int = 1
    states: tuple[str, ...] = ()
    """The one layer's states (h, c), whose initial values stack along PyTorch's layer axis."""
    bidirectional: bool = False

    @property
    def reversed_input(self) -> str:
        """The stream the reverse direction reads x from, backwards."""
        return REVERSED_INPUT

    def slots(self, state: str) -> list[str]:
        """The cell's copies of a state, in the order of PyTorch's layers × directions axis."""
        if self.bidirectional:
            return [state, reverse_quantity(state)]
        stacking = self.convention.stacking
        if self.layers == 1 or stacking is None:
            return [state]
        return [stacking.quantity(state, layer) for layer in range(1, self.layers + 1)]


def convention_named(name: str) -> Convention:
    """The convention of this name (a one-line error naming the known ones)."""
    found = CONVENTIONS.get(name)
    if found is None:
        raise InputError(f"unknown convention {name!r}; choose one of {', '.join(CONVENTIONS)}")
    return found


def course_args(
    name: str, preset: str | None, fields: dict[str, Any], upstream: Any
) -> tuple[dict[str, Any], CourseLayout | None]:
    """The problem's fields in rnncalc's layout (cell, params, x, g, init, loss term, reduction), and
    what was changed; the rnncalc convention changes nothing."""
    convention = convention_named(name)
    if name == "rnncalc":
        if isinstance(upstream, dict):
            raise InputError(
                "upstream gradients of several states need a --convention (cs231n, pytorch, dlai)"
            )
        if upstream is not None:
            return _upstream(fields, upstream, lambda v: v), None
        return fields, None
    if fields.get("cell") is not None:
        raise InputError(f"--convention {name} gives the cell; choose it with --preset, not --cell")
    kind = preset or "elman"
    cell = convention.cells.get(kind)
    if cell is None:
        raise InputError(
            f"the {name} convention has no {kind} cell; its cells: {', '.join(convention.cells)}"
        )
    layers = fields.get("layers") or 1
    states = recurrent_states(cell.equations)
    if layers != 1:
        if convention.stacking is None:
            raise InputError(
                f"the {name} convention writes one layer; for stacked layers use --convention pytorch "
                "(weight_ih_l0, weight_ih_l1, ...) or rnncalc"
            )
        check_layers(layers)
        cell = layered(cell, layers, convention.stacking)
    bidirectional = bool(fields.get("bidirectional"))
    if bidirectional:
        _check_bidirectional(name, layers, upstream, fields.get("x"))
        cell = with_reverse_direction(cell)
    args = dict(fields, cell=cell.equations, preset=None, layers=1, bidirectional=False)  # done here
    params, columns = _split_params(dict(fields.get("params") or {}), cell, convention)
    args["params"] = params

    def layout(value: Any) -> Any:
        return _batch_axes(value, convention.batch)

    if fields.get("x") is not None:
        args["x"] = layout(fields["x"])
    if bidirectional:  # the reverse direction reads x backwards
        backwards = reversed_in_time(_exact_array(args["x"], "x")).tolist()
        args["inputs"] = dict(args.get("inputs") or {}) | {REVERSED_INPUT: backwards}
    if fields.get("g") is not None:
        args["g"] = layout(fields["g"])
    init = dict(fields.get("init") or {})
    h0 = fields.get("h0")
    if h0 is not None and not (isinstance(h0, Fraction) and h0 == 0):
        if convention.state in init:
            raise InputError(f"--h0 and --init {convention.state}= both set {convention.state}_0; give one")
        init[convention.state] = h0
    args["h0"] = Fraction(0)
    batched = is_batch(fields.get("x"))
    args["init"] = {}
    for state, value in init.items():
        if bidirectional:
            both = split_initial(_exact_array(value, f"{state}0"), state)
            if both is None:
                raise InputError(
                    f"{state}0 of a bidirectional network: give both directions', shaped (2, N, H)"
                )
            args["init"] |= {name: _one_initial(array, convention, batched) for name, array in both.items()}
            continue
        args["init"] |= _initial(value, convention, state, batched, layers)
    if fields.get("reduce_batch") is None and upstream is None:  # given dL/dh_t: gradients add up
        args["reduce_batch"] = convention.reduce_batch
    if fields.get("reduce_time") is None and upstream is None:
        args["reduce_time"] = convention.reduce_time
    streams: tuple[str, ...] = ()
    if bidirectional:  # dL/d[h_t; hb_t]: each direction's half, the reverse one reversed in time
        halves = split_upstream(_exact_array(layout(upstream), "--upstream"), convention.state)
        args, streams = _upstream_of_states(args, halves, lambda value: value)
    elif isinstance(upstream, dict):  # dL/dh_t and dL/dc_t: each state's own upstream gradient
        args, streams = _upstream_of_states(args, upstream, layout)
    elif upstream is not None:
        args = _upstream(args, upstream, layout)
    return args, CourseLayout(convention, cell, frozenset(columns), streams, layers, states, bidirectional)


def _check_bidirectional(name: str, layers: int, upstream: Any, x: Any) -> None:
    """A bidirectional network: PyTorch's names, one layer, x given, upstream gradients of its output."""
    if name != "pytorch":
        raise InputError(
            "bidirectional networks are written in the pytorch convention (weight_ih_l0_reverse, ...): "
            "give --convention pytorch"
        )
    if layers != 1:
        raise InputError(
            "bidirectional with --layers: layer 2 would read the reverse direction's state of a later step, "
            "which one forward sweep cannot give; derive one bidirectional layer"
        )
    if upstream is None or isinstance(upstream, dict):
        raise InputError(
            "a bidirectional network's two directions meet only in the loss: give --upstream, "
            "dL/d[h_t; hb_t] for every step (T × N × 2H, as PyTorch's output)"
        )
    if x is None:
        raise InputError("a bidirectional network needs x: the reverse direction reads it backwards")


def _upstream_of_states(args: dict[str, Any], upstream: dict[str, Any], layout: Any) -> tuple[dict, tuple]:
    """Upstream gradients of several states (a course's dnext_h and dnext_c): each comes in as an input
    stream d<state>, the output becomes y = Σ d<state> ⊙ <state> and the loss L = Σ_t Σ y_t, so that
    dL/d<state>_t is exactly the gradient given."""
    if args.get("g") is not None or args.get("loss_term") is not None:
        raise InputError("--upstream and --g or --loss-term conflict: the upstream gradients are the loss")
    equations = list(args["cell"])
    names = [e.partition("=")[0].strip() for e in equations]
    quantities = [name for name in names if name != "y"]
    for state in upstream:
        if state not in quantities:
            raise InputError(
                f"--upstream {state}: the cell has no quantity {state} (it has {', '.join(quantities)})"
            )
    streams = {
        f"d{state}": _steps_like(args.get("x"), layout(value), f"--upstream {state}")
        for state, value in upstream.items()
    }
    clash = [s for s in streams if s in names or s in (args.get("inputs") or {})]
    if clash:
        raise InputError(f"--upstream: the stream {clash[0]} would clash with a name of the cell")
    output = "y = " + " + ".join(f"d{state}*{state}" for state in upstream)
    cell = tuple(e if name != "y" else output for e, name in zip(equations, names, strict=True))
    inputs = dict(args.get("inputs") or {}) | streams
    reduction = args.get("reduce_batch") or "sum"
    return dict(args, cell=cell, inputs=inputs, loss_term="y", reduce_batch=reduction), tuple(streams)


def _upstream(args: dict[str, Any], upstream: Any, layout: Any) -> dict[str, Any]:
    """dL/dh_t given for every step: the targets carry it, and the loss is L = Σ_t Σ g_t ⊙ y_t."""
    if args.get("g") is not None:
        raise InputError("--upstream and --g conflict: the upstream gradients take the place of a loss")
    if args.get("loss_term") is not None:
        raise InputError("--upstream and --loss-term conflict: the upstream gradients are the loss")
    given = _steps_like(args.get("x"), layout(upstream), "--upstream")
    reduction = args.get("reduce_batch") or "sum"  # dL/dh_t given: a batch's gradients simply add up
    return dict(args, g=given, loss_term=UPSTREAM_TERM, reduce_batch=reduction)


def _steps_like(x: Any, upstream: Any, flag: str) -> Any:
    """Upstream gradients for as many sequences and steps as x has (an error naming the option)."""

    if x is None or isinstance(upstream, Fraction):
        return upstream
    try:
        given, inputs = _exact_array(upstream, flag), _exact_array(x, "x")
    except ValueError:
        return upstream  # ragged: the reader's own message names it
    batch = inputs.ndim == 3
    want = inputs.shape[:2] if batch else inputs.shape[:1]
    if given.shape[: len(want)] != want:
        what = "N sequences × T steps" if batch else "T steps"
        raise InputError(
            f"{flag} is shaped {' × '.join(map(str, given.shape))} but x has {' × '.join(map(str, want))} "
            f"({what}, on rnncalc's axes): one upstream gradient per step"
        )
    return upstream


def _split_params(
    params: dict[str, Any], cell: CourseCell, convention: Convention
) -> tuple[dict[str, Any], list[str]]:
    """Each stacked weight given (Wx, weight_ih_l0) split into the cell's parts; biases given as
    columns (n_a × 1) made vectors. Returns the parameters and the names given as columns."""
    from .arrays import exact

    result = dict(params)
    for fused in cell.fused:
        if fused.name not in result:
            continue
        given = [p for p in fused.parts if p in result]
        if given and fused.parts != (fused.name,):
            raise InputError(
                f"{fused.name} and {given[0]} both give {given[0]}; give the stacked {fused.name} only"
            )
        value = exact(result.pop(fused.name), fused.name)
        for part, piece in zip(fused.parts, _split(value, fused), strict=True):
            result[part] = piece
    columns = []
    if convention.columns:
        for key, value in list(result.items()):
            shape = shape_of(exact(value, key), key) if not isinstance(value, Fraction) else ()
            if len(shape) == 2 and shape[1] == 1 and key.startswith("b"):
                result[key] = tuple(row[0] for row in exact(value, key))  # type: ignore[union-attr]
                columns.append(key)
    return result, columns


def _split(value: Exact, fused: Fused) -> list[Exact]:
    """A stacked weight cut into its parts along its axis (each H wide, or deeplearning.ai's H then D)."""
    shape = shape_of(value, fused.name)
    if len(shape) <= fused.axis:
        raise InputError(f"{fused.name}: give the stacked matrix (its parts side by side), not one number")
    total = shape[fused.axis]
    if "D" in fused.sizes:  # [a_prev; x]: the state's columns first, as many as the matrix has rows
        h = shape[0]
        if total <= h:
            raise InputError(f"{fused.name} is {shape[0]}×{total}: it needs n_a + n_x = {h} + n_x columns")
        widths = [h if s == "H" else total - h for s in fused.sizes]
    else:
        count = len(fused.parts)
        if total % count:
            raise InputError(
                f"{fused.name} has {total} along its stacked axis, not a multiple of its {count} parts "
                f"({', '.join(fused.parts)})"
            )
        widths = [total // count] * count
    pieces, start = [], 0
    for width in widths:
        pieces.append(_slice(value, fused.axis, start, start + width))
        start += width
    return pieces


def _slice(value: Exact, axis: int, start: int, stop: int) -> Exact:
    """value[start:stop] along axis 0, or value[:, start:stop] along axis 1."""
    if axis == 0:
        return tuple(value[start:stop])  # type: ignore[index]
    return tuple(tuple(row[start:stop]) for row in value)  # type: ignore[union-attr]


def _batch_axes(value: Any, axes: str) -> Any:
    """x, targets or upstream gradients in rnncalc's (N, T, D) from the course's axes ((T, N, D) for
    PyTorch, (D, N, T) for deeplearning.ai); one sequence, (T, D) or deeplearning.ai's (D, T), alike."""
    if axes == "NTD" or value is None:
        return value
    import numpy as np

    array = _exact_array(value, "x")
    if array.ndim == 3:
        order = (1, 0, 2) if axes == "TND" else (1, 2, 0)
        return np.transpose(array, order).tolist()
    if array.ndim == 2 and axes == "DNT":
        return array.T.tolist()
    return value


def _initial(value: Any, convention: Convention, state: str, batched: bool, layers: int) -> dict[str, Any]:
    """An initial state as rnncalc takes it: deeplearning.ai's a0 (n_a × m) as one row per sequence;
    PyTorch's h0 (layers × N × H) split into each layer's (h1, h2, ...; one layer: h itself); for one
    sequence (no batch axis in x) a single row (1 × H, or a0 of n_a × 1) as the vector it stands for."""
    array = _exact_array(value, f"{state}0")
    if layers != 1:
        if not (convention.layer_axis and array.ndim in (2 + batched,) and array.shape[0] == layers):
            shape = f"({layers}, N, H)" if batched else f"({layers}, H)"
            raise InputError(f"{state}0: give every layer's initial state, {layers} of them: shaped {shape}")
        assert convention.stacking is not None
        return {
            convention.stacking.quantity(state, layer): _one_initial(array[layer - 1], convention, batched)
            for layer in range(1, layers + 1)
        }
    if convention.layer_axis and array.ndim == 3:
        if array.shape[0] != 1:
            raise InputError(
                f"{state}0 has {array.shape[0]} layers but the network has one: give --layers "
                f"{array.shape[0]}, or {state}0 as (1, N, H) or (N, H)"
            )
        array = array[0]
    return {state: _one_initial(array, convention, batched, value)}


def _one_initial(array: Any, convention: Convention, batched: bool, value: Any = None) -> Any:
    """One layer's initial state: a column layout's turned, a single sequence's row as its vector."""
    if convention.columns and array.ndim == 2:
        array = array.T
    if not batched and array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    return array.tolist() if array.ndim else value


def _exact_array(value: Any, what: str) -> Any:
    """A value read exactly (Fractions) as a NumPy array of objects, to turn its axes."""
    import numpy as np

    from .arrays import exact

    return np.array(exact(value, what), dtype=object)
