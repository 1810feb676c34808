"""A cell of vectors: its array trees, every local derivative as a Jacobian, the generated sweep.

The equations are the parsed cell's, read with the shapes ``shapes.resolve`` found; each local derivative
∂k/∂u is a linear map of simple factors (``linear``), whose entry-by-entry factors the sweep computes at
every step beside the values, the loss term and dL_t/dy_t. The same plan and the same evaluation as for
numbers then take the derivation's named derivatives, each product a vector-Jacobian product.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..cell.equations import CellSpec
from ..cell.states import PREV
from ..cell.tree import TREES, ZERO, Formula, Tree, slot
from ..errors import InputError
from .diff import derivative as scalar_derivative
from .diff import mul
from .linear import Jacobian, Map, by_parameter, derivative, own, trees_of
from .printer import Printer, namespace
from .shapes import Shape

SOFTMAX_CE = "softmax-ce"


@dataclass(eq=False)
class ArrayCell:
    """A cell of vectors ready to compute: shapes, array trees, Jacobian maps, the loss on vectors."""

    spec: CellSpec
    shapes: dict[str, Shape]
    trees: dict[str, Tree]
    maps: dict[tuple[str, str], Map]
    factors: list[Tree]
    loss: str
    weight: Fraction
    term: Tree | None
    slope: Tree | None
    compiled: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters, in order."""
        return self.spec.params

    @property
    def states(self) -> tuple[str, ...]:
        """The states."""
        return self.spec.states

    def equation(self, name: str) -> Tree:
        """The tree of the equation of ``name``, as the cell computes it (matrix products told apart)."""
        return self.trees[name]

    @property
    def loss_tree(self) -> Tree | None:
        """One step's weighted loss term, entry by entry (None for softmax cross-entropy, taken whole)."""
        if self.term is None:
            return None
        return mul(("const", str(self.weight)), self.term) if self.weight != 1 else self.term


@functools.lru_cache(maxsize=32)
def array_cell(
    spec: CellSpec, shapes: tuple[tuple[str, Shape], ...], loss: str, weight: Fraction, term: str | None
) -> ArrayCell:
    """The cell with these shapes, differentiated once per cell, shapes and loss."""
    from .shapes import resolve

    table = dict(shapes)
    resolved = resolve([(e.name, e.grouped) for e in spec.equations], table, spec.states)
    maps: dict[tuple[str, str], Map] = {}
    for e in spec.equations:
        tree = resolved.trees[e.name]
        for u in e.uses:
            if u in spec.params:
                found = by_parameter(tree, u, resolved.shapes, resolved.shapes[e.name])
            else:
                found = derivative(tree, u, resolved.shapes)
            maps[e.name, u] = own(found, tree, e.name)
    factors = trees_of(tuple(term for m in maps.values() for term in m))
    loss_term, loss_slope = _loss_trees(loss, term)
    return ArrayCell(
        spec, resolved.shapes, resolved.trees, maps, factors, loss, weight, loss_term, loss_slope
    )


def _loss_trees(loss: str, term: str | None) -> tuple[Tree | None, Tree | None]:
    """One output entry's loss term (weight not included) and its derivative by y, entry by entry."""
    if loss == SOFTMAX_CE:
        return None, None
    if term is not None:
        from .graph import parse_loss_term

        tree = parse_loss_term(term)
    else:
        from ..cell.losses import LOSSES

        tree = Formula.of(LOSSES[loss].term(TREES, Formula(slot("y")), Formula(slot("g"))))
    return tree, scalar_derivative(tree, "y")


def printer(cell: ArrayCell) -> Printer:
    """NumPy source of the cell's trees: names v_, previous values q_, inputs i_, parameters p_."""
    variables = {"g": "g"} | {name: f"v_{name}" for name in cell.spec.names}
    variables |= {name + PREV: f"q_{name}" for name in cell.spec.names}
    variables |= {s: f"i_{s}" for s in cell.spec.inputs}
    return Printer(lambda name: variables.get(name, f"p_{name}"), arrays=True)


def sweep_source(cell: ArrayCell) -> tuple[str, dict[Fraction, str]]:
    """``sweep(streams, gs, ms, init, params, S, progress)``: every value, every Jacobian factor, each
    step's loss term and dL_t/dy_t, step by step (a step without a target adds nothing)."""
    code = printer(cell)
    names = cell.spec.names
    softmax = cell.loss == SOFTMAX_CE
    loss_lines = (
        [
            "        lp = log_softmax(v_y); p = S(exp(lp)); P.append(p)",
            "        DLDY.append(S(w * (p - g)) if m else 0.0 * p)",
            "        LT.append(-w * float(np.sum(g * lp)) if m else 0.0)",
        ]
        if softmax
        else [
            f"        DLDY.append(S(w * ({code(cell.slope or ZERO)}) + 0.0 * v_y) if m else 0.0 * v_y)",
            f"        LT.append(w * float(np.sum({code(cell.term or ZERO)})) if m else 0.0)",
        ]
    )
    lines = [
        "def sweep(streams, gs, ms, init, params, S, progress, w):",
        f"    {''.join(f'p_{p}, ' for p in cell.params)}= params" if cell.params else "    pass",
        *(f"    X_{s} = streams[{s!r}]" for s in cell.spec.inputs),
        *(f"    q_{s} = S(init[{s!r}])" for s in cell.states),
        *(f"    V_{k} = []" for k in names),
        *(f"    F_{i} = []" for i in range(len(cell.factors))),
        "    DLDY = []; LT = []; P = []",
        "    for t in range(len(gs)):",
        "        g = gs[t]; m = ms[t]",
        *(f"        i_{s} = X_{s}[t]" for s in cell.spec.inputs),
        *(f"        v_{e.name} = S({code(cell.trees[e.name])})" for e in cell.spec.equations),
        *(f"        V_{k}.append(v_{k})" for k in names),
        *(f"        F_{i}.append(S({code(tree)}))" for i, tree in enumerate(cell.factors)),
        *loss_lines,
        *(f"        q_{s} = v_{s}" for s in cell.states),
        *(["        if t % 4096 == 4095: progress(t + 1)"]),
        "    return {",
        f"        'values': {{{', '.join(f'{k!r}: V_{k}' for k in names)}}},",
        f"        'factors': [{', '.join(f'F_{i}' for i in range(len(cell.factors)))}],",
        "        'dL_dy': DLDY, 'loss_terms': LT, 'p': P,",
        "    }",
    ]
    return "\n".join(lines) + "\n", code.constants


