"""The default derivation reads like the seed document: every line of the document, in its order and
form, with rnncalc's exact values; and wrapping on a terminal never breaks a number or a name."""

from __future__ import annotations

import re

import pytest
from paths import DATA

from rnncalc import derive
from rnncalc.render import View, render

SEED = DATA / "seed_document.md"

# Each line of the document (by line number in tests/data/seed_document.md, a copy of the seed),
# rewritten in rnncalc's notation: · for *, = for →, t for the generic index i, x_{t-1} and h_{t-1}
# where the document's model block writes x and h_i, e^(-2) for e^{-2}. Lines joined by "and" become
# two pieces. Numbers are the document's, except where it is wrong (the note says why).
WALK: dict[int, list[str]] = {
    1: [],  # "MSE:" is the section title
    3: ["L = 1/n Σ_{t=1}^{n} (y_t - g_t)^2, for n = 2:"],
    5: ["L = 1/2 · (y_1 - g_1)^2 + 1/2 · (y_2 - g_2)^2"],
    7: ["Forward pass"],
    9: ["y_t = a · h_t + c"],  # the document writes "a * hi"
    11: ["o_t = W_i · x_{t-1} + W_h · h_{t-1} + b"],  # the document writes "W_i x + W_h h_i"
    13: ["h_t = σ(o_t)"],
    15: ["Known parameters"],
    17: ["x_0 = 1, x_1 = 0", "g_1 = 1, g_2 = 1", "h_0 = 0"],
    19: ["W_i = 1, W_h = 1, a = 1, b = 1, c = 1"],
    21: ["o_1 = W_i · x_0 + W_h · h_0 + b = 1 · 1 + 1 · 0 + 1 = 2"],
    23: ["h_1 = σ(o_1) = σ(2) = 1/(1 + e^(-2)) = 0.880797"],
    25: ["y_1 = a · h_1 + c = 1 · 0.880797 + 1 = 1.880797"],
    27: ["o_2 = W_i · x_1 + W_h · h_1 + b = 1 · 0 + 1 · 0.880797 + 1 = 1.880797"],
    29: ["h_2 = σ(o_2) = σ(1.880797) = 1/(1 + e^(-1.880797)) = 0.867703"],
    31: ["y_2 = a · h_2 + c = 1 · 0.867703 + 1 = 1.867703"],
    33: [],  # "Derivations:"
    35: [
        "dL_1/dy_1 = y_1 - g_1 = 1.880797 - 1 = 0.880797",
        "dL_2/dy_2 = y_2 - g_2 = 1.867703 - 1 = 0.867703",
    ],
    37: ["dy_1/dh_1 = a = 1", "dy_2/dh_2 = a = 1"],
    39: ["dh_1/do_1 = h_1 · (1 - h_1) = 0.880797 · 0.119203 = 0.104994"],
    41: ["dh_2/do_2 = h_2 · (1 - h_2) = 0.867703 · 0.132297 = 0.114795"],
    43: ["do_2/dh_1 = W_h = 1"],
    45: [
        "do_1/dW_i = x_0 = 1",
        "do_2/dW_i = x_1 + do_2/dh_1 · dh_1/do_1 · do_1/dW_i = 0 + 1 · 0.104994 · 1 = 0.104994",
    ],
    47: [
        "do_1/dW_h = h_0 = 0",
        "do_2/dW_h = h_1 + do_2/dh_1 · dh_1/do_1 · do_1/dW_h = 0.880797 + 1 · 0.104994 · 0 = 0.880797",
    ],
    49: ["dy_1/da = h_1 = 0.880797", "dy_2/da = h_2 = 0.867703"],
    51: ["do_1/db = 1", "do_2/db = 1 + do_2/dh_1 · dh_1/do_1 · do_1/db = 1 + 1 · 0.104994 · 1 = 1.104994"],
    53: ["dy_1/dc = 1", "dy_2/dc = 1"],
    55: ["dW_i"],
    57: [
        # the document's 0.102937 comes from rounding every intermediate to 6 decimals; exact: 0.102936
        "dL/dW_i = dL_1/dW_i + dL_2/dW_i = dL_1/dy_1 · dy_1/dh_1 · dh_1/do_1 · do_1/dW_i"
        " + dL_2/dy_2 · dy_2/dh_2 · dh_2/do_2 · do_2/dW_i"
        " = 0.880797 · 1 · 0.104994 · 1 + 0.867703 · 1 · 0.114795 · 0.104994 = 0.102936"
    ],
    59: ["dW_h"],
    61: [
        "dL/dW_h = dL_1/dW_h + dL_2/dW_h = dL_1/dy_1 · dy_1/dh_1 · dh_1/do_1 · do_1/dW_h"
        " + dL_2/dy_2 · dy_2/dh_2 · dh_2/do_2 · do_2/dW_h"
        " = 0.880797 · 1 · 0.104994 · 0 + 0.867703 · 1 · 0.114795 · 0.880797 = 0.087734"
    ],
    63: ["da"],
    # lines 65 and 67 are one equation split over two lines; exact 1.528711 (the document: 1.528712)
    65: ["dL/da = dL_1/da + dL_2/da = dL_1/dy_1 · dy_1/da + dL_2/dy_2 · dy_2/da"],
    67: ["= 0.880797 · 0.880797 + 0.867703 · 0.867703 = 1.528711"],
    69: ["db"],
    # the document's db line ends in a stray "= dh_2/db * dh_2/db", which is not part of the sum
    71: [
        "dL/db = dL_1/db + dL_2/db = dL_1/dy_1 · dy_1/dh_1 · dh_1/do_1 · do_1/db"
        " + dL_2/dy_2 · dy_2/dh_2 · dh_2/do_2 · do_2/db"
    ],
    73: ["= 0.880797 · 1 · 0.104994 · 1 + 0.867703 · 1 · 0.114795 · 1.104994 = 0.202544"],  # doc: 0.202545
    75: ["dc"],
    77: ["dL/dc = dL_1/dc + dL_2/dc = dL_1/dy_1 · dy_1/dc + dL_2/dy_2 · dy_2/dc"],
    79: ["= 0.880797 · 1 + 0.867703 · 1 = 1.748500"],  # the document writes 1.7485
}


