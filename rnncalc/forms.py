"""Formulas as small inert trees: named quantities with their values, numbers, sums, products.

A cell's SymPy expressions are turned into templates once (``from_sympy``); each time step
fills the template's slots with that step's named quantities (``fill``).  Renderers print a
form either with names or with the values substituted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Callable, Union

from .activations import NUMERIC_FUNCTIONS

if TYPE_CHECKING:
    import sympy


@dataclass(frozen=True, slots=True)
class Name:
    """How a quantity is written: plain text, LaTeX, and a stable key for JSON."""

    text: str
    latex: str
    key: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A named quantity and its value."""

    name: Name
    value: float


@dataclass(frozen=True, slots=True)
class Const:
    """A literal exact number inside a formula (1, 2, 1/2)."""

    value: Fraction


@dataclass(frozen=True, slots=True)
class Slot:
    """A placeholder in a template, filled per time step."""

    symbol: str


@dataclass(frozen=True, slots=True)
class Add:
    """A sum."""

    terms: tuple[Form, ...]


@dataclass(frozen=True, slots=True)
class Mul:
    """A product."""

    factors: tuple[Form, ...]


@dataclass(frozen=True, slots=True)
class Neg:
    """A negation."""

    arg: Form


@dataclass(frozen=True, slots=True)
class Div:
    """A quotient."""

    numerator: Form
    denominator: Form


@dataclass(frozen=True, slots=True)
class Pow:
    """A power."""

    base: Form
    exponent: Form


@dataclass(frozen=True, slots=True)
class Call:
    """A function applied to one argument (sigmoid, tanh, relu, unit_step, exp, ...)."""

    function: str
    arg: Form


@dataclass(frozen=True, slots=True)
class Gap:
    """Terms left out of a long sum in an abbreviated view."""

    count: int


@dataclass(frozen=True, slots=True)
class Blank:
    """A space for a student to fill in (exercise sheets)."""


Form = Union[Ref, Const, Slot, Add, Mul, Neg, Div, Pow, Call, Gap, Blank]

_EXTRA_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "Abs": abs,
}


def from_sympy(expr: sympy.Expr) -> Form:
    """Convert a SymPy expression into a template form, keeping unevaluated argument order."""
    import sympy

    if isinstance(expr, sympy.Symbol):
        return Slot(expr.name)
    if isinstance(expr, sympy.Rational):
        value = Fraction(int(expr.p), int(expr.q))
        return Neg(Const(-value)) if value < 0 else Const(value)
    if isinstance(expr, sympy.Float):
        value = Fraction(str(expr))
        return Neg(Const(-value)) if value < 0 else Const(value)
    if isinstance(expr, sympy.Add):
        terms = [from_sympy(term) for term in expr.args]
        return Add(tuple([t for t in terms if not isinstance(t, Neg)] + [t for t in terms if isinstance(t, Neg)]))
    if isinstance(expr, sympy.Mul):
        return _mul_from_sympy(expr)
    if isinstance(expr, sympy.Pow):
        if expr.exp == -1:
            return Div(Const(Fraction(1)), from_sympy(expr.base))
        return Pow(from_sympy(expr.base), from_sympy(expr.exp))
    if isinstance(expr, sympy.Function) and len(expr.args) == 1:
        return Call(type(expr).__name__, from_sympy(expr.args[0]))
    raise ValueError(f"cannot show {expr!r} as a formula")


def _mul_from_sympy(expr: sympy.Mul) -> Form:
    """Products: a leading -1 becomes a negation, negative powers a denominator."""
    import sympy

    coefficient, factors = expr.as_coeff_mul()
    numerator = [from_sympy(f) for f in factors if not (isinstance(f, sympy.Pow) and f.exp.is_negative)]
    denominator = [from_sympy(1 / f) for f in factors if isinstance(f, sympy.Pow) and f.exp.is_negative]
    magnitude = abs(coefficient)
    if magnitude != 1 or not numerator:
        numerator.insert(0, from_sympy(magnitude))
    form: Form = numerator[0] if len(numerator) == 1 else Mul(tuple(numerator))
    if denominator:
        form = Div(form, denominator[0] if len(denominator) == 1 else Mul(tuple(denominator)))
    return Neg(form) if coefficient < 0 else form


def fill(template: Form, binding: dict[str, Form]) -> Form:
    """Replace a template's slots by this step's quantities."""
    if isinstance(template, Slot):
        return binding[template.symbol]
    if isinstance(template, (Ref, Const, Gap, Blank)):
        return template
    if isinstance(template, Add):
        return Add(tuple(fill(t, binding) for t in template.terms))
    if isinstance(template, Mul):
        return Mul(tuple(fill(f, binding) for f in template.factors))
    if isinstance(template, Neg):
        return Neg(fill(template.arg, binding))
    if isinstance(template, Div):
        return Div(fill(template.numerator, binding), fill(template.denominator, binding))
    if isinstance(template, Pow):
        return Pow(fill(template.base, binding), fill(template.exponent, binding))
    return Call(template.function, fill(template.arg, binding))


def evaluate(form: Form) -> float:
    """The value of a filled form, computed in full from the values of its quantities."""
    if isinstance(form, Ref):
        return form.value
    if isinstance(form, Const):
        return float(form.value)
    if isinstance(form, Add):
        return math.fsum(evaluate(t) for t in form.terms)
    if isinstance(form, Mul):
        return math.prod(evaluate(f) for f in form.factors)
    if isinstance(form, Neg):
        return -evaluate(form.arg)
    if isinstance(form, Div):
        return evaluate(form.numerator) / evaluate(form.denominator)
    if isinstance(form, Pow):
        return evaluate(form.base) ** evaluate(form.exponent)
    if isinstance(form, Call):
        return (NUMERIC_FUNCTIONS | _EXTRA_FUNCTIONS)[form.function](evaluate(form.arg))
    raise TypeError(f"cannot evaluate an unfilled template slot {form!r}")


def to_sympy(form: Form, resolve: Callable[[Ref], sympy.Expr]) -> sympy.Expr:
    """Rebuild a filled form as a SymPy expression, each quantity resolved by ``resolve``."""
    import sympy

    from . import symbolic

    if isinstance(form, Ref):
        return resolve(form)
    if isinstance(form, Const):
        return sympy.Rational(form.value.numerator, form.value.denominator)
    if isinstance(form, Add):
        return sympy.Add(*(to_sympy(t, resolve) for t in form.terms))
    if isinstance(form, Mul):
        return sympy.Mul(*(to_sympy(f, resolve) for f in form.factors))
    if isinstance(form, Neg):
        return -to_sympy(form.arg, resolve)
    if isinstance(form, Div):
        return to_sympy(form.numerator, resolve) / to_sympy(form.denominator, resolve)
    if isinstance(form, Pow):
        return to_sympy(form.base, resolve) ** to_sympy(form.exponent, resolve)
    if isinstance(form, Call):
        functions = {"sigmoid": symbolic.sigmoid, "relu": symbolic.relu, "unit_step": symbolic.unit_step}
        function = functions.get(form.function) or getattr(sympy, form.function)
        return function(to_sympy(form.arg, resolve))
    raise TypeError(f"cannot convert an unfilled template slot {form!r}")
