"""Gradient descent on the sequence, with the gradients of the derivation; the first update written out."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..compute.problem import Problem, Settings
from ..derivation.derive import derive
from ..derivation.formula import Add, Const, Div, Mul, Name, Neg, Pow, Ref
from ..derivation.model import Section, Step
from ..derivation.names import gradient, parameter
from ..errors import InputError, RnnCalcError
from ..result import Result

OPTIMIZERS = ("sgd", "momentum")
MAX_EPOCHS = 100_000


@dataclass(frozen=True)
class Epoch:
    """The loss and parameters after ``epoch`` full-batch updates (epoch 0: before any)."""

    epoch: int
    loss: float
    params: dict[str, float]


@dataclass(frozen=True)
class Training(Result):
    """A training run: its settings, its history, why it stopped early (if it did), the first update."""

    lr: float
    optimizer: str
    beta: float
    clip: float | None
    history: tuple[Epoch, ...]
    first_update: Section | None
    stopped: str | None = None


def train(
    problem: Problem | None = None,
    lr: float = 0.5,
    epochs: int = 20,
    optimizer: str = "sgd",
    beta: float = 0.9,
    clip: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Training:
    """Full-batch gradient descent on the cell's parameters (h_0 stays fixed); the CLI's defaults.

    ``optimizer``: "sgd" (θ' = θ - η·dθ) or "momentum" (v = β·v + dθ, θ' = θ - η·v); ``clip``: scale the
    gradient down to this norm when it is longer; ``progress(done, total, stage)`` is told of each epoch.
    """
    problem = problem or Problem()
    _validate(lr, epochs, optimizer, beta, clip)
    _check_budget(problem, epochs)
    vector = problem.arrays is not None
    params: dict[str, Any] = (
        dict(problem.arrays.params) if problem.arrays else {k: float(v) for k, v in problem.params.items()}
    )
    velocity: dict[str, Any] = dict.fromkeys(params, 0.0)
    history: list[Epoch] = []
    first: Section | None = None
    for epoch in range(epochs + 1):
        try:
            derivation = derive(_with(problem, params), Settings(), steps=False, course=False)
        except RnnCalcError:
            why = f"training diverged at epoch {epoch}: the loss or a gradient overflowed; try a smaller --lr"
            return Training(lr, optimizer, beta, clip, tuple(history), first, why)
        history.append(Epoch(epoch, derivation.loss, _shown(params) if vector else dict(params)))
        if progress is not None:
            progress(epoch, epochs, "training")
        if epoch == epochs:
            break
        grads = {k: _like(params[k], derivation.gradients[k]) for k in params}
        scale = _clip_scale(grads, clip)
        new = {}
        for k, value in params.items():
            velocity[k] = (beta * velocity[k] if optimizer == "momentum" else 0.0) + scale * grads[k]
            new[k] = value - lr * velocity[k]
        if not all(map(_finite, new.values())):
            why = f"training diverged at epoch {epoch + 1}: a parameter became infinite; try a smaller --lr"
            return Training(lr, optimizer, beta, clip, tuple(history), first, why)
        if first is None:
            moved = (params, grads, new, velocity)
            shown = tuple(map(_shown, moved)) if vector else moved
            first = _first_update(*shown, lr, (scale, clip), optimizer, beta)
        params = new
    return Training(lr, optimizer, beta, clip, tuple(history), first)


TRAIN_BUDGET_SECONDS = 20.0
"""train refuses, before any work, more epochs than fit in about this long (estimated per step)."""


def _check_budget(problem: Problem, epochs: int) -> None:
    """Refuse a training run estimated to take longer than the budget: epochs × steps × a step's cost
    (32 µs for the worked example's cell, 100 µs on vectors, times the cell's weight and its size)."""
    from ..derivation.derive import cell_weight

    sequences = problem.batch.sequences if problem.batch is not None else (problem,)
    steps = sum(s.n for s in sequences)
    arrays = problem.arrays
    entries = sum(int(getattr(v, "size", 1)) for v in arrays.params.values()) if arrays is not None else 0
    per_step = (
        (100e-6 if arrays is not None else 32e-6) * cell_weight(problem.spec) * max(1.0, entries / 10_000)
    )
    most = int(TRAIN_BUDGET_SECONDS / (steps * per_step))
    if epochs > most:
        raise InputError(
            f"--epochs {epochs:,} over {steps:,} steps would take about {epochs * steps * per_step:,.0f} s; "
            f"rnncalc trains for at most {TRAIN_BUDGET_SECONDS:g} s: give at most {max(most, 0):,} epochs "
            "or fewer steps"
        )


def _validate(lr: float, epochs: int, optimizer: str, beta: float, clip: float | None) -> None:
    """Clear errors for settings that cannot train."""
    if not (math.isfinite(lr) and lr > 0):
        raise InputError(f"--lr must be a positive number, got {lr}")
    if not 0 <= epochs <= MAX_EPOCHS:
        raise InputError(f"--epochs must be between 0 and {MAX_EPOCHS:,}, got {epochs}")
    if optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not 0 <= beta < 1:
        raise InputError(f"--beta must be in [0, 1), got {beta}")
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        raise InputError(f"--clip must be a positive number, got {clip}")


def _with(problem: Problem, params: dict[str, Any]) -> Problem:
    """The problem with these parameter values (a vector problem takes its arrays as they are)."""
    if problem.arrays is not None:
        return problem.with_parameters(params)
    return dataclasses.replace(problem, params={k: Fraction(v) for k, v in params.items()})


def _like(current: Any, gradient_value: Any) -> Any:
    """A gradient in its parameter's form: a float, or an array for a vector problem."""
    if isinstance(current, float):
        return float(gradient_value)
    import numpy as np

    return np.asarray(gradient_value, dtype=float)


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """Arrays as Tensors, as every renderer prints them."""
    from ..tensor import Tensor

    return {k: Tensor.of(v) if getattr(v, "ndim", 0) else float(v) for k, v in values.items()}


