"""rnncalc check: the chain-rule gradients against finite differences, SymPy and (if installed) PyTorch.

Finite differences: central differences with step h = 1e-5 · max(1, |θ|), Richardson-extrapolated
(4·D(h/2) - D(h)) / 3, so truncation error is O(h^4) and rounding error about 1e-11 · |L|.
Agreement: |a - b| <= RTOL · max(|a|, |b|) + ATOL · max(1, |L|).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ..cell.functions import FUNCTIONS, REGISTRY, Function
from ..cell.size import tree_size
from ..cell.states import PREV, initial
from ..cell.tree import Tree, children
from ..compute.problem import Problem, Settings
from ..compute.run import loss_at, run
from ..compute.trace import Trace
from ..compute.values import given, values_of
from ..derivation.derive import cell_weight, scaled
from ..derivation.names import initial_state, parameter
from ..engine.arrays import evaluate_array
from ..engine.graph import Network
from ..errors import InputError
from ..result import Result

FD_STEP = 1e-5
RTOL = 1e-6
ATOL = 1e-9
SYMPY_MAX_N = 6
CHECK_MAX_N = 150_000
"""The longest sequence check takes for the worked example's cell (about 11 s), scaled down by a cell's
cost (an LSTM: about 26,000)."""
TORCH_MAX_N = 5_000
"""PyTorch's step-by-step graph of scalars costs about 0.5 ms a step: beyond, it is left out (and said)."""
SYMPY_MAX_NODES = 2_000
INPUTS_MAX_N = 2000
ONE_SIDED_RTOL = 1e-2
KINK_ZERO = 1e-30
KINK_NEAR = 1e-9
KINK_MARGIN = 1e-3
FD_MAX_WORK = 200_000
"""Finite differences move every entry while (entries moved) × (n + FD_STEP_OVERHEAD) stays within
this (about 15 s: each entry takes four passes, each about 0.7 ms + 25 µs per step); past it an evenly
spread sample of each parameter's entries is moved, and the note says how many."""
FD_STEP_OVERHEAD = 28
"""A pass's fixed cost in steps' worth of work (0.7 ms / 25 µs)."""
FD_SIZE_SCALE = 5_000
"""How many entries a step multiplies before its arithmetic costs as much as its Python overhead: a step
of a vector problem with E entries in all costs (1 + E / FD_SIZE_SCALE) steps' worth (H = 100: 3x)."""


@dataclass(frozen=True)
class CheckRow:
    """One quantity's gradient by every method, and whether they agree."""

    key: str
    label: str
    chain: float
    finite_difference: float | None
    sympy: float | None
    torch: float | None
    max_rel_diff: float
    ok: bool

    @property
    def compared(self) -> bool:
        """True when some other method gave this gradient (else nothing confirms it)."""
        return any(v is not None for v in (self.finite_difference, self.sympy, self.torch))


@dataclass(frozen=True)
class CheckReport(Result):
    """The comparison table, what was skipped and why, and the tolerances used."""

    problem: Problem
    loss: float
    rows: tuple[CheckRow, ...]
    notes: tuple[str, ...]
    rtol: float = RTOL
    atol: float = ATOL
    fd_step: float = FD_STEP

    @property
    def ok(self) -> bool:
        """True when every row agrees within tolerance."""
        return all(row.ok for row in self.rows)

    @property
    def unconfirmed(self) -> int:
        """How many gradients no other method gave."""
        return sum(not row.compared for row in self.rows)


