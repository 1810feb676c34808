"""Vector and matrix RNNs: o_t = W_i x_{t-1} + W_h h_{t-1} + b, h_t = act(o_t), y_t = a h_t + c, in NumPy.

``VectorProblem`` holds the exact values and checks their shapes (H hidden units, D inputs, K outputs);
``run_vector`` computes the forward pass, the deltas δ_t = dL/do_t from t = n down to 1 and every
gradient as a sum of per-step outer products, vectorised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..cell.losses import VECTOR_ONLY_LOSSES
from ..cell.vectorized import activation, loss_slope, loss_value, softmax
from ..errors import InputError, RnnCalcError
from ..numbers import as_float, round_half_up
from ..tensor import Exact, describe, parse_tensor, shape_of
from .problem import NO_TARGET, Settings

PARAMETER_ORDER = ("Wi", "Wh", "b", "a", "c")
SQUARED = ("mse", "sse", "half-sse")
VECTOR_LOSSES = (*SQUARED, *VECTOR_ONLY_LOSSES)


def _exact(value: Any, what: str) -> Exact:
    """A number or nested list (text, int, float, Fraction or lists of them) as exact values."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return parse_tensor(value, what)
    if isinstance(value, (list, tuple)):
        return tuple(_exact(item, what) for item in value)
    if isinstance(value, float):
        return parse_tensor(repr(value), what)
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    if value is None:
        raise InputError(f"{what}: _ (no target) stands for a whole step, not for one entry of a row")
    raise InputError(f"{what}: {value!r} is not a number or a list of numbers")


