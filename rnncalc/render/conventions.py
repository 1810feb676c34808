"""The course conventions as text: rnncalc conventions."""

from __future__ import annotations

from ..cell.conventions import CONVENTIONS

AXES = {"NTD": "(N, T, D)", "TND": "(T, N, D)", "DNT": "(D, N, T)"}
"""How each convention gives x for a mini-batch: N sequences, T steps, D inputs."""


def conventions_text() -> str:
    """Every convention: what it is, its batch axes and reduction, and each cell's equations and stacks."""
    blocks = []
    for convention in CONVENTIONS.values():
        lines = [
            f"{convention.name}: {convention.about}",
            f"  source: {convention.source}",
            f"  x as {AXES[convention.batch]}; a batch's loss: the {convention.reduce_batch} of the "
            f"sequences'; a sequence's loss: {_over_time(convention.reduce_time)}",
        ]
        for kind, cell in convention.cells.items():
            lines.append(f"  --preset {kind}:")
            lines += [f"    {equation}" for equation in cell.equations]
            lines += [
                f"    {fused.name} stacks {', '.join(fused.parts)} along axis {fused.axis}"
                for fused in cell.fused
                if len(fused.parts) > 1
            ]
            lines += [
                f"    {fused.name} is {fused.parts[0]}" for fused in cell.fused if len(fused.parts) == 1
            ]
        if not convention.cells:
            lines.append("  the cells of rnncalc cells, as they are")
        blocks.append("\n".join(lines))
    footer = (
        "Use one with --convention NAME --preset elman|gru|lstm; give the course's stacked weights by its "
        "names (--param Wx=[[...]]), and its upstream gradients with --upstream. The candidate a course "
        "calls g (LSTM) or n (GRU) is written cc or hc: g and n name the targets and the number of steps. "
        "rnncalc's MSE averages over the steps and sums over a vector's entries (PyTorch's mse_loss also "
        "averages over the entries): give --upstream to start from a course's own dL/dh_t."
    )
    return "\n\n".join([*blocks, footer]) + "\n"


def _over_time(reduction: str | None) -> str:
    """How a convention's loss adds up its steps, in words."""
    if reduction is None:
        return "as the loss says (mse: the mean of the steps')"
    return f"the {reduction} of the steps'"
