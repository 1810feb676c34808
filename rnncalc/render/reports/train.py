"""The training report: the first update (optional), the history table and a loss curve; and its data."""

from __future__ import annotations

from typing import Any

from ...derivation.names import parameter
from ...features.train import Training
from .. import View
from ..number_format import format_number
from ..printers import TextPrinter
from . import GOOD, Equations, Line, Part, Preformatted, Report, Table

CURVE_ROWS = 8
CURVE_WIDTH = 60
SHOWN_EPOCHS = 30


def report(run: Training, view: View) -> Report:
    """The first update (with --show-steps), the history table and the loss curve."""
    parts: list[Part] = []
    if view.show_steps and run.first_update is not None:
        parts.append(Equations(run.first_update.title, run.first_update.steps, view.digits))
    parts += [
        _table(run, view.digits),
        Line(""),
        Preformatted(curve([e.loss for e in run.history], view.digits)),
    ]
    return Report("Gradient descent", tuple(parts), as_data(run))


def _table(run: Training, digits: int) -> Table:
    """Epoch, loss and parameters; long runs show their first and last epochs."""
    number = TextPrinter(digits).number
    extras = f", β = {run.beta}" if run.optimizer == "momentum" else ""
    extras += f", β1 = {run.beta}, β2 = {run.beta2}, ε = {run.eps:g}" if run.optimizer == "adam" else ""
    extras += f", clip value = {run.clip_value}" if run.clip_value is not None else ""
    extras += f"; gradients by {run.truncation}" if run.truncation is not None else ""
    extras += f", clip = {run.clip}" if run.clip is not None else ""
    keys = list(run.history[0].params) if run.history else []
    history, half = run.history, SHOWN_EPOCHS // 2
    rows: list[list[tuple[str, str | None]]] = []
    for i, epoch in enumerate(history):
        if len(history) > SHOWN_EPOCHS and half <= i < len(history) - half:
            if i == half:
                rows.append(
                    [("…", None), (f"({len(history) - 2 * half} epochs)", None), *[("", None)] * len(keys)]
                )
            continue
        values = [(number(epoch.params[k]), None) for k in keys]
        rows.append([(str(epoch.epoch), None), (number(epoch.loss), GOOD), *values])
    columns = ("epoch", "loss", *(parameter(k).text for k in keys))
    return Table(f"Gradient descent: {run.optimizer}, η = {run.lr}{extras}", columns, rows)


def curve(losses: list[float], digits: int = 6, rows: int = CURVE_ROWS, width: int = CURVE_WIDTH) -> str:
    """A small bar chart of the loss over the epochs (resampled to ``width`` columns)."""
    if not losses:
        return ""
    count = min(width, len(losses))
    columns = [losses[round(i * (len(losses) - 1) / max(count - 1, 1))] for i in range(count)]
    low, high = min(columns), max(columns)
    span = (high - low) or 1.0
    heights = [round((v - low) / span * (rows - 1)) + 1 for v in columns]
    lines = []
    for level in range(rows, 0, -1):
        label = (
            format_number(high, digits)
            if level == rows
            else (format_number(low, digits) if level == 1 else "")
        )
        lines.append(f"{label:>12} │" + "".join("█" if h >= level else " " for h in heights))
    lines.append(" " * 13 + "└" + "─" * len(columns) + f" epoch 0 … {len(losses) - 1}")
    return "loss\n" + "\n".join(lines)


def as_data(run: Training) -> dict[str, Any]:
    """The run as plain data."""
    return {
        "optimizer": run.optimizer,
        "lr": run.lr,
        "beta": run.beta if run.optimizer in ("momentum", "adam") else None,
        "beta2": run.beta2 if run.optimizer == "adam" else None,
        "eps": run.eps if run.optimizer == "adam" else None,
        "clip": run.clip,
        "clip_value": run.clip_value,
        "truncation": run.truncation,
        "history": [{"epoch": e.epoch, "loss": e.loss, "params": e.params} for e in run.history],
        "stopped": run.stopped,
    }
