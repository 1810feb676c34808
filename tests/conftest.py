"""Shared fixtures."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable

import pytest

from rnncalc.cli import main

os.environ["RNNCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="rnncalc-test-cache-")  # never the user's cache


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in process, in a scratch working directory, and return (exit status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("COLUMNS", "100")
        code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    return run
