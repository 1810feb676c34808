"""Compile a cell into one Python function that sweeps over time: the numeric evaluator's hot loop.

Each SymPy rule is printed as Python code once; the loop body is plain arithmetic on local
variables, so a step costs a few microseconds and the cost grows linearly with n.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import sympy
from sympy.printing.pycode import PythonCodePrinter

from .functions import NUMERIC_FUNCTIONS
from .rules import STEP_SYMBOLS, Cell

INITIAL_STATE = "h0"
STEP_NAMES = frozenset(s.name for s in STEP_SYMBOLS)


class _CellCodePrinter(PythonCodePrinter):
    """Python code for cell expressions: parameters as p_<name>, activations called by name."""

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        """Step symbols keep their names; parameters get a prefix that no local variable has."""
        return expr.name if expr.name in STEP_NAMES else f"p_{expr.name}"

    def _print_Function(self, expr: sympy.Function) -> str:
        """sigmoid inline and stable for any sign; unit_step(o), relu(o) as plain calls."""
        name = type(expr).__name__
        if name == "sigmoid" and expr.args[0].is_Symbol:  # inline only where the argument is one name
            z = self._print(expr.args[0])
            return f"(1/(1 + exp(-({z}))) if ({z}) >= 0 else exp({z})/(1 + exp({z})))"
        if name in NUMERIC_FUNCTIONS:
            return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"
        return super()._print_Function(expr)


def _code(expr: sympy.Expr) -> str:
    """One expression as Python source."""
    return _CellCodePrinter({"fully_qualified_modules": False}).doprint(expr)


def sweep_source(
    cell: Cell, rounding: bool, with_progress: bool = False, lean: bool = False, masked: bool = False
) -> str:
    """The source of ``sweep(xs, gs, h0, params, settle, progress, ms)`` for this cell.

    ``lean`` records only the forward pass and the gradient terms (enough for the numbers);
    otherwise every local derivative is recorded for the step-by-step derivation. ``masked``: ``ms``
    holds 1 for a step with a target and 0 for one without, whose loss term and dL_t/dy_t are 0.
    """
    mask = (lambda code: f"m * ({code})") if masked else (lambda code: code)
    carried = [*cell.do_dparam, INITIAL_STATE]
    wrap = (lambda code: f"S({code})") if rounding else (lambda code: code)
    full = not lean
    lines = [
        "def sweep(xs, gs, h0, params, S, progress, ms=None):",
        f"    {''.join('p_' + p + ', ' for p in cell.params)}= params" if cell.params else "    pass",
        "    H = [S(h0)]; O = []; Y = []; LT = []; DLDY = []; DYDH = []; DHDO = []; DODH = []; PX = []",
        *(f"    D_{p} = []; d_{p} = 0.0" for p in carried),
        *(f"    P_{p} = []" for p in cell.do_dparam),
        *(f"    DY_{p} = []" for p in cell.dy_dparam),
        *(f"    T_{p} = []" for p in [*cell.params, INITIAL_STATE]),
        "    h_prev = H[0]; dhdo_prev = 0.0",
        "    for t, (x, g, m) in enumerate(zip(xs, gs, ms)):"
        if masked
        else "    for t, (x, g) in enumerate(zip(xs, gs)):",
        f"        o = {wrap(_code(cell.o.expr))}",
        f"        h = {wrap(_code(cell.h.expr))}",
        f"        y = {wrap(_code(cell.y.expr))}",
        f"        dL_dy = {wrap(mask(_code(cell.dL_dy.expr)))}",
        f"        dy_dh = {wrap(_code(cell.dy_dh.expr))}",
        f"        dh_do = {wrap(_code(cell.dh_do.expr))}",
        f"        do_dhprev = {wrap(_code(cell.do_dhprev.expr))}",
        "        back = do_dhprev * dhdo_prev",
        *(f"        e_{p} = {_code(rule.expr)}" for p, rule in cell.do_dparam.items()),
        *(f"        d_{p} = {wrap(f'e_{p} + back * d_{p}')}" for p in cell.do_dparam),
        f"        d_{INITIAL_STATE} = do_dhprev if t == 0 else {wrap(f'back * d_{INITIAL_STATE}')}",
        *(f"        dy_{p} = {wrap(_code(rule.expr))}" for p, rule in cell.dy_dparam.items()),
        "        chain = dL_dy * dy_dh * dh_do",
        *(f"        T_{p}.append({_term(cell, p)})" for p in [*cell.params, INITIAL_STATE]),
        f"        LT.append({mask(_code(cell.loss.expr))})",
        "        O.append(o); H.append(h); Y.append(y)",
        *(
            [
                "        DLDY.append(dL_dy); DYDH.append(dy_dh); DHDO.append(dh_do); DODH.append(do_dhprev)",
                f"        PX.append({_code(cell.do_dx.expr)})",
                *(f"        P_{p}.append(e_{p})" for p in cell.do_dparam),
                *(f"        D_{p}.append(d_{p})" for p in carried),
                *(f"        DY_{p}.append(dy_{p})" for p in cell.dy_dparam),
            ]
            if full
            else []
        ),
        "        h_prev = h; dhdo_prev = dh_do",
        *(["        if t % 4096 == 4095: progress(t + 1)"] if with_progress else []),
        "    return {",
        "        'o': O, 'h': H, 'y': Y, 'loss_terms': LT, 'dL_dy': DLDY, 'dy_dh': DYDH, 'dh_do': DHDO, "
        "'do_dhprev': DODH,",
        f"        'do_d': {{{', '.join(f'{p!r}: D_{p}' for p in carried)}}},",
        f"        'explicit': {{{', '.join(f'{p!r}: P_{p}' for p in cell.do_dparam)}}}, 'do_dx': PX,",
        f"        'dy_d': {{{', '.join(f'{p!r}: DY_{p}' for p in cell.dy_dparam)}}},",
        f"        'terms': {{{', '.join(f'{p!r}: T_{p}' for p in [*cell.params, INITIAL_STATE])}}},",
        "    }",
    ]
    return "\n".join(lines) + "\n"


def _term(cell: Cell, p: str) -> str:
    """Step t's share of dL/dθ: through the state, through the output, or both."""
    parts = []
    if p in cell.do_dparam or p == INITIAL_STATE:
        parts.append(f"chain * d_{p}")
    if p in cell.dy_dparam:
        parts.append(f"dL_dy * dy_{p}")
    return " + ".join(parts) or "0.0"


