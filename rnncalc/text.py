"""User text made inert for a terminal: control characters shown as escapes, never sent raw.

A file name, a typed answer or a TOML string may hold ESC, BEL, a carriage return or a bidirectional
override; written raw to a terminal they move the cursor, rewrite what was printed or hide text. Every
such character is shown as its escape (``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 controls but tab and newline, DEL, C1 controls, and the bidirectional marks and overrides."""


def visible(text: str) -> str:
    """The text with every control character written as its escape, so it prints as itself."""
    if not CONTROL.search(text):
        return text
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def printable_ascii(text: str) -> bool:
    """Only printable ASCII (no control characters, no look-alike letters): what a formula may hold."""
    return text.isascii() and text.isprintable()
