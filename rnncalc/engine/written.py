"""How a cell's formulas and local derivatives are shown: SymPy's forms, found without running anything.

Shipped for the built-in cells and presets; for any other cell derived by SymPy once and kept in the
per-user cache as templates (plain data, never code). A cached entry is believed only when every form
it holds is well formed and has, at two sample points, the value of the engine's own tree for the same
formula or derivative (a form edited to 2·(rule) is derived again): the numbers never come from the
cache, and what is shown cannot drift from what is computed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..cell import cache
from ..cell.data import cell_key, loss_templates, shipped_written
from ..cell.losses import VECTOR_ONLY_LOSSES
from ..cell.template import Template, frozen, is_template
from ..cell.tree import Tree, evaluate
from .graph import Network, engine_network

SAMPLES = (0.31, 0.77)
"""Where a cached form is compared with the engine's tree: every name at 0.31 + k · 0.0137, then 0.77 + ...,
away from the kinks at 0 and the poles of log and division."""


@dataclass(frozen=True)
class Written:
    """The display templates of one cell and loss: each equation, each partial ("k|u"), the loss term
    and dL_t/dy_t (None for a loss on vectors only, written from the softmax)."""

    equations: dict[str, Template]
    partials: dict[str, Template]
    loss: Template | None
    dL_dy: Template | None


@functools.lru_cache(maxsize=64)
def written(net: Network, loss_name: str, weight: Fraction, term: str | None) -> Written:
    """The forms of a cell ready to compute, for its loss (an array cell's are its scalar cell's)."""
    if not isinstance(net, Network):  # the same equations on vectors: checked against the scalar trees
        scalar_loss = "mse" if loss_name in VECTOR_ONLY_LOSSES else loss_name
        net = engine_network(net.spec, weight, scalar_loss, term)
    data = _cell_forms(net)
    loss: Template | None
    dL_dy: Template | None
    if loss_name in VECTOR_ONLY_LOSSES:  # written from the softmax's p_t, not from the cell's symbols
        loss = dL_dy = None
    elif term is None:
        loss, dL_dy = loss_templates(loss_name, weight)
    else:
        loss, dL_dy = _term_forms(net, term)
    return Written(
        {k: frozen(v) for k, v in data["equations"].items()},
        {k: frozen(v) for k, v in data["partials"].items()},
        loss,
        dL_dy,
    )


def _cell_forms(net: Network) -> dict[str, Any]:
    """A cell's forms: shipped, else cached and sound, else derived by SymPy (and cached)."""
    key = cell_key(net.spec)
    found = shipped_written(key)
    if found is not None:
        return found
    found = cache.load(["written", key], lambda data: _sound(data, net))
    if found is not None:
        return found
    from ..cell.rules import written_data

    derived = written_data(net.spec)
    cache.store(["written", key], derived)
    return derived


def _term_forms(net: Network, term: str) -> tuple[Template, Template]:
    """A custom loss term's forms (cached like a cell's; checked against the engine's loss tree)."""
    key = ["loss term", term]

    def sound(data: Any) -> bool:
        return (
            _shaped(data, ("loss", "dL_dy"))
            and _agrees(frozen(data["loss"]), net.loss_tree)
            and _agrees(frozen(data["dL_dy"]), net.dL_dy_tree)
        )

    found = cache.load(key, sound)
    if found is None:
        from ..cell.rules import term_data

        found = term_data(net.loss_tree)
        cache.store(key, found)
    return frozen(found["loss"]), frozen(found["dL_dy"])


def _shaped(data: Any, keys: tuple[str, ...]) -> bool:
    """A dict of exactly these keys, each a well-formed template."""
    return (
        isinstance(data, dict) and set(data) == set(keys) and all(is_template(frozen(data[k])) for k in keys)
    )


def _sound(data: Any, net: Network) -> bool:
    """A cached entry of the right shape whose every form has the engine's values."""
    if not isinstance(data, dict) or set(data) != {"equations", "partials"}:
        return False
    equations, partials = data["equations"], data["partials"]
    if not isinstance(equations, dict) or not isinstance(partials, dict):
        return False
    trees = {e.name: e.tree for e in net.spec.equations}
    derivatives = {f"{k}|{u}": tree for k, table in net.trees.items() for u, tree in table.items()}
    derivatives |= {f"{k}|{u}": tree for k, table in net.input_trees.items() for u, tree in table.items()}
    if set(equations) != set(trees) or set(partials) != set(derivatives):
        return False
    pairs = [(equations[k], trees[k]) for k in trees] + [(partials[k], derivatives[k]) for k in derivatives]
    return all(is_template(frozen(form)) and _agrees(frozen(form), tree) for form, tree in pairs)


def _agrees(form: Template, tree: Tree) -> bool:
    """The form and the engine's tree have the same value at both sample points (to 1e-9)."""
    for base in SAMPLES:
        try:
            shown, computed = evaluate(form, _point(base)), evaluate(tree, _point(base))
        except (ArithmeticError, ValueError, TypeError, KeyError):
            return False
        if not math.isclose(shown, computed, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


class _point(dict):  # noqa: N801 (a mapping used like a function)
    """Every name's sample value: base + 0.0137 · (a number fixed by the name)."""

    def __init__(self, base: float) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, name: str) -> float:
        value = self.base + 0.0137 * (sum(map(ord, name)) % 17)
        self[name] = value
        return value
