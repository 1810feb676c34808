"""Plain ASCII for terminals and files that cannot show σ, · or box drawing: one translation table."""

from __future__ import annotations

SPELLINGS = {
    "σ": "sigma",
    "·": "*",
    "Σ": "sum",
    "δ": "delta",
    "θ": "theta",
    "η": "eta",
    "β": "beta",
    "π": "pi",
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
}
BOXES = (
    {ch: "+" for ch in "┏┓┗┛┳┻┣┫╋┡┩╇┢┪╈┠┨┯┷┼├┤┬┴┌┐└┘╭╮╰╯"}
    | {ch: "-" for ch in "━─═"}
    | {ch: "|" for ch in "┃│║"}
)
TABLE = str.maketrans(SPELLINGS | BOXES)


def to_ascii(text: str) -> str:
    """The text with every character rnncalc prints beyond ASCII spelled in ASCII (others become ?)."""
    return text.translate(TABLE).encode("ascii", "replace").decode("ascii")


def can_show(stream: object, sample: str = "σ·Σ━") -> bool:
    """True when the stream's encoding can write these characters."""
    encoding = getattr(stream, "encoding", None) or "utf-8"  # an in-memory text stream takes any text
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
