"""The local derivatives of a cell whose values are vectors: Jacobians as products of simple factors.

The same chain rule as for numbers, one rule per operation, but each local derivative ∂k/∂u is a linear
map, kept as a sum of products of three kinds of factor:

* ``("diag", tree)``: multiply entry by entry (dh_t/do_t = diag(h_t ⊙ (1 - h_t)), a number as a number);
* ``("mat", W)``: the parameter matrix W (∂(W · h_{t-1})/∂h_{t-1} = W);
* at the end of a derivative by a parameter, ``("outer", v)``: a matrix W in W · v takes δ ⊗ v, and
  ``("sum",)``: a number multiplying a vector takes the sum of δ ⊙ its partner.

A vector-Jacobian product (reverse mode) applies the factors' transposes in turn; the dense matrix (to
show) multiplies them out. The factor trees are the engine's own derivatives, so nothing here needs SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cell.tree import ONE, Tree, value_of
from ..errors import InputError
from .diff import mul, slope
from .shapes import Shape

Factor = tuple[Any, ...]
Term = tuple[Factor, ...]
Map = tuple[Term, ...]
IDENTITY: Term = ()


def _prefix(factor: Factor | None, terms: Map) -> Map:
    """Every term with a factor put in front (diagonal factors next to each other merged)."""
    if factor is None:
        return terms
    found = []
    for term in terms:
        if term and factor[0] == "diag" and term[0][0] == "diag":
            merged = mul(factor[1], term[0][1])
            found.append((("diag", merged), *term[1:]) if merged != ONE else term[1:])
        else:
            found.append((factor, *term))
    return tuple(found)


def _diag(tree: Tree) -> Factor | None:
    """An entry-by-entry factor, or None when it is 1."""
    return None if tree == ONE else ("diag", tree)


def derivative(tree: Tree, by: str, shapes: dict[str, Shape]) -> Map:
    """∂tree/∂by as a linear map (the empty map when the tree does not read ``by``)."""
    tag = tree[0]
    if tag == "slot":
        return (IDENTITY,) if tree[1] == by else ()
    if tag == "const":
        return ()
    if tag == "add":
        return tuple(term for child in tree[1] for term in derivative(child, by, shapes))
    if tag == "mul":
        factors = tree[1]
        found: list[Term] = []
        for i, factor in enumerate(factors):
            inner = derivative(factor, by, shapes)
            if inner:
                others = mul(*factors[:i], *factors[i + 1 :])
                found += _prefix(_diag(others), inner)
        return tuple(found)
    if tag == "matvec":
        matrix, vector = tree[1], tree[2]
        if matrix == ("slot", by):
            return ((("outer", vector),),)
        return _prefix(("mat", matrix[1]), derivative(vector, by, shapes))
    if tag == "vecmat":  # v · W: the Jacobian by v is Wᵀ, W's own gradient v ⊗ δ
        vector, matrix = tree[1], tree[2]
        if matrix == ("slot", by):
            return ((("outer_left", vector),),)
        return _prefix(("matT", matrix[1]), derivative(vector, by, shapes))
    if tag == "neg":
        return _prefix(("diag", ("const", "-1")), derivative(tree[1], by, shapes))
    if tag == "pow":
        base, exponent = tree[1], tree[2]
        number = value_of(exponent)
        if number is None:
            raise InputError(
                "on vectors a power must be a number (h**2, x**0.5), not a parameter or a quantity; "
                "write the power out, or use scalars"
            )
        rule = (
            mul(exponent, ("pow", base, ("const", str(number - 1)))) if number != 2 else mul(exponent, base)
        )
        return _prefix(_diag(rule), derivative(base, by, shapes))
    if tag == "div":
        top, bottom = tree[1], tree[2]
        first = _prefix(_diag(("pow", bottom, ("const", "-1"))), derivative(top, by, shapes))
        second = _prefix(
            ("diag", mul(("const", "-1"), top, ("pow", bottom, ("const", "-2")))),
            derivative(bottom, by, shapes),
        )
        return first + second
    if tag == "call":
        return _prefix(_diag(slope(tree[1], tree[2])), derivative(tree[2], by, shapes))
    raise ValueError(f"not a formula node: {tag!r}")


def by_parameter(tree: Tree, name: str, shapes: dict[str, Shape], result: Shape) -> Map:
    """∂tree/∂θ for a parameter: a number reaching a vector sums δ ⊙ its partner at the end."""
    terms = derivative(tree, name, shapes)
    if shapes.get(name) == () and result != ():
        return tuple((*term, ("sum",)) for term in terms)
    return terms


def own(terms: Map, tree: Tree, name: str) -> Map:
    """Where the whole formula is a function (h = tanh(o)), its value in a factor is the name itself."""
    if tree[0] != "call":
        return terms
    from .diff import replaced

    return tuple(
        tuple(("diag", replaced(f[1], tree, ("slot", name))) if f[0] == "diag" else f for f in term)
        for term in terms
    )


def trees_of(terms: Map) -> list[Tree]:
    """The trees a map's factors are computed from, each once (in order)."""
    found: list[Tree] = []
    for term in terms:
        for factor in term:
            if factor[0] in ("diag", "outer", "outer_left") and factor[1] not in found:
                found.append(factor[1])
    return found


