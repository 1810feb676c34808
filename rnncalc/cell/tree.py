"""A cell's formulas as plain trees of tuples: what the parser builds, the engine computes and caches keep.

The tags are the template's (``cell.template``): ("slot", name), ("const", "p/q"), ("add", terms),
("mul", factors), ("neg", arg), ("div", numerator, denominator), ("pow", base, exponent),
("call", function, arg). The parser writes a formula as the user typed it, sums and products
flattened, ``-x`` as ``-1 · x`` and ``a / b`` as ``a · b^-1``, which is how SymPy's unevaluated objects
hold it: ``to_sympy`` gives exactly those objects (how a formula is shown is derived from them once, and
shipped or cached as data).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Tree = tuple[Any, ...]

ONE: Tree = ("const", "1")
ZERO: Tree = ("const", "0")
MINUS_ONE: Tree = ("const", "-1")


def slot(name: str) -> Tree:
    """A named value: a quantity, a previous value (h_prev), an input, a parameter, y or g."""
    return ("slot", name)


def const(value: Fraction | int) -> Tree:
    """An exact number."""
    return ("const", str(Fraction(value)))


def value_of(tree: Tree) -> Fraction | None:
    """The number a constant stands for, else None."""
    return Fraction(tree[1]) if tree[0] == "const" else None


def flat(tag: str, left: Tree, right: Tree) -> Tree:
    """A sum or product of two trees, flattened (a + b + c has three terms), as the parser builds them."""
    items = [*(left[1] if left[0] == tag else (left,)), *(right[1] if right[0] == tag else (right,))]
    return (tag, tuple(items))


def children(tree: Tree) -> tuple[Tree, ...]:
    """The subtrees of a node."""
    tag = tree[0]
    if tag in ("add", "mul"):
        return tuple(tree[1])
    if tag in ("neg",):
        return (tree[1],)
    if tag in ("div", "pow", "matvec", "vecmat"):
        return (tree[1], tree[2])
    if tag == "call":
        return (tree[2],)
    return ()


def uses(tree: Tree) -> frozenset[str]:
    """The names a formula reads."""
    if tree[0] == "slot":
        return frozenset((tree[1],))
    found: frozenset[str] = frozenset()
    for child in children(tree):
        found |= uses(child)
    return found


def functions(tree: Tree) -> frozenset[str]:
    """The functions a formula calls."""
    own = frozenset((tree[1],)) if tree[0] == "call" else frozenset()
    for child in children(tree):
        own |= functions(child)
    return own


def substitute(tree: Tree, binding: dict[str, Tree]) -> Tree:
    """The tree with the named slots replaced."""
    tag = tree[0]
    if tag == "slot":
        return binding.get(tree[1], tree)
    if tag in ("add", "mul"):
        return (tag, tuple(substitute(t, binding) for t in tree[1]))
    if tag == "neg":
        return ("neg", substitute(tree[1], binding))
    if tag in ("div", "pow"):
        return (tag, substitute(tree[1], binding), substitute(tree[2], binding))
    if tag == "call":
        return ("call", tree[1], substitute(tree[2], binding))
    return tree


def size(tree: Tree, seen: set[int] | None = None) -> int:
    """The number of nodes, each shared subtree counted once (how much work a formula is)."""
    seen = set() if seen is None else seen
    if id(tree) in seen:
        return 0
    seen.add(id(tree))
    return 1 + sum(size(child, seen) for child in children(tree))


def to_sympy(tree: Tree, symbols: dict[str, Any] | None = None) -> Any:
    """The SymPy object of a tree, unevaluated as the parser built it (symbols real, by name)."""
    import sympy

    from .sympy_functions import sympy_function

    symbols = {} if symbols is None else symbols

    def build(node: Tree) -> Any:
        tag = node[0]
        if tag == "slot":
            name = node[1]
            if name not in symbols:
                symbols[name] = sympy.Symbol(name, real=True)
            return symbols[name]
        if tag == "const":
            value = Fraction(node[1])
            return sympy.Rational(value.numerator, value.denominator)
        if tag == "add":
            return sympy.Add(*(build(t) for t in node[1]), evaluate=False)
        if tag == "mul":
            factors = [build(t) for t in node[1]]
            if all(f.is_Number for f in factors):  # -1·0 left unevaluated is "zero but not even" to SymPy:
                return sympy.Mul(*factors)  # InconsistentAssumptions when it checks in that (random) order
            return sympy.Mul(*factors, evaluate=False)
        if tag == "neg":
            return sympy.Mul(-1, build(node[1]), evaluate=False)
        if tag == "pow":
            return sympy.Pow(build(node[1]), build(node[2]), evaluate=False)
        if tag == "div":
            return sympy.Mul(build(node[1]), sympy.Pow(build(node[2]), -1, evaluate=False), evaluate=False)
        if tag == "call":
            return sympy_function(node[1])(build(node[2]))
        raise ValueError(f"not a formula node: {tag!r}")

    return build(tree)


class Formula:
    """A tree with Python's arithmetic, so a formula written against a math namespace (``m.exp(-z)``,
    ``(y - g) ** 2``) builds its tree: the registries' one definition of each function, derivative and
    loss term gives the engine's trees too."""

    __slots__ = ("tree",)

    def __init__(self, tree: Tree) -> None:
        self.tree = tree

    @staticmethod
    def of(value: Formula | int | Fraction) -> Tree:
        """A formula's tree, or a number's."""
        return value.tree if isinstance(value, Formula) else const(value)

    def __add__(self, other: Formula | int | Fraction) -> Formula:
        return Formula(flat("add", self.tree, Formula.of(other)))

    def __radd__(self, other: int | Fraction) -> Formula:
        return Formula(flat("add", const(other), self.tree))

    def __sub__(self, other: Formula | int | Fraction) -> Formula:
        return Formula(flat("add", self.tree, ("mul", (MINUS_ONE, Formula.of(other)))))

    def __rsub__(self, other: int | Fraction) -> Formula:
        return Formula(flat("add", const(other), ("mul", (MINUS_ONE, self.tree))))

    def __mul__(self, other: Formula | int | Fraction) -> Formula:
        return Formula(flat("mul", self.tree, Formula.of(other)))

    def __rmul__(self, other: int | Fraction) -> Formula:
        return Formula(flat("mul", const(other), self.tree))

    def __truediv__(self, other: Formula | int | Fraction) -> Formula:
        return Formula(flat("mul", self.tree, ("pow", Formula.of(other), MINUS_ONE)))

    def __rtruediv__(self, other: int | Fraction) -> Formula:
        return Formula(flat("mul", const(other), ("pow", self.tree, MINUS_ONE)))

    def __neg__(self) -> Formula:
        return Formula(("mul", (MINUS_ONE, self.tree)))

    def __pow__(self, exponent: int | Fraction) -> Formula:
        return Formula(("pow", self.tree, const(exponent)))


