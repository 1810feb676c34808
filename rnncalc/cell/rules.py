"""How a cell's formulas and local derivatives are written: SymPy's forms, kept as plain templates.

The engine computes every number from its own trees; a derivation *shows* each formula as the user wrote
it and each local derivative as SymPy simplifies it (common factors pulled out: x_0 · (1 - s_1^2)).
SymPy derives those forms once per cell: shipped in ``derived.json`` for the built-in cells and presets
(written by scripts/make_cell_data.py; tests/test_cell_data.py re-derives every entry), cached per user
for any other cell (as data: templates are never run). ``derived_data`` is everything the package ships.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from .data import cell_key
from .equations import CellSpec
from .template import encode
from .tree import Tree, to_sympy

y, g = sympy.symbols("y g", real=True)


def written_data(spec: CellSpec) -> dict[str, Any]:
    """Each equation and each of its partial derivatives (by every name, previous value, parameter and
    input it reads) as display templates: "k" and "k|u"."""
    symbols: dict[str, Any] = {}
    equations, partials = {}, {}
    for e in spec.equations:
        expr = to_sympy(e.tree, symbols)
        equations[e.name] = list_of(encode(expr))
        own = sympy.Symbol(e.name, real=True)
        for u in e.uses:
            derivative = sympy.diff(expr, sympy.Symbol(u, real=True))
            if isinstance(expr, sympy.Function):  # h = tanh(o): written with h (1 - h^2)
                derivative = derivative.subs(expr, own)
            partials[f"{e.name}|{u}"] = list_of(encode(sympy.factor_terms(derivative)))
    return {"equations": equations, "partials": partials}


def term_data(term: Tree, weight: Fraction = Fraction(1)) -> dict[str, Any]:
    """One step's loss term weight · term(y, g) and its derivative dL_t/dy_t, as templates."""
    loss = sympy.Rational(weight.numerator, weight.denominator) * to_sympy(term, {"y": y, "g": g})
    return _loss_templates(loss)


def loss_data(loss_name: str, weight: Fraction) -> dict[str, Any]:
    """A registered loss's term and its derivative for a loss weight, as templates."""
    from .losses import LOSSES

    loss = sympy.Rational(weight.numerator, weight.denominator) * LOSSES[loss_name].term(sympy, y, g)
    return _loss_templates(loss)


def _loss_templates(loss: sympy.Expr) -> dict[str, Any]:
    """A loss term and its derivative by y (common factors pulled out) as templates."""
    derivative = sympy.diff(loss, y)
    return {"loss": list_of(encode(loss)), "dL_dy": list_of(encode(sympy.factor_terms(derivative)))}


def list_of(template: Any) -> Any:
    """A template as JSON writes it (tuples as lists), so shipped, cached and fresh data compare equal."""
    return [list_of(item) for item in template] if isinstance(template, tuple) else template


SHIPPED_TARGET_COUNTS = 64
"""Loss rules are shipped for 1/k weights up to this many targets; beyond, the weight-1 rules scaled."""


def shipped_weights(loss_name: str) -> list[Fraction]:
    """The loss weights whose rules the package ships: every weight(k) for k = 1..64 targets as the loss
    adds up its steps, and 1 (the rules any other weight is scaled from)."""
    from .losses import LOSSES

    weights = {LOSSES[loss_name].weight(k) for k in range(1, SHIPPED_TARGET_COUNTS + 1)}
    return sorted(weights | {Fraction(1)})


def shipped_cells() -> list[CellSpec]:
    """The cells the package ships the forms of: the built-in cell for each activation, every preset."""
    from .equations import parse
    from .functions import ACTIVATIONS
    from .presets import PRESETS

    built_in = [
        ("o = Wi*x + Wh*h_prev + b", "h = o" if name == "identity" else f"h = {name}(o)", "y = a*h + c")
        for name in ACTIVATIONS
    ]
    return [parse(equations) for equations in built_in] + [parse(p.equations) for p in PRESETS.values()]


def derived_data() -> dict[str, Any]:
    """What the package ships: the forms of the built-in cells and presets, the loss rules and the
    spelled-out functions."""
    from .functions import REGISTRY
    from .losses import LOSSES

    z = sympy.Symbol("z", real=True)
    return {
        "written": {cell_key(spec): written_data(spec) for spec in shipped_cells()},
        "losses": {
            f"{name}:{weight}": loss_data(name, weight) for name in LOSSES for weight in shipped_weights(name)
        },
        "spelled": {
            record.shown_name: list_of(encode(record.formula(sympy, z)))
            for record in REGISTRY
            if record.spell_out
        },
    }