@dataclass(frozen=True)
class VectorProblem:
    """One vector RNN problem: x (n rows of D), targets, h0 (H), Wi (H×D), Wh (H×H), b (H), a (K×H), c (K).

    A parameter given as one number fills its whole shape; h0 defaults to zeros, every other parameter to
    ones. For ``softmax-ce`` the targets are class indices 0..K-1 (or rows of K probabilities).
    """

    x: Any
    g: Any = None
    h0: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    activation: str = "sigmoid"
    loss: str = "mse"
    arrays: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)
    shapes: dict[str, int] = field(init=False, repr=False, compare=False)
    classes: tuple[int, ...] | None = field(init=False, repr=False, compare=False, default=None)

    vector = True
    cell = None
    network = False
    preset = None

    def __post_init__(self) -> None:
        """Read every value exactly, infer H, D and K and check every shape against them."""
        from ..cell.functions import ACTIVATIONS

        if self.activation not in ACTIVATIONS:
            raise InputError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        if self.loss not in VECTOR_LOSSES:
            raise InputError(
                f"--loss {self.loss} is not defined for vector outputs; choose one of "
                f"{', '.join(VECTOR_LOSSES)}"
            )
        unknown = sorted(set(self.params) - set(PARAMETER_ORDER))
        if unknown:
            raise InputError(
                f"parameter {', '.join(unknown)} is not used by the cell (its parameters: "
                f"{', '.join(PARAMETER_ORDER)})"
            )
        x = _rows(_exact(self.x, "x"), "x")
        params = {name: _exact(value, name) for name, value in self.params.items()}
        h0 = _exact(self.h0, "h0") if self.h0 is not None else None
        sizes = {"n": len(x), "D": len(x[0])}
        sizes["H"], origin_h = _hidden_size(params, h0)
        sizes["K"], origin_k = self._output_size(params)
        origins = {"H": origin_h, "K": origin_k, "D": "x"}
        _check_sizes(sizes)
        arrays = {"x": _array(x, "x")}
        expected = {"Wi": ("H", "D"), "Wh": ("H", "H"), "b": ("H",), "a": ("K", "H"), "c": ("K",)}
        for name, dims in expected.items():
            default = Fraction(1)
            arrays[name] = _fit(params.get(name, default), dims, sizes, origins, name)
        arrays["h0"] = _fit(h0 if h0 is not None else Fraction(0), ("H",), sizes, origins, "h0")
        object.__setattr__(self, "shapes", sizes)
        object.__setattr__(self, "arrays", arrays | self._targets(sizes))

    def _output_size(self, params: dict[str, Exact]) -> tuple[int, str]:
        """K from a (K×H), else c, else the targets' rows, else the largest class index + 1 (softmax-ce)."""
        a, c = params.get("a"), params.get("c")
        if a is not None and len(shape_of(a, "a")) == 2:
            return shape_of(a, "a")[0], "a"
        if c is not None and len(shape_of(c, "c")) == 1:
            return shape_of(c, "c")[0], "c"
        given = [entry for entry in self._target_entries() or () if entry is not None]
        if given:
            shape = _target_shape(given)
            if shape:
                return shape[0], "g"
            if self.loss == "softmax-ce":
                return int(max(given)) + 1, "the largest class index in g"  # type: ignore[call-overload]
        return 1, "a single output (give a as a K×H matrix for more)"

    def _target_entries(self) -> list[Exact | None] | None:
        """g as one entry per step (a number or a row), None for a step without a target (``_``)."""
        if self.g is None:
            return None
        g = parse_tensor(self.g, "g", NO_TARGET) if isinstance(self.g, str) else self.g
        if not isinstance(g, (list, tuple)):
            raise InputError("g: give a list of targets, one per step (_ for a step without one)")
        return [None if _is_blank(entry) else _exact(entry, "g") for entry in g]

    def _targets(self, sizes: dict[str, int]) -> dict[str, np.ndarray]:
        """g as an n×K array (ones by default; zeros where a step has no target) and the mask of steps that
        have one; for softmax-ce, class indices become one-hot rows."""
        n, k = sizes["n"], sizes["K"]
        entries = self._target_entries()
        if entries is None:
            if self.loss == "softmax-ce":
                raise InputError("--loss softmax-ce needs targets: g = class indices, one per step")
            return {"g": np.ones((n, k)), "mask": np.ones(n)}
        mask = np.array([entry is not None for entry in entries], dtype=float)
        given = [entry for entry in entries if entry is not None]
        if not given:
            raise InputError("g: every step is _ (no target); give at least one target")
        classes = self.loss == "softmax-ce" and not _target_shape(given)
        if len(entries) != n:
            what = "class index(es)" if classes else "row(s)"
            raise InputError(f"g has {len(entries)} {what} but x has {n} steps; give one target per step")
        if classes:
            return {"g": _one_hot(entries, k), "mask": mask}
        rows = [(entry,) if not isinstance(entry, tuple) else entry for entry in given]
        if len(rows[0]) != k:
            raise InputError(f"g has rows of {len(rows[0])} but the output y_t has K = {k} values")
        if self.loss == "softmax-ce":
            _check_probabilities(rows, entries)
        g = np.zeros((n, k))
        g[mask.astype(bool)] = _array(rows, "g")
        return {"g": g, "mask": mask}

    @property
    def n(self) -> int:
        """Sequence length."""
        return self.shapes["n"]

    def with_parameters(self, arrays: dict[str, np.ndarray]) -> VectorProblem:
        """The same problem with new parameter arrays of the same shapes (training's updates)."""
        import copy

        changed = copy.copy(self)
        object.__setattr__(
            changed, "arrays", self.arrays | {k: np.asarray(v, dtype=float) for k, v in arrays.items()}
        )
        return changed

    @property
    def targets(self) -> tuple[bool, ...]:
        """Which steps have a target (g_t not ``_``)."""
        return tuple(bool(v) for v in self.arrays["mask"])

    @property
    def weight(self) -> Fraction:
        """1/(number of targets) for mse and softmax-ce, 1 for sse, 1/2 for half-sse."""
        count = sum(self.targets)
        return {"sse": Fraction(1), "half-sse": Fraction(1, 2)}.get(self.loss, Fraction(1, count))

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """Wi, Wh, b, a, c in that order."""
        return {name: self.arrays[name] for name in PARAMETER_ORDER}


