"""Gradient descent on the sequence, with the gradients of the derivation; the first update written out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..compute.problem import Problem, Settings
from ..compute.values import entries, values_of
from ..derivation.derive import derive
from ..derivation.formula import Add, Const, Div, Mul, Name, Neg, Pow, Ref
from ..derivation.model import Section, Step
from ..derivation.names import gradient, parameter
from ..errors import InputError, RnnCalcError
from ..result import Result
from ..tensor import shown

OPTIMIZERS = ("sgd", "momentum", "adam")
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
    beta2: float = 0.999
    eps: float = 1e-8
    clip_value: float | None = None
    truncation: str | None = None
    """How the gradients were taken when not by full BPTT (truncated BPTT, K = 3, in chunks)."""


def train(
    problem: Problem | None = None,
    lr: float = 0.5,
    epochs: int = 20,
    optimizer: str = "sgd",
    beta: float = 0.9,
    clip: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    beta2: float = 0.999,
    eps: float = 1e-8,
    clip_value: float | None = None,
    settings: Settings | None = None,
) -> Training:
    """Full-batch gradient descent on the cell's parameters (h_0 stays fixed); the CLI's defaults.

    ``optimizer``: "sgd" (θ' = θ - η·dθ), "momentum" (v = β·v + dθ, θ' = θ - η·v) or "adam" (m and v,
    β = β1, as torch.optim.Adam: θ' = θ - η·m̂/(√v̂ + ε)); ``clip_value``: each gradient entry clipped to
    [-V, V] first (deeplearning.ai's clip); ``clip``: then the gradient scaled down to this norm when it
    is longer; ``settings``: how the gradients are taken (truncated BPTT: ``truncate``, ``chunked``);
    ``progress(done, total, stage)`` is told of each epoch.
    """
    problem = problem or Problem()
    _validate(lr, epochs, optimizer, beta, clip)
    _validate_adam(beta2, eps, clip_value)
    taken = Settings(truncate=settings.truncate, chunked=settings.chunked) if settings else Settings()
    _check_budget(problem, epochs, taken)
    values = values_of(problem)
    params: dict[str, Any] = values.parameters(problem)
    velocity: dict[str, Any] = dict.fromkeys(params, 0.0)
    second: dict[str, Any] = dict.fromkeys(params, 0.0)
    history: list[Epoch] = []
    first: Section | None = None
    truncated = _truncation_label(taken)

    def done(why: str | None = None) -> Training:
        return Training(
            lr, optimizer, beta, clip, tuple(history), first, why, beta2, eps, clip_value, truncated
        )

    for epoch in range(epochs + 1):
        try:
            derivation = derive(values.with_parameters(problem, params), taken, steps=False, course=False)
        except InputError:
            if epoch == 0:
                raise  # the problem itself is refused (bce with an output outside (0, 1), say)
            return done(
                f"training diverged at epoch {epoch}: an output left the loss's domain; try a smaller --lr"
            )
        except RnnCalcError:
            return done(
                f"training diverged at epoch {epoch}: the loss or a gradient overflowed; try a smaller --lr"
            )
        history.append(Epoch(epoch, derivation.loss, _shown(params)))
        if progress is not None:
            progress(epoch, epochs, "training")
        if epoch == epochs:
            break
        grads = {k: _clipped(_like(params[k], derivation.gradients[k]), clip_value) for k in params}
        scale = _clip_scale(grads, clip)
        new = {}
        for k, value in params.items():
            g = scale * grads[k]
            if optimizer == "adam":
                velocity[k] = beta * velocity[k] + (1 - beta) * g
                second[k] = beta2 * second[k] + (1 - beta2) * g * g
                m_hat = velocity[k] / (1 - beta ** (epoch + 1))
                v_hat = second[k] / (1 - beta2 ** (epoch + 1))
                new[k] = value - lr * m_hat / (v_hat**0.5 + eps)
                continue
            velocity[k] = (beta * velocity[k] if optimizer == "momentum" else 0.0) + g
            new[k] = value - lr * velocity[k]
        if not all(map(_finite, new.values())):
            return done(
                f"training diverged at epoch {epoch + 1}: a parameter became infinite; try a smaller --lr"
            )
        if first is None:
            moved = (params, grads, new, velocity, second)
            shown = tuple(map(_shown, moved))
            hyper = {"beta": beta, "beta2": beta2, "eps": eps, "clip_value": clip_value}
            first = _first_update(*shown, lr, (scale, clip), optimizer, hyper)  # type: ignore[arg-type, call-arg]
        params = new
    return done()


def _truncation_label(settings: Settings) -> str | None:
    """truncated BPTT, K = 3 (in chunks), or None for full BPTT."""
    if settings.truncate is None:
        return None
    return f"truncated BPTT, K = {settings.truncate}" + (", in chunks" if settings.chunked else "")


def _clipped(value: Any, limit: float | None) -> Any:
    """Every entry of a gradient clipped to [-limit, limit] (no clipping without a limit)."""
    if limit is None:
        return value
    if isinstance(value, float):
        return min(max(value, -limit), limit)
    import numpy as np

    return np.clip(value, -limit, limit)


def _validate_adam(beta2: float, eps: float, clip_value: float | None) -> None:
    """Clear errors for Adam's β2 and ε and for the clipping value."""
    if not 0 <= beta2 < 1:
        raise InputError(f"--beta2 must be in [0, 1), got {beta2}")
    if not (math.isfinite(eps) and eps > 0):
        raise InputError(f"--eps must be a positive number, got {eps}")
    if clip_value is not None and not (math.isfinite(clip_value) and clip_value > 0):
        raise InputError(f"--clip-value must be a positive number, got {clip_value}")


TRAIN_BUDGET_SECONDS = 20.0
"""train refuses, before any work, more epochs than fit in about this long (estimated per step)."""


def _check_budget(problem: Problem, epochs: int, settings: Settings) -> None:
    """Refuse a training run estimated to take longer than the budget: epochs × steps × a step's cost
    (32 µs for the worked example's cell, 100 µs on vectors, times the cell's weight, its size and what
    truncated BPTT's sweeps add)."""
    from ..derivation.derive import cell_weight

    sequences = problem.batch.sequences if problem.batch is not None else (problem,)
    steps = sum(s.n for s in sequences)
    values = values_of(problem)
    size = entries(values.parameters(problem))
    per_step = values.step_seconds * cell_weight(problem.spec) * max(1.0, size / 10_000)
    if settings.truncate is not None:
        per_step *= values.truncated_cost(1 if settings.chunked else settings.truncate)
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


def _like(current: Any, gradient_value: Any) -> Any:
    """A gradient in its parameter's form: a float, or an array for a vector problem."""
    if isinstance(current, float):
        return float(gradient_value)
    import numpy as np

    return np.asarray(gradient_value, dtype=float)


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """Arrays as Tensors, numbers as floats, as every renderer prints them."""
    return {k: shown(v) for k, v in values.items()}


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
    second: dict[str, float],
    lr: float,
    clipping: tuple[float, float | None],
    optimizer: str,
    hyper: dict[str, Any],
) -> Section:
    """θ' = θ − η · dθ for every parameter, with numbers (η · s · v with clipping or momentum; Adam's
    moments and their bias corrections)."""
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
        target = Ref(Name(parameter(k).text + "'", parameter(k).latex + "'", k + "'"), new[k])
        if optimizer == "adam":
            steps += _adam_steps(k, theta, target, grads, velocity[k], second[k], eta, scale, hyper)
            continue
        step_size: Ref = Ref(gradient(k), grads[k])
        if optimizer == "momentum":
            # The first momentum step starts from v = 0, so v_θ = dθ (times s when clipping).
            step_size = Ref(_moment("v", k), velocity[k])
            zero = Mul((Ref(Name("β", r"\beta", "beta"), hyper["beta"]), Ref(Name("0", "0", "v0"), 0.0)))
            steps.append(Step(step_size, Add((zero, *_scaled(grads, k, scale)))))
            factors: tuple[Ref, ...] = (eta, step_size)
        else:
            factors = (eta, *_scale_factor(scale), step_size)
        steps.append(Step(target, Add((theta, Neg(Mul(factors))))))
    limit = hyper["clip_value"]
    note = f"Each dθ is the gradient clipped entry by entry to [-{limit}, {limit}]." if limit else None
    return Section("update", "First update", tuple(steps), note=note)


def _moment(symbol: str, k: str, hat: bool = False) -> Name:
    """m_θ, v_θ, m̂_θ or v̂_θ: an optimiser's running value for parameter k."""
    name = parameter(k)
    accent = "\u0302" if hat else ""
    latex = rf"\hat{{{symbol}}}" if hat else symbol
    return Name(f"{symbol}{accent}_{name.text}", rf"{latex}_{{{name.latex}}}", f"{symbol}{'hat' * hat}_{k}")


def _adam_steps(
    k: str, theta: Ref, target: Ref, grads: dict[str, Any], m: Any, v: Any, eta: Ref, scale: float,
    hyper: dict[str, Any],
) -> list[Step]:  # fmt: skip
    """Adam's first step from m = v = 0: m_θ, v_θ, their bias corrections at t = 1, and θ'."""
    beta1, beta2 = hyper["beta"], hyper["beta2"]
    b1 = Ref(Name("β1", r"\beta_{1}", "beta1"), beta1, given=True)
    b2 = Ref(Name("β2", r"\beta_{2}", "beta2"), beta2, given=True)
    one = Const(Fraction(1))
    g = _scaled(grads, k, scale)[0]
    m_ref, v_ref = Ref(_moment("m", k), m), Ref(_moment("v", k), v)
    m_hat = Ref(_moment("m", k, hat=True), _divided(m, 1 - beta1))
    v_hat = Ref(_moment("v", k, hat=True), _divided(v, 1 - beta2))
    zero = Ref(Name("0", "0", "moment0"), 0.0)
    eps = Ref(Name("ε", r"\varepsilon", "eps"), hyper["eps"], given=True)
    return [
        Step(m_ref, Add((Mul((b1, zero)), Mul((Add((one, Neg(b1))), g))))),
        Step(v_ref, Add((Mul((b2, zero)), Mul((Add((one, Neg(b2))), Pow(g, Const(Fraction(2)))))))),
        Step(m_hat, Div(m_ref, Add((one, Neg(b1))))),
        Step(v_hat, Div(v_ref, Add((one, Neg(b2))))),
        Step(
            target, Add((theta, Neg(Mul((eta, Div(m_hat, Add((Pow(v_hat, Const(Fraction(1, 2))), eps))))))))
        ),
    ]


def _divided(value: Any, by: float) -> Any:
    """A number or a Tensor divided by a number (a Tensor entry by entry)."""
    if hasattr(value, "rows"):
        import numpy as np

        from ..tensor import Tensor

        return Tensor.of(np.asarray(value, dtype=float) / by)
    return value / by


def _scale_factor(scale: float) -> tuple[Ref, ...]:
    """The clipping factor s, when clipping applied."""
    return (Ref(Name("s", "s", "clip_scale"), scale),) if scale != 1.0 else ()


def _scaled(grads: dict[str, float], k: str, scale: float) -> tuple[Mul | Ref, ...]:
    """dθ, or s · dθ when clipping applied."""
    grad = Ref(gradient(k), grads[k])
    return (Mul((*_scale_factor(scale), grad)),) if scale != 1.0 else (grad,)
