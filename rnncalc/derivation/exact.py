"""Exact values with SymPy, each written in terms of earlier named quantities so it stays compact."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from ..errors import RnnCalcError
from .formula import Form, Name, Ref, fill, from_sympy, to_sympy
from .model import COMPACT_OPS, Derivation, Step
from .names import indexed, parameter


def _rational(value: Fraction) -> sympy.Rational:
    """A Fraction as a SymPy Rational."""
    return sympy.Rational(value.numerator, value.denominator)


def _known(derivation: Derivation) -> dict[str, sympy.Expr]:
    """Exact values of the inputs, targets, initial state and parameters."""
    problem = derivation.problem
    known = {indexed("x", i).key: _rational(v) for i, v in enumerate(problem.x or ())}
    known |= {indexed("g", t + 1).key: _rational(v) for t, v in enumerate(problem.g or ()) if v is not None}
    known[indexed("h", 0).key] = _rational(problem.h0)
    known |= {parameter(p).key: _rational(v) for p, v in problem.params.items()}
    for name, values in problem.inputs.items():
        known |= {indexed(name, i).key: _rational(v) for i, v in enumerate(values)}
    known |= {indexed(name, 0).key: _rational(v) for name, v in problem.init.items()}
    return known


def with_exact(derivation: Derivation, progress: Callable[[int, int, str], None] | None = None) -> Derivation:
    """The same derivation, each step carrying its exact value."""
    compact = _known(derivation)
    names: dict[str, Name] = {}
    total, done = sum(len(s.steps) for s in derivation.sections), 0

    def resolve(ref: Ref) -> sympy.Expr:
        """Substitute compact earlier values; keep the names of the others."""
        if ref.name.key in compact:
            return compact[ref.name.key]
        names[ref.name.text] = ref.name
        return sympy.Symbol(ref.name.text, real=True)

    sections = []
    for section in derivation.sections:
        steps = []
        for step in section.steps:
            value = _exact_value(step, resolve, compact)
            _check_digits(value, step)
            if value is not None and sympy.count_ops(value) <= COMPACT_OPS:
                compact[step.target.name.key] = value
            steps.append(dataclasses.replace(step, exact=None if value is None else exact_form(value, names)))
            done += 1
            if progress is not None and done % 256 == 0:
                progress(done, total, "exact values")
        sections.append(dataclasses.replace(section, steps=tuple(steps)))
    return dataclasses.replace(derivation, sections=tuple(sections))


def _exact_value(step: Step, resolve: Any, compact: dict[str, sympy.Expr]) -> sympy.Expr | None:
    """A step's exact value, or None for definitions."""
    if step.definition:
        return None
    if step.rule is None:
        return compact.get(step.target.name.key)
    value = to_sympy(step.rule, resolve)
    return value.rewrite(_written_out(), sympy.exp) if _nesting(value) <= MAX_SPELLED_NESTING else value


def _written_out() -> list[Any]:
    """The functions an exact value writes with exp (sigmoid, softplus, tanh); powers stay powers."""
    from ..cell.functions import REGISTRY
    from ..cell.sympy_functions import sympy_function

    smooth = [f.name for f in REGISTRY if f.activation and not f.kink and f.name != "identity"]
    return [sympy_function(name) for name in smooth]


MAX_SPELLED_NESTING = 2
"""σ(σ(z)) is still written with exp; deeper nests keep their names (written out, they explode)."""
MAX_EXACT_DIGITS = 1000
"""Exact rationals may have at most this many digits (identity cells make them grow every step)."""


def _nesting(expr: sympy.Expr) -> int:
    """How deeply functions are nested in the expression."""
    if not expr.args:
        return 0
    inner = max(_nesting(arg) for arg in expr.args)
    return inner + 1 if isinstance(expr, sympy.Function) else inner


def _check_digits(value: sympy.Expr | None, step: Step) -> None:
    """Refuse exact values whose numbers have grown past MAX_EXACT_DIGITS digits."""
    if value is None:
        return
    bits = max((max(abs(r.p).bit_length(), r.q.bit_length()) for r in value.atoms(sympy.Rational)), default=0)
    if bits * 0.30103 > MAX_EXACT_DIGITS:
        raise RnnCalcError(
            f"--exact: the exact value of {step.target.name.text} has more than {MAX_EXACT_DIGITS:,} digits; "
            "use fewer steps, or leave out --exact"
        )


def exact_form(expr: sympy.Expr, names: dict[str, Name]) -> Form:
    """An exact value as a formula whose named quantities print with their own names."""
    binding: dict[str, Form] = {s.name: Ref(names[s.name], 0.0) for s in expr.free_symbols}
    return fill(from_sympy(expr), binding)
