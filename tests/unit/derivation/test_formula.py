"""Printing formulas: parentheses around negative values and sums where they are needed."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rnncalc.derivation.formula import Add, Call, Const, Mul, Name, Neg, Pow, Ref
from rnncalc.render.printers import LatexPrinter, TextPrinter


def ref(name: str, value: float) -> Ref:
    """A quantity the user gave (so shown as typed: 0.5, not 0.500000)."""
    return Ref(Name(name, name, name), value, given=True)


def test_negative_values_are_parenthesised_inside_products_and_sums() -> None:
    form = Add((Mul((ref("a", 1.0), ref("x", -0.5))), ref("b", -2.0), Neg(ref("c", 3.0))))
    assert TextPrinter(values=False).print(form) == "a · x + b - c"
    assert TextPrinter(values=True).print(form) == "1 · (-0.5) + (-2) - 3"


def test_powers_and_fractions() -> None:
    form = Mul((Const(Fraction(1, 2)), Pow(Add((ref("y", 2.5), Neg(ref("g", 1.0)))), Const(Fraction(2)))))
    assert TextPrinter(values=True).print(form) == "1/2 · (2.5 - 1)^2"
    assert LatexPrinter(values=False).print(form) == r"\frac{1}{2} \cdot \left(y - g\right)^{2}"


def test_functions() -> None:
    assert TextPrinter(values=True).print(Call("sigmoid", ref("o", -1.25))) == "σ(-1.25)"
    assert LatexPrinter().print(Call("tanh", ref("o", 1.0))) == r"\tanh\left(o\right)"


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "json"])
def test_sympy_constants_and_functions_print_in_every_format(cli, fmt: str) -> None:
    # tanh(1) written with exp gives E; abs differentiates to sign; sin(pi/2)-style constants stay exact
    cases = [
        ["--activation", "tanh", "--x", "1", "--g", "1", "--wh", "0", "--b", "0"],
        ["--cell", "o = Wi*x + Wh*h_prev + b", "--cell", "h = abs(o)", "--cell", "y = a*h + c"],
        ["--cell", "o = Wi*x + Wh*h_prev + b", "--cell", "h = exp(o)", "--cell", "y = a*h + c", "--x", "0"],
    ]
    for args in cases:
        code, out, err = cli("grads", "--show-steps", "--exact", *args, "-f", fmt)
        assert code == 0 and out and not err, (args, err)


def test_one_number_format_for_computed_values() -> None:
    printer = TextPrinter(digits=6)
    assert [printer.number(v) for v in (2.0, -1.0, 1.7485, 0.5, 2.328e-06, 0.000123)] == [
        "2",
        "-1",
        "1.748500",
        "0.500000",
        "2.32800e-06",
        "0.000123",
    ]
    assert printer.value(Ref(Name("x", "x", "x"), 0.5, given=True)) == "0.5"
    assert LatexPrinter(digits=6).number(2.328e-06) == r"2.32800 \times 10^{-6}"
