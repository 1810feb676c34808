"""SymPy expressions printed as Python source: the code the compiled sweeps run (printed once per rule)."""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter

from .functions import NUMERIC_FUNCTIONS

STEP_NAMES = frozenset(("x", "h_prev", "o", "h", "y", "g"))
"""The cell's per-step symbols: printed as local variables of the sweep."""


class _CellCodePrinter(PythonCodePrinter):
    """Python code for cell expressions: parameters as p_<name>, activations called by name."""

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        """Step symbols keep their names; parameters get a prefix that no local variable has."""
        return expr.name if expr.name in STEP_NAMES else f"p_{expr.name}"

    depth = 0

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        """A square as a product (h*h), a longer base computed once (``_sq := ...``): cheaper than **2."""
        base, exponent = expr.args
        if exponent != 2:
            return super()._print_Pow(expr, rational=rational)
        if base.is_Symbol:
            name = self._print(base)
            return f"({name}*{name})"
        return f"((_sq := {self._print(base)})*_sq)"

    def _print_Function(self, expr: sympy.Function) -> str:
        """sigmoid inline and stable for any sign (a longer argument computed once, into _z0, _z1, ...
        by nesting depth); unit_step(o), relu(o) as plain calls."""
        name = type(expr).__name__
        if name == "sigmoid" and expr.args[0].is_Symbol:
            z = self._print(expr.args[0])
            return f"(1/(1 + exp(-({z}))) if ({z}) >= 0 else exp({z})/(1 + exp({z})))"
        if name == "sigmoid":
            slot = f"_z{self.depth}"
            self.depth += 1
            z = self._print(expr.args[0])
            self.depth -= 1
            return f"(1/(1 + exp(-{slot})) if ({slot} := {z}) >= 0 else exp({slot})/(1 + exp({slot})))"
        if name in NUMERIC_FUNCTIONS:
            return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"
        return super()._print_Function(expr)


def code(expr: sympy.Expr) -> str:
    """One expression as Python source."""
    return _CellCodePrinter({"fully_qualified_modules": False}).doprint(expr)


class _ArrayCodePrinter(_CellCodePrinter):
    """Python code that runs on NumPy arrays as well: every function called by its registry name."""

    def _print_Function(self, expr: sympy.Function) -> str:
        """sigmoid(o), unit_step(o): the caller binds each name to its elementwise version."""
        name = type(expr).__name__
        if name in NUMERIC_FUNCTIONS:
            return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"
        return super()._print_Function(expr)


def array_code(expr: sympy.Expr) -> str:
    """One expression as Python source without conditionals, so it also runs elementwise on arrays."""
    return _ArrayCodePrinter({"fully_qualified_modules": False}).doprint(expr)
