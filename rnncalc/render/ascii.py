"""Plain ASCII for terminals and files that cannot show σ, · or box drawing: one translation table."""

from __future__ import annotations

import re

SPELLINGS = {
    "σ": "sigma",
    "·": "*",
    "⊙": ".*",
    "Σ": "sum",
    "δ": "delta",
    "θ": "theta",
    "η": "eta",
    "β": "beta",
    "π": "pi",
    "ℓ": "l",
    "∂": "d",
    "∈": " in ",
    "…": "...",
    "−": "-",
    "→": "->",
    "↳": "->",
    "×": "x",
    "≤": "<=",
    "‖": "||",
    "²": "^2",
    "✓": "ok",
    "✗": "X",
    "█": "#",
    "ᵀ": "^T",
    "⟨": "<",
    "⟩": ">",
}
BOXES = (
    {ch: "+" for ch in "┏┓┗┛┳┻┣┫╋┡┩╇┢┪╈┠┨┯┷┼├┤┬┴┌┐└┘╭╮╰╯"}
    | {ch: "-" for ch in "━─═"}
    | {ch: "|" for ch in "┃│║"}
)
TABLE = str.maketrans(SPELLINGS | BOXES)


NOT_ASCII_NOR_PRIVATE = re.compile("[^\x00-\x7f\U000f0000-\U000ffffd]")
"""A character to replace: neither ASCII nor a private-use mark (the terminal's matrix placeholders)."""


def to_ascii(text: str, keep_private: bool = False) -> str:
    """The text with every character rnncalc prints beyond ASCII spelled in ASCII (others become ?);
    ``keep_private``: private-use placeholders are kept for the layout that replaces them."""
    translated = text.translate(TABLE)
    if keep_private:
        return NOT_ASCII_NOR_PRIVATE.sub("?", translated)
    return translated.encode("ascii", "replace").decode("ascii")


def can_show(stream: object, sample: str = "σ·Σ━") -> bool:
    """True when the stream's encoding can write these characters."""
    encoding = getattr(stream, "encoding", None) or "utf-8"  # an in-memory text stream takes any text
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
