"""Compile a cell into one Python function that sweeps over time: the numeric evaluator's hot loop.

Each rule's Python code was printed from SymPy once (``codegen``, shipped or cached with the cell's
data); the loop body is plain arithmetic on local
variables, so a step costs a few microseconds and the cost grows linearly with n.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .data import Cell
from .functions import NUMERIC_FUNCTIONS

INITIAL_STATE = "h0"


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
    # d_h0 starts as 1 and dh_0/do_0 as 1, so step 1's back * d_h0 is do_1/dh_0 itself with no test per
    # step; hand rounding keeps the explicit first step (S is applied to every carried value).
    seeded = not rounding
    steps = "zip(xs, gs, ms)" if masked else "zip(xs, gs)"
    names = "x, g, m" if masked else "x, g"
    header = (
        f"    for t, ({names}) in enumerate({steps}):"
        if with_progress or not seeded
        else f"    for {names} in {steps}:"
    )
    lines = [
        "def sweep(xs, gs, h0, params, S, progress, ms=None):",
        f"    {''.join('p_' + p + ', ' for p in cell.params)}= params" if cell.params else "    pass",
        "    H = [S(h0)]; O = []; Y = []; LT = []; DLDY = []; DYDH = []; DHDO = []; DODH = []; PX = []",
        *(f"    D_{p} = []; d_{p} = 0.0" for p in carried),
        *(f"    P_{p} = []" for p in cell.do_dparam),
        *(f"    DY_{p} = []" for p in cell.dy_dparam),
        *(f"    T_{p} = []" for p in [*cell.params, INITIAL_STATE]),
        f"    h_prev = H[0]; dhdo_prev = 1; d_{INITIAL_STATE} = 1"
        if seeded
        else "    h_prev = H[0]; dhdo_prev = 0.0",
        header,
        f"        o = {wrap(cell.o.code)}",
        f"        h = {wrap(cell.h.code)}",
        f"        y = {wrap(cell.y.code)}",
        f"        dL_dy = {wrap(mask(cell.dL_dy.code))}",
        f"        dy_dh = {wrap(cell.dy_dh.code)}",
        f"        dh_do = {wrap(cell.dh_do.code)}",
        f"        do_dhprev = {wrap(cell.do_dhprev.code)}",
        "        back = do_dhprev * dhdo_prev",
        *(f"        e_{p} = {rule.code}" for p, rule in cell.do_dparam.items()),
        *(f"        d_{p} = {wrap(f'e_{p} + back * d_{p}')}" for p in cell.do_dparam),
        f"        d_{INITIAL_STATE} = back * d_{INITIAL_STATE}"
        if seeded
        else f"        d_{INITIAL_STATE} = do_dhprev if t == 0 else {wrap(f'back * d_{INITIAL_STATE}')}",
        *(f"        dy_{p} = {wrap(rule.code)}" for p, rule in cell.dy_dparam.items()),
        "        chain = dL_dy * dy_dh * dh_do",
        *(f"        T_{p}.append({_term(cell, p)})" for p in [*cell.params, INITIAL_STATE]),
        f"        LT.append({mask(cell.loss.code)})",
        "        O.append(o); H.append(h); Y.append(y)",
        *(
            [
                "        DLDY.append(dL_dy); DYDH.append(dy_dh); DHDO.append(dh_do); DODH.append(do_dhprev)",
                f"        PX.append({cell.do_dx.code})",
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
        if lean and not rounding:
            source = reverse_source(cell, with_progress, masked)
        else:
            source = sweep_source(cell, *key)
        cell.compiled[key] = _compile(source)
    return cell.compiled[key]


STORED = {"x": "xs[t]", "h_prev": "H[t]", "h": "H[t + 1]", "o": "O[t]", "y": "Y[t]"}
"""Rules that are one of the step's stored values, read back by index in the backward loop."""
CONSTANT = re.compile(r"^(p_\w+|\d+)$")


