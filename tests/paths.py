"""Where things are, for tests in any folder: the checkout, the package, the docs' examples, test data."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PACKAGE = ROOT / "rnncalc"
EXAMPLES = ROOT / "docs" / "examples"
GOLDEN = TESTS / "golden"
DATA = TESTS / "data"
