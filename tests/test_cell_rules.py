"""The cell is data: local derivatives come from SymPy, and their displayed forms are identities."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from rnncalc import Problem, derive
from rnncalc.cell.rules import h, o, symbolic_cell
from rnncalc.compute.forward import cell_for
from rnncalc.derivation.quantities import template
from rnncalc.render.printers import TextPrinter

z = sympy.Symbol("z", real=True)
DEFINITIONS = {
    "sigmoid": 1 / (1 + sympy.exp(-z)),
    "tanh": (sympy.exp(z) - sympy.exp(-z)) / (sympy.exp(z) + sympy.exp(-z)),
    "identity": z,
}
SHOWN = {"sigmoid": "h · (1 - h)", "tanh": "1 - h^2", "identity": "1", "relu": "[o > 0]"}


@pytest.mark.parametrize("activation", sorted(DEFINITIONS))
def test_displayed_activation_derivative_is_an_identity(activation: str) -> None:
    rule = symbolic_cell(activation, Fraction(1)).dh_do.expr
    definition = DEFINITIONS[activation]
    in_terms_of_z = rule.subs({h: definition, o: z})
    assert sympy.simplify(sympy.diff(definition, z) - in_terms_of_z) == 0


@pytest.mark.parametrize("activation", sorted(SHOWN))
def test_displayed_forms(activation: str) -> None:
    assert (
        TextPrinter().print(template(cell_for(Problem(activation=activation)).dh_do.template))
        == SHOWN[activation]
    )


def test_relu_subgradient_at_zero_is_zero() -> None:
    # b = 0 and h0 = 0 with x_0 = 0 make o_1 exactly 0; x_1 = 1e-300 makes o_2 just positive.
    derivation = derive(Problem(x=[0, "1e-300"], params={"b": 0, "Wh": 0}, activation="relu"), steps=True)
    local = {s.target.name.text: s.target.value for s in derivation.section("local").steps}
    assert local["dh_1/do_1"] == 0.0 and local["dh_2/do_2"] == 1.0


@pytest.mark.parametrize(
    ("loss", "n", "shown"), [("mse", 2, "y - g"), ("mse", 3, "2/3 · (y - g)"), ("sse", 3, "2 · (y - g)")]
)
def test_loss_derivative_follows_the_convention(loss: str, n: int, shown: str) -> None:
    cell = cell_for(Problem(x=[1] * n, loss=loss))
    assert TextPrinter().print(template(cell.dL_dy.template)) == shown
