"""How big a SymPy expression is as a tree (what printing it costs), measured without walking the tree.

SymPy shares repeated subexpressions, so ``sigmoid(sigmoid(sigmoid(o)))`` differentiated, or an input
used five times per step and unrolled over six steps, is small in memory but exponential as text. The
size is computed over the shared graph with a memo, stopping as soon as it passes the limit.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError

MAX_TREE_SIZE = 20_000
"""The largest expression rnncalc differentiates, prints or compiles (in tree nodes)."""


def tree_size(expr: Any, limit: int = MAX_TREE_SIZE) -> int:
    """Nodes of the expression as a tree; any number above ``limit`` means "too big" (computed fast)."""
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        key = id(node)
        if key not in memo:
            total = 1
            for arg in node.args:
                total += size(arg)
                if total > limit:
                    break
            memo[key] = total
        return memo[key]

    return size(expr)


def check_size(expr: Any, what: str, limit: int = MAX_TREE_SIZE) -> None:
    """Refuse an expression that would be too big to print or compile, naming it."""
    if tree_size(expr, limit) > limit:
        raise InputError(
            f"--cell: {what} grows to more than {limit:,} terms (nested functions repeat their argument); "
            "use a smaller cell"
        )
