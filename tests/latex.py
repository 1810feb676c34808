"""Compiling LaTeX with a real pdflatex for the export tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_program(name: str) -> str:
    """A program's path; skip without it locally, fail without it in CI (install-system-deps.sh has it)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (scripts/install-system-deps.sh installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def require_pdflatex() -> str:
    """The pdflatex path."""
    return require_program("pdflatex")


def compile_latex(source: str, directory: Path) -> str:
    """Compile a document; return its log, failing the test on any error."""
    pdflatex = require_pdflatex()
    (directory / "doc.tex").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (directory / "doc.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert result.returncode == 0 and not errors, "\n".join(errors) or result.stdout[-2000:]
    return log
