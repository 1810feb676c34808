"""Shared fixtures."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from rnncalc.cli import main

os.environ["RNNCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="rnncalc-test-cache-")  # never the user's cache

SLOW_TIERS = ("properties", "published", "documents", "hostile")
"""The folders of the slow tiers (.ci/run: pytest -m slow); tests/unit and tests/architecture are the fast
tier (a plain pytest), with a few single tests in unit marked slow by hand."""
TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in a slow tier's folder slow, before -m chooses the tier."""
    for item in items:
        parts = Path(item.path).resolve().relative_to(TESTS).parts
        if parts[0] in SLOW_TIERS:
            item.add_marker(pytest.mark.slow)


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
