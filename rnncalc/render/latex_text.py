"""Plain text made safe for LaTeX, and the preamble every LaTeX document of rnncalc starts with."""

from __future__ import annotations

import re

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath}
\allowdisplaybreaks
\begin{document}
"""
LATEX_SPECIALS = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}
LATEX_UNICODE = {
    "✓": r"$\surd$",
    "✗": r"$\times$",
    "·": r"$\cdot$",
    "≤": r"$\le$",
    "η": r"$\eta$",
    "β": r"$\beta$",
    "θ": r"$\theta$",
    "δ": r"$\delta$",
    "σ": r"$\sigma$",
    "Σ": r"$\Sigma$",
    "−": "-",
    "…": r"\dots{}",
    "‖": r"$\|$",
    "→": r"$\to$",
    "×": r"$\times$",
    "⊙": r"$\odot$",
    "ᵀ": r"$^{\top}$",
    "ε": r"$\varepsilon$",
    "λ": r"$\lambda$",
    "α": r"$\alpha$",
    "Γ": r"$\Gamma$",
    "≈": r"$\approx$",
    "≠": r"$\neq$",
    "≥": r"$\ge$",
    "∂": r"$\partial$",
    "ℓ": r"$\ell$",
    "|": r"$|$",
    "<": r"$<$",
    ">": r"$>$",
    "^": r"\^{}",
    "\\": r"\textbackslash{}",
}


def latex_text(text: str) -> str:
    """Plain text made safe for LaTeX (specials escaped, the few symbols reports use as math)."""
    return "".join(
        LATEX_SPECIALS.get(ch) or LATEX_UNICODE.get(ch) or (ch if ch.isascii() else "?") for ch in text
    )


_SUB = r"_(?:\{[^{}\s]*\}|[A-Za-z0-9]+(?:[+-][0-9]+)?)"
_NAME = rf"[A-Za-zδσθ]+{_SUB}"
_PART = rf"[d∂][A-Za-zδσθ]+(?:{_SUB})?"
QUANTITY = re.compile(rf"(?<![\w\\])(?:{_PART}/{_PART}|{_NAME})(?![\w])")
"""A quantity named in a note's words: h_1, x_{t-1}, L_t, δ_2, dL/do_2, ∂h_12/∂h_k."""
_GREEK = {"δ": r"\delta ", "σ": r"\sigma ", "θ": r"\theta ", "∂": r"\partial "}


def prose_pieces(text: str) -> list[tuple[bool, str]]:
    """A note's words cut into text and the quantities it names, each quantity as LaTeX math."""
    pieces: list[tuple[bool, str]] = []
    position = 0
    for found in QUANTITY.finditer(text):
        if found.start() > position:
            pieces.append((False, text[position : found.start()]))
        pieces.append((True, _as_math(found.group(0))))
        position = found.end()
    if position < len(text):
        pieces.append((False, text[position:]))
    return pieces


def _as_math(token: str) -> str:
    """h_12 → h_{12}, x_{t-1} kept, δ_2 → \\delta_{2}, dL/do_2 → dL/do_{2}."""

    def subscript(part: str) -> str:
        base, _, sub = part.partition("_")
        sub = sub[1:-1] if sub.startswith("{") else sub
        return "".join(_GREEK.get(ch, ch) for ch in base) + (f"_{{{sub}}}" if sub else "")

    return "/".join(subscript(part) for part in token.split("/"))


def latex_prose(text: str) -> str:
    """A note in words for LaTeX: the quantities it names typeset as math, the rest escaped."""
    return "".join(f"${piece}$" if math else latex_text(piece) for math, piece in prose_pieces(text))
