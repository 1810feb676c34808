"""Renderers of a check report: a Rich table for the terminal, and JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

from ...features.check import CheckReport
from ..printers import TextPrinter


def table(report: CheckReport, digits: int) -> Table:
    """One row per gradient: every method's value, the largest relative difference, ✓ or ✗."""
    number = TextPrinter(max(digits, 10)).number
    result = Table(title="Gradient check", title_justify="left", title_style="bold")
    for column in ("gradient", "chain rule", "finite diff.", "SymPy", "PyTorch", "max rel. diff.", ""):
        result.add_column(column, justify="left" if column == "gradient" else "right")
    for row in report.rows:
        values = [
            number(v) if v is not None else "skipped"
            for v in (row.chain, row.finite_difference, row.sympy, row.torch)
        ]
        mark = Text("✓", style="bold green") if row.ok else Text("✗", style="bold red")
        result.add_row(row.label, *values, f"{row.max_rel_diff:.1e}", mark)
    verdict = "all agree" if report.ok else "DISAGREEMENT"
    tolerance = f"|a - b| <= {report.rtol:g}·max(|a|,|b|) + {report.atol:g}·max(1, |L|)"
    step = f"{report.fd_step:g}·max(1, |θ|)"
    result.caption = f"{verdict}; tolerance {tolerance}; finite-difference step {step}"
    return result


def as_data(report: CheckReport) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "ok": report.ok,
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
            }
            for r in report.rows
        ],
        "notes": list(report.notes),
    }


def render_json(report: CheckReport) -> str:
    """The JSON text."""
    return json.dumps(as_data(report), indent=2) + "\n"
