"""The problem a user poses: sequence, targets, parameters, activation, loss; and how to show it."""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..cell.equations import CellSpec
from ..cell.functions import ACTIVATIONS
from ..cell.losses import LOSSES, REDUCTIONS, VECTOR_ONLY_LOSSES

if TYPE_CHECKING:
    from .arrays import Arrays
    from .convention import CourseLayout

from ..errors import InputError
from ..numbers import check_representable
from .batch import Batch, check_batch, is_batch, split
from .convention import UPSTREAM_TERM

ARRAY_LOSSES = ("mse", "sse", "half-sse")
"""The registered losses defined for vector outputs (entry by entry, summed over the entries)."""

Number = int | float | str | Fraction

MAX_DIGITS = 30


def exact(value: Number, what: str = "value") -> Fraction:
    """Turn a number given to the Python API into an exact Fraction (a float as its shortest decimal)."""
    from ..numbers import parse_number

    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        result = parse_number(value, what)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{what}: {value} is not a finite number")
    elif isinstance(value, float):
        result = Fraction(repr(value))  # the shortest decimal that is this float: 0.1 -> 1/10
    else:
        result = Fraction(value)
    check_representable(result, what)
    return result


def _exact_all(values: Sequence[Number], symbol: str, first: int) -> tuple[Fraction, ...]:
    """A sequence as exact Fractions (already-exact sequences pass straight through)."""
    if all(type(v) is Fraction for v in values):
        return tuple(values)  # type: ignore[arg-type]
    return tuple(exact(v, f"{symbol}_{i + first}") for i, v in enumerate(values))


CUSTOM_LOSS = "custom"
"""The loss name of a problem whose per-step term is given with --loss-term."""

NO_TARGET = "_"
"""How a step without a target is written: --g _ _ 0.7 is a many-to-one exercise."""


def _targets(values: Sequence[Number | None]) -> tuple[Fraction | None, ...]:
    """Targets as exact Fractions, None where a step has none (written _ or None)."""
    if all(type(v) is Fraction for v in values):
        return tuple(values)  # type: ignore[arg-type]
    return tuple(
        None if v is None or v == NO_TARGET else exact(v, f"g_{t}") for t, v in enumerate(values, start=1)
    )


def _floats(values: Sequence[Fraction | int], symbol: str, first: int) -> list[float]:
    """The sequence in double precision, refusing numbers it cannot hold."""
    try:
        floats = [v.numerator / v.denominator for v in values]  # float(v), without its dispatch
        if floats and min(map(abs, floats)) < sys.float_info.min:  # a 0, or a value that underflowed
            tiny = [i for i, f in enumerate(floats) if abs(f) < sys.float_info.min and values[i] != 0]
            for i in tiny:
                check_representable(Fraction(values[i]), f"{symbol}_{i + first}")
        if all(map(math.isfinite, floats)):
            return floats
    except OverflowError:
        pass
    for i, value in enumerate(values):
        check_representable(Fraction(value), f"{symbol}_{i + first}")
    raise AssertionError("unreachable")


def is_array(value: Any) -> bool:
    """A vector or matrix: a list of lists, a NumPy array, or text in brackets (a list of numbers is a
    sequence of numbers)."""
    if isinstance(value, str):
        return value.lstrip().startswith("[")
    if getattr(value, "ndim", 0):
        return True
    return isinstance(value, (list, tuple)) and any(
        isinstance(item, (list, tuple)) or getattr(item, "ndim", 0) or is_array(item) for item in value
    )


def builtin_equations(activation: str) -> tuple[str, ...]:
    """The worked example's cell written as equations: o = Wi·x + Wh·h_prev + b, h = act(o), y = a·h + c."""
    if activation not in ACTIVATIONS:
        raise InputError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    state = "h = o" if activation == "identity" else f"h = {activation}(o)"
    return ("o = Wi*x + Wh*h_prev + b", state, "y = a*h + c")


def cell_spec(problem: Problem) -> CellSpec:
    """The problem's cell parsed: the worked example's o, h, y shape when it holds the cell (so it is
    derived in the document's layout), else a cell of any shape (gates, several states, inputs)."""
    from ..cell.equations import parse, parse_cell

    streams = ("x", *problem.inputs)
    if problem.cell is None:
        if problem.inputs:
            raise InputError(
                f"--input {next(iter(problem.inputs))}: the built-in cell reads only x; "
                "write a --cell that uses it"
            )
        return parse_cell(builtin_equations(problem.activation))
    equations = tuple(problem.cell)
    for name in problem.inputs:
        if name.endswith("_prev") or any(e.partition("=")[0].strip() == name for e in equations):
            raise InputError(
                f"--input {name}: {name} is a quantity of the cell (or its previous value), not an input"
            )
    spec = parse(equations, streams, tuple(problem.init))
    unused = [name for name in problem.inputs if name not in spec.inputs]
    if unused:
        raise InputError(f"--input {unused[0]}: the cell never uses {unused[0]}")
    return spec


