"""The shapes of a cell's values when they are vectors and matrices, and what each product means.

A value is a number (shape ()), a vector (n,) or, for a parameter only, a matrix (m, n). In a product
written left to right, a number scales, two vectors of one length multiply entry by entry (⊙), and a
matrix times a vector is the matrix product (W · x): the parser keeps products grouped as typed, so
``Uc*(r*h_prev)`` is U_c · (r ⊙ h_{t-1}). ``resolve`` finds every quantity's shape (a state's from its
own equation, as often as needed) and writes each equation as an *array tree*: the same tree, with
matrix products as ("matvec", matrix, vector) nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cell.states import PREV
from ..cell.tree import Tree, children, compact, value_of
from ..errors import InputError

Shape = tuple[int, ...]


def describe(shape: Shape) -> str:
    """2×3, a vector of 2, a number."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]}×{shape[1]}"


@dataclass(frozen=True)
class Resolved:
    """Every name's shape and each equation as an array tree."""

    shapes: dict[str, Shape]
    trees: dict[str, Tree]


class _UnknownError(Exception):
    """A shape not known yet (a state's, before its equation has been read once)."""


def resolve(equations: list[tuple[str, Tree]], known: dict[str, Shape], states: tuple[str, ...]) -> Resolved:
    """Shapes of every quantity, given those of the inputs, parameters and (where given) initial states.

    Equations are read in order; a state whose initial shape is not given takes its equation's shape,
    so the equations are read again until nothing changes.
    """
    shapes = dict(known)
    for _ in range(len(equations) + 2):
        changed = False
        trees: dict[str, Tree] = {}
        for name, tree in equations:
            try:
                shape, array = _walk(tree, shapes, name)
            except _UnknownError:
                continue
            trees[name] = array
            if shapes.get(name) != shape:
                if name in shapes and name + PREV in shapes and shapes[name + PREV] != shape:
                    raise InputError(
                        f"{name} is {describe(shape)} but its previous value {name}_prev is "
                        f"{describe(shapes[name + PREV])}; a state keeps its shape from step to step"
                    )
                shapes[name] = shape
                changed = True
            if name in states and name + PREV not in shapes:
                shapes[name + PREV] = shape
                changed = True
        if not changed and len(trees) == len(equations):
            for state in states:
                if shapes[state] != shapes[state + PREV]:
                    raise InputError(
                        f"{state} is {describe(shapes[state])} but its previous value {state}_prev is "
                        f"{describe(shapes[state + PREV])}; a state keeps its shape from step to step"
                    )
            return Resolved(shapes, trees)
    missing = next(name for name, _ in equations if name not in shapes)
    raise InputError(f"cannot tell the shape of {missing}: give its initial value (--init {missing}=[...])")


def _walk(tree: Tree, shapes: dict[str, Shape], name: str) -> tuple[Shape, Tree]:
    """A node's shape and its array tree; a name not known yet takes the shape its neighbours give it
    (U_z · h_prev: h_prev has as many entries as U_z has columns)."""
    tag = tree[0]
    if tag == "slot":
        if tree[1] not in shapes:
            raise _UnknownError
        return shapes[tree[1]], tree
    if tag == "const":
        return (), tree
    if tag == "mul":
        return _product(tree[1], shapes, name)
    parts = [_known_or_none(child, shapes, name) for child in children(tree)]
    known = [s for s, _ in parts if s is not None]
    if not known:
        raise _UnknownError
    shape = _common(known, name, tag)
    for child, (part, _) in zip(children(tree), parts, strict=True):
        if part is None:
            _hint(child, shape, shapes)
    parts = [_walk(child, shapes, name) for child in children(tree)]
    if tag == "pow" and parts[1][0]:
        raise InputError(f"{name}: an exponent must be a number, not {describe(parts[1][0])}")
    arrays = [a for _, a in parts]
    if tag == "add":
        return shape, ("add", tuple(arrays))
    if tag == "neg":
        return shape, ("neg", arrays[0])
    if tag in ("div", "pow"):
        return shape, (tag, arrays[0], arrays[1])
    return shape, ("call", tree[1], arrays[0])


