"""The loss registry: one record per loss, each a weight times the squared error of every step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Loss:
    """A loss L = Σ_t weight(n) · (y_t - g_t)^2: its name, definition in text and LaTeX, and weight."""

    name: str
    about: str
    text: str
    latex: str
    weight: Callable[[int], Fraction]


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "mse",
            "mean squared error, L = 1/n Σ (y_t - g_t)^2 (the worked example's convention)",
            "L = 1/n Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \frac{1}{n} \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
            lambda n: Fraction(1, n),
        ),
        Loss(
            "sse",
            "sum of squared errors, L = Σ (y_t - g_t)^2",
            "L = Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
            lambda n: Fraction(1),
        ),
        Loss(
            "half-sse",
            "half the sum of squared errors, L = 1/2 Σ (y_t - g_t)^2 (the usual textbook loss)",
            "L = 1/2 Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \frac{1}{2} \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
            lambda n: Fraction(1, 2),
        ),
    )
}