class TreeNamespace:
    """The math namespace whose functions build calls: ``m.log(y)`` is ("call", "log", y)."""

    def __getattr__(self, name: str) -> Any:
        """A registry function (or exp, log, ...) applied to a formula."""
        return lambda arg: Formula(("call", name, Formula.of(arg)))


TREES = TreeNamespace()


def evaluate(tree: Tree, values: dict[str, float]) -> float:
    """A tree's (or a template's) value in floats, each name looked up in ``values``."""
    from .functions import BY_SHOWN_NAME, FUNCTIONS

    tag = tree[0]
    if tag == "slot":
        return values[tree[1]]
    if tag == "const":
        return float(Fraction(tree[1]))
    if tag == "add":
        return sum(evaluate(t, values) for t in tree[1])
    if tag == "mul":
        product = 1.0
        for factor in tree[1]:
            product *= evaluate(factor, values)
        return product
    if tag == "neg":
        return -evaluate(tree[1], values)
    if tag == "div":
        return evaluate(tree[1], values) / evaluate(tree[2], values)
    if tag == "pow":
        return float(evaluate(tree[1], values) ** evaluate(tree[2], values))
    if tag == "call":
        record = FUNCTIONS.get(tree[1]) or BY_SHOWN_NAME[tree[1]]
        return float(record.value(evaluate(tree[2], values)))
    raise ValueError(f"{tag} has no real value")


SYMBOLS = {"add": "+", "mul": "*", "neg": "-", "div": "/", "pow": "^"}


def compact(tree: Tree) -> str:
    """A short, unambiguous text of a tree (prefix notation): (+ (* Wi x) (* Wh h_prev) b)."""
    tag = tree[0]
    if tag in ("slot", "const"):
        return tree[1]
    if tag == "call":
        return f"({tree[1]} {compact(tree[2])})"
    return f"({SYMBOLS[tag]} {' '.join(compact(child) for child in children(tree))})"