def log_softmax(y: np.ndarray) -> np.ndarray:
    """log softmax(y), by the log-sum-exp: exact for any size of y (no clamping)."""
    top = np.max(y)
    return y - top - np.log(np.sum(np.exp(y - top)))


def compiled_sweep(cell: ArrayCell, exact: bool = False) -> Callable[..., dict[str, Any]]:
    """The compiled sweep of an array cell (made once; ``exact``: on arrays of Fractions, the constants
    as Fractions)."""
    key = "exact sweep" if exact else "sweep"
    if key not in cell.compiled:
        text, constants = sweep_source(cell)
        scope = namespace(constants, exact=exact, arrays=True)
        scope |= {"np": np, "log_softmax": log_softmax, "float": float}
        exec(compile(text, "<rnncalc array sweep>", "exec"), scope)  # generated here, from parsed trees
        cell.compiled[key] = scope["sweep"]
    return cell.compiled[key]


def kinked(cell: ArrayCell) -> bool:
    """The cell calls a function whose derivative jumps (relu, abs): where it is decided matters."""
    from ..cell.functions import FUNCTIONS
    from ..cell.tree import functions

    trees = (*cell.trees.values(), *cell.factors)
    return any(FUNCTIONS[f].kink for tree in trees for f in functions(tree))


def jacobians(
    cell: ArrayCell, swept: dict[str, Any], params: dict[str, np.ndarray]
) -> dict[tuple[str, str], list[Jacobian]]:
    """Every local derivative at every step, assembled from the factors the sweep computed."""
    index = {tree: i for i, tree in enumerate(cell.factors)}
    factor_values = swept["factors"]
    n = len(swept["dL_dy"])
    found: dict[tuple[str, str], list[Jacobian]] = {}
    for (k, u), terms in cell.maps.items():
        size = (_length(cell.shapes[k]), _length(_shape_of(u, cell, params)))
        steps = []
        for t in range(n):
            steps.append(
                Jacobian(
                    tuple(tuple(_factor(f, index, factor_values, params, t) for f in term) for term in terms),
                    size,
                )
            )
        found[k, u] = steps
    return found


def _factor(
    factor: tuple[Any, ...], index: dict[Tree, int], values: list[list[Any]], params: dict[str, Any], t: int
) -> tuple[str, Any]:
    """One factor's kind and its value at step t."""
    kind = factor[0]
    if kind in ("diag", "outer", "outer_left"):
        return kind, values[index[factor[1]]][t]
    if kind in ("mat", "matT"):
        return kind, params[factor[1]]
    return kind, None


def _length(shape: Shape) -> int:
    """How many entries a value of this shape has as a column (a number: 1)."""
    return int(np.prod(shape)) if shape else 1


def _shape_of(name: str, cell: ArrayCell, params: dict[str, np.ndarray]) -> Shape:
    """A name's shape: a parameter's, an input's, a quantity's or a previous state's."""
    if name in params:
        return params[name].shape
    if name not in cell.shapes:
        raise InputError(f"no shape for {name}")
    return cell.shapes[name]


def evaluate_array(tree: Tree, values: dict[str, Any]) -> Any:
    """An array tree's value in floats (matrix products with @, functions entry by entry)."""
    from ..cell.functions import FUNCTIONS
    from ..cell.numpy_functions import numpy_function
    from ..cell.tree import children

    tag = tree[0]
    if tag == "slot":
        return values[tree[1]]
    if tag == "const":
        return float(Fraction(tree[1]))
    found = [evaluate_array(child, values) for child in children(tree)]
    if tag == "add":
        return functools.reduce(lambda a, b: a + b, found)
    if tag == "mul":
        return functools.reduce(lambda a, b: a * b, found)
    if tag in ("matvec", "vecmat"):
        return found[0] @ found[1]
    if tag == "neg":
        return -found[0]
    if tag == "div":
        return found[0] / found[1]
    if tag == "pow":
        return found[0] ** found[1]
    return numpy_function(FUNCTIONS[tree[1]].shown_name)(found[0])