def _known_or_none(tree: Tree, shapes: dict[str, Shape], name: str) -> tuple[Shape | None, Tree | None]:
    """A node's shape and array tree, or (None, None) while a name in it is not known."""
    try:
        return _walk(tree, shapes, name)
    except _UnknownError:
        return None, None


def _hint(tree: Tree, shape: Shape, shapes: dict[str, Shape]) -> None:
    """A name of unknown shape standing alone (or in an entry-by-entry product of names) takes the
    shape its position needs."""
    if tree[0] == "slot" and tree[1] not in shapes:
        shapes[tree[1]] = shape
    elif tree[0] == "mul" and len(shape) == 1:
        for factor in tree[1]:
            if factor[0] == "slot" and factor[1] not in shapes:
                shapes[factor[1]] = shape
    elif tree[0] in ("call", "neg"):
        _hint(children(tree)[0], shape, shapes)


def _common(shapes: list[Shape], name: str, what: str) -> Shape:
    """The shape of an entry-by-entry operation: numbers go with anything, vectors must match."""
    vectors = {s for s in shapes if s}
    if any(len(s) == 2 for s in vectors):
        raise InputError(
            f"{name}: a matrix can only multiply a vector (W*x); it cannot be added or passed to a function"
        )
    if len(vectors) > 1:
        sizes = " and ".join(describe(s) for s in sorted(vectors))
        raise InputError(f"{name}: {sizes} cannot be combined entry by entry ({what}); check the sizes")
    return next(iter(vectors), ())


def _product(factors: tuple[Tree, ...], shapes: dict[str, Shape], name: str) -> tuple[Shape, Tree]:
    """A product read left to right: numbers scale, a matrix times a vector is the matrix product,
    vectors multiply entry by entry."""
    known = [_known_or_none(factor, shapes, name) for factor in factors]
    for i, (part, _) in enumerate(known):
        if part is not None:
            continue
        before = known[i - 1][0] if i else None
        after = known[i + 1][0] if i + 1 < len(known) else None
        if before is not None and len(before) == 2:
            _hint(factors[i], (before[1],), shapes)  # W · s_prev: s_prev has W's columns
        elif after is not None and len(after) == 2:
            _hint(factors[i], (after[0],), shapes)  # s_prev · W: s_prev has W's rows
        else:
            vectors = [p for p, _ in known if p is not None and len(p) == 1]
            if vectors:
                _hint(factors[i], vectors[0], shapes)
    parts = [_walk(factor, shapes, name) for factor in factors]
    shape, tree = parts[0]
    scalars: list[Tree] = []
    for factor_shape, factor in parts[1:]:
        if len(shape) == 2:
            if len(factor_shape) != 1 or factor_shape[0] != shape[1]:
                raise InputError(
                    f"{name}: {compact(tree)} is {describe(shape)} but multiplies {compact(factor)}, "
                    f"{describe(factor_shape)}: a matrix's columns must match the vector it multiplies"
                )
            shape, tree = (shape[0],), ("matvec", tree, factor)
            continue
        if len(factor_shape) == 2:
            if not shape:  # a number times a matrix: scale what the matrix product gives
                scalars.append(tree)
                shape, tree = factor_shape, factor
                continue
            if shape[0] != factor_shape[0]:
                raise InputError(
                    f"{name}: {compact(tree)} is {describe(shape)} but multiplies {compact(factor)}, "
                    f"{describe(factor_shape)}: a row vector's length must match the matrix's rows"
                )
            shape, tree = (factor_shape[1],), ("vecmat", tree, factor)  # x · W_x, rows as in CS231n
            continue
        shape = _common([shape, factor_shape], name, "a product")
        tree = ("mul", (*(tree[1] if tree[0] == "mul" else (tree,)), factor))
    if len(shape) == 2:
        raise InputError(f"{name}: a matrix must multiply a vector (W*x)")
    if scalars:
        tree = ("mul", (*scalars, tree))
    return shape, tree


def is_matvec(tree: Tree) -> bool:
    """A matrix product node."""
    return tree[0] in ("matvec", "vecmat")


def constant(tree: Tree) -> bool:
    """A number."""
    return value_of(tree) is not None
