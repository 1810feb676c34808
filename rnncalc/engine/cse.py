"""Common subexpressions: what several formulas of one step share is computed once (1 - σ, 1 - tanh²)."""

from __future__ import annotations

from collections import Counter

from ..cell.tree import Tree, children, slot, value_of

SHARED = "_shared"
"""The prefix of the temporaries that hold shared subexpressions."""


def _count(tree: Tree, counts: Counter[Tree]) -> None:
    """Count every compound subtree occurrence."""
    if _trivial(tree):
        return
    counts[tree] += 1
    for child in children(tree):
        _count(child, counts)


def _trivial(tree: Tree) -> bool:
    """Names, numbers and a name times a number (-x): cheaper to repeat than to store."""
    if tree[0] in ("slot", "const"):
        return True
    if tree[0] == "neg":
        return _trivial(tree[1])
    return (
        tree[0] == "mul" and len(tree[1]) == 2 and value_of(tree[1][0]) is not None and _trivial(tree[1][1])
    )


def _rebuilt(tree: Tree, rewrite: object) -> Tree:
    """The node with its children rewritten."""
    step = rewrite
    tag = tree[0]
    if tag in ("add", "mul"):
        return (tag, tuple(step(t) for t in tree[1]))  # type: ignore[operator]
    if tag == "neg":
        return ("neg", step(tree[1]))  # type: ignore[operator]
    if tag in ("div", "pow"):
        return (tag, step(tree[1]), step(tree[2]))  # type: ignore[operator]
    if tag == "call":
        return ("call", tree[1], step(tree[2]))  # type: ignore[operator]
    return tree


def common(trees: list[Tree]) -> tuple[list[tuple[str, Tree]], list[Tree]]:
    """(temporaries in the order to compute them, the formulas written with them).

    A subtree is taken out when it occurs more often than the largest shared expression around it
    (what is shared only as part of something bigger goes with it).
    """
    counts: Counter[Tree] = Counter()
    for tree in trees:
        _count(tree, counts)
    names: dict[Tree, str] = {}
    order: list[tuple[str, Tree]] = []

    def rewrite(tree: Tree, outer: int) -> Tree:
        if _trivial(tree):
            return tree
        occurs = counts[tree]
        taken = occurs > outer
        rebuilt = _rebuilt(tree, lambda child: rewrite(child, occurs if taken else outer))
        if not taken:
            return rebuilt
        if tree not in names:
            names[tree] = f"{SHARED}{len(names)}"
            order.append((names[tree], rebuilt))
        return slot(names[tree])

    return order, [rewrite(tree, 1) for tree in trees]
