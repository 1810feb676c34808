"""The check report: one row per gradient with every method's value, ✓ or ✗; and its data."""

from __future__ import annotations

from typing import Any

from ...features.check import CheckReport
from .. import View
from ..printers import TextPrinter
from . import Line, Report, Table, mark


def report(result: CheckReport, view: View) -> Report:
    """One row per gradient: every method's value, the largest relative difference, ✓ or ✗."""
    number = TextPrinter(max(view.digits, 10)).number
    rows = []
    for row in _shown_rows(result):
        values = [
            number(v) if v is not None else "skipped"
            for v in (row.chain, row.finite_difference, row.sympy, row.torch)
        ]
        rows.append(
            [
                (row.label, None),
                *((v, None) for v in values),
                (f"{row.max_rel_diff:.1e}", None),
                mark(row.ok) if row.compared else ("–", None),
            ]
        )
    verdict = _verdict(result)
    tolerance = f"|a - b| <= {result.rtol:g}·max(|a|,|b|) + {result.atol:g}·max(1, |L|)"
    step = f"{result.fd_step:g}·max(1, |θ|)"
    columns = ("gradient", "chain rule", "finite diff.", "SymPy", "PyTorch", "max rel. diff.", "")
    caption = f"{verdict}; tolerance {tolerance}; finite-difference step {step}"
    table = Table("Gradient check", columns, rows, caption)
    notes = [*result.notes]
    if len(rows) < len(result.rows):
        notes.insert(0, f"{len(result.rows) - len(rows):,} more rows agree; -f json lists every one")
    return Report("Gradient check", (table, *(Line(note) for note in notes)), as_data(result))


MAX_ROWS_SHOWN = 60
"""A check of more gradients shows every disagreement and the rows that differ most, up to this many
(a table of 20,000 rows takes Rich half a minute and no one reads it); JSON keeps every row."""


def _shown_rows(result: CheckReport) -> list[Any]:
    """Every row, or past MAX_ROWS_SHOWN the disagreements and then the largest differences, in order."""
    if len(result.rows) <= MAX_ROWS_SHOWN:
        return list(result.rows)
    wrong = [row for row in result.rows if not row.ok]
    ranked = sorted((row for row in result.rows if row.ok), key=lambda row: -row.max_rel_diff)
    keep = {id(row) for row in [*wrong, *ranked][: max(MAX_ROWS_SHOWN, len(wrong))]}
    return [row for row in result.rows if id(row) in keep]


def _verdict(result: CheckReport) -> str:
    """All agree, a disagreement, or how many gradients nothing else confirmed."""
    if not result.ok:
        return "DISAGREEMENT"
    if result.unconfirmed == len(result.rows):
        return "nothing to compare with: every other method was skipped (see below)"
    if result.unconfirmed:
        return f"all compared agree ({result.unconfirmed} gradient(s) no other method gave: –)"
    return "all agree"


def as_data(report: CheckReport) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "ok": report.ok,
        "unconfirmed": report.unconfirmed,
        "loss": report.loss,
        "tolerance": {"rtol": report.rtol, "atol": report.atol, "fd_step": report.fd_step},
        "rows": [
            {
                "key": r.key,
                "name": r.label,
                "chain_rule": r.chain,
                "finite_difference": r.finite_difference,
                "sympy": r.sympy,
                "torch": r.torch,
                "max_rel_diff": r.max_rel_diff,
                "ok": r.ok,
                "compared": r.compared,
            }
            for r in report.rows
        ],
        "notes": list(report.notes),
    }
