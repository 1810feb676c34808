"""SymPy functions made from the function registry: each record becomes a SymPy class (or a builtin)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sympy

from .functions import FUNCTIONS, Function


def _make_class(record: Function) -> type[sympy.Function]:
    """A SymPy function class whose derivative, closed form and exact values come from the record."""

    def fdiff(self: sympy.Function, argindex: int = 1) -> sympy.Expr:
        """The derivative the record names, in terms of registry functions."""
        return sympy.sympify(record.derivative(NAMESPACE, self.args[0]))  # type: ignore[misc]

    def eval(cls: type, arg: sympy.Expr) -> sympy.Expr | None:
        """Piecewise functions evaluate on exact numbers (relu(-1/2) = 0); smooth ones stay unevaluated."""
        if record.kink and arg.is_number and arg.is_extended_real and arg.is_comparable:
            return sympy.sympify(record.formula(sympy, arg))
        return None

    def rewrite_as_exp(self: sympy.Function, arg: sympy.Expr, **kwargs: object) -> sympy.Expr:
        """The closed form (σ(z) = 1/(1 + e^-z)); piecewise functions keep their name."""
        return self if record.kink else record.formula(sympy, arg)

    def evalf(self: sympy.Function, prec: int) -> sympy.Expr | None:
        """A numeric value through the closed form."""
        arg = self.args[0].evalf(prec)
        if not arg.is_number:
            return None
        return sympy.sympify(record.formula(sympy, arg)).evalf(prec)

    namespace = {
        "fdiff": fdiff,
        "eval": classmethod(eval),
        "_eval_rewrite_as_exp": rewrite_as_exp,
        "_eval_evalf": evalf,
        "__doc__": f"{record.name}: made from rnncalc's function registry.",
    }
    return type(record.name, (sympy.Function,), namespace)


@functools.cache
def sympy_function(name: str) -> Callable[[sympy.Expr], sympy.Expr]:
    """The SymPy function for a registry name: a builtin (tanh, exp, Abs) or a class made from the record."""
    record = FUNCTIONS[name]
    if record.name == "identity":
        return lambda expr: expr
    if record.sympy_name is not None:
        return getattr(sympy, record.sympy_name)
    return _make_class(record)


class _Namespace:
    """Registry functions by attribute (f.sigmoid), for the derivatives written in the records."""

    def __getattr__(self, name: str) -> Any:
        """The SymPy function of that name."""
        return sympy_function(name)


NAMESPACE = _Namespace()


def by_shown_name(name: str) -> Callable[[sympy.Expr], sympy.Expr]:
    """The SymPy function a formula tree calls by name (sigmoid, Abs, sign, ...)."""
    from .functions import BY_SHOWN_NAME

    record = BY_SHOWN_NAME.get(name)
    return sympy_function(record.name) if record is not None else getattr(sympy, name)
