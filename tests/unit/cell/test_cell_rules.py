"""The cell is data: local derivatives come from SymPy, and their displayed forms are identities."""

from __future__ import annotations

import pytest
import sympy

from rnncalc import Problem, derive
from rnncalc.cell.rules import written_data
from rnncalc.cell.template import frozen
from rnncalc.cell.tree import to_sympy
from rnncalc.compute.run_numbers import network_of
from rnncalc.derivation.forms import template
from rnncalc.engine.written import written
from rnncalc.render.printers import TextPrinter

z = sympy.Symbol("z", real=True)
h, o = sympy.symbols("h o", real=True)
DEFINITIONS = {
    "sigmoid": 1 / (1 + sympy.exp(-z)),
    "tanh": (sympy.exp(z) - sympy.exp(-z)) / (sympy.exp(z) + sympy.exp(-z)),
    "identity": z,
}
SHOWN = {"sigmoid": "h · (1 - h)", "tanh": "1 - h^2", "identity": "1", "relu": "[o > 0]"}


@pytest.mark.parametrize("activation", sorted(DEFINITIONS))
def test_displayed_activation_derivative_is_an_identity(activation: str) -> None:
    form = frozen(written_data(Problem(activation=activation).spec)["partials"]["h|o"])
    rule = sympy.sympify(to_sympy(_as_tree(form)))
    definition = DEFINITIONS[activation]
    in_terms_of_z = rule.subs({h: definition, o: z})
    assert sympy.simplify(sympy.diff(definition, z) - in_terms_of_z) == 0


@pytest.mark.parametrize("activation", sorted(SHOWN))
def test_displayed_forms(activation: str) -> None:
    assert (
        TextPrinter().print(template(_forms(Problem(activation=activation)).partials["h|o"]))
        == SHOWN[activation]
    )


def _forms(problem: Problem):
    """The forms the derivation shows the problem's cell and loss by."""
    return written(network_of(problem), problem.loss, problem.loss_weight, problem.loss_term)


def _as_tree(form: tuple) -> tuple:
    """A display template as a formula tree (negations and quotients as products and powers)."""
    tag = form[0]
    if tag == "neg":
        return ("mul", (("const", "-1"), _as_tree(form[1])))
    if tag == "div":
        return ("mul", (_as_tree(form[1]), ("pow", _as_tree(form[2]), ("const", "-1"))))
    if tag in ("add", "mul"):
        return (tag, tuple(_as_tree(t) for t in form[1]))
    if tag == "pow":
        return ("pow", _as_tree(form[1]), _as_tree(form[2]))
    if tag == "call":
        return ("call", {"Abs": "abs"}.get(form[1], form[1]), _as_tree(form[2]))
    return form


def test_relu_subgradient_at_zero_is_zero() -> None:
    # b = 0 and h0 = 0 with x_0 = 0 make o_1 exactly 0; x_1 = 1e-300 makes o_2 just positive.
    derivation = derive(Problem(x=[0, "1e-300"], params={"b": 0, "Wh": 0}, activation="relu"), steps=True)
    local = {s.target.name.text: s.target.value for s in derivation.section("local").steps}
    assert local["dh_1/do_1"] == 0.0 and local["dh_2/do_2"] == 1.0


@pytest.mark.parametrize(
    ("loss", "n", "shown"), [("mse", 2, "y - g"), ("mse", 3, "2/3 · (y - g)"), ("sse", 3, "2 · (y - g)")]
)
def test_loss_derivative_follows_the_convention(loss: str, n: int, shown: str) -> None:
    assert TextPrinter().print(template(_forms(Problem(x=[1] * n, loss=loss)).dL_dy)) == shown
