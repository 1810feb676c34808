"""Plain text made safe for LaTeX, and the preamble every LaTeX document of rnncalc starts with."""

from __future__ import annotations

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
