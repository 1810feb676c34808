"""Formula trees written as Python source: the code the generated sweeps run.

Each name is written as the caller says (a local variable of the sweep); a number that is not whole is a
constant of the generated module (``_c0``), bound to a float or, for exact arithmetic, a Fraction; a
square is a product (h*h, a longer base computed once with ``:=``); sigmoid is written inline in its
stable form for either sign.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..cell.functions import FUNCTIONS, NUMERIC_FUNCTIONS
from ..cell.tree import Tree, value_of

ATOM, POWER, PRODUCT, SUM = 0, 1, 2, 3


class Printer:
    """Python source for formula trees; ``name(slot)`` says how each named value is written."""

    def __init__(self, name: Callable[[str], str], arrays: bool = False) -> None:
        """``arrays``: the values are NumPy arrays (a matrix product is @, sigmoid a plain call)."""
        self.name = name
        self.arrays = arrays
        self.constants: dict[Fraction, str] = {}
        self.depth = 0

    def __call__(self, tree: Tree) -> str:
        """The source of one formula."""
        return self._print(tree)[0]

    def _print(self, tree: Tree) -> tuple[str, int]:
        """Source and precedence (how tightly it binds) of a node."""
        tag = tree[0]
        if tag == "slot":
            return self.name(tree[1]), ATOM
        if tag == "const":
            return self.number(Fraction(tree[1]))
        if tag == "add":
            return self._sum(tree[1]), SUM
        if tag == "mul":
            return self._product(tree[1])
        if tag == "neg":
            return f"-{self._wrapped(tree[1], PRODUCT)}", PRODUCT
        if tag == "div":
            return f"{self._wrapped(tree[1], PRODUCT)}/{self._wrapped(tree[2], POWER)}", PRODUCT
        if tag == "pow":
            return self._power(tree[1], tree[2])
        if tag == "call":
            return self._call(tree[1], tree[2]), ATOM
        if tag in ("matvec", "vecmat"):
            return f"({self._wrapped(tree[1], PRODUCT)} @ {self._wrapped(tree[2], PRODUCT)})", ATOM
        raise ValueError(f"not a formula node: {tag!r}")

    def number(self, value: Fraction) -> tuple[str, int]:
        """A whole number as itself, any other as a named constant of the module."""
        if value.denominator == 1:
            return (str(value.numerator), ATOM) if value >= 0 else (f"({value.numerator})", ATOM)
        if value not in self.constants:
            self.constants[value] = f"_c{len(self.constants)}"
        return self.constants[value], ATOM

    def _wrapped(self, tree: Tree, limit: int) -> str:
        """A child in parentheses when it binds less tightly than ``limit`` allows."""
        text, precedence = self._print(tree)
        return f"({text})" if precedence >= limit else text

    def _sum(self, terms: tuple[Tree, ...]) -> str:
        """a + b - c: a term that is a negated product is subtracted."""
        parts = []
        for i, term in enumerate(terms):
            negated = _negated(term)
            if negated is not None and i > 0:
                parts.append(f" - {self._wrapped(negated, SUM)}")
            else:
                text = self._wrapped(term, SUM + 1) if i == 0 else self._wrapped(term, SUM)
                parts.append(text if i == 0 else f" + {text}")
        return "".join(parts)

    def _product(self, factors: tuple[Tree, ...]) -> tuple[str, int]:
        """a*b*c; a leading -1 as a minus sign."""
        if value_of(factors[0]) == -1 and len(factors) > 1:
            rest = factors[1:]
            inner = rest[0] if len(rest) == 1 else ("mul", rest)
            return f"-{self._wrapped(inner, PRODUCT)}", PRODUCT
        return "*".join(self._wrapped(f, PRODUCT) for f in factors), PRODUCT

    def _power(self, base: Tree, exponent: Tree) -> tuple[str, int]:
        """A square as a product; 1/b for b^-1; b**e otherwise."""
        number = value_of(exponent)
        if number == 2:
            if base[0] == "slot":
                name = self.name(base[1])
                return f"({name}*{name})", ATOM
            return f"((_sq := {self(base)})*_sq)", ATOM
        if number == -1:
            return f"1/{self._wrapped(base, POWER)}", PRODUCT
        return f"{self._wrapped(base, POWER)}**{self._wrapped(exponent, POWER)}", POWER

    def _call(self, function: str, arg: Tree) -> str:
        """sigmoid inline and stable for any sign (a longer argument computed once into _z0, _z1, ... by
        nesting depth); every other function called by its registry name."""
        if function != "sigmoid" or self.arrays:
            return f"{function}({self(arg)})"
        if arg[0] == "slot":
            z = self.name(arg[1])
            return f"(1/(1 + exp(-({z}))) if ({z}) >= 0 else exp({z})/(1 + exp({z})))"
        z = f"_z{self.depth}"
        self.depth += 1
        inner = self(arg)
        self.depth -= 1
        return f"(1/(1 + exp(-{z})) if ({z} := {inner}) >= 0 else exp({z})/(1 + exp({z})))"


def _negated(tree: Tree) -> Tree | None:
    """x for a product -1 · x (or -k · x, as k · x), else None."""
    if tree[0] == "neg":
        return tree[1]
    if tree[0] != "mul":
        return None
    coefficient = value_of(tree[1][0])
    if coefficient is None or coefficient >= 0:
        return None
    rest = tree[1][1:]
    if coefficient != -1:
        rest = (("const", str(-coefficient)), *rest)
    return rest[0] if len(rest) == 1 else ("mul", rest)


def namespace(constants: dict[Fraction, str], exact: bool = False, arrays: bool = False) -> dict[str, Any]:
    """What generated code may call and read: math, every registry function (by its name and by the
    name SymPy gives it; on NumPy arrays for ``arrays``) and the module's constants (as floats, or as
    Fractions for exact work)."""
    found: dict[str, Any] = {name: getattr(math, name) for name in dir(math) if not name.startswith("_")}
    found |= NUMERIC_FUNCTIONS
    found |= {name: record.numeric or record.value for name, record in FUNCTIONS.items()}
    if arrays and exact:  # arrays of Fractions: each entry by the registry function, exact where it can be
        import numpy as np

        found |= {name: np.frompyfunc(found[name], 1, 1) for name in FUNCTIONS}
    elif arrays:
        from ..cell.numpy_functions import numpy_function

        found |= {name: numpy_function(record.shown_name) for name, record in FUNCTIONS.items()}
    found |= {name: (value if exact else float(value)) for value, name in constants.items()}
    found["__builtins__"] = {"range": range, "len": len, "float": float, "int": int}
    return found
