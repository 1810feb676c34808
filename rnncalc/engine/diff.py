"""Derivatives of formula trees: the chain rule, with each function's derivative from its record.

The result is simplified as a person would write it: zero terms dropped, factors of one left out,
numbers multiplied into one leading coefficient (2 · 1/2 · (y - g) is y - g). Where the whole formula is
a function (h = tanh(o)), the function's value in its own derivative is written as the quantity's name
(1 - h^2), as a hand derivation does.
"""

from __future__ import annotations

import functools
from fractions import Fraction

from ..cell.functions import FUNCTIONS
from ..cell.tree import MINUS_ONE, ONE, TREES, ZERO, Formula, Tree, const, slot, value_of


def add(*terms: Tree) -> Tree:
    """A sum without zero terms (nested sums flattened)."""
    kept: list[Tree] = []
    for term in terms:
        kept += term[1] if term[0] == "add" else [term]
    kept = [t for t in kept if t != ZERO]
    if not kept:
        return ZERO
    return kept[0] if len(kept) == 1 else ("add", tuple(kept))


def mul(*factors: Tree) -> Tree:
    """A product: zero if a factor is, numbers gathered into one leading coefficient, ones left out."""
    coefficient, kept = Fraction(1), []
    for factor in factors:
        for item in factor[1] if factor[0] == "mul" else (factor,):
            number = value_of(item)
            if number is None:
                kept.append(item)
            else:
                coefficient *= number
    if coefficient == 0:
        return ZERO
    if not kept:
        return const(coefficient)
    if coefficient != 1:
        kept.insert(0, const(coefficient))
    return kept[0] if len(kept) == 1 else ("mul", tuple(kept))


def power(base: Tree, exponent: Tree) -> Tree:
    """base^exponent, with x^1 = x and x^0 = 1."""
    number = value_of(exponent)
    if number == 1:
        return base
    if number == 0:
        return ONE
    return ("pow", base, exponent)


def slope(function: str, arg: Tree) -> Tree:
    """The derivative of a registry function at ``arg``, from its record (σ' = σ · (1 - σ))."""
    record = FUNCTIONS[function]
    if record.derivative is None:
        raise ValueError(f"the function {function} has no derivative in its record")
    return _simplified(Formula.of(record.derivative(TREES, Formula(arg))))


def _simplified(tree: Tree) -> Tree:
    """A tree rebuilt through the simplifying constructors."""
    tag = tree[0]
    if tag == "add":
        return add(*(_simplified(t) for t in tree[1]))
    if tag == "mul":
        return mul(*(_simplified(t) for t in tree[1]))
    if tag == "pow":
        return power(_simplified(tree[1]), tree[2])
    if tag == "call":
        return ("call", tree[1], _simplified(tree[2]))
    return tree


@functools.lru_cache(maxsize=4096)
def derivative(tree: Tree, by: str) -> Tree:
    """∂tree/∂by, by the chain rule."""
    tag = tree[0]
    if tag == "slot":
        return ONE if tree[1] == by else ZERO
    if tag == "const":
        return ZERO
    if tag == "add":
        return add(*(derivative(t, by) for t in tree[1]))
    if tag == "mul":
        factors = tree[1]
        terms = []
        for i, factor in enumerate(factors):
            inner = derivative(factor, by)
            if inner != ZERO:
                terms.append(mul(*factors[:i], inner, *factors[i + 1 :]))
        return add(*terms)
    if tag == "neg":
        return mul(MINUS_ONE, derivative(tree[1], by))
    if tag == "pow":
        return _power_rule(tree[1], tree[2], by)
    if tag == "div":
        top, bottom = tree[1], tree[2]
        upper = add(mul(derivative(top, by), bottom), mul(MINUS_ONE, top, derivative(bottom, by)))
        return mul(upper, ("pow", bottom, const(-2)))
    if tag == "call":
        inner = derivative(tree[2], by)
        return ZERO if inner == ZERO else mul(slope(tree[1], tree[2]), inner)
    raise ValueError(f"not a formula node: {tag!r}")


def _power_rule(base: Tree, exponent: Tree, by: str) -> Tree:
    """d(b^e): e · b^(e-1) · db for a number e; b^e · (de · log b + e · db / b) otherwise."""
    number = value_of(exponent)
    inner = derivative(base, by)
    if number is not None:
        return ZERO if inner == ZERO else mul(exponent, power(base, const(number - 1)), inner)
    outer = derivative(exponent, by)
    return mul(
        ("pow", base, exponent),
        add(mul(outer, ("call", "log", base)), mul(exponent, inner, ("pow", base, MINUS_ONE))),
    )


def partial(tree: Tree, by: str, own: str | None = None) -> Tree:
    """∂tree/∂by for the equation of ``own``: where the formula is a function call, its value is
    written as ``own`` (∂h/∂o = 1 - h^2 for h = tanh(o))."""
    result = derivative(tree, by)
    if own is not None and tree[0] == "call":
        result = replaced(result, tree, slot(own))
    return result


def replaced(tree: Tree, target: Tree, replacement: Tree) -> Tree:
    """The tree with every copy of ``target`` replaced."""
    if tree == target:
        return replacement
    tag = tree[0]
    if tag in ("add", "mul"):
        return (tag, tuple(replaced(t, target, replacement) for t in tree[1]))
    if tag == "neg":
        return ("neg", replaced(tree[1], target, replacement))
    if tag in ("div", "pow"):
        return (tag, replaced(tree[1], target, replacement), replaced(tree[2], target, replacement))
    if tag == "call":
        return ("call", tree[1], replaced(tree[2], target, replacement))
    return tree
