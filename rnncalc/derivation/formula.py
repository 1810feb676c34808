"""Formulas as small inert trees: named quantities with their values, numbers, sums, products.

A cell's SymPy expressions are turned into templates once (``from_sympy``); each time step
fills the template's slots with that step's named quantities (``fill``).  Renderers print a
form either with names or with the values substituted.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

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
    """A named quantity and its value; ``given`` when the user typed it (shown as typed, 0.5 not 0.500000)."""

    name: Name
    value: float
    given: bool = False


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
    """A product (``hadamard``: of vectors entry by entry, written ⊙)."""

    factors: tuple[Form, ...]
    hadamard: bool = False


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
    """A space for a student to fill in (exercise sheets), about ``width`` characters wide."""

    width: int = 8


Form = Ref | Const | Slot | Add | Mul | Neg | Div | Pow | Call | Gap | Blank

_METHODS: dict[type, str] = {
    kind: kind.__name__.lower() for kind in (Ref, Const, Slot, Add, Mul, Neg, Div, Pow, Call, Gap, Blank)
}
PI = Ref(Name("π", r"\pi", "pi"), math.pi)
IMAGINARY = Ref(Name("i", "i", "I"), math.nan)


def from_sympy(expr: sympy.Expr) -> Form:
    """Convert a SymPy expression into a template form, keeping unevaluated argument order."""
    from ..cell.template import encode

    return from_template(encode(expr))


def from_template(data: tuple[Any, ...]) -> Form:
    """A template tree (``cell.template``: plain tuples, stored without SymPy) as a form."""
    tag = data[0]
    if tag == "slot":
        return Slot(data[1])
    if tag == "const":
        return Const(Fraction(data[1]))
    if tag == "pi":
        return PI
    if tag == "i":
        return IMAGINARY
    if tag == "add":
        return Add(tuple(from_template(t) for t in data[1]))
    if tag == "mul":
        return Mul(tuple(from_template(f) for f in data[1]))
    if tag == "neg":
        return Neg(from_template(data[1]))
    if tag == "div":
        return Div(from_template(data[1]), from_template(data[2]))
    if tag == "pow":
        return Pow(from_template(data[1]), from_template(data[2]))
    if tag == "call":
        return Call(data[1], from_template(data[2]))
    if tag == "undefined":
        from ..errors import RnnCalcError

        raise RnnCalcError(
            f"the value {data[1]} cannot be shown as a formula (it is undefined or not a real number)"
        )
    raise ValueError(f"not a template node: {tag!r}")


class Fold:
    """One way to compute over a filled tree: a combining rule per node type (a visitor)."""

    def __call__(self, form: Form) -> Any:
        """Visit the tree."""
        return getattr(self, _METHODS[type(form)])(form)

    def slot(self, form: Slot) -> Any:
        """Unfilled templates cannot be computed."""
        raise TypeError(f"cannot compute an unfilled template slot {form!r}")

    gap = blank = slot


class Rebuild(Fold):
    """The same tree with every leaf (Ref, Const, Slot) replaced by ``leaf(it)``."""

    def __init__(self, leaf: Callable[[Form], Form]) -> None:
        self.ref = self.const = self.slot = self.gap = self.blank = leaf  # type: ignore[method-assign, assignment]

    def add(self, form: Add) -> Form:
        return Add(tuple(self(t) for t in form.terms))

    def mul(self, form: Mul) -> Form:
        return Mul(tuple(self(f) for f in form.factors), form.hadamard)

    def neg(self, form: Neg) -> Form:
        return Neg(self(form.arg))

    def div(self, form: Div) -> Form:
        return Div(self(form.numerator), self(form.denominator))

    def pow(self, form: Pow) -> Form:
        return Pow(self(form.base), self(form.exponent))

    def call(self, form: Call) -> Form:
        return Call(form.function, self(form.arg))


def with_values(form: Form, values: dict[str, float]) -> Form:
    """The form with these values put in for the quantities of those names (their text: h_1, o_2)."""

    def leaf(f: Form) -> Form:
        return Ref(f.name, values[f.name.text], f.given) if type(f) is Ref and f.name.text in values else f

    return Rebuild(leaf)(form)


def fill(template: Form, binding: dict[str, Form]) -> Form:
    """Replace a template's slots by this step's quantities (a Rebuild, written out: it runs for every
    local derivative at every step)."""
    kind = type(template)
    if kind is Slot:
        return binding[template.symbol]  # type: ignore[union-attr]
    if kind is Mul:
        return Mul(tuple([fill(f, binding) for f in template.factors]), template.hadamard)  # type: ignore[union-attr]
    if kind is Add:
        return Add(tuple([fill(t, binding) for t in template.terms]))  # type: ignore[union-attr]
    if kind is Neg:
        return Neg(fill(template.arg, binding))  # type: ignore[union-attr]
    if kind is Call:
        return Call(template.function, fill(template.arg, binding))  # type: ignore[union-attr]
    if kind is Div:
        return Div(fill(template.numerator, binding), fill(template.denominator, binding))  # type: ignore[union-attr]
    if kind is Pow:
        return Pow(fill(template.base, binding), fill(template.exponent, binding))  # type: ignore[union-attr]
    return template


class CollapseSums(Rebuild):
    """A product's parenthesised sums of known values replaced by their value, as a hand derivation
    writes ``0.880797 · 0.119203`` for ``h_1 · (1 - h_1)``."""

    def __init__(self) -> None:
        super().__init__(lambda leaf: leaf)

    def mul(self, form: Mul) -> Form:
        factors = tuple(_collapsed(f) if _is_numeric_sum(f) else self(f) for f in form.factors)
        return Mul(factors, form.hadamard)


def _is_numeric_sum(form: Form) -> bool:
    """A sum whose terms are all known values (or their negations)."""
    leaves = (Ref, Const)
    return type(form) is Add and all(
        isinstance(t, leaves) or (type(t) is Neg and isinstance(t.arg, leaves)) for t in form.terms
    )


def _collapsed(form: Form) -> Ref:
    """A sum of values as one value."""
    return Ref(Name("(…)", r"(\dots)", "sum"), evaluate_as_written(form))


def collapse_sums(form: Form) -> Form:
    """See ``CollapseSums``."""
    return CollapseSums()(form)


class Evaluate(Fold):
    """The value of a filled form, computed in full from the values of its quantities (floats here; a
    subclass computes in Fractions)."""

    def ref(self, form: Ref) -> Any:
        return form.value

    def const(self, form: Const) -> Any:
        return float(form.value)

    def add(self, form: Add) -> Any:
        return math.fsum(self(t) for t in form.terms)

    def mul(self, form: Mul) -> Any:
        return math.prod(self(f) for f in form.factors)

    def neg(self, form: Neg) -> Any:
        return -self(form.arg)

    def div(self, form: Div) -> Any:
        return self(form.numerator) / self(form.denominator)

    def pow(self, form: Pow) -> Any:
        return self(form.base) ** self(form.exponent)

    def call(self, form: Call) -> Any:
        from ..cell.functions import NUMERIC_FUNCTIONS

        return NUMERIC_FUNCTIONS[form.function](self(form.arg))


class ToSympy(Fold):
    """A filled form as a SymPy expression, each quantity resolved by ``resolve``."""

    def __init__(self, resolve: Callable[[Ref], sympy.Expr]) -> None:
        self.ref = resolve

    def const(self, form: Const) -> sympy.Expr:
        import sympy

        return sympy.Rational(form.value.numerator, form.value.denominator)

    def add(self, form: Add) -> sympy.Expr:
        import sympy

        return sympy.Add(*(self(t) for t in form.terms))

    def mul(self, form: Mul) -> sympy.Expr:
        import sympy

        return sympy.Mul(*(self(f) for f in form.factors))

    def neg(self, form: Neg) -> sympy.Expr:
        return -self(form.arg)

    def div(self, form: Div) -> sympy.Expr:
        return self(form.numerator) / self(form.denominator)

    def pow(self, form: Pow) -> sympy.Expr:
        return self(form.base) ** self(form.exponent)

    def call(self, form: Call) -> sympy.Expr:
        from ..cell.sympy_functions import by_shown_name

        return by_shown_name(form.function)(self(form.arg))


class EvaluateAsWritten(Evaluate):
    """The value as a person works it out from the decimals shown: sums and products exactly.

    In floating point 0.1 · 3 + (-0.3) is 5.6e-17; worked from the written decimals it is 0,
    which is what relu(…) must be shown of. Functions are taken in floating point.
    """

    def ref(self, form: Ref) -> Fraction:
        return _as_written(form.value)

    def const(self, form: Const) -> Fraction:
        return Fraction(form.value)

    def add(self, form: Add) -> Fraction:
        return sum((self(t) for t in form.terms), Fraction(0))

    def mul(self, form: Mul) -> Fraction:
        return math.prod((self(f) for f in form.factors), start=Fraction(1))

    def pow(self, form: Pow) -> Fraction:
        base, exponent = self(form.base), self(form.exponent)
        if exponent.denominator == 1 and abs(exponent) <= 64 and (base or exponent >= 0):
            return base ** int(exponent)
        return _as_written(float(base) ** float(exponent))

    def call(self, form: Call) -> Fraction:
        return _as_written(super().call(Call(form.function, Const(self(form.arg)))))


def _as_written(value: float | Fraction) -> Fraction:
    """A number as the decimal it is shown as (a float's shortest repr), exactly."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def evaluate(form: Form) -> float:
    """The value of a filled form, computed in full from the values of its quantities."""
    return Evaluate()(form)


_EXACT_DECIMALS = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact, decimal.InvalidOperation])
"""Sums and products of decimals are exact in decimal arithmetic (and much faster than in fractions)."""