def _rows(value: Exact, what: str) -> list[tuple[Fraction, ...]]:
    """A sequence as rows: numbers become rows of one value; a single number is refused."""
    shape = shape_of(value, what)
    if not shape:
        raise InputError(f"{what}: give a list of rows, one per step ([[1, 2], [0, 1]])")
    if len(shape) == 1:
        return [(v,) for v in value]  # type: ignore[union-attr]
    return [tuple(row) for row in value]  # type: ignore[union-attr]


def _array(value: Any, what: str = "a value") -> np.ndarray:
    """Exact values as float64; one beyond double precision is named in the error."""
    try:
        array = np.array(value, dtype=float)
    except OverflowError:
        array = np.array([np.inf])
    if not np.isfinite(array).all():
        raise InputError(f"{what}: {_first_too_large(value)} is too large for double precision")
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


def _hidden_size(params: dict[str, Exact], h0: Exact | None) -> tuple[int, str]:
    """H from the first of Wh, Wi, b, h0, a that has a shape, and where it came from."""
    for name, axis in (("Wh", 0), ("Wi", 0), ("b", 0), ("h0", 0), ("a", 1)):
        value = h0 if name == "h0" else params.get(name)
        if value is None:
            continue
        shape = shape_of(value, name)
        if name == "a" and len(shape) == 1:
            return shape[0], "a"
        if len(shape) > axis:
            return shape[axis], name
    raise InputError("cannot tell the hidden size H: give Wh as an H×H matrix (or Wi, b or h0 as a vector)")


def _fit(
    value: Exact, dims: tuple[str, ...], sizes: dict[str, int], origins: dict[str, str], name: str
) -> Any:
    """The value as an array of the shape ``dims`` asks for; a number fills it, a vector of one row fits."""
    want = tuple(sizes[d] for d in dims)
    shape = shape_of(value, name)
    if not shape:
        return np.full(want, as_float(value, name))  # type: ignore[arg-type]
    if len(want) == 2 and len(shape) == 1 and (want[0] == 1 or want[1] == 1) and shape[0] == max(want):
        return _array(value, name).reshape(want)
    if shape != want:
        symbolic = (
            f"{'×'.join(dims)} = {describe(want)}" if len(dims) == 2 else f"a vector of {dims[0]} = {want[0]}"
        )
        why = ", ".join(f"{d} = {sizes[d]} from {origins[d]}" for d in dict.fromkeys(dims))
        raise InputError(f"{name} is {describe(shape)} but must be {symbolic} ({why})")
    return _array(value, name)


def _is_blank(entry: Any) -> bool:
    """A step without a target: None or ``_``."""
    return entry is None or (isinstance(entry, str) and entry.strip() == NO_TARGET)


def _target_shape(given: list[Exact]) -> tuple[int, ...]:
    """() when the targets are numbers, (K,) when they are rows; a mix is refused."""
    shapes = {shape_of(entry, "g") for entry in given}
    if len(shapes) != 1:
        raise InputError("g: rows of different lengths or a mix of numbers and lists")
    (shape,) = shapes
    if len(shape) > 1:
        raise InputError("g: lists nested more than two deep; give one number or one row per step")
    return shape


MAX_ENTRIES = 4_000_000
"""The most numbers one matrix or one quantity over all steps may hold (32 MB of doubles): beyond,
the run would take minutes and gigabytes, so it is refused before any work."""


