"""Write rnncalc/cell/derived.json: what SymPy derives for the built-in cells and presets, kept as data.

Run after changing a function, a loss, the built-in cell or the code printer:
``python scripts/make_cell_data.py`` (``--check`` fails when the shipped file is stale; the test
suite's tests/unit/cell/test_cell_data.py re-derives every entry the same way).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rnncalc.cell.rules import derived_data

TARGET = Path(__file__).resolve().parent.parent / "rnncalc" / "cell" / "derived.json"


def render() -> str:
    """The file's text: stable key order, one entry per line, so diffs stay readable."""
    data = derived_data()
    lines = ["{"]
    for i, (section, entries) in enumerate(data.items()):
        lines.append(f"  {json.dumps(section)}: {{")
        items = list(entries.items())
        for j, (name, value) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f"    {json.dumps(name)}: {json.dumps(value, separators=(',', ':'))}{comma}")
        lines.append("  }" + ("," if i < len(data) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the file, or with --check say whether it is current."""
    text = render()
    if "--check" in sys.argv[1:]:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run python scripts/make_cell_data.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