def _finite(value: Any) -> bool:
    """Every entry finite."""
    return math.isfinite(float(abs(value).max() if hasattr(value, "max") else value))


def _squares(value: Any) -> float:
    """The sum of squares of a number or of every entry of an array."""
    return float((value * value).sum()) if hasattr(value, "sum") else value * value


def _clip_scale(grads: dict[str, Any], clip: float | None) -> float:
    """min(1, clip / ‖g‖): gradient-norm clipping."""
    norm = math.sqrt(math.fsum(_squares(v) for v in grads.values()))
    return 1.0 if clip is None or norm <= clip else clip / norm


def _size(name: Name, value: Any) -> Ref:
    """A gradient as its size enters ‖g‖: the number itself, or a matrix's Frobenius norm ‖dL/dW‖."""
    if not hasattr(value, "rows"):
        return Ref(name, value)
    import numpy as np

    norm = float(np.linalg.norm(np.asarray(value.rows(), dtype=float)))
    return Ref(Name(f"‖{name.text}‖", rf"\lVert {name.latex} \rVert", f"|{name.key}|"), norm)


def _first_update(
    params: dict[str, float],
    grads: dict[str, float],
    new: dict[str, float],
    velocity: dict[str, float],
    lr: float,
    clipping: tuple[float, float | None],
    optimizer: str,
    beta: float,
) -> Section:
    """θ' = θ − η · dθ for every parameter, with numbers (η · s · v with clipping or momentum)."""
    eta = Ref(Name("η", r"\eta", "lr"), lr, given=True)
    scale, clip = clipping
    steps = []
    if scale != 1.0 and clip is not None:
        norm = Ref(Name("‖g‖", r"\lVert g \rVert", "grad_norm"), clip / scale)
        steps.append(
            Step(
                norm,
                Pow(
                    Add(tuple(Pow(_size(gradient(k), v), Const(Fraction(2))) for k, v in grads.items())),
                    Const(Fraction(1, 2)),
                ),
            )
        )
        steps.append(
            Step(
                Ref(Name("s", "s", "clip_scale"), scale),
                Div(Ref(Name("clip", r"\mathrm{clip}", "clip"), clip), norm),
            )
        )
    for k, value in params.items():
        theta = Ref(parameter(k), value)
        step_size: Ref = Ref(gradient(k), grads[k])
        if optimizer == "momentum":
            # The first momentum step starts from v = 0, so v_θ = dθ (times s when clipping).
            step_size = Ref(
                Name(f"v_{parameter(k).text}", rf"v_{{{parameter(k).latex}}}", f"v_{k}"), velocity[k]
            )
            steps.append(
                Step(
                    step_size,
                    Add(
                        (
                            Mul((Ref(Name("β", r"\beta", "beta"), beta), Ref(Name("0", "0", "v0"), 0.0))),
                            *_scaled(grads, k, scale),
                        )
                    ),
                )
            )
            factors = (eta, step_size)
        else:
            factors = (eta, *_scale_factor(scale), step_size)
        target = Ref(Name(parameter(k).text + "'", parameter(k).latex + "'", k + "'"), new[k])
        steps.append(Step(target, Add((theta, Neg(Mul(factors))))))
    return Section("update", "First update", tuple(steps))


def _scale_factor(scale: float) -> tuple[Ref, ...]:
    """The clipping factor s, when clipping applied."""
    return (Ref(Name("s", "s", "clip_scale"), scale),) if scale != 1.0 else ()


def _scaled(grads: dict[str, float], k: str, scale: float) -> tuple[Mul | Ref, ...]:
    """dθ, or s · dθ when clipping applied."""
    grad = Ref(gradient(k), grads[k])
    return (Mul((*_scale_factor(scale), grad)),) if scale != 1.0 else (grad,)
