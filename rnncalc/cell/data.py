"""What SymPy derived once, shipped as data: how formulas and local derivatives are written.

``derived.json`` (written by scripts/make_cell_data.py; tests/test_cell_data.py re-derives every entry)
holds display templates only, never code: the forms of the built-in cells and presets, the loss rules for
up to 64 targets (beyond, the weight-1 rules scaled by the weight), the spelled-out functions, and the
vector engine's elementwise rules. Reading it needs no SymPy.
"""

from __future__ import annotations

import functools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from .template import Template, frozen


@functools.lru_cache(maxsize=1)
def _shipped_text() -> str:
    """derived.json as text (beside this module: importlib.resources would cost 12 ms to import)."""
    return Path(__file__).with_name("derived.json").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def shipped() -> dict[str, Any]:
    """The data shipped with the package (derived.json)."""
    return json.loads(_shipped_text())


@functools.lru_cache(maxsize=1)
def shipped_digest() -> str:
    """A hash of derived.json: it changes whenever a rule changes, and so does every cache key (an entry
    derived by another version of the rules is never read)."""
    import hashlib

    return hashlib.sha256(_shipped_text().encode()).hexdigest()[:16]


def cell_key(spec: Any) -> str:
    """How a cell's forms are found: its equations as parsed, one per line."""
    from .tree import compact

    return "; ".join(f"{e.name} = {compact(e.tree)}" for e in spec.equations)


def shipped_written(key: str) -> dict[str, Any] | None:
    """A built-in cell's or preset's forms, if shipped."""
    return shipped()["written"].get(key)


def loss_templates(loss_name: str, weight: Fraction) -> tuple[Template, Template]:
    """A registered loss's term and dL_t/dy_t for a weight: shipped up to 64 targets, else the shipped
    weight-1 rules scaled by the weight (the loss term is linear in it)."""
    losses = shipped()["losses"]
    name = f"{loss_name}:{weight}"
    if name in losses:
        found = losses[name]
        return frozen(found["loss"]), frozen(found["dL_dy"])
    unit = losses[f"{loss_name}:1"]
    return frozen(_scaled(unit["loss"], weight)), frozen(_scaled(unit["dL_dy"], weight))


def _scaled(template: list[Any], weight: Fraction) -> list[Any]:
    """A stored template times a weight: its leading constant multiplied by it (2 · (y - g) becomes
    1/50 · (y - g) for a weight of 1/100, as SymPy writes it)."""
    factors = template[1] if template[0] == "mul" else [template]
    if factors[0][0] == "const":
        factor, rest = Fraction(factors[0][1]) * weight, factors[1:]
    else:
        factor, rest = weight, factors
    if factor != 1:
        rest = [["const", str(factor)], *rest]
    return rest[0] if len(rest) == 1 else ["mul", rest]


def spelled(function: str) -> Template | None:
    """A function written out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if shipped."""
    data = shipped()["spelled"].get(function)
    return frozen(data) if data is not None else None