def _check_sizes(sizes: dict[str, int]) -> None:
    """Refuse sizes whose matrices (W_h is H×H) or step-by-step values (n×H) would not fit in memory."""
    n, hidden, inputs, outputs = sizes["n"], sizes["H"], sizes["D"], sizes["K"]
    for what, rows, columns in (("W_h", hidden, hidden), ("W_i", hidden, inputs), ("a", outputs, hidden)):
        if rows * columns > MAX_ENTRIES:
            raise InputError(
                f"{what} would be {rows}×{columns} = {rows * columns:,} numbers (H = {hidden}, D = {inputs}, "
                f"K = {outputs}); rnncalc works with at most {MAX_ENTRIES:,} in one matrix"
            )
    widest = max(hidden, inputs, outputs)
    if n * widest > MAX_ENTRIES:
        raise InputError(
            f"n = {n:,} steps of {widest:,} values each is {n * widest:,} numbers per quantity; rnncalc "
            f"works with at most {MAX_ENTRIES:,}: use fewer steps or a smaller network"
        )


def _check_probabilities(rows: list[tuple[Fraction, ...]], entries: list[Exact | None]) -> None:
    """softmax-ce's target rows must be probabilities: each entry in [0, 1], each row summing to 1."""
    steps = [t for t, entry in enumerate(entries, start=1) if entry is not None]
    for t, row in zip(steps, rows):
        if any(v < 0 or v > 1 for v in row) or sum(row) != 1:
            shown = "[" + ", ".join(format(float(v), "g") for v in row) + "]"
            raise InputError(
                f"g_{t} = {shown} is not a probability row (entries in [0, 1] summing to 1); "
                "for --loss softmax-ce give class indices (g = [0, 2]) or rows such as [0.2, 0.8]"
            )


def _one_hot(classes: list[Exact | None], k: int) -> np.ndarray:
    """Class indices as one-hot rows (a zero row for a step without a target), each index checked."""
    rows = np.zeros((len(classes), k))
    for t, value in enumerate(classes, start=1):
        if value is None:
            continue
        if value.denominator != 1 or not 0 <= value < k:  # type: ignore[union-attr]
            raise InputError(f"g_{t} = {value} is not a class index 0..{k - 1} (K = {k} outputs)")
        rows[t - 1, int(value)] = 1.0
    return rows


@dataclass
class VectorTrace:
    """Every quantity of a vector derivation; arrays hold steps 1..n along their first axis."""

    problem: VectorProblem
    o: np.ndarray
    h: np.ndarray  # h_0..h_n
    y: np.ndarray
    p: np.ndarray | None
    loss_terms: np.ndarray
    loss: float
    dL_dy: np.ndarray
    dh_do: np.ndarray
    delta: np.ndarray
    terms: dict[str, list[np.ndarray]]
    gradients: dict[str, np.ndarray]


Settle = Callable[[np.ndarray], np.ndarray]


def settler(settings: Settings) -> Settle:
    """Every entry rounded as by hand (--round-intermediate), or left alone."""
    if not settings.round_intermediate:
        return lambda array: array
    digits = settings.digits
    rounded = np.vectorize(lambda v: round_half_up(float(v), digits), otypes=[float])
    return lambda array: rounded(array) if np.size(array) else array


def run_vector(problem: VectorProblem, settings: Settings | None = None, terms: bool = True) -> VectorTrace:
    """The forward pass, the deltas from t = n down to 1, and each gradient as a sum of outer products.

    ``terms``: keep each step's outer product (the derivation shows them); without it (and without hand
    rounding, which rounds each term) the sums are taken as matrix products, all steps at once.
    """
    settings = settings or Settings()
    S = settler(settings)
    A = problem.arrays
    Wi, Wh, b, a, c = (A[k] for k in PARAMETER_ORDER)
    act = activation(problem.activation)
    n, hidden = problem.n, problem.shapes["H"]
    with np.errstate(all="raise", under="ignore"):  # a value too small for a double is 0, as by hand
        try:
            o, h = np.empty((n, hidden)), np.empty((n + 1, hidden))
            h[0] = S(A["h0"])
            inputs = A["x"] @ Wi.T + b  # W_i x_{t-1} + b for every step at once
            for t in range(n):
                o[t] = S(inputs[t] + Wh @ h[t])
                h[t + 1] = S(act.value(o[t]))
            dh_do = S(act.slope(o, h[1:]))
            y = S(h[1:] @ a.T + c)
            p, loss_terms, dL_dy = _loss(problem, y, S)
            delta = np.empty((n, hidden))
            carried, from_output, WhT = np.zeros(hidden), dL_dy @ a, Wh.T
            for t in range(n - 1, -1, -1):
                delta[t] = S(dh_do[t] * (from_output[t] + carried))
                carried = WhT @ delta[t]
            shares, gradients = _gradients(A, h, dL_dy, delta, S, terms or settings.round_intermediate)
            loss = float(S(np.array(np.sum(loss_terms))))
        except FloatingPointError as error:
            raise RnnCalcError(
                f"the computation overflows or divides by zero ({error}); use smaller values"
            ) from None
    _check_finite({"the loss L": loss, **{f"dL/d{k}": v for k, v in gradients.items()}})
    return VectorTrace(problem, o, h, y, p, loss_terms, loss, dL_dy, dh_do, delta, shares, gradients)