def compile_sweep(
    cell: Cell, rounding: bool, with_progress: bool = False, lean: bool = False, masked: bool = False
) -> Callable[..., dict[str, Any]]:
    """The compiled sweep function for this cell (compiled once per cell and variant)."""
    key = (rounding, with_progress, lean, masked)
    if key not in cell.compiled:
        cell.compiled[key] = _compile(sweep_source(cell, *key))
    return cell.compiled[key]


MAX_SOURCE = 500_000
"""The longest sweep rnncalc compiles (characters); Python's compiler is slow far below memory limits."""


def _compile(source: str) -> Callable[..., dict[str, Any]]:
    """Execute generated source and return its sweep function."""
    return exec_source(bound_appends(source), "sweep")


APPEND = re.compile(r"\b([A-Za-z_]\w*)\.append\(")


def bound_appends(source: str) -> str:
    """Each list's append looked up once before the loop (L_append = L.append), not at every step."""
    names = sorted(set(APPEND.findall(source)))
    if not names:
        return source
    loop = re.search(r"^(\s*)for ", source, re.M)
    if loop is None:
        return source
    bindings = "".join(f"{loop.group(1)}{name}_append = {name}.append\n" for name in names)
    body = APPEND.sub(lambda match: f"{match.group(1)}_append(", source[loop.start() :])
    return source[: loop.start()] + bindings + body


def exec_source(source: str, function: str) -> Callable[..., Any]:
    """Execute generated source (refusing sources too long to compile fast) and return ``function``."""
    if len(source) > MAX_SOURCE:
        from ..errors import InputError

        raise InputError(
            f"--cell: the cell's rules written out take {len(source):,} characters, more than the "
            f"{MAX_SOURCE:,} rnncalc compiles; use a smaller cell"
        )
    namespace: dict[str, Any] = {name: getattr(math, name) for name in dir(math) if not name.startswith("_")}
    namespace |= NUMERIC_FUNCTIONS
    exec(compile(source, f"<rnncalc {function}>", "exec"), namespace)
    return namespace[function]
