"""rnncalc check for vector problems: every entry of every gradient against finite differences and PyTorch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..cell.functions import FUNCTIONS
from ..compute.problem import Settings
from ..compute.vector import PARAMETER_ORDER, VectorProblem, loss_only, run_vector
from ..derivation.names import gradient
from .check import FD_STEP, KINK_MARGIN, KINK_NEAR, CheckReport, compare, finite_or_skipped

WITH_H0 = (*PARAMETER_ORDER, "h0")


def check_vector(problem: VectorProblem) -> CheckReport:
    """Compare each gradient entry with central differences of the loss and with PyTorch's autograd."""
    trace = run_vector(problem, Settings())
    chain = {key: float(v) for name in WITH_H0 for key, v in _entries(name, trace.gradients[name])}
    notes = ["SymPy on the unrolled loss is used for scalar problems; vectors are checked numerically."]
    nearest = float(np.min(np.abs(trace.o))) if FUNCTIONS[problem.activation].kink else math.inf
    if nearest < KINK_MARGIN:  # as for scalars: a difference across the kink measures neither side
        notes.append(f"finite differences skipped: some entry of o_t is within {KINK_MARGIN} of a kink at 0")
    if nearest < KINK_NEAR:
        notes.append(
            "PyTorch skipped: some entry of o_t is at a kink, where floating point cannot tell its side"
        )
    methods = {
        "finite_difference": _finite_differences(problem) if nearest >= KINK_MARGIN else None,
        "sympy": None,
        "torch": _torch_gradients(problem, notes) if nearest >= KINK_NEAR else None,
    }
    return CheckReport(problem, trace.loss, compare(chain, methods, trace.loss, _label), tuple(notes))  # type: ignore[arg-type]


def _entries(name: str, array: np.ndarray) -> list[tuple[str, float]]:
    """(Wi[1,2], value) for every entry, indices from 1 as in the derivation's matrices."""
    return [
        (f"{name}[{','.join(str(i + 1) for i in index)}]", value) for index, value in np.ndenumerate(array)
    ]


def _label(key: str) -> str:
    """dL/dW_i[1,2]."""
    name, _, index = key.partition("[")
    return f"{gradient(name).text}[{index}"


def _finite_differences(problem: VectorProblem) -> dict[str, float]:
    """Central differences of the loss, one entry at a time, with the step FD_STEP·max(1, |θ|)."""
    arrays = {name: problem.arrays[name].copy() for name in WITH_H0}
    result = {}
    for name in WITH_H0:
        array = arrays[name]
        for index, value in np.ndenumerate(array.copy()):
            step = FD_STEP * max(1.0, abs(value))
            array[index] = value + step
            up = loss_only(problem, arrays)
            array[index] = value - step
            down = loss_only(problem, arrays)
            array[index] = value
            key = f"{name}[{','.join(str(i + 1) for i in index)}]"
            result[key] = (up - down) / (2 * step)
    return result


def _torch_gradients(problem: VectorProblem, notes: list[str]) -> dict[str, float] | None:
    """The same loop written with PyTorch tensors (float64), differentiated by autograd; None without it."""
    try:
        import torch
    except ImportError:
        notes.append("PyTorch is not installed: its column is skipped.")
        return None

    leaves: dict[str, Any] = {
        name: torch.tensor(problem.arrays[name], dtype=torch.float64, requires_grad=True) for name in WITH_H0
    }
    act = FUNCTIONS[problem.activation]
    x = torch.tensor(problem.arrays["x"], dtype=torch.float64)
    g = torch.tensor(problem.arrays["g"], dtype=torch.float64)
    h, loss = leaves["h0"], torch.zeros((), dtype=torch.float64)
    weight = float(problem.weight)
    for t in range(problem.n):
        o = leaves["Wi"] @ x[t] + leaves["Wh"] @ h + leaves["b"]
        h = torch.stack([act.torch(entry) for entry in o]) if act.kink else act.torch(o)
        y = leaves["a"] @ h + leaves["c"]
        if not problem.targets[t]:
            continue
        if problem.loss == "softmax-ce":
            loss = loss - weight * torch.sum(g[t] * torch.log_softmax(y, 0))
        else:
            loss = loss + weight * torch.sum((y - g[t]) ** 2)
    loss.backward()
    values = {key: float(v) for name in WITH_H0 for key, v in _entries(name, leaves[name].grad.numpy())}
    return finite_or_skipped(values, notes)
