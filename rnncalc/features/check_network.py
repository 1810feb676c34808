"""rnncalc check for network cells: finite differences, SymPy on the unrolled loss, and PyTorch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import sympy

from ..cell.functions import REGISTRY, Function
from ..cell.size import tree_size
from ..compute.network import NetTrace, loss_at, run_network, wrt
from ..compute.problem import Problem, Settings
from ..derivation.names import initial_state, parameter
from ..derivation.network_derive import network_of
from ..derivation.network_quantities import NetQuantities
from ..engine.written import PREV, TARGET, Network, initial
from ..errors import InputError
from .check import (
    INPUTS_MAX_N,
    SYMPY_MAX_N,
    SYMPY_MAX_NODES,
    CheckReport,
    _mp_function,
    compare,
    note_inconclusive,
    richardson,
)


def check_network(problem: Problem, inputs: bool = False) -> CheckReport:
    """Compare a network's gradients (forward mode) with finite differences, SymPy and PyTorch."""
    if inputs and problem.n > INPUTS_MAX_N:
        raise InputError(
            f"--inputs checks each input by finite differences; n = {problem.n} is above the limit of "
            f"{INPUTS_MAX_N}"
        )
    net = network_of(problem)
    trace = run_network(problem, net, Settings(), reverse_mode=inputs)
    notes: list[str] = []
    label = _labeller(net)
    chain = dict(trace.gradients) | (_input_gradients(problem, net, trace) if inputs else {})
    fd = _finite_differences(problem, net, notes, label) | (
        _input_differences(problem, net) if inputs else {}
    )
    methods = {
        "finite_difference": fd,
        "sympy": _unrolled_gradients(problem, net, notes),
        "torch": _torch_gradients(problem, net, notes),
    }
    return CheckReport(problem, trace.loss, compare(chain, methods, trace.loss, label), tuple(notes))


def _input_key(stream: str, i: int) -> str:
    """x_3, x1_0: an input's key."""
    return f"{stream}_{i}"


def _input_gradients(problem: Problem, net: Network, trace: NetTrace) -> dict[str, float]:
    """dL/d(input) = Σ_k dL/dk_t · ∂k_t/∂input, from the reverse-mode adjoints (t = i + 1)."""
    q = NetQuantities(trace, net)
    return {_input_key(s, i): q.input_gradient(s, i) for s in net.spec.inputs for i in range(problem.n)}


def _input_differences(problem: Problem, net: Network) -> dict[str, float | None]:
    """Finite differences of the loss by each input."""
    base = _base(problem, net)
    streams = {s: problem.stream_floats(s) for s in net.spec.inputs}

    def shifted(stream: str, i: int, value: float) -> float:
        """The loss with one input moved."""
        moved = streams | {stream: streams[stream][:i] + [value] + streams[stream][i + 1 :]}
        return loss_at(problem, net, base, moved)

    return {
        _input_key(s, i): richardson(functools.partial(shifted, s, i), streams[s][i])
        for s in net.spec.inputs
        for i in range(problem.n)
    }


def _labeller(net: Network) -> Callable[[str], str]:
    """dL/dWa1, dL/ds_0, dL/dx1_0."""
    starts = {initial(s): s for s in net.states}
    return lambda key: f"dL/d{initial_state(starts[key]).text if key in starts else _plain(key, net)}"


def _plain(key: str, net: Network) -> str:
    """A parameter's spelling, or an input's key as it is (x1_0)."""
    return parameter(key).text if key in net.params else key


def _base(problem: Problem, net: Network) -> dict[str, float]:
    """Every parameter and initial state at its given value."""
    return {p: float(problem.params[p]) for p in net.params} | {
        initial(s): float(problem.initial(s)) for s in net.states
    }


def _finite_differences(
    problem: Problem, net: Network, notes: list[str], label: Callable[[str], str]
) -> dict[str, float | None]:
    """Richardson-extrapolated central differences of the loss, through the same compiled forward pass."""
    base = _base(problem, net)
    result = {
        key: richardson(lambda v, key=key: loss_at(problem, net, {**base, key: v}), base[key])
        for key in wrt(net)
    }
    note_inconclusive(result, notes, label)
    return result