def _decimal_as_written(form: Form) -> decimal.Decimal | None:
    """A sum of products of shown decimals worked out exactly in decimals, or None for anything else."""
    if isinstance(form, Ref):
        value = form.value
        return decimal.Decimal(repr(value)) if type(value) is float and math.isfinite(value) else None
    if isinstance(form, Const):
        return decimal.Decimal(form.value.numerator) if form.value.denominator == 1 else None
    if isinstance(form, Neg):
        inner = _decimal_as_written(form.arg)
        return None if inner is None else -inner
    if isinstance(form, (Add, Mul)):
        combine = _EXACT_DECIMALS.add if isinstance(form, Add) else _EXACT_DECIMALS.multiply
        total: decimal.Decimal | None = None
        for item in form.terms if isinstance(form, Add) else form.factors:
            part = _decimal_as_written(item)
            if part is None:
                return None
            total = part if total is None else combine(total, part)
        return total
    return None


def evaluate_as_written(form: Form) -> float:
    """The value worked out from the shown decimals (see ``EvaluateAsWritten``); floats when not finite."""
    exact = _decimal_as_written(form)
    if exact is not None:
        return float(exact) + 0.0  # 0, not -0, as in fractions
    try:
        return float(EvaluateAsWritten()(form))
    except (ValueError, OverflowError, ZeroDivisionError, TypeError):
        return evaluate(form)


def to_sympy(form: Form, resolve: Callable[[Ref], sympy.Expr]) -> sympy.Expr:
    """Rebuild a filled form as a SymPy expression, each quantity resolved by ``resolve``."""
    return ToSympy(resolve)(form)
