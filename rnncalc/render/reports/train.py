"""Renderers of a training run: a table, a small loss curve and the first update; or JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ...derivation.names import parameter
from ...features.train import Training
from ..layout import text_line
from ..printers import TextPrinter

CURVE_ROWS = 8
CURVE_WIDTH = 60
SHOWN_EPOCHS = 30


def renderable(run: Training, digits: int, show_steps: bool) -> RenderableType:
    """The first update (with --show-steps), the history table and the loss curve."""
    parts: list[RenderableType] = []
    if show_steps and run.first_update is not None:
        parts += [Text(run.first_update.title, style="bold underline")]
        parts += [Text("  " + text_line(step, digits)) for step in run.first_update.steps]
        parts.append(Text(""))
    parts += [_table(run, digits), Text(""), Text(curve([e.loss for e in run.history]))]
    return Group(*parts)


def _table(run: Training, digits: int) -> Table:
    """Epoch, loss and parameters; long runs show their first and last epochs."""
    number = TextPrinter(digits).number
    extras = f", β = {run.beta}" if run.optimizer == "momentum" else ""
    extras += f", clip = {run.clip}" if run.clip is not None else ""
    table = Table(
        title=f"Gradient descent: {run.optimizer}, η = {run.lr}{extras}",
        title_justify="left",
        title_style="bold",
    )
    table.add_column("epoch", justify="right")
    table.add_column("loss", justify="right", style="bold green")
    keys = list(run.history[0].params) if run.history else []
    for key in keys:
        table.add_column(parameter(key).text, justify="right")
    history = run.history
    half = SHOWN_EPOCHS // 2
    for i, epoch in enumerate(history):
        if len(history) > SHOWN_EPOCHS and half <= i < len(history) - half:
            if i == half:
                table.add_row("…", f"({len(history) - 2 * half} epochs)", *[""] * len(keys))
            continue
        table.add_row(str(epoch.epoch), number(epoch.loss), *(number(epoch.params[k]) for k in keys))
    return table


def curve(losses: list[float], rows: int = CURVE_ROWS, width: int = CURVE_WIDTH) -> str:
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
        label = f"{high:.4g}" if level == rows else (f"{low:.4g}" if level == 1 else "")
        lines.append(f"{label:>10} │" + "".join("█" if h >= level else " " for h in heights))
    lines.append(" " * 11 + "└" + "─" * len(columns) + f" epoch 0 … {len(losses) - 1}")
    return "loss\n" + "\n".join(lines)


def as_data(run: Training) -> dict[str, Any]:
    """The run as plain data."""
    return {
        "optimizer": run.optimizer,
        "lr": run.lr,
        "beta": run.beta if run.optimizer == "momentum" else None,
        "clip": run.clip,
        "history": [{"epoch": e.epoch, "loss": e.loss, "params": e.params} for e in run.history],
        "stopped": run.stopped,
    }


def render_json(run: Training) -> str:
    """The JSON text."""
    return json.dumps(as_data(run), indent=2) + "\n"
