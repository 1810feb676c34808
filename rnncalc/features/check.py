"""rnncalc check: the chain-rule gradients against finite differences, SymPy and (if installed) PyTorch.

Finite differences: central differences with step h = 1e-5 · max(1, |θ|), Richardson-extrapolated
(4·D(h/2) - D(h)) / 3, so truncation error is O(h^4) and rounding error about 1e-11 · |L|.
Agreement: |a - b| <= RTOL · max(|a|, |b|) + ATOL · max(1, |L|).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath

from ..cell.data import Cell
from ..cell.functions import ACTIVATIONS, REGISTRY, Function
from ..cell.losses import LOSSES
from ..cell.size import tree_size
from ..cell.sweep import INITIAL_STATE, compile_sweep
from ..compute.backward import backward
from ..compute.forward import Trace, cell_for, mask_of, run
from ..compute.problem import Problem, Settings
from ..derivation.names import indexed, parameter
from ..errors import InputError
from ..result import Result

FD_STEP = 1e-5
RTOL = 1e-6
ATOL = 1e-9
SYMPY_MAX_N = 6
SYMPY_MAX_NODES = 2_000
INPUTS_MAX_N = 2000
ONE_SIDED_RTOL = 1e-2
KINK_ZERO = 1e-30
KINK_NEAR = 1e-9
KINK_MARGIN = 1e-3


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


def check(problem: Problem, inputs: bool = False) -> CheckReport:
    """Compare the chain-rule gradients with independent computations."""
    if inputs and problem.n > INPUTS_MAX_N:
        raise InputError(
            f"--inputs checks each input by finite differences; n = {problem.n} is above the limit of "
            f"{INPUTS_MAX_N}"
        )
    if getattr(problem, "vector", False):
        from .check_vector import check_vector

        return check_vector(problem)  # type: ignore[arg-type]
    if problem.network:
        from .check_network import check_network

        return check_network(problem, inputs)
    cell = cell_for(problem)
    exact = Settings()
    trace = run(problem, cell, exact)
    chain = dict(trace.gradients)
    if inputs:
        chain |= {f"x_{i}": v for i, v in enumerate(backward(trace, exact).inputs)}
    notes: list[str] = []
    near_kink = cell.kinked and min(map(abs, trace.o)) < KINK_NEAR
    methods = {
        "finite_difference": _finite_differences(problem, cell, trace, list(chain), notes),
        "sympy": _sympy_gradients(problem, cell, list(chain), notes),
        "torch": _torch_gradients(problem, list(chain), notes, near_kink),
    }
    return CheckReport(problem, trace.loss, compare(chain, methods, trace.loss, _label), tuple(notes))


def _label(key: str) -> str:
    """dL/dW_i, dL/dx_3."""
    if key.startswith("x_"):
        return f"dL/d{indexed('x', int(key[2:])).text}"
    return f"dL/d{parameter(key).text}"


def _finite_differences(
    problem: Problem, cell: Cell, trace: Trace, keys: list[str], notes: list[str]
) -> dict[str, float] | None:
    """Richardson-extrapolated central differences of the loss, through the same forward pass."""
    if cell.kinked and min(map(abs, trace.o)) < KINK_MARGIN:
        notes.append(f"finite differences skipped: some o_t is within {KINK_MARGIN} of a kink at 0")
        return None
    masked = not problem.every_step_has_a_target
    sweep = compile_sweep(cell, rounding=False, masked=masked)
    mask = mask_of(problem) if masked else None
    xs, gs = list(problem.x_floats), list(problem.g_floats)
    base = {**{p: float(v) for p, v in problem.params.items()}, INITIAL_STATE: float(problem.h0)}

    def loss(values: dict[str, float], inputs: list[float]) -> float:
        """The loss at these parameter and input values."""
        try:
            params = tuple(values[p] for p in cell.params)
            swept = sweep(inputs, gs, values[INITIAL_STATE], params, _same, None, mask)
            return math.fsum(swept["loss_terms"])
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan  # the shifted point is outside double precision: no finite difference there

    derivative = richardson
    result: dict[str, float | None] = {}
    for key in keys:
        if key.startswith("x_"):
            i = int(key[2:])
            result[key] = derivative(lambda v, i=i: loss(base, xs[:i] + [v] + xs[i + 1 :]), xs[i])
        else:
            result[key] = derivative(lambda v, key=key: loss({**base, key: v}, xs), base[key])
    note_inconclusive(result, notes, _label)
    return result


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
    methods: dict[str, dict[str, float | None] | None],
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


def _same(value: float) -> float:
    """No rounding."""
    return value


def _sympy_gradients(
    problem: Problem, cell: Cell, keys: list[str], notes: list[str]
) -> dict[str, float] | None:
    """Differentiate the fully unrolled loss with SymPy (small n only: it grows about 7x per doubling)."""
    if problem.n > SYMPY_MAX_N:
        notes.append(
            f"SymPy skipped: the unrolled loss is only differentiated for n <= {SYMPY_MAX_N} (n = "
            f"{problem.n})"
        )
        return None
    import sympy

    from ..cell.rules import g, h, h_prev, o, symbolic_cell, x, y

    symbolic = symbolic_cell(cell.spec, cell.weight, cell.loss_name)
    symbols = {p: sympy.Symbol(p, real=True) for p in cell.params}
    symbols[INITIAL_STATE] = sympy.Symbol("h0_", real=True)
    inputs = [sympy.Symbol(f"x_{i}_", real=True) for i in range(problem.n)]
    state = symbols[INITIAL_STATE]
    total = sympy.Integer(0)
    params = {sympy.Symbol(p, real=True): s for p, s in symbols.items() if p != INITIAL_STATE}
    uses = sum(1 for node in sympy.preorder_traversal(symbolic.o.expr) if node == h_prev)
    size = 1
    for t in range(problem.n):
        size = tree_size(symbolic.o.expr) + uses * size + tree_size(symbolic.h.expr)  # before building it
        if size > SYMPY_MAX_NODES:
            notes.append(f"SymPy skipped: the unrolled loss would have more than {SYMPY_MAX_NODES:,} nodes")
            return None
        pre = symbolic.o.expr.xreplace({x: inputs[t], h_prev: state, **params})
        state = symbolic.h.expr.xreplace({o: pre})
        output = symbolic.y.expr.xreplace({h: state, **params})
        if problem.targets[t]:
            total += symbolic.loss.expr.xreplace({y: output, g: _rational(problem.g[t])})
    if tree_size(total, SYMPY_MAX_NODES) > SYMPY_MAX_NODES:
        notes.append(f"SymPy skipped: the unrolled loss has more than {SYMPY_MAX_NODES:,} nodes")
        return None
    arguments = [*(symbols[p] for p in cell.params), symbols[INITIAL_STATE], *inputs]
    exact = [*(problem.params[p] for p in cell.params), problem.h0, *problem.x]
    namespace = {f.shown_name: _mp_function(f) for f in REGISTRY if f.sympy_name is None}
    result = {}
    with mpmath.workdps(40):
        values = [mpmath.mpf(v.numerator) / v.denominator for v in exact]
        for key in keys:
            by = inputs[int(key[2:])] if key.startswith("x_") else symbols[key]
            derivative = sympy.lambdify(arguments, sympy.diff(total, by), modules=[namespace, "mpmath"])
            result[key] = float(derivative(*values))
    return result


def _mp_function(record: Function) -> Callable[[Any], Any]:
    """A registry function in 40-digit arithmetic; a kink's argument within 1e-30 of 0 is taken as 0.

    The inputs are exact rationals rounded to 40 digits, so an exact 0 arrives as about 1e-41.
    """
    if not record.kink:
        return functools.partial(record.formula, mpmath)
    return lambda z: record.formula(mpmath, z if abs(z) > KINK_ZERO else 0 * z)


def _rational(value: Fraction) -> object:
    """A Fraction as a SymPy Rational."""
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


def _torch_gradients(
    problem: Problem, keys: list[str], notes: list[str], near_kink: bool
) -> dict[str, float] | None:
    """PyTorch autograd on the same network, when torch is installed."""
    if problem.cell is not None:
        notes.append("PyTorch skipped: it is compared on the built-in cell only")
        return None
    if near_kink:
        notes.append("PyTorch skipped: some o_t is at a kink, where floating point cannot tell its side")
        return None
    try:
        import torch
    except ImportError:
        notes.append("PyTorch skipped: not installed (pip install torch)")
        return None
    act = ACTIVATIONS[problem.activation].torch
    leaf = {
        k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in problem.params.items()
    }
    leaf[INITIAL_STATE] = torch.tensor(float(problem.h0), dtype=torch.float64, requires_grad=True)
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in problem.x_floats]
    state, total = leaf[INITIAL_STATE], torch.tensor(0.0, dtype=torch.float64)
    for xt, gt, target in zip(xs, problem.g_floats, problem.targets):
        state = act(leaf["Wi"] * xt + leaf["Wh"] * state + leaf["b"])
        if target:
            total = total + LOSSES[problem.loss].term(torch, leaf["a"] * state + leaf["c"], gt)
    (total * float(problem.loss_weight)).backward()
    values = {k: (xs[int(k[2:])] if k.startswith("x_") else leaf[k]).grad.item() for k in keys}
    return finite_or_skipped(values, notes)


def finite_or_skipped(values: dict[str, float], notes: list[str]) -> dict[str, float] | None:
    """PyTorch's gradients, or None with a note where its twin overflowed (exp(800) in softplus, say,
    where rnncalc's functions use a stable form): inf or nan there is no disagreement to report."""
    if all(math.isfinite(v) for v in values.values()):
        return values
    notes.append("PyTorch skipped: its float64 formulas overflow at these values (rnncalc's are stable)")
    return None