def check(problem: Problem, inputs: bool = False, truncate: int | None = None) -> CheckReport:
    """Compare the chain-rule gradients with independent computations (``truncate``: the full gradients
    are checked, as finite differences see them, and the report says so)."""
    weight = cell_weight(problem.spec)
    if problem.n > (limit := int(CHECK_MAX_N / weight)):
        raise InputError(
            f"check is limited to n = {limit:,} steps for this cell (it runs the loss dozens of times"
            f"{scaled(weight)}); n = {problem.n:,}"
        )
    if inputs and problem.n > INPUTS_MAX_N:
        raise InputError(
            f"--inputs checks each input by finite differences; n = {problem.n} is above the limit of "
            f"{INPUTS_MAX_N}"
        )
    trace = run(problem, Settings(), every_adjoint=inputs)
    net = trace.net
    keys = list(trace.plan.graph.wrt)
    chain = entries(trace.gradients)
    if inputs:
        chain |= entries(
            {_input_key(s, i): v for s, column in trace.input_gradients.items() for i, v in enumerate(column)}
        )
    notes: list[str] = []
    if truncate is not None:
        notes.append(
            f"--truncate {truncate}: finite differences, SymPy and PyTorch see the whole loss, so this "
            "checks the full BPTT gradients; the truncated ones are what grads --truncate derives from them"
        )
    label = _labeller(net)
    closest = _closest_kink(trace)
    methods = {
        "finite_difference": _finite_differences(problem, net, keys, inputs, closest, notes, label),
        "sympy": _sympy_gradients(problem, net, list(chain), notes),
        "torch": _torch_gradients(problem, net, list(chain), notes, closest),
    }
    return CheckReport(problem, trace.loss, compare(chain, methods, trace.loss, label), tuple(notes))


def entries(values: dict[str, Any]) -> dict[str, float]:
    """Every number: a vector's or matrix's entries as W_i[1,2] (indices from 1, as the derivation
    shows its matrices)."""
    found: dict[str, float] = {}
    for key, value in values.items():
        if not getattr(value, "ndim", 0):
            found[key] = float(value)
            continue
        for index, entry in np.ndenumerate(value):
            found[f"{key}[{','.join(str(i + 1) for i in index)}]"] = float(entry)
    return found


def _input_key(stream: str, i: int) -> str:
    """x_3, x1_0: an input's key."""
    return f"{stream}_{i}"


def _labeller(net: Network) -> Callable[[str], str]:
    """dL/dW_i, dL/ds_0, dL/dx_3."""
    starts = {initial(s): s for s in net.states}

    def label(key: str) -> str:
        key, bracket, index = key.partition("[")
        if key in starts:
            return f"dL/d{initial_state(starts[key]).text}{bracket}{index}"
        return f"dL/d{parameter(key).text if key in net.params else key}{bracket}{index}"

    return label


def _closest_kink(trace: Trace) -> tuple[float, str] | None:
    """How close any argument of a function with a kink (relu, abs) comes to 0, and what it is called."""
    found: tuple[float, str] | None = None
    for e in trace.net.spec.equations:
        for argument in _kinked_arguments(trace.net.equation(e.name)):
            name = f"{argument[1]}_t" if argument[0] == "slot" else "argument of a function with a kink"
            for t in range(1, trace.n + 1):
                found_at = evaluate_array(argument, _step_values(trace, t))  # a number, or every entry
                distance = float(np.min(np.abs(found_at)))
                if found is None or distance < found[0]:
                    entry = np.ndim(found_at) and argument[0] == "slot"
                    found = (distance, f"entry of {name}" if entry else name)
    return found


def _kinked_arguments(tree: Tree) -> list[Tree]:
    """The arguments of every call of a function whose derivative jumps."""
    own = [tree[2]] if tree[0] == "call" and FUNCTIONS[tree[1]].kink else []
    return own + [arg for child in children(tree) for arg in _kinked_arguments(child)]


def _step_values(trace: Trace, t: int) -> dict[str, float]:
    """Every name's value at step t: quantities, previous states, inputs, parameters."""
    values = dict(trace.params) | {k: column[t - 1] for k, column in trace.values.items()}
    values |= {s + PREV: trace.value(s, t - 1) for s in trace.net.states}
    return values | {s: column[t - 1] for s, column in trace.streams.items()}


def _finite_differences(
    problem: Problem,
    net: Network,
    keys: list[str],
    inputs: bool,
    closest: tuple[float, str] | None,
    notes: list[str],
    label: Callable[[str], str],
) -> dict[str, float | None] | None:
    """Richardson-extrapolated central differences of the loss, through the same compiled forward pass."""
    if closest is not None and closest[0] < KINK_MARGIN:
        notes.append(f"finite differences skipped: some {closest[1]} is within {KINK_MARGIN} of a kink at 0")
        return None
    base = given(problem)
    moved = _spread(base, keys, problem.n, notes)
    result: dict[str, float | None] = {}
    for key in keys:
        result |= _slopes(key, base[key], lambda v, key=key: loss_at(problem, {**base, key: v}), moved[key])  # type: ignore[misc]
    if inputs:
        streams = values_of(problem).streams(problem)
        for s in net.spec.inputs:
            for i in range(problem.n):

                def shifted(value: Any, s: str = s, i: int = i) -> float:
                    """The loss with one input moved."""
                    return loss_at(problem, base, streams | {s: _replaced(streams[s], i, value)})

                result |= _slopes(_input_key(s, i), streams[s][i], shifted)
    note_inconclusive(result, notes, label)
    return result