def unrolled_loss(problem: Problem, net: Network) -> tuple[sympy.Expr, dict[str, sympy.Symbol]] | None:
    """The loss as one SymPy expression in the parameters and initial states (None when too large)."""
    symbols = {p: sympy.Symbol(p, real=True) for p in net.params}
    symbols |= {initial(s): sympy.Symbol(f"{initial(s)}_", real=True) for s in net.states}
    previous = {sympy.Symbol(s + PREV, real=True): symbols[initial(s)] for s in net.states}
    total = sympy.Integer(0)
    for t in range(problem.n):
        env: dict[sympy.Symbol, sympy.Expr] = dict(previous)
        env |= {sympy.Symbol(s, real=True): _rational(problem.stream(s)[t]) for s in net.spec.inputs}
        for e in net.spec.equations:
            env[sympy.Symbol(e.name, real=True)] = e.expr.xreplace(env)
        if sum(tree_size(v, SYMPY_MAX_NODES) for v in env.values()) > SYMPY_MAX_NODES:
            return None
        if problem.targets[t]:
            y = env[sympy.Symbol("y", real=True)]
            total += net.loss.xreplace({sympy.Symbol("y", real=True): y, TARGET: _rational(problem.g[t])})
        previous = {sympy.Symbol(s + PREV, real=True): env[sympy.Symbol(s, real=True)] for s in net.states}
    return total, symbols


def _unrolled_gradients(problem: Problem, net: Network, notes: list[str]) -> dict[str, float] | None:
    """Differentiate the fully unrolled loss with SymPy, evaluated in 40-digit arithmetic (small n only)."""
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
    total, symbols = unrolled
    keys = list(wrt(net))
    arguments = [symbols[k] for k in keys]
    exact = [problem.params[k] if k in problem.params else problem.initial(k[:-1]) for k in keys]
    namespace = {f.shown_name: _mp_function(f) for f in REGISTRY if f.sympy_name is None}
    result = {}
    with mpmath.workdps(40):
        values = [mpmath.mpf(v.numerator) / v.denominator for v in exact]
        for key in keys:
            derivative = sympy.lambdify(
                arguments, sympy.diff(total, symbols[key]), modules=[namespace, "mpmath"]
            )
            result[key] = float(derivative(*values))
    return result


def _rational(value: Any) -> sympy.Rational:
    """A Fraction as a SymPy Rational."""
    return sympy.Rational(value.numerator, value.denominator)


def _torch_gradients(problem: Problem, net: Network, notes: list[str]) -> dict[str, float] | None:
    """PyTorch autograd on the same equations, step by step, when torch is installed."""
    if net.kinked:
        notes.append("PyTorch skipped: the cell has a kink, where floating point cannot tell its side")
        return None
    try:
        import torch
    except ImportError:
        notes.append("PyTorch skipped: not installed (pip install torch)")
        return None
    leaf = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in _base(problem, net).items()
    }
    previous = {s + PREV: leaf[initial(s)] for s in net.states}
    total = torch.tensor(0.0, dtype=torch.float64)
    for t in range(problem.n):
        env: dict[str, Any] = dict(previous) | {p: leaf[p] for p in net.params}
        env |= {s: torch.tensor(problem.stream_floats(s)[t], dtype=torch.float64) for s in net.spec.inputs}
        for e in net.spec.equations:
            env[e.name] = evaluate_tree(e.expr, env, torch)
        if problem.targets[t]:
            total = total + evaluate_tree(net.loss, {"y": env["y"], "g": problem.g_floats[t]}, torch)
        previous = {s + PREV: env[s] for s in net.states}
    if total.requires_grad:  # else the loss depends on no parameter and no initial state: every grad is 0
        total.backward()
    return {k: leaf[k].grad.item() if leaf[k].grad is not None else 0.0 for k in wrt(net)}


@functools.cache
def _records() -> dict[str, Function]:
    """Registry records by the name of their SymPy function (sigmoid, tanh, Abs, exp, ...)."""
    return {(f.sympy_name or f.name): f for f in REGISTRY}


def evaluate_tree(expr: sympy.Expr, env: dict[str, Any], m: Any) -> Any:
    """A SymPy expression computed with namespace ``m`` (torch, math): symbols from ``env``."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number:
        return float(expr)
    args = [evaluate_tree(arg, env, m) for arg in expr.args]
    if isinstance(expr, sympy.Add):
        return functools.reduce(lambda a, b: a + b, args)
    if isinstance(expr, sympy.Mul):
        return functools.reduce(lambda a, b: a * b, args)
    if isinstance(expr, sympy.Pow):
        return args[0] ** args[1]
    return _records()[type(expr).__name__].formula(m, args[0])
