"""The cell as plain data: each rule's Python code and display template, found without importing SymPy.

SymPy differentiates a cell once (``rules``); what it derives is data. The built-in cells (one per
activation), the loss rules for up to 64 targets and the spelled-out functions ship in
``derived.json`` (written by scripts/make_cell_data.py; tests/test_cell_data.py re-derives every entry).
A custom cell's data is cached per user (``cache``), keyed by its equations and rnncalc's version;
SymPy is imported only when something new must be differentiated.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import cache
from .template import Template, frozen, is_template

RULES = ("o", "h", "y", "dy_dh", "dh_do", "do_dhprev", "do_dx")
"""The rules that do not depend on the loss (its weight changes with the number of targets)."""

CellSpec = str | tuple[str, ...]
"""An activation name (the built-in cell) or the user's equations."""


@dataclass(frozen=True)
class Rule:
    """One rule of the cell: the Python code the sweep runs and the template the derivation shows."""

    code: str
    template: Template


@dataclass(frozen=True)
class Cell:
    """The cell's equations and every local derivative the chain rule needs, as code and templates."""

    spec: CellSpec
    weight: Fraction
    loss_name: str
    params: tuple[str, ...]
    o: Rule
    h: Rule
    y: Rule
    loss: Rule
    dL_dy: Rule
    dy_dh: Rule
    dh_do: Rule
    do_dhprev: Rule
    do_dx: Rule
    do_dparam: dict[str, Rule]
    dy_dparam: dict[str, Rule]
    kinked: bool = False
    compiled: dict[tuple[bool, ...], Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )


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
    """A hash of derived.json: it changes whenever the code printer or a rule changes, and so does every
    cache key (a cached entry from another printer is never read, even under the same version)."""
    import hashlib

    return hashlib.sha256(_shipped_text().encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def build_cell(spec: CellSpec, weight: Fraction, loss_name: str = "mse") -> Cell:
    """The cell (an activation name, or the user's equations) with its rules for a loss weight."""
    part = cell_part(spec)
    losses = _loss_part(loss_name, weight)
    return Cell(
        spec=spec,
        weight=weight,
        loss_name=loss_name,
        params=tuple(part["params"]),
        **{name: _rule(data) for name, data in part["rules"].items()},
        loss=_rule(losses["loss"]),
        dL_dy=_rule(losses["dL_dy"]),
        do_dparam={p: _rule(data) for p, data in part["do_dparam"].items()},
        dy_dparam={p: _rule(data) for p, data in part["dy_dparam"].items()},
        kinked=bool(part["kinked"]),
    )


def _rule(data: list[Any]) -> Rule:
    """A rule from its stored [code, template]."""
    return Rule(data[0], frozen(data[1]))


def cell_part(spec: CellSpec) -> dict[str, Any]:
    """A cell's loss-free data: shipped for a built-in activation, else cached, else derived (SymPy)."""
    found = cached_cell_part(spec)
    if found is not None:
        return found
    from .rules import cell_data

    data = cell_data(spec)
    cache.store(_cell_key(spec), data)
    return data


def cached_cell_part(spec: CellSpec) -> dict[str, Any] | None:
    """A cell's loss-free data if shipped or cached, else None (nothing is derived)."""
    name = spec if isinstance(spec, str) else "\n".join(spec)
    if name in shipped()["cells"]:
        return shipped()["cells"][name]
    return cache.load(_cell_key(spec), _valid_cell_part)


def _cell_key(spec: CellSpec) -> list[Any]:
    """A cell's cache key: its equations (or activation name)."""
    return ["cell", list(spec) if isinstance(spec, tuple) else spec]


def _loss_part(loss_name: str, weight: Fraction) -> dict[str, Any]:
    """A loss's rules for a weight: shipped up to 64 targets, else the shipped weight-1 rules scaled by
    the weight (the loss term is linear in it), else cached, else derived (SymPy)."""
    name = f"{loss_name}:{weight}"
    losses = shipped()["losses"]
    if name in losses:
        return losses[name]
    if f"{loss_name}:1" in losses:
        return {key: _scaled(rule, weight) for key, rule in losses[f"{loss_name}:1"].items()}
    key = ["loss", name]
    found = cache.load(key, _valid_loss_part)
    if found is not None:
        return found
    from .rules import loss_data

    data = loss_data(loss_name, weight)
    cache.store(key, data)
    return data


def _scaled(rule: list[Any], weight: Fraction) -> list[Any]:
    """A stored [code, template] times a weight: the template's leading constant multiplied by it
    (2 · (y - g) becomes 1/50 · (y - g) for a weight of 1/100, as SymPy writes it)."""
    code, template = rule
    literal = str(weight.numerator) if weight.denominator == 1 else f"{weight.numerator}/{weight.denominator}"
    factors = template[1] if template[0] == "mul" else [template]
    if factors[0][0] == "const":
        factor, rest = Fraction(factors[0][1]) * weight, factors[1:]
    else:
        factor, rest = weight, factors
    if factor != 1:
        rest = [["const", str(factor)], *rest]
    return [f"({literal})*({code})", rest[0] if len(rest) == 1 else ["mul", rest]]


def spelled(function: str) -> Template | None:
    """A function written out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if shipped."""
    data = shipped()["spelled"].get(function)
    return frozen(data) if data is not None else None


def _valid_rule(data: Any) -> bool:
    """[code, template]: one expression that reads only the step's quantities, parameters (p_...) and
    functions the sweep defines, and a well-formed template (an edited entry that names anything else
    would fail at every run, so it is derived again)."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)):
        return False
    try:
        compiled = compile(data[0], "<rnncalc cache>", "eval")
    except (SyntaxError, ValueError):
        return False
    return all(_known_name(name) for name in compiled.co_names) and is_template(frozen(data[1]))


KNOWN_NAME = re.compile(r"^(x|h_prev|o|h|y|g|p_\w+|_sq|_z\d+)$")
"""The names generated rule code uses besides functions: step quantities, parameters, its temporaries."""


def _known_name(name: str) -> bool:
    """A name the sweep binds: a quantity, parameter or temporary, or a math or registry function."""
    import math

    from .functions import NUMERIC_FUNCTIONS

    return bool(KNOWN_NAME.match(name)) or name in NUMERIC_FUNCTIONS or hasattr(math, name)


def _valid_rules(data: Any) -> bool:
    """A table of rules by name."""
    return isinstance(data, dict) and all(isinstance(k, str) and _valid_rule(v) for k, v in data.items())


def _valid_cell_part(data: Any) -> bool:
    """A cached cell's data has every field, each well formed (anything else is derived again)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("params"), list)
        and all(isinstance(p, str) and p.isidentifier() for p in data["params"])
        and isinstance(data.get("kinked"), bool)
        and isinstance(data.get("activation"), str)
        and _valid_rules(data.get("rules"))
        and set(data["rules"]) == set(RULES)
        and _valid_rules(data.get("do_dparam"))
        and _valid_rules(data.get("dy_dparam"))
    )


def _valid_loss_part(data: Any) -> bool:
    """A cached loss's data: its term and derivative, each well formed."""
    return _valid_rules(data) and set(data) == {"loss", "dL_dy"}