def _replaced(column: Any, i: int, value: Any) -> Any:
    """The column with its i-th entry (a number or a row) replaced."""
    if isinstance(column, list):
        return column[:i] + [value] + column[i + 1 :]
    moved = column.copy()
    moved[i] = value
    return moved


def _spread(base: dict[str, Any], keys: list[str], n: int, notes: list[str]) -> dict[str, Any]:
    """Which entries of each parameter finite differences move: all, or past FD_MAX_WORK an evenly
    spread sample of each (its first and last entry included), as flat indices."""
    sizes = {key: int(np.size(base[key])) for key in keys}
    total = sum(sizes.values())
    work = total * (n + FD_STEP_OVERHEAD) * (1 + total / FD_SIZE_SCALE)
    if work <= FD_MAX_WORK:
        return dict.fromkeys(keys)
    share = FD_MAX_WORK / work
    chosen = {
        key: np.unique(np.linspace(0, size - 1, max(1, math.ceil(size * share))).round().astype(int))
        for key, size in sizes.items()
    }
    count = sum(len(c) for c in chosen.values())
    notes.append(
        f"finite differences on {count:,} of the {total:,} entries (evenly spread: moving them all would "
        "take over 15 s); the others are compared by the other methods only"
    )
    return chosen


def _slopes(key: str, at: Any, loss: Callable[[Any], float], moved: Any = None) -> dict[str, float | None]:
    """dL/d(key) by Richardson's central differences: one number, or every entry of an array (or the
    entries at the flat indices ``moved``)."""
    if not getattr(at, "ndim", 0):
        return {key: richardson(loss, float(at))}
    found: dict[str, float | None] = {}
    indices = np.ndindex(at.shape) if moved is None else (np.unravel_index(i, at.shape) for i in moved)
    for index in indices:
        entry = at[index]

        def moved(v: float, index: tuple[int, ...] = index) -> float:
            changed = at.copy()
            changed[index] = v
            return loss(changed)

        found[f"{key}[{','.join(str(i + 1) for i in index)}]"] = richardson(moved, float(entry))
    return found


def richardson(shifted: Callable[[float], float], at: float) -> float | None:
    """(4 D(h/2) - D(h)) / 3 with D the central difference; None where the two sides disagree."""
    step = FD_STEP * max(1.0, abs(at))
    middle = shifted(at)
    ahead, behind = (shifted(at + step) - middle) / step, (middle - shifted(at - step)) / step
    bends = abs(ahead - behind) > ONE_SIDED_RTOL * max(1.0, abs(ahead), abs(behind))
    if not (math.isfinite(ahead) and math.isfinite(behind)) or bends:
        return None  # a kink within the step, or curvature the step cannot resolve
    central = [(shifted(at + s) - shifted(at - s)) / (2 * s) for s in (step, step / 2)]
    return (4 * central[1] - central[0]) / 3


def note_inconclusive(result: dict[str, float | None], notes: list[str], label: Callable[[str], str]) -> None:
    """Say which finite differences could not be taken."""
    inconclusive = [key for key, value in result.items() if value is None]
    if inconclusive:
        notes.append(
            f"finite differences inconclusive for {', '.join(label(k) for k in inconclusive)}: the loss "
            f"bends sharply (or has a kink) within the step {FD_STEP:g}·max(1, |θ|): one-sided slopes differ"
        )


def compare(
    chain: dict[str, float],
    methods: Mapping[str, Mapping[str, float | None] | None],
    loss: float,
    label: Callable[[str], str],
) -> tuple[CheckRow, ...]:
    """One row per gradient: every method's value, the largest relative difference, agreement."""
    scale = ATOL * max(1.0, abs(loss))
    rows = []
    for key, value in chain.items():
        others = {m: (v.get(key) if v is not None else None) for m, v in methods.items()}
        known = [v for v in others.values() if v is not None]
        diffs = [abs(value - v) / max(abs(value), abs(v), 1e-300) for v in known]
        ok = all(abs(value - v) <= RTOL * max(abs(value), abs(v)) + scale for v in known)
        rows.append(
            CheckRow(
                key,
                label(key),
                value,
                others.get("finite_difference"),
                others.get("sympy"),
                others.get("torch"),
                max(diffs, default=0.0),
                ok,
            )
        )
    return tuple(rows)


