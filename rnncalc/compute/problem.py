"""The problem a user poses: sequence, targets, parameters, activation, loss; and how to show it."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ..cell import PARAMETERS
from ..cell.functions import ACTIVATIONS
from ..cell.losses import LOSSES
from ..errors import InputError

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
    _check_representable(result, what)
    return result


def _exact_all(values: Sequence[Number], symbol: str, first: int) -> tuple[Fraction, ...]:
    """A sequence as exact Fractions (already-exact sequences pass straight through)."""
    if all(type(v) is Fraction for v in values):
        return tuple(values)  # type: ignore[arg-type]
    return tuple(exact(v, f"{symbol}_{i + first}") for i, v in enumerate(values))


NO_TARGET = "_"
"""How a step without a target is written: --g _ _ 0.7 is a many-to-one exercise."""


def _targets(values: Sequence[Number | None]) -> tuple[Fraction | None, ...]:
    """Targets as exact Fractions, None where a step has none (written _ or None)."""
    if all(type(v) is Fraction for v in values):
        return tuple(values)  # type: ignore[arg-type]
    return tuple(
        None if v is None or v == NO_TARGET else exact(v, f"g_{t}") for t, v in enumerate(values, start=1)
    )


def _floats(values: tuple[Fraction, ...], symbol: str, first: int) -> list[float]:
    """The sequence in double precision, refusing numbers it cannot hold."""
    try:
        floats = list(map(float, values))
        tiny = [i for i, f in enumerate(floats) if abs(f) < sys.float_info.min and values[i] != 0]
        for i in tiny:
            _check_representable(values[i], f"{symbol}_{i + first}")
        if all(map(math.isfinite, floats)):
            return floats
    except OverflowError:
        pass
    for i, value in enumerate(values):
        _check_representable(value, f"{symbol}_{i + first}")
    raise AssertionError("unreachable")


def _check_representable(value: Fraction, what: str) -> None:
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

    x: tuple[Fraction, ...] = (Fraction(1), Fraction(0))
    g: tuple[Fraction | None, ...] | None = None
    h0: Fraction = Fraction(0)
    params: dict[str, Fraction] = field(default_factory=dict)
    activation: str = "sigmoid"
    loss: str = "mse"
    cell: tuple[str, ...] | None = None
    x_floats: list[float] = field(init=False, repr=False, compare=False)
    g_floats: list[float] = field(init=False, repr=False, compare=False)
    targets: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Normalise numbers, fill default targets and check consistency."""
        x = _exact_all(self.x, "x", 0)
        if not x:
            raise InputError("x: the input sequence is empty; give at least one value")
        g = _targets(self.g) if self.g is not None else (Fraction(1),) * len(x)
        if len(g) != len(x):
            raise InputError(f"g has {len(g)} value(s) but x has {len(x)}; give one target per input")
        if all(v is None for v in g):
            raise InputError("g: every step is _ (no target); give at least one target")
        names, activation = PARAMETERS, self.activation
        if self.cell is not None:
            from ..cell.equations import parse_cell

            spec = parse_cell(tuple(self.cell))
            names, activation = spec.params, spec.activation_name
            object.__setattr__(self, "cell", tuple(self.cell))
        elif activation not in ACTIVATIONS:
            raise InputError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        unknown = sorted(set(self.params) - set(names))
        if unknown:
            used = ", ".join(names) or "none"
            raise InputError(
                f"parameter {', '.join(unknown)} is not used by the cell (its parameters: {used})"
            )
        params = {p: Fraction(1) for p in names} | {k: exact(v, k) for k, v in self.params.items()}
        object.__setattr__(self, "activation", activation)
        if self.loss not in LOSSES:
            raise InputError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        object.__setattr__(self, "x_floats", _floats(x, "x", 0))
        if LOSSES[self.loss].y_range is not None:
            outside = next((t for t, v in enumerate(g, start=1) if v is not None and not 0 <= v <= 1), None)
            if outside is not None:
                raise InputError(
                    f"--loss {self.loss} needs targets 0 <= g_t <= 1, but g_{outside} = {g[outside - 1]}"
                )
        object.__setattr__(self, "targets", tuple(v is not None for v in g))
        object.__setattr__(self, "g_floats", _floats(tuple(v or 0 for v in g), "g", 1))
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "g", g)
        h0 = exact(self.h0, "h0")
        for name, value in (*params.items(), ("h0", h0)):
            _check_representable(value, name)
        object.__setattr__(self, "h0", h0)
        object.__setattr__(self, "params", params)

    @property
    def n(self) -> int:
        """Sequence length."""
        return len(self.x)

    @property
    def loss_weight(self) -> Fraction:
        """The factor of each squared error: 1/(number of targets) for MSE, 1 for SSE, 1/2 for half-SSE."""
        return LOSSES[self.loss].weight(sum(self.targets))

    @property
    def every_step_has_a_target(self) -> bool:
        """True unless some g_t is _ (many-to-one and the like)."""
        return all(self.targets)


@dataclass(frozen=True)
class Settings:
    """How numbers are computed and shown.

    ``digits``: decimals shown (0..30); ``round_intermediate``: round every named quantity to ``digits``
    as by hand; ``exact``: also exact values (SymPy); ``per_step``: each step's share dL_t/dθ on its own line;
    ``flow``: the gradient through time (∂h_n/∂h_k and each step's share), with a note when it vanishes.
    """

    digits: int = 6
    round_intermediate: bool = False
    exact: bool = False
    per_step: bool = False
    flow: bool = False

    def __post_init__(self) -> None:
        """Check the digits range and conflicting modes."""
        if not 0 <= self.digits <= MAX_DIGITS:
            raise InputError(f"--digits must be between 0 and {MAX_DIGITS}, got {self.digits}")
        if self.round_intermediate and self.exact:
            raise InputError("--exact and --round-intermediate conflict: exact values are never rounded")
