"""The loss registry: one record per loss, L = weight(number of targets) · Σ_t term(y_t, g_t)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


def _squared(m: Any, y: Any, g: Any) -> Any:
    """(y - g)^2."""
    return (y - g) ** 2


def _cross_entropy(m: Any, y: Any, g: Any) -> Any:
    """-(g log y + (1 - g) log(1 - y)), for 0 < y < 1."""
    return -(g * m.log(y) + (1 - g) * m.log(1 - y))


REDUCTIONS = ("mean", "sum")
"""How a loss adds up its steps' terms: averaged over the steps with a target, or summed (--reduce-time)."""


@dataclass(frozen=True)
class Loss:
    """A loss L = factor · (1/n if averaged over time) · Σ_t term(y_t, g_t), n the number of targets.

    ``over_time`` is how the loss adds up its steps by definition (mean or sum; ``--reduce-time`` may say
    otherwise); ``term(m, y, g)`` is written against a math namespace (sympy for the rules); ``y_range``
    is the open interval y must lie in (binary cross-entropy: 0 < y < 1), if any.
    """

    name: str
    about: str
    text: str
    latex: str
    over_time: str = "mean"
    factor: Fraction = Fraction(1)
    term: Callable[[Any, Any, Any], Any] = _squared
    y_range: tuple[float, float] | None = None

    def weight(self, n: int, over_time: str | None = None) -> Fraction:
        """Each term's weight for n targets, added up as the loss does or as ``over_time`` says."""
        return self.factor / n if (over_time or self.over_time) == "mean" else self.factor


_COEFFICIENTS: dict[tuple[Fraction, str], tuple[str, str]] = {
    (Fraction(1), "mean"): ("1/n ", r"\frac{1}{n} "),
    (Fraction(1), "sum"): ("", ""),
    (Fraction(1, 2), "mean"): ("1/(2n) ", r"\frac{1}{2n} "),
    (Fraction(1, 2), "sum"): ("1/2 ", r"\frac{1}{2} "),
}
"""A loss's coefficient in its definition, as text and LaTeX, for its factor and reduction over time."""


def reduced_text(text: str, latex: str, factor: Fraction, over_time: str) -> tuple[str, str]:
    """A loss's definition (L = 1/n Σ ..., L = -1/n Σ ...) written for its steps averaged or summed."""
    head, _, body = text.partition("Σ")
    latex_body = latex.partition(r"\sum")[2]
    sign = "-" if "-" in head else ""
    coefficient, latex_coefficient = _COEFFICIENTS[factor, over_time]
    return f"L = {sign}{coefficient}Σ{body}", rf"L = {sign}{latex_coefficient}\sum{latex_body}"


VECTOR_ONLY_LOSSES = ("softmax-ce",)
"""Losses only a vector output has: softmax cross-entropy, L = 1/n Σ_t -log softmax(y_t)[g_t]."""

VECTOR_TEXT: dict[str, tuple[str, str]] = {
    "mse": (
        "L = 1/n Σ_{t=1}^{n} ‖y_t - g_t‖²",
        r"L = \frac{1}{n} \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}",
    ),
    "sse": ("L = Σ_{t=1}^{n} ‖y_t - g_t‖²", r"L = \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}"),
    "half-sse": (
        "L = 1/2 Σ_{t=1}^{n} ‖y_t - g_t‖²",
        r"L = \frac{1}{2} \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}",
    ),
    "softmax-ce": (
        "L = 1/n Σ_{t=1}^{n} -log p_t[g_t], p_t = softmax(y_t)",
        r"L = \frac{1}{n} \sum_{t=1}^{n} -\log p_{t}[g_{t}],\ p_{t} = \operatorname{softmax}(y_{t})",
    ),
}
"""Each loss over vector outputs in words and LaTeX (docs/math.md gives the same definitions)."""

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "mse",
            "mean squared error, L = 1/n Σ (y_t - g_t)^2 (the worked example's convention)",
            "L = 1/n Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \frac{1}{n} \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
        ),
        Loss(
            "sse",
            "sum of squared errors, L = Σ (y_t - g_t)^2",
            "L = Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
            "sum",
        ),
        Loss(
            "half-sse",
            "half the sum of squared errors, L = 1/2 Σ (y_t - g_t)^2 (the usual textbook loss)",
            "L = 1/2 Σ_{t=1}^{n} (y_t - g_t)^2",
            r"L = \frac{1}{2} \sum_{t=1}^{n} (y_{t} - g_{t})^{2}",
            "sum",
            Fraction(1, 2),
        ),
        Loss(
            "bce",
            "binary cross-entropy, L = -1/n Σ (g_t log y_t + (1 - g_t) log(1 - y_t)), for 0 < y_t < 1",
            "L = -1/n Σ_{t=1}^{n} (g_t log y_t + (1 - g_t) log(1 - y_t))",
            r"L = -\frac{1}{n} \sum_{t=1}^{n} \left(g_{t} \log y_{t} + (1 - g_{t}) \log(1 - y_{t})\right)",
            term=_cross_entropy,
            y_range=(0.0, 1.0),
        ),
    )
}
