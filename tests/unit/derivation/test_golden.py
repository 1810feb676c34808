"""Golden files of the worked example; the numbers in them are checked against the reference too.

Regenerate after a deliberate change of layout: python scripts/make_docs.py --golden
"""

from __future__ import annotations

import re

import pytest
from paths import GOLDEN
from reference import symbolic_gradients

LABELS = {"Wi": "dL/dW_i", "Wh": "dL/dW_h", "a": "dL/da", "b": "dL/db", "c": "dL/dc", "h0": "dL/dh_0"}


@pytest.mark.parametrize(
    ("name", "args"), [("grads_show_steps", ()), ("grads_show_steps_hand", ("--round-intermediate",))]
)
def test_output_matches_golden_file(cli, name: str, args: tuple[str, ...]) -> None:
    code, out, _ = cli("grads", "--show-steps", *args, "--width", "0")  # the layout, each step one line
    assert code == 0
    assert out == (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")


def test_golden_gradients_agree_with_sympy() -> None:
    text = (GOLDEN / "grads_show_steps.txt").read_text(encoding="utf-8")
    expected = symbolic_gradients([1, 0], [1, 1], {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0})
    for key, label in LABELS.items():
        lines = [line for line in text.splitlines() if line.strip().startswith(f"{label} = ")]
        assert lines, label
        printed = float(re.findall(r"= (-?[\d.]+)$", lines[0])[0])
        assert printed == pytest.approx(expected[key], abs=5e-7)


def test_golden_json_agrees_with_sympy() -> None:
    import json

    data = json.loads((GOLDEN / "grads_show_steps.json").read_text(encoding="utf-8"))
    expected = symbolic_gradients([1, 0], [1, 1], {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0})
    for key, value in expected.items():
        assert data["gradients"][key] == pytest.approx(value, rel=1e-14)