def _gradients(
    A: dict[str, np.ndarray], h: np.ndarray, dL_dy: np.ndarray, delta: np.ndarray, S: Settle, shown: bool
) -> tuple[dict[str, list[np.ndarray]], dict[str, np.ndarray]]:
    """Each gradient as the sum of its per-step outer products (kept when ``shown``), or all steps at
    once as matrix products; dL/dh_0 = W_hᵀ δ_1."""
    n = len(delta)
    shares: dict[str, list[np.ndarray]] = {}
    if shown:
        shares = {
            "Wi": [S(np.outer(delta[t], A["x"][t])) for t in range(n)],
            "Wh": [S(np.outer(delta[t], h[t])) for t in range(n)],
            "b": list(delta),
            "a": [S(np.outer(dL_dy[t], h[t + 1])) for t in range(n)],
            "c": list(dL_dy),
        }
        gradients = {name: S(np.sum(parts, axis=0)) for name, parts in shares.items()}
    else:
        gradients = {
            "Wi": delta.T @ A["x"],
            "Wh": delta.T @ h[:-1],
            "b": delta.sum(axis=0),
            "a": dL_dy.T @ h[1:],
            "c": dL_dy.sum(axis=0),
        }
    gradients["h0"] = S(A["Wh"].T @ delta[0])
    return shares, gradients


def _check_finite(values: dict[str, Any]) -> None:
    """Refuse to print inf or nan (matrix products do not raise): name the first result that overflowed."""
    for name, value in values.items():
        if not np.isfinite(value).all():
            raise RnnCalcError(f"{name} overflows double precision; use smaller values")


def _loss(
    problem: VectorProblem, y: np.ndarray, S: Settle
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """softmax p_t (softmax-ce only), each step's loss term L_t and dL_t/dy_t."""
    g, w, mask = problem.arrays["g"], float(problem.weight), problem.arrays["mask"]
    if problem.loss == "softmax-ce":
        p = S(softmax(y))
        terms = w * -np.sum(g * np.log(np.maximum(p, 1e-300)), axis=1)
        return p, terms * mask, S(w * (p - g)) * mask[:, None]
    terms = w * np.sum(loss_value(problem.loss)(y, g), axis=1)
    return None, terms * mask, S(w * loss_slope(problem.loss)(y, g)) * mask[:, None]


def loss_only(problem: VectorProblem, arrays: dict[str, np.ndarray]) -> float:
    """The loss alone for the given parameter arrays (finite differences perturb one entry at a time)."""
    act = activation(problem.activation).value
    h = arrays["h0"]
    ys = []
    for x in problem.arrays["x"]:
        h = act(arrays["Wi"] @ x + arrays["Wh"] @ h + arrays["b"])
        ys.append(arrays["a"] @ h + arrays["c"])
    _, terms, _ = _loss(problem, np.array(ys), lambda v: v)
    return float(np.sum(terms))