def _default_x(
    x: Sequence[Number] | None, streams: dict[str, tuple[Fraction, ...]], spec: CellSpec
) -> tuple[Fraction, ...]:
    """The x sequence: as given; the worked example's 1, 0; or zeros (unread) when other streams set n."""
    if x is not None:
        return _exact_all(x, "x", 0)
    if streams and "x" not in spec.inputs:
        return (Fraction(0),) * len(next(iter(streams.values())))
    return (Fraction(1), Fraction(0))


def _check_inits(init: Mapping[str, Any], states: Sequence[str]) -> None:
    """Every --init names a state of the cell."""
    for name in init:
        if name not in states:
            have = ", ".join(states) or "none"
            raise InputError(f"--init {name}: the cell has no state {name} (its states: {have})")


@dataclass(frozen=True)
class Problem:
    """One BPTT problem; the defaults are the worked example of the document.

    ``x``: inputs x_0 .. x_{n-1}; ``g``: targets g_1 .. g_n (default all 1; None or "_" for a step without
    a target, as in many-to-one exercises); ``h0``: the initial state;
    ``params``: values by name (Wi, Wh, a, b, c for the built-in cell; any not given are 1);
    ``activation``: sigmoid, tanh, relu, leaky_relu, softplus or identity; ``loss``: mse, sse or
    half-sse; ``cell``: your own equations instead ("o = Wi*x + Wh*h_prev + b", "h = tanh(o)", ...).
    Numbers may be int, Fraction, text ("1/2", "2e-3") or float (taken as its shortest decimal, 0.1 = 1/10).
    """

    x: tuple[Fraction, ...] | None = None
    g: tuple[Fraction | None, ...] | None = None
    h0: Fraction = Fraction(0)
    params: dict[str, Fraction] = field(default_factory=dict)
    activation: str = "sigmoid"
    loss: str = "mse"
    cell: tuple[str, ...] | None = None
    inputs: dict[str, tuple[Fraction, ...]] = field(default_factory=dict)
    init: dict[str, Fraction] = field(default_factory=dict)
    loss_term: str | None = None
    preset: str | None = None
    sequence: int = 1
    reduce_batch: str | None = None
    reduce_time: str | None = None
    """How the loss adds up its steps (mean or sum); None: as the loss (or the course) defines it."""
    convention: str | None = None
    upstream: Any = None
    layers: int = 1
    bidirectional: bool = False
    x_floats: list[float] = field(init=False, repr=False, compare=False)
    g_floats: list[float] = field(init=False, repr=False, compare=False)
    targets: tuple[bool, ...] = field(init=False, repr=False, compare=False)
    spec: CellSpec = field(init=False, repr=False, compare=False)
    network: bool = field(init=False, repr=False, compare=False, default=False)
    reads_x: bool = field(init=False, repr=False, compare=False, default=True)
    arrays: Arrays | None = field(init=False, repr=False, compare=False, default=None)
    batch: Batch | None = field(init=False, repr=False, compare=False, default=None)
    course: CourseLayout | None = field(init=False, repr=False, compare=False, default=None)
    cell_name: str = field(init=False, repr=False, compare=False, default="")
    """How headers name the cell: sigmoid, the lstm preset, pytorch gru, your cell; with its layers."""
    base_cell: tuple[str, ...] | None = field(init=False, repr=False, compare=False, default=None)
    """With layers > 1: the one layer's cell that was stacked (None: the built-in cell or the preset's)."""

    def __post_init__(self) -> None:
        """Normalise numbers, fill default targets and check consistency."""
        self._from_numpy()
        object.__setattr__(self, "cell_name", self._named_cell())
        if self.convention is not None or self.upstream is not None:
            self._apply_convention()
        if self.bidirectional:
            raise InputError(
                "bidirectional networks are written in the pytorch convention (weight_ih_l0_reverse, ...): "
                "give --convention pytorch"
            )
        if self.reduce_batch is None:
            object.__setattr__(self, "reduce_batch", "mean")
        if self.reduce_time is not None and (self.upstream is not None or self.loss_term == UPSTREAM_TERM):
            raise InputError(
                "--reduce-time and upstream gradients conflict: dL/dy_t is given for every step as it is; "
                "leave out --reduce-time"
            )
        if self.reduce_time not in (None, *REDUCTIONS):
            raise InputError(
                f"--reduce-time must be one of {', '.join(REDUCTIONS)}, got {self.reduce_time!r}"
            )
        if self.preset is not None:
            self._apply_preset()
        if self.layers != 1:
            self._apply_layers()
        if is_batch(self.x):
            self._read_batch()
            return
        if self.loss in VECTOR_ONLY_LOSSES or any(map(is_array, self._given_values())):
            self._read_arrays()
            return
        streams = {name: _exact_all(values, name, 0) for name, values in self.inputs.items()}
        if "x" in streams:  # --input x=... is --x
            if self.x is not None:
                raise InputError("x is given twice (--x and --input x=...); give it once")
            object.__setattr__(self, "x", streams.pop("x"))
        object.__setattr__(self, "inputs", streams)
        spec = cell_spec(self)
        object.__setattr__(self, "spec", spec)
        x = _default_x(self.x, streams, spec)
        if not x:
            raise InputError("x: the input sequence is empty; give at least one value")
        for name, values in streams.items():
            if len(values) != len(x):
                raise InputError(
                    f"--input {name} has {len(values)} value(s) but the sequence has {len(x)}; "
                    "give every input stream the same length"
                )
        g = _targets(self.g) if self.g is not None else (Fraction(1),) * len(x)
        if len(g) != len(x):
            raise InputError(f"g has {len(g)} value(s) but x has {len(x)}; give one target per input")
        if all(v is None for v in g):
            raise InputError("g: every step is _ (no target); give at least one target")
        names, activation = spec.params, spec.activation if spec.plain else "custom"
        object.__setattr__(self, "network", not spec.plain)
        object.__setattr__(self, "reads_x", "x" in spec.inputs)
        if self.cell is not None:
            object.__setattr__(self, "cell", tuple(self.cell))
        _check_inits(self.init, spec.states)
        init = {name: exact(value, f"--init {name}") for name, value in self.init.items()}
        if "h" in init:
            object.__setattr__(self, "h0", init["h"])
        object.__setattr__(self, "init", init)
        unknown = sorted(set(self.params) - set(names))
        if unknown:
            used = ", ".join(names) or "none"
            raise InputError(
                f"parameter {', '.join(unknown)} is not used by the cell (its parameters: {used})"
            )
        params = {p: Fraction(1) for p in names} | {k: exact(v, k) for k, v in self.params.items()}
        object.__setattr__(self, "activation", activation)
        if self.loss_term is not None:
            object.__setattr__(self, "loss", CUSTOM_LOSS)
        elif self.loss in VECTOR_ONLY_LOSSES:
            raise InputError(
                f"--loss {self.loss} needs a vector output: give a as a K×H matrix and g as class indices, "
                '--wh "[[...]]" --a "[[...], [...]]" --g 0 2 (see docs/vectors.md)'
            )
        elif self.loss not in LOSSES:
            raise InputError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        object.__setattr__(self, "x_floats", _floats(x, "x", 0))
        if self.loss in LOSSES and LOSSES[self.loss].y_range is not None:
            outside = next((t for t, v in enumerate(g, start=1) if v is not None and not 0 <= v <= 1), None)
            if outside is not None:
                raise InputError(
                    f"--loss {self.loss} needs targets 0 <= g_t <= 1, but g_{outside} = {g[outside - 1]}"
                )
        object.__setattr__(self, "targets", tuple(v is not None for v in g))
        g_floats = [1.0] * len(g) if self.g is None else _floats(tuple(v or 0 for v in g), "g", 1)
        object.__setattr__(self, "g_floats", g_floats)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "g", g)
        h0 = exact(self.h0, "h0")
        for name, value in (*params.items(), ("h0", h0)):
            check_representable(value, name)
        object.__setattr__(self, "h0", h0)
        object.__setattr__(self, "params", params)

    @property
    def over_time(self) -> str:
        """How the loss adds up its steps: "mean" or "sum" (as --reduce-time says, else as the loss does)."""
        if self.reduce_time is not None:
            return self.reduce_time
        if self.loss in VECTOR_ONLY_LOSSES:
            return "mean"
        return LOSSES[self.loss].over_time if self.loss in LOSSES else "sum"

    @property
    def headline(self) -> str:
        """The problem in a few words for a header: n, the cell (its course and preset), the loss."""
        named = self.network or self.preset is not None or self.convention not in (None, "rnncalc")
        cell = self.cell_name if named else f"{self.activation} activation"
        if self.loss_term == UPSTREAM_TERM:
            return f"n = {self.n}, {cell}, upstream gradients given"
        over_time = {"mean": ", averaged over time", "sum": ", summed over time"}.get(
            self.reduce_time or "", ""
        )
        return f"n = {self.n}, {cell}, {self.loss.upper()} loss{over_time}"

    def _named_cell(self) -> str:
        """The cell as headers name it, before a convention or a stack rewrites it into equations."""
        if self.convention not in (None, "rnncalc"):
            name = f"{self.convention} {self.preset or 'elman'}"
        elif self.preset is not None:
            name = f"{self.preset} preset"
        elif self.cell is not None:
            name = "your cell"
        else:
            name = str(self.activation)
        if self.layers != 1:
            name += f", {self.layers} layers"
        return f"{name}, bidirectional" if self.bidirectional else name

    def _from_numpy(self) -> None:
        """NumPy arrays and scalars given from Python read as the nested lists and numbers they hold (a
        1-D array of x is a sequence of numbers, as a list is)."""
        for name in ("x", "g", "h0", "upstream"):
            value = getattr(self, name)
            if hasattr(value, "tolist"):
                object.__setattr__(self, name, value.tolist())
        for name in ("params", "init", "inputs"):
            table = getattr(self, name)
            if isinstance(table, dict) and any(hasattr(v, "tolist") for v in table.values()):
                plain = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in table.items()}
                object.__setattr__(self, name, plain)
        if isinstance(self.upstream, dict):
            plain = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in self.upstream.items()}
            object.__setattr__(self, "upstream", plain)

    def _given_values(self) -> list[Any]:
        """Every value given: inputs, targets, initial states and parameters."""
        h0 = [] if self.h0 is None or (isinstance(self.h0, Fraction) and self.h0 == 0) else [self.h0]
        return [self.x, self.g, *h0, *self.params.values(), *self.init.values(), *self.inputs.values()]

    def _read_arrays(self) -> None:
        """A problem of vectors and matrices: every value read exactly, every shape inferred and checked."""
        from .arrays import arrays_of

        if not any(map(is_array, self._given_values())):
            raise InputError(
                f"--loss {self.loss} needs a vector output: give a as a K×H matrix and g as class indices, "
                '--wh "[[...]]" --a "[[...], [...]]" --g 0 2 (see docs/vectors.md)'
            )
        if self.loss not in (*ARRAY_LOSSES, *VECTOR_ONLY_LOSSES) and self.loss_term is None:
            raise InputError(
                f"--loss {self.loss} is not defined for vector outputs; choose one of "
                f"{', '.join((*ARRAY_LOSSES, *VECTOR_ONLY_LOSSES))}"
            )
        if self.cell is None and self.activation not in ACTIVATIONS:
            raise InputError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        spec = cell_spec(self)
        dims = self.preset_dims()
        if dims is not None:  # the declared order: the state's parameters, then the output's
            spec = dataclasses.replace(spec, params=tuple(p for p in dims if p in spec.params))
        unknown = sorted(set(self.params) - set(spec.params))
        if unknown:
            raise InputError(
                f"parameter {', '.join(unknown)} is not used by the cell (its parameters: "
                f"{', '.join(spec.params)})"
            )
        init = dict(self.init)
        if self.h0 is not None and not (isinstance(self.h0, Fraction) and self.h0 == 0):
            init["h"] = self.h0
        _check_inits(init, spec.states)
        given = {name: value for name, value in self.params.items()}
        arrays = arrays_of(spec, dims, self.x, dict(self.inputs), self.g, given, init, self.loss)
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "arrays", arrays)
        object.__setattr__(self, "network", not spec.plain)
        object.__setattr__(self, "reads_x", "x" in spec.inputs)
        object.__setattr__(self, "activation", spec.activation if spec.plain else "custom")
        if self.loss_term is not None:
            object.__setattr__(self, "loss", CUSTOM_LOSS)
        object.__setattr__(self, "targets", tuple(bool(m) for m in arrays.mask))
        object.__setattr__(self, "x", tuple(range(arrays.sizes["n"])))

    def _read_batch(self) -> None:
        """A mini-batch: each sequence its own problem (same cell and parameters), checked alike."""
        x: list[Any] = self.x.tolist() if hasattr(self.x, "tolist") else list(self.x or ())  # type: ignore[union-attr]
        n = len(x)
        check_batch(n, self.reduce_batch or "mean", self.sequence)
        targets = split(self.g, n, "g", 2) if self.g is not None else None
        if self.g is not None and targets is None:
            raise InputError("g: a batch needs the targets of each sequence: one list per sequence")
        h0 = None if self.h0 is None or (isinstance(self.h0, Fraction) and self.h0 == 0) else self.h0
        own = {"h": split(h0, n, "h0", 2)} | {s: split(v, n, f"--init {s}", 2) for s, v in self.init.items()}
        streams = {s: split(v, n, f"--input {s}", 3) for s, v in self.inputs.items()}
        for name, rows in streams.items():
            if rows is None:
                raise InputError(f"--input {name}: a batch needs one matrix of inputs per sequence")
        sequences = []
        for i in range(n):
            init = {s: (rows[i] if rows is not None else self.init[s]) for s, rows in own.items() if s != "h"}
            start = own["h"][i] if own["h"] is not None else h0
            sequences.append(
                Problem(
                    x=x[i],
                    g=targets[i] if targets is not None else None,
                    h0=start if start is not None else Fraction(0),
                    params=dict(self.params),
                    activation=self.activation,
                    loss=self.loss if self.loss_term is None else "mse",
                    cell=self.base_cell if self.layers != 1 else self.cell,
                    inputs={s: rows[i] for s, rows in streams.items() if rows is not None},
                    init=init,
                    loss_term=self.loss_term,
                    preset=self.preset,
                    layers=self.layers,
                    reduce_time=self.reduce_time,
                )
            )
        shown = sequences[self.sequence - 1]
        if shown.arrays is None:
            raise InputError("--x: a batch's inputs are one matrix per sequence, a row per step")
        given = frozenset(s for s, rows in own.items() if rows is not None)
        batch = Batch(tuple(sequences), self.reduce_batch or "mean", self.sequence - 1, given)
        object.__setattr__(self, "batch", batch)
        for name in ("spec", "network", "reads_x", "activation", "loss", "targets", "x", "arrays"):
            object.__setattr__(self, name, getattr(shown, name))

    def with_parameters(self, params: dict[str, Any]) -> Problem:
        """The same array problem with other parameter values of the same shapes (no exact values); a
        batch's every sequence."""
        assert self.arrays is not None
        new = copy.copy(self)
        if self.batch is not None:
            sequences = tuple(s.with_parameters(params) for s in self.batch.sequences)
            object.__setattr__(new, "batch", dataclasses.replace(self.batch, sequences=sequences))
        exact = {k: v for k, v in self.arrays.exact.items() if k not in params}
        object.__setattr__(new, "arrays", dataclasses.replace(self.arrays, params=dict(params), exact=exact))
        return new

    def _apply_convention(self) -> None:
        """A course's problem in rnncalc's layout: its cell, split weights, batch axes (see convention)."""
        from .convention import course_args

        names: tuple[str, ...] = (
            "x", "g", "h0", "params", "cell", "init", "loss_term", "reduce_batch", "reduce_time", "preset",
            "layers",
        )  # fmt: skip
        names += ("bidirectional",)
        fields = {name: getattr(self, name) for name in names}
        args, layout = course_args(self.convention or "rnncalc", self.preset, fields, self.upstream)
        for name, value in args.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "course", layout)

    def _apply_preset(self) -> None:
        """A preset's equations become the cell, its defaults the parameters not given (each layer's)."""
        from ..cell.presets import PRESETS
        from ..cell.stacking import output_parameters, stacked_names

        preset = PRESETS.get(self.preset or "")
        if preset is None:
            raise InputError(f"unknown preset {self.preset!r}; choose one of {', '.join(PRESETS)}")
        if self.cell is not None and tuple(self.cell) != preset.equations:
            raise InputError("--preset and --cell conflict: a preset is a cell (see rnncalc cells)")
        defaults: dict[str, Any] = dict(preset.defaults)
        if self.layers != 1:
            defaults = stacked_names(defaults, self.layers, output_parameters(preset.equations))
        object.__setattr__(self, "cell", preset.equations)
        object.__setattr__(self, "params", defaults | dict(self.params))

    def _apply_layers(self) -> None:
        """``layers`` copies of the cell, layer l + 1 reading layer l's state h (cell.stacking)."""
        from ..cell.stacking import stacked_equations

        if not isinstance(self.layers, int) or isinstance(self.layers, bool):
            raise InputError(f"layers must be a whole number, got {self.layers!r}")
        if self.inputs:
            raise InputError("--layers stacks a cell that reads x alone: layer 1 reads x, each layer above h")
        base = tuple(self.cell) if self.cell is not None else builtin_equations(self.activation)
        object.__setattr__(self, "base_cell", None if self.preset or self.cell is None else base)
        object.__setattr__(self, "cell", stacked_equations(base, self.layers))

    def preset_dims(self) -> dict[str, tuple[str, ...]] | None:
        """The parameters' shapes in H, D and K: the built-in cell's or the preset's (each layer's), or
        None for a cell of your own (inferred from its equations)."""
        from ..cell.presets import BUILT_IN_DIMS, PRESETS
        from ..cell.stacking import output_parameters, stacked_dims

        if self.preset:
            dims, equations = PRESETS[self.preset].dims, PRESETS[self.preset].equations
        elif self.cell is None or (self.layers != 1 and self.base_cell is None):
            dims, equations = BUILT_IN_DIMS, builtin_equations("tanh")
        else:
            return None
        return dims if self.layers == 1 else stacked_dims(dims, self.layers, output_parameters(equations))

    @property
    def n(self) -> int:
        """Sequence length."""
        return len(self.x or ())

    @property
    def loss_weight(self) -> Fraction:
        """The factor of each step's loss term: 1/(number of targets) for MSE, 1 for SSE, 1/2 for half-SSE;
        1/n or 1 where --reduce-time says mean or sum."""
        if self.batch is not None:
            return self.batch.sequences[self.batch.shown].loss_weight
        n = sum(self.targets)
        if self.loss == CUSTOM_LOSS:
            return Fraction(1, n) if self.reduce_time == "mean" else Fraction(1)
        if self.loss in VECTOR_ONLY_LOSSES:
            return Fraction(1) if self.reduce_time == "sum" else Fraction(1, n)
        return LOSSES[self.loss].weight(n, self.reduce_time)

    def stream(self, name: str) -> tuple[Fraction, ...]:
        """An input stream's values (x or one given with --input)."""
        return (self.x or ()) if name == "x" else self.inputs[name]

    def stream_floats(self, name: str) -> list[float]:
        """An input stream in double precision."""
        return self.x_floats if name == "x" else _floats(self.inputs[name], name, 0)

    def initial(self, state: str) -> Fraction:
        """A state's initial value (h_0 is --h0; every other state starts at 0 unless --init sets it)."""
        return self.h0 if state == "h" else self.init.get(state, Fraction(0))

    @functools.cached_property
    def mask(self) -> list[int]:
        """1 for each step with a target, 0 for each without (made once: every run reads it)."""
        return [int(t) for t in self.targets]

    @functools.cached_property
    def every_step_has_a_target(self) -> bool:
        """True unless some g_t is _ (many-to-one and the like)."""
        return all(self.targets)