@dataclass(frozen=True)
class Jacobian:
    """One local derivative at one step: each term's factors with their values."""

    terms: tuple[tuple[tuple[str, Any], ...], ...]
    size: tuple[int, int]

    def vjp(self, upstream: Any) -> Any:
        """upstream · J (J transposed times a column): the reverse-mode product."""
        total: Any = None
        for term in self.terms:
            value = upstream
            for kind, factor in term:
                if kind == "diag":
                    value = value * factor
                elif kind == "mat":
                    value = factor.T @ value
                elif kind == "matT":
                    value = factor @ value
                elif kind == "outer_left":
                    value = np.outer(factor, value)
                elif kind == "outer":
                    value = np.outer(value, factor)
                else:  # sum
                    value = np.sum(value)
            total = value if total is None else total + value
        return total

    def jvp(self, tangent: Any) -> Any:
        """J · tangent, each column of the tangent (a matrix of m columns) carried forward: the
        forward-mode product. A parameter matrix W's tangent has one row per entry of W, row by row."""
        total: Any = None
        for term in self.terms:
            value = tangent
            for kind, factor in reversed(term):
                if kind == "diag":
                    value = value * factor if np.ndim(factor) == 0 else factor[:, None] * value
                elif kind == "mat":
                    value = factor @ value
                elif kind == "matT":
                    value = factor.T @ value
                elif kind == "outer":  # k = W · v: dk_i = Σ_j dW_ij v_j
                    value = np.einsum("rcm,c->rm", value.reshape(-1, len(factor), value.shape[-1]), factor)
                elif kind == "outer_left":  # k = v · W: dk_j = Σ_i v_i dW_ij
                    value = np.einsum("pqm,p->qm", value.reshape(len(factor), -1, value.shape[-1]), factor)
                # sum: a number's tangent reaches every entry alike (broadcast below)
            if value.shape[0] != self.size[0]:
                value = np.broadcast_to(value, (self.size[0], value.shape[-1]))
            total = value if total is None else total + value
        return total

    def dense(self) -> np.ndarray:
        """The Jacobian as a matrix (rows: the quantity's entries, columns: the variable's)."""
        total = np.zeros(self.size)
        for term in self.terms:
            matrix: Any = np.eye(self.size[1]) if not term else None
            for kind, factor in reversed(term):
                step = np.diag(np.broadcast_to(factor, (self.size[0],))) if kind == "diag" else factor
                step = factor.T if kind == "matT" else step
                if kind == "diag" and np.ndim(factor) == 0:
                    step = factor * np.eye(self.size[0] if matrix is None else matrix.shape[0])
                matrix = step if matrix is None else step @ matrix
            total = total + matrix
        return total

    @property
    def diagonal(self) -> Any | None:
        """The diagonal when the Jacobian is one entry-by-entry factor, else None."""
        if len(self.terms) == 1 and len(self.terms[0]) == 1 and self.terms[0][0][0] == "diag":
            return self.terms[0][0][1]
        return None
