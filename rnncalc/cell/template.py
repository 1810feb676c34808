"""A SymPy expression as a template: plain nested tuples that need no SymPy to read or store.

``encode`` turns a rule's display expression into the tree the derivation layer fills per step
(``derivation.formula.from_template``): ("slot", name), ("const", "p/q"), ("add", terms),
("mul", factors), ("neg", arg), ("div", numerator, denominator), ("pow", base, exponent),
("call", function, arg), ("pi",), ("i",); ("undefined", text) for a value that is not a real
number. Negative numbers become a negation, a leading -1 in a
product too, and negative powers a denominator, so the tree reads as a person writes the formula.
Templates are stored with the rest of a cell's derived data (shipped for built-in cells, cached for
custom ones), so showing a derivation never imports SymPy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Template = tuple[Any, ...]
TAGS = frozenset({"slot", "const", "add", "mul", "neg", "div", "pow", "call", "pi", "i", "undefined"})


def encode(expr: Any) -> Template:
    """A SymPy expression as a template tree, keeping its argument order."""
    import sympy

    if isinstance(expr, sympy.Symbol):
        return ("slot", expr.name)
    if isinstance(expr, (sympy.Rational, sympy.Float)):
        value = (
            Fraction(int(expr.p), int(expr.q)) if isinstance(expr, sympy.Rational) else Fraction(str(expr))
        )
        return ("neg", ("const", str(-value))) if value < 0 else ("const", str(value))
    if expr is sympy.E:
        return ("call", "exp", ("const", "1"))
    if expr is sympy.pi:
        return ("pi",)
    if expr is sympy.I:
        return ("i",)
    if isinstance(expr, sympy.Add):
        terms = [encode(term) for term in expr.args]
        return ("add", tuple([t for t in terms if t[0] != "neg"] + [t for t in terms if t[0] == "neg"]))
    if isinstance(expr, sympy.Mul):
        return _encode_mul(expr)
    if isinstance(expr, sympy.Pow):
        if expr.exp == -1:
            return ("div", ("const", "1"), encode(expr.base))
        return ("pow", encode(expr.base), encode(expr.exp))
    if isinstance(expr, sympy.Function) and len(expr.args) == 1:
        return ("call", type(expr).__name__, encode(expr.args[0]))
    return ("undefined", str(expr))  # nan, zoo: an error when shown, after the numbers said why


def _encode_mul(expr: Any) -> Template:
    """Products: a leading -1 becomes a negation, negative powers a denominator."""
    import sympy

    coefficient, factors = expr.as_coeff_mul()
    below = [f for f in factors if isinstance(f, sympy.Pow) and f.exp.is_negative]
    numerator = [encode(f) for f in factors if f not in below]
    denominator = [encode(1 / f) for f in below]
    magnitude = abs(coefficient)
    if magnitude != 1 or not numerator:
        numerator.insert(0, encode(magnitude))
    form: Template = numerator[0] if len(numerator) == 1 else ("mul", tuple(numerator))
    if denominator:
        form = ("div", form, denominator[0] if len(denominator) == 1 else ("mul", tuple(denominator)))
    return ("neg", form) if coefficient < 0 else form


def frozen(data: Any) -> Any:
    """JSON lists back as tuples (templates are hashable, so forms are made once per template)."""
    return tuple(frozen(item) for item in data) if isinstance(data, list) else data


def is_template(data: Any) -> bool:
    """True for a well-formed template tree (a cached file is checked before it is trusted)."""
    if not isinstance(data, tuple) or not data or data[0] not in TAGS:
        return False
    tag, args = data[0], data[1:]
    if tag in ("pi", "i"):
        return not args
    if tag in ("slot", "undefined"):
        return len(args) == 1 and isinstance(args[0], str)
    if tag == "const":
        return len(args) == 1 and isinstance(args[0], str) and _is_fraction(args[0])
    if tag in ("add", "mul"):
        return len(args) == 1 and isinstance(args[0], tuple) and all(is_template(a) for a in args[0])
    if tag == "call":
        return len(args) == 2 and isinstance(args[0], str) and is_template(args[1])
    if tag == "neg":
        return len(args) == 1 and is_template(args[0])
    return len(args) == 2 and all(is_template(a) for a in args)


def _is_fraction(text: str) -> bool:
    """A number as Fraction writes it."""
    try:
        Fraction(text)
    except (ValueError, ZeroDivisionError):
        return False
    return True