@dataclass(frozen=True)
class Settings:
    """How numbers are computed and shown.

    ``digits``: decimals shown (0..30); ``round_intermediate``: round every named quantity to ``digits``
    as by hand; ``exact``: also exact values (SymPy); ``per_step``: each step's share dL_t/dθ on its own line;
    ``flow``: the gradient through time (∂h_n/∂h_k and each step's share), with a note when it vanishes;
    ``truncate``: truncated BPTT, each loss term's gradient kept for K steps back (``chunked``: in chunks
    of K steps, as ``detach()`` does), shown next to the full gradient.
    """

    digits: int = 6
    round_intermediate: bool = False
    exact: bool = False
    per_step: bool = False
    flow: bool = False
    truncate: int | None = None
    chunked: bool = False

    def __post_init__(self) -> None:
        """Check the digits range and conflicting modes."""
        if not 0 <= self.digits <= MAX_DIGITS:
            raise InputError(f"--digits must be between 0 and {MAX_DIGITS}, got {self.digits}")
        if self.round_intermediate and self.exact:
            raise InputError("--exact and --round-intermediate conflict: exact values are never rounded")
        if self.chunked and self.truncate is None:
            raise InputError("--chunked needs --truncate K: the chunks are K steps long")
        if self.truncate is not None and self.truncate < 1:
            raise InputError(f"--truncate needs K ≥ 1 steps, got {self.truncate}")