def unrolled_loss(problem: Problem, net: Network) -> tuple[Any, dict[str, Any]] | None:
    """The loss as one SymPy expression in the parameters, initial states and inputs (None when too
    large): every step's equations written into the next."""
    import sympy

    from ..cell.tree import to_sympy

    symbols = {p: sympy.Symbol(p, real=True) for p in net.params}
    symbols |= {initial(s): sympy.Symbol(f"{initial(s)}_", real=True) for s in net.states}
    symbols |= {
        _input_key(s, i): sympy.Symbol(f"{s}_{i}_", real=True)
        for s in net.spec.inputs
        for i in range(problem.n)
    }
    previous = {s + PREV: symbols[initial(s)] for s in net.states}
    total = sympy.Integer(0)
    for t in range(problem.n):
        env: dict[str, Any] = dict(previous) | {p: symbols[p] for p in net.params}
        env |= {s: symbols[_input_key(s, t)] for s in net.spec.inputs}
        for e in net.spec.equations:
            env[e.name] = to_sympy(e.tree, dict(env))
        if sum(tree_size(v, SYMPY_MAX_NODES) for v in env.values()) > SYMPY_MAX_NODES:
            return None
        if problem.targets[t]:
            total += to_sympy(net.loss_tree, {"y": env["y"], "g": _rational((problem.g or ())[t])})
        previous = {s + PREV: env[s] for s in net.states}
    return total, symbols


def _sympy_gradients(
    problem: Problem, net: Network, keys: list[str], notes: list[str]
) -> dict[str, float] | None:
    """Differentiate the fully unrolled loss with SymPy, evaluated in 40-digit arithmetic (small n only:
    the unrolled loss grows about 7x per doubling of n)."""
    if not values_of(problem).symbolic:
        notes.append(
            "SymPy skipped: the unrolled loss is differentiated for scalar problems; vectors are "
            "checked numerically"
        )
        return None
    if problem.n > SYMPY_MAX_N:
        notes.append(
            f"SymPy skipped: the unrolled loss is only differentiated for n <= {SYMPY_MAX_N} "
            f"(n = {problem.n})"
        )
        return None
    unrolled = unrolled_loss(problem, net)
    if unrolled is None:
        notes.append(f"SymPy skipped: the unrolled loss would have more than {SYMPY_MAX_NODES:,} nodes")
        return None
    import sympy

    total, symbols = unrolled
    names = list(symbols)
    exact = [_exact_value(problem, net, key) for key in names]
    namespace = {f.shown_name: _mp_function(f) for f in REGISTRY if f.sympy_name is None}
    result = {}
    with mpmath.workdps(40):
        values = [mpmath.mpf(v.numerator) / v.denominator for v in exact]
        arguments = [symbols[k] for k in names]
        for key in keys:
            derivative = sympy.lambdify(
                arguments, sympy.diff(total, symbols[key]), modules=[namespace, "mpmath"]
            )
            try:
                result[key] = float(derivative(*values))
            except (ZeroDivisionError, ValueError, TypeError):  # abs'(z) = z/|z| and the like, at z = 0
                notes.append(
                    "SymPy skipped: its derivative is undefined here (an argument of a function with a "
                    "kink, such as abs or relu, is exactly 0; rnncalc takes the one-sided rule there)"
                )
                return None
    return result


def _exact_value(problem: Problem, net: Network, key: str) -> Any:
    """A parameter's, initial state's or input's exact value."""
    if key in net.params:
        return problem.params[key]
    state = next((s for s in net.states if initial(s) == key), None)
    if state is not None:
        return problem.initial(state)
    stream, _, index = key.rpartition("_")
    return problem.stream(stream)[int(index)]


def _rational(value: Any) -> Any:
    """A Fraction as a SymPy Rational."""
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


