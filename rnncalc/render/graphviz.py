"""Drawing DOT source as SVG, PNG or PDF with Graphviz's dot program."""

from __future__ import annotations

import shutil
import subprocess

from ..errors import RnnCalcError

TIMEOUT_SECONDS = 120


def draw(source: str, image_format: str) -> bytes:
    """The image bytes; a clear error when Graphviz is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise RnnCalcError(
            f"drawing {image_format.upper()} needs Graphviz's dot program, which is not installed "
            "(e.g. apt-get install graphviz); or write the DOT source with -o graph.dot"
        )
    try:
        result = subprocess.run(
            [program, f"-T{image_format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise RnnCalcError(
            f"Graphviz took longer than {TIMEOUT_SECONDS} s to draw the graph; try a shorter sequence"
        ) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RnnCalcError(
            f"Graphviz failed: {message[0] if message else 'exit status ' + str(result.returncode)}"
        )
    return result.stdout
