"""SymPy functions for the activations, each with its value rule and derivative rule side by side."""

from __future__ import annotations

from typing import Callable

import sympy


class sigmoid(sympy.Function):  # noqa: N801 - SymPy function names are lower case
    """σ(z) = 1/(1 + e^-z); its derivative σ(z)(1 - σ(z))."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """dσ/dz written in terms of σ itself."""
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, arg: sympy.Expr, **kwargs: object) -> sympy.Expr:
        """σ(z) = 1/(1 + e^-z)."""
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        """Numeric value through the exp form."""
        return self.rewrite(sympy.exp)._eval_evalf(prec)

    def _latex(self, printer: sympy.printing.latex.LatexPrinter) -> str:
        """σ(z)."""
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


class unit_step(sympy.Function):  # noqa: N801
    """1 for z > 0, else 0: relu's derivative, with the subgradient 0 at z = 0."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate on real numbers."""
        if arg.is_extended_real and arg.is_number:
            return sympy.Integer(1) if arg.is_positive else sympy.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """Zero almost everywhere."""
        return sympy.Integer(0)

    def _latex(self, printer: sympy.printing.latex.LatexPrinter) -> str:
        """[z > 0] (Iverson bracket)."""
        return rf"[{printer._print(self.args[0])} > 0]"


class relu(sympy.Function):  # noqa: N801
    """max(0, z); its derivative unit_step(z)."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate on real numbers."""
        if arg.is_extended_real and arg.is_number:
            return arg if arg.is_positive else sympy.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d relu/dz = [z > 0]."""
        return unit_step(self.args[0])

    def _latex(self, printer: sympy.printing.latex.LatexPrinter) -> str:
        """\\operatorname{relu}(z)."""
        return rf"\operatorname{{relu}}\left({printer._print(self.args[0])}\right)"


def _identity(expr: sympy.Expr) -> sympy.Expr:
    """The identity activation."""
    return expr


ACTIVATION_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sigmoid": sigmoid,
    "tanh": sympy.tanh,
    "relu": relu,
    "identity": _identity,
}