def _torch_gradients(
    problem: Problem, net: Network, keys: list[str], notes: list[str], closest: tuple[float, str] | None
) -> dict[str, float] | None:
    """PyTorch autograd on the same equations, step by step, when torch is installed."""
    if closest is not None and closest[0] < KINK_NEAR:
        notes.append(
            f"PyTorch skipped: some {closest[1]} is at a kink, where floating point cannot tell its side"
        )
        return None
    if problem.n > TORCH_MAX_N:
        notes.append(
            f"PyTorch skipped: its step-by-step graph is built for n <= {TORCH_MAX_N:,} (n = {problem.n:,})"
        )
        return None
    try:
        import torch
    except ImportError:
        notes.append("PyTorch skipped: not installed (pip install torch)")
        return None
    leaf = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in given(problem).items()}
    streams = {
        s: [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in column]
        for s, column in values_of(problem).streams(problem).items()
    }
    previous = {s + PREV: leaf[initial(s)] for s in net.states}
    total = torch.tensor(0.0, dtype=torch.float64)
    for t in range(problem.n):
        env: dict[str, Any] = dict(previous) | {p: leaf[p] for p in net.params}
        env |= {s: column[t] for s, column in streams.items()}
        for e in net.spec.equations:
            env[e.name] = _torch_value(net.equation(e.name), env, torch)
        if problem.targets[t]:
            total = total + _torch_loss(problem, net, env["y"], t, torch)
        previous = {s + PREV: env[s] for s in net.states}
    if total.requires_grad:  # else the loss depends on nothing given: every gradient is 0
        total.backward()
    every = leaf | {_input_key(s, i): v for s, column in streams.items() for i, v in enumerate(column)}
    grads = {k: v.grad.numpy() if v.grad is not None else np.zeros(tuple(v.shape)) for k, v in every.items()}
    found = entries(grads)
    return finite_or_skipped({k: found[k] for k in keys}, notes)


def _torch_loss(problem: Problem, net: Any, y: Any, t: int, torch: Any) -> Any:
    """Step t's weighted loss term on PyTorch tensors (on vectors: summed over the entries; softmax
    cross-entropy by PyTorch's own log_softmax)."""
    g = torch.tensor(values_of(problem).target(problem, t), dtype=torch.float64)
    if problem.loss == "softmax-ce":
        return -float(problem.loss_weight) * torch.sum(g * torch.log_softmax(y, 0))
    return torch.sum(_torch_value(net.loss_tree, {"y": y, "g": g}, torch))


def _torch_value(tree: Tree, env: dict[str, Any], torch: Any) -> Any:
    """A tree computed with PyTorch's functions (each the registry record's formula)."""
    tag = tree[0]
    if tag == "slot":
        return env[tree[1]]
    if tag == "const":
        return float(Fraction(tree[1]))
    values = [_torch_value(child, env, torch) for child in children(tree)]
    if tag == "add":
        return functools.reduce(lambda a, b: a + b, values)
    if tag == "mul":
        return functools.reduce(lambda a, b: a * b, values)
    if tag == "neg":
        return -values[0]
    if tag == "div":
        return values[0] / values[1]
    if tag == "pow":
        return values[0] ** values[1]
    if tag in ("matvec", "vecmat"):
        return values[0] @ values[1]
    record = FUNCTIONS[tree[1]]
    if record.kink and getattr(values[0], "dim", lambda: 0)():  # a branch on the sign: entry by entry
        return torch.stack([record.formula(torch, entry) for entry in values[0]])
    return record.formula(torch, values[0])


def _mp_function(record: Function) -> Callable[[Any], Any]:
    """A registry function in 40-digit arithmetic; a kink's argument within 1e-30 of 0 is taken as 0.

    The inputs are exact rationals rounded to 40 digits, so an exact 0 arrives as about 1e-41.
    """
    if not record.kink:
        return functools.partial(record.formula, mpmath)
    return lambda z: record.formula(mpmath, z if abs(z) > KINK_ZERO else 0 * z)


def finite_or_skipped(values: dict[str, float], notes: list[str]) -> dict[str, float] | None:
    """PyTorch's gradients, or None with a note where its twin overflowed (exp(800) in softplus, say,
    where rnncalc's functions use a stable form): inf or nan there is no disagreement to report."""
    if all(math.isfinite(v) for v in values.values()):
        return values
    notes.append("PyTorch skipped: its float64 formulas overflow at these values (rnncalc's are stable)")
    return None
