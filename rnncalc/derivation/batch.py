"""A mini-batch's derivation: one sequence worked in full, then the batch, where every sequence's
gradient is added with the reduction's weight (L = 1/N Σ_i L⁽ⁱ⁾, so dL/dθ = 1/N Σ_i dL⁽ⁱ⁾/dθ)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ..compute.problem import Problem, Settings
from ..derivation.formula import Add, Const, Mul, Name, Ref
from ..tensor import shown
from .model import Derivation, Section, Step


def derive_batch(
    problem: Problem,
    settings: Settings,
    derive_one: Callable[..., Derivation],
    scope: str,
    steps: bool,
    method: str | None,
) -> Derivation:
    """Every sequence derived by the one engine; the shown one's sections, then the batch's sums."""
    batch = problem.batch
    assert batch is not None
    parts = [
        derive_one(sequence, settings, scope=scope, steps=steps and i == batch.shown, method=method)
        for i, sequence in enumerate(batch.sequences)
    ]
    weight = batch.weight
    losses = [part.loss for part in parts]
    loss = float(weight) * math.fsum(losses)
    gradients = _weighted([part.gradients for part in parts], batch)
    full = None
    if parts[0].full_gradients is not None:  # truncated BPTT: the full gradients, combined the same way
        full = _weighted([part.full_gradients or {} for part in parts], batch)
    inputs = None
    if parts[0].input_gradients is not None:  # each sequence's own dL/dx, scaled as its loss is
        inputs = {
            s: float(weight) * np.stack([np.asarray(_inputs(p)[s], dtype=float) for p in parts])
            for s in parts[0].input_gradients
        }
    shown_part = parts[batch.shown]
    sections = shown_part.sections
    if steps and scope == "grads":
        sections = (*_renamed(sections, batch.shown + 1), _batch_section(parts, batch, gradients, loss))
    return dataclasses.replace(
        shown_part,
        problem=problem,
        loss=loss,
        gradients=gradients,
        sections=sections,
        backward_gradients=None,
        input_gradients=inputs,
        full_gradients=full,
    )


def _inputs(part: Derivation) -> dict[str, Any]:
    """A sequence's dL/dx (every derivation of a batch has them)."""
    return part.input_gradients or {}


def _weighted(each: list[dict[str, Any]], batch: Any) -> dict[str, Any]:
    """The batch's gradients: the sequences' added with the reduction's weight (a per-sequence initial
    state's stacked, one row per sequence)."""
    gradients: dict[str, Any] = {}
    for key in each[0]:
        values = [np.asarray(part[key], dtype=float) for part in each]
        own = _initial_state(key) in batch.per_sequence
        gradients[key] = shown(
            float(batch.weight) * (np.stack(values) if own else sum(values[1:], values[0]))
        )
    return gradients


def _initial_state(key: str) -> str:
    """The state whose initial value a gradient key names (h0 → h), or the key itself."""
    return key[:-1] if key.endswith("0") else key


def _renamed(sections: tuple[Section, ...], k: int) -> tuple[Section, ...]:
    """The shown sequence's sections, titled with its number."""
    return tuple(dataclasses.replace(s, title=f"{s.title} (sequence {k})") for s in sections)


def _batch_section(parts: list[Derivation], batch: Any, gradients: dict[str, Any], loss: float) -> Section:
    """L and each dL/dθ of the batch: the sequences' values added with the reduction's weight."""
    weight = batch.weight
    n = len(parts)
    steps = [_combined(Name("L", "L", "L"), [p.loss for p in parts], weight, loss, "L")]
    for key, name in parts[0].gradient_names.items():
        if _initial_state(key) in batch.per_sequence:
            continue  # each sequence's own initial state: its gradient is that sequence's, times the weight
        values = [shown(np.asarray(p.gradients[key], dtype=float)) for p in parts]
        steps.append(_combined(name, values, weight, shown(np.asarray(gradients[key], dtype=float)), key))
    how = "the mean" if batch.reduction == "mean" else "the sum"
    note = f"L is {how} of the {n} sequences' losses L⁽ⁱ⁾, so each gradient is {how} of theirs."
    if batch.per_sequence:
        own = ", ".join(f"{s}_0" for s in sorted(batch.per_sequence))
        note += f" Each sequence has its own {own}: its gradient is that sequence's, times {weight}."
    return Section("batch", f"The batch of {n} sequences", tuple(steps), note=note)


def _combined(name: Name, values: list[Any], weight: Fraction, total: Any, key: str) -> Step:
    """name = w · (name⁽¹⁾ + … + name⁽ᴺ⁾) with every sequence's value."""
    terms = tuple(Ref(_of_sequence(name, i), value) for i, value in enumerate(values, start=1))
    summed = Add(terms) if len(terms) > 1 else terms[0]
    rule = summed if weight == 1 else Mul((Const(weight), summed))
    return Step(Ref(name, total), rule)


def _of_sequence(name: Name, i: int) -> Name:
    """A quantity of sequence i: L⁽²⁾, dL⁽²⁾/dW_h (the sequence number as a superscript on L)."""
    text = name.text.replace("L", f"L⁽{_superscript(i)}⁾", 1)
    latex = name.latex.replace("L", f"L^{{({i})}}", 1)
    return Name(text, latex, f"{name.key}@{i}")


def _superscript(i: int) -> str:
    """A number in superscript digits."""
    return str(i).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
