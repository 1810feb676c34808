"""Pictures drawn with matplotlib (the optional extra rnncalc[plot]): the loss curve of a training run
and the gradient through time, as SVG, PNG or PDF."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from ..derivation.model import Derivation
from ..errors import RnnCalcError
from ..features.train import Training
from ..tensor import Tensor, magnitude

PICTURE_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
SIZE = (6.4, 4.0)  # inches; at 100 dpi a PNG is 640 x 400 pixels
DPI = 100


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or a one-line error naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RnnCalcError('pictures need matplotlib: pip install "rnncalc[plot]"') from None
    return plt


def _saved(figure: Any, fmt: str) -> bytes:
    """The figure as a file's bytes (SVG, PNG or PDF), the figure then closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
    _pyplot().close(figure)
    return buffer.getvalue()


def _whole_numbers() -> Any:
    """Ticks at whole numbers only (epochs, steps)."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def loss_picture(run: Training, fmt: str) -> bytes:
    """The loss after each epoch, on a log scale when it spans more than two decades."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE)
    epochs = [e.epoch for e in run.history]
    losses = [e.loss for e in run.history]
    axes.plot(epochs, losses, marker="o", markersize=3)
    positive = [v for v in losses if v > 0]
    if positive and max(positive) > 100 * min(positive):
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss $L$")
    axes.xaxis.set_major_locator(_whole_numbers())  # epochs are whole: no tick at 2.5
    axes.set_title(f"Training: {run.optimizer}, learning rate {run.lr:g}")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    return _saved(figure, fmt)


def flow_picture(derivation: Derivation, fmt: str) -> bytes:
    """∂h_n/∂h_k for k = n … 1 on a log scale: the gradient through time, vanishing or exploding."""
    section = next((s for s in derivation.sections if s.key == "flow"), None)
    if section is None:
        raise RnnCalcError("a picture of the gradient through time needs --flow (grads --flow -o flow.svg)")
    steps = [s for s in section.steps if s.t is not None]
    n = max(s.t or 0 for s in steps)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE)
    ks = [s.t for s in steps]
    values = [magnitude(s.target.value) for s in steps]
    axes.bar(ks, [max(v, 1e-300) for v in values], color="tab:blue")
    axes.set_yscale("log")
    axes.set_xlabel("step $k$")
    bars = "\\|" if isinstance(steps[0].target.value, Tensor) else "|"  # a matrix: its spectral norm
    axes.set_ylabel(rf"${bars}\partial h_{{{n}}} / \partial h_k{bars}$")
    axes.xaxis.set_major_locator(_whole_numbers())
    title = section.note or "The gradient through time"
    axes.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=8, loc="left")
    axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    return _saved(figure, fmt)