def reverse_source(cell: Cell, with_progress: bool, masked: bool) -> str:
    """The numbers only, in reverse mode: the forward pass, then δ_t = dL/do_t from t = n down to 1.

    Each step's share of dL/dθ is δ_t · do_t/dθ (plus dL_t/dy_t · dy_t/dθ), and dL/dh_0 is one term,
    do_1/dh_0 · δ_1: fewer products per step than carrying every do_t/dθ forward (the derivation's
    form, which ``sweep_source`` keeps for --show-steps and hand rounding). A rule that is a stored
    value (x, h_{t-1}, h_t) or a constant (a parameter, a whole number) is not recorded again.
    """
    mask = (lambda code: f"m * ({code})") if masked else (lambda code: code)
    steps = "zip(xs, gs, ms)" if masked else "zip(xs, gs)"
    names = "x, g, m" if masked else "x, g"
    header = (
        f"    for t, ({names}) in enumerate({steps}):" if with_progress else f"    for {names} in {steps}:"
    )
    needs = {"dy_dh": cell.dy_dh.code, "do_dhprev": cell.do_dhprev.code}
    needs |= {f"e_{p}": rule.code for p, rule in cell.do_dparam.items()}
    needs |= {f"dy_{p}": rule.code for p, rule in cell.dy_dparam.items()}
    recorded = {name: code for name, code in needs.items() if code not in STORED and not CONSTANT.match(code)}

    def at(name: str) -> str:
        code = needs[name]
        if name in recorded:
            return f"R_{name}[t]"
        return STORED.get(code, code)

    same = {p: "DLDY" for p in cell.params if p not in cell.do_dparam and at(f"dy_{p}") == "1"}
    terms = ", ".join(f"{p!r}: {same.get(p, f'T_{p}')}" for p in cell.params)

    def term(p: str) -> str:
        parts = []
        if p in cell.do_dparam:
            parts.append("delta" if at(f"e_{p}") == "1" else f"delta * {at(f'e_{p}')}")
        if p in cell.dy_dparam:
            parts.append("dL_dy" if at(f"dy_{p}") == "1" else f"dL_dy * {at(f'dy_{p}')}")
        return " + ".join(parts) or "0.0"

    lines = [
        "def sweep(xs, gs, h0, params, S, progress, ms=None):",
        f"    {''.join('p_' + p + ', ' for p in cell.params)}= params" if cell.params else "    pass",
        "    H = [h0]; O = []; Y = []; LT = []; DLDY = []; DHDO = []",
        *(f"    R_{name} = []" for name in recorded),
        "    h_prev = h0",
        header,
        f"        o = {cell.o.code}",
        f"        h = {cell.h.code}",
        f"        y = {cell.y.code}",
        f"        DLDY.append({mask(cell.dL_dy.code)})",
        f"        DHDO.append({cell.dh_do.code})",
        *(f"        R_{name}.append({code})" for name, code in recorded.items()),
        f"        LT.append({mask(cell.loss.code)})",
        "        O.append(o); H.append(h); Y.append(y)",
        "        h_prev = h",
        *(["        if t % 4096 == 4095: progress(t + 1)"] if with_progress else []),
        "    n = len(O); carried = 0.0",
        *(f"    T_{p} = [0.0] * n" for p in cell.params if p not in same),
        "    for t in range(n - 1, -1, -1):",
        "        dL_dy = DLDY[t]",
        f"        delta = DHDO[t] * (dL_dy * {at('dy_dh')} + carried)",
        *(f"        T_{p}[t] = {term(p)}" for p in cell.params if p not in same),
        f"        carried = {at('do_dhprev')} * delta",
        "    return {",
        "        'o': O, 'h': H, 'y': Y, 'loss_terms': LT, 'dL_dy': [], 'dy_dh': [], 'dh_do': [],",
        "        'do_dhprev': [], 'do_d': {}, 'explicit': {}, 'do_dx': [], 'dy_d': {},",
        f"        'terms': {{{terms}, {INITIAL_STATE!r}: [carried]}},",
        "    }",
    ]
    return "\n".join(lines) + "\n"


MAX_SOURCE = 500_000
"""The longest sweep rnncalc compiles (characters); Python's compiler is slow far below memory limits."""


def _compile(source: str) -> Callable[..., dict[str, Any]]:
    """Execute generated source and return its sweep function."""
    return exec_source(bound_appends(inline_simple(source)), "sweep")


SIMPLE = re.compile(r"^ {8}((?:dy_dh|do_dhprev|e_\w+|dy_\w+)) = ([A-Za-z_]\w*|\d+)$", re.M)


def inline_simple(source: str) -> str:
    """A local that is only another name or a whole number (dy_dh = p_a, e_b = 1) is used in its place."""
    loop = re.search(r"^ +for .*$", source, re.M)
    end = source.find("\n    return ")
    if loop is None or end < 0:
        return source
    body = source[loop.end() : end]
    for name, value in SIMPLE.findall(body):
        body = re.sub(rf"^ {{8}}{name} = {re.escape(value)}\n", "", body, flags=re.M)
        body = re.sub(rf"\b{name}\b", value, body)
    return source[: loop.end()] + body + source[end:]


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
