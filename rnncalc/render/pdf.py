"""PDF: any result's LaTeX document typeset by pdflatex, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..errors import RnnCalcError

TYPESET_SECONDS = 120
INSTALL_HINT = (
    "install TeX Live (Debian: apt install texlive-latex-base) or write .tex and typeset it yourself"
)


def render(result: Any, view: Any) -> bytes:
    """Any result's LaTeX document (a derivation, sheet or report) as PDF bytes."""
    from . import render as render_any

    return typeset(render_any(result, "latex", view))


def typeset(source: str) -> bytes:
    """Run pdflatex on a complete LaTeX document in a scratch folder and return the PDF."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise RnnCalcError(f"writing PDF needs pdflatex, which is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="rnncalc-pdf-") as folder:
        directory = Path(folder)
        (directory / "doc.tex").write_text(source, encoding="utf-8")
        try:
            subprocess.run(
                [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                cwd=directory,
                capture_output=True,
                timeout=TYPESET_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RnnCalcError(f"pdflatex took longer than {TYPESET_SECONDS} s; write .tex instead") from None
        pdf = directory / "doc.pdf"
        if not pdf.exists():
            raise RnnCalcError(
                f"pdflatex could not typeset the document: {_first_error(directory / 'doc.log')}"
            )
        return pdf.read_bytes()


def _first_error(log: Path) -> str:
    """The first error line of pdflatex's log (a line starting with '!')."""
    try:
        lines = log.read_text(encoding="latin-1").splitlines()
    except OSError:
        return "no log was written"
    return next((line.lstrip("! ") for line in lines if line.startswith("!")), "see its log")