def document_lines() -> dict[int, str]:
    """The seed document's non-empty lines by number."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return {i: line for i, line in enumerate(lines, start=1) if line.strip()}


def test_the_walk_covers_every_line_of_the_document() -> None:
    assert set(WALK) == set(document_lines())


def test_the_walk_keeps_the_documents_numbers() -> None:
    # every number the document prints appears in the walk, except the four it got wrong by hand rounding
    rounded_by_hand = {"0.102937", "1.528712", "0.202545", "1.7485"}
    document = {n for line in document_lines().values() for n in re.findall(r"\d+\.\d+", line)}
    walked = {n for pieces in WALK.values() for piece in pieces for n in re.findall(r"\d+\.\d+", piece)}
    assert document - rounded_by_hand <= walked


def test_default_derivation_walks_the_document_in_order(cli) -> None:
    code, out, _ = cli("grads", "--show-steps", "--width", "0")
    lines = out.splitlines()
    position = 0
    for number in sorted(WALK):
        for piece in WALK[number]:
            found = next((i for i in range(position, len(lines)) if piece in lines[i]), None)
            assert found is not None, (
                f"document line {number}: {piece!r} not found after output line {position}"
            )
            position = found
    assert code == 0


def test_no_argument_run_is_the_document_layout(cli) -> None:
    assert cli()[1] == cli("grads", "--show-steps")[1]


def test_per_step_option_adds_each_steps_share(cli) -> None:
    _, out, _ = cli("grads", "--show-steps", "--per-step")
    assert (
        "dL_2/dW_i = dL_2/dy_2 · dy_2/dh_2 · dh_2/do_2 · do_2/dW_i = 0.867703 · 1 · 0.114795 · 0.104994"
        in out
    )
    _, plain, _ = cli("grads", "--show-steps")
    assert "dL_2/dW_i = dL_2/dy_2" not in plain


def words(lines: list[str]) -> list[str]:
    """The derivation's words up to the gradient table, whatever the line breaks (known values are packed
    to the width, so the comma between two of them may end a line)."""
    end = lines.index("Gradients") if "Gradients" in lines else len(lines)
    return [word.rstrip(",") for word in " ".join(lines[:end]).split()]


@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("args", [{}, {"per_step": True}, {"method": "both"}])
def test_wrapping_breaks_only_before_operators(width: int, args: dict) -> None:
    from rnncalc import Problem, Settings

    derivation = derive(
        Problem(x=[1, 0, "1/2"]),
        Settings(per_step=args.get("per_step", False)),
        method=args.get("method", "forward"),
    )
    wide = render(derivation, "rich", View(width=None)).splitlines()
    narrow = render(derivation, "rich", View(width=width)).splitlines()
    # wrapping only breaks lines: the text, word for word, is the same (the table is laid out anew)
    assert words(narrow) == words(wide)
    token = re.compile(r"^\s+[=+\-·] ")
    for line in narrow:
        if len(line) > width:
            # only a piece without any break opportunity may stay wider than the terminal
            body = token.sub("", line).strip()
            assert not re.search(r" [=+·] ", body[1:]) or "┃" in line or "│" in line or "━" in line, line
    continuation = [line for line in narrow if token.match(line)]
    assert width >= 120 or continuation
