"""Forms made from the cell's templates and trees: display templates, array trees as formulas with
matrix products told apart, functions spelled out, and quantities at a generic step."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from .formula import Call, Form, Mul, Name, Rebuild, Ref, fill, from_template

if TYPE_CHECKING:
    from ..cell.template import Template


@functools.lru_cache(maxsize=4096)
def template(data: Template) -> Form:
    """A display template as a formula (made once per template)."""
    return from_template(data)


@functools.lru_cache(maxsize=64)
def closed_form(function: str) -> Form | None:
    """A function spelled out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if it has one."""
    from ..cell.data import spelled
    from ..cell.functions import BY_SHOWN_NAME

    record = BY_SHOWN_NAME.get(function)
    if record is None or not record.spell_out:
        return None
    shipped = spelled(function)
    return from_template(shipped) if shipped is not None else None


class SpellOut(Rebuild):
    """Functions written out with their argument's value: σ(2) becomes 1/(1 + e^(-2))."""

    def __init__(self) -> None:
        super().__init__(lambda leaf: leaf)

    def call(self, form: Call) -> Form:
        written, arg = closed_form(form.function), self(form.arg)
        return fill(written, {"z": arg}) if written is not None else Call(form.function, arg)


def spell_out(form: Form) -> Form | None:
    """The form with its functions written out, or None when it has none to write out."""
    written = SpellOut()(form)
    return None if written == form else written


def generic(symbol: str, previous: bool = False) -> Ref:
    """A quantity at a generic step: a_t, or x_{t-1} and s_{t-1} for what step t reads from before."""
    text = f"{symbol}_{{t-1}}" if previous else f"{symbol}_t"
    return Ref(Name(text, f"{symbol}_{{t-1}}" if previous else f"{symbol}_{{t}}", text), 0.0)


def array_form(tree: Any, shapes: dict[str, Any]) -> Form:
    """An array tree as a formula template: a matrix product W · x, vectors entry by entry (⊙), a
    leading -1 as a minus sign and a power of -1 as a quotient, as the scalar forms write them."""
    from fractions import Fraction

    from .formula import Add, Call, Const, Div, Neg, Pow, Slot

    tag = tree[0]
    if tag == "slot":
        return Slot(tree[1])
    if tag == "const":
        value = Fraction(tree[1])
        return Neg(Const(-value)) if value < 0 else Const(value)
    if tag == "add":
        terms = [array_form(t, shapes) for t in tree[1]]
        later = [t for t in terms if isinstance(t, Neg)]
        return Add((*(t for t in terms if not isinstance(t, Neg)), *later))
    if tag in ("matvec", "vecmat"):
        return Mul((array_form(tree[1], shapes), array_form(tree[2], shapes)))
    if tag == "mul":
        factors = list(tree[1])
        negative = factors[0] == ("const", "-1") and len(factors) > 1
        if negative:
            factors = factors[1:]
        vectors = sum(1 for f in factors if _vector(f, shapes))
        forms = tuple(array_form(f, shapes) for f in factors)
        form: Form = forms[0] if len(forms) == 1 else Mul(forms, hadamard=vectors > 1)
        return Neg(form) if negative else form
    if tag == "neg":
        return Neg(array_form(tree[1], shapes))
    if tag == "pow":
        if tree[2] == ("const", "-1"):
            return Div(Const(Fraction(1)), array_form(tree[1], shapes))
        return Pow(array_form(tree[1], shapes), array_form(tree[2], shapes))
    if tag == "div":
        return Div(array_form(tree[1], shapes), array_form(tree[2], shapes))
    from ..cell.functions import FUNCTIONS

    return Call(FUNCTIONS[tree[1]].shown_name, array_form(tree[2], shapes))


def _vector(tree: Any, shapes: dict[str, Any]) -> bool:
    """The tree's value is a vector (a name of vector shape, or anything built from one)."""
    if tree[0] == "slot":
        return len(shapes.get(tree[1], ())) == 1
    if tree[0] == "const":
        return False
    if tree[0] in ("matvec", "vecmat"):
        return True
    from ..cell.tree import children

    return any(_vector(child, shapes) for child in children(tree))
