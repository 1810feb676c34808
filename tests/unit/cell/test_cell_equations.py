"""Custom cells: parsed safely, derived by SymPy, checked against independent gradients."""

from __future__ import annotations

import pytest

from rnncalc import Problem, derive
from rnncalc.cell.equations import parse_cell
from rnncalc.errors import InputError
from rnncalc.features.check import check

STATE = "h = tanh(Wi*x + Wh*h_prev)"
MARKER = "/tmp/rnncalc-pwned"

HOSTILE = [
    f"y = __import__('os').system('touch {MARKER}')",
    "y = os.system('ls')",
    "y = (lambda: 1)()",
    "y = [i for i in range(10)]",
    "y = sum(i for i in range(10))",
    "y = h.__class__",
    "y = __builtins__",
    "y = h**10**10",
    "y = h**1000",
    "y = 10**100 * h",
    "y = " + "sigmoid(" * 60 + "h" + ")" * 60,
    "y = " + "(" * 600 + "h" + ")" * 600,
    "y = " + "-" * 200 + "h",
    "y = ａ*h",
    "y = аh",
    "y = eval('1')",
    "y = exec('x=1')",
    "y = open('/etc/passwd')",
    "y = getattr(h, 'real')",
    "y = h if h else 1",
    "y = h; import os",
    "y = 'text'",
    "y = b'bytes'",
    "y = 1j * h",
    "y = True * h",
    "y = h[0]",
    "y = {1: 2}",
    "y = h @ h",
    "y = h // 2",
    "y = h % 2",
    "y = h < 1",
    "y = h and 1",
    "y = f'{h}'",
    "y = sigmoid(h, h)",
    "y = sigmoid(x=h)",
    "y = sigmoid(*h)",
    "y = (y := h)",
    "y = await h",
    "y = 1e400 * h",
    "y = h.real",
    "y = sigmoid",
    "y = h + " + "h + " * 400 + "h",
    "y = __h",
    "y = h.__dict__",
]

STRUCTURE = [
    ((STATE,), "must define the output y"),
    ((STATE, "y = a*h", "z = h"), "last equation must define the output y"),
    (("h = tanh(o)", "o = Wi*x + Wh*h", "y = h"), "is used before it is defined"),
    (("h = tanh(h + x)", "y = h"), "is used before it is defined"),
    (("o = Wi*x + Wh*h_prev", "y = a*o"), "never defines the state h"),
    ((STATE, "y = a*h + x"), "y may depend only on h and parameters"),
    (("o = Wi*x", "h = tanh(o) + Wh*h_prev", "y = h"), "h must be a function of o alone"),
    ((STATE, "h = x", "y = h"), "defined more than once"),
    (("x = 1", STATE, "y = h"), "cannot be defined by the cell"),
    ((STATE, "y = h = 1"), "write one equation as name = expression"),
    ((STATE, "y"), "write one equation as name = expression"),
    ((STATE, "y = exp(g)"), "reserved name"),
]


@pytest.mark.parametrize("equation", HOSTILE)
def test_hostile_equations_are_rejected_without_side_effects(equation: str, cli) -> None:
    with pytest.raises(InputError) as error:
        parse_cell((STATE, equation))
    assert str(error.value).startswith("--cell") and "\n" not in str(error.value)
    code, out, err = cli("grads", "--cell", STATE, "--cell", equation)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    import os

    assert not os.path.exists(MARKER)


def test_the_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize(("equations", "message"), STRUCTURE)
def test_malformed_cells_get_clear_errors(equations: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_cell(equations)


def test_unknown_and_unused_parameters_are_errors(cli) -> None:
    code, _, err = cli("grads", "--cell", STATE, "--cell", "y = a*h", "--param", "Q=2")
    assert code == 2 and "parameter Q is not used by the cell (its parameters: Wi, Wh, a)" in err
    code, _, err = cli("grads", "--cell", STATE, "--cell", "y = a*h", "--activation", "tanh")
    assert code == 2 and "--activation and --cell conflict" in err


def test_default_equations_give_identical_output(cli) -> None:
    cell = ("--cell", "o = Wi*x + Wh*h_prev + b", "--cell", "h = sigmoid(o)", "--cell", "y = a*h + c")
    for extra in ((), ("--round-intermediate",), ("-f", "latex"), ("-f", "markdown"), ("--method", "both")):
        assert cli("grads", "--show-steps", *extra)[1] == cli("grads", "--show-steps", *cell, *extra)[1]


CELLS = [
    ("o = Wi*x + Wh*h_prev + b", "h = tanh(o)", "y = a*h + c"),
    ("h = tanh(Wi*x + Wh*h_prev + U*h_prev**2)", "y = sigmoid(a*h)"),
    ("z = Wi*x - b", "o = z + Wh*h_prev", "h = o/(1 + abs(o))", "y = tanh(a*h)"),
    ("o = Wi*x + Wh*h_prev", "h = sigmoid(o)", "y = exp(a*h) - c"),
    ("o = sin(Wi*x) + Wh*h_prev/2", "h = o", "y = sqrt(a + h**2)"),
    ("h = relu(Wi*x + Wh*h_prev + b)", "y = a*h*h + log(c + h**2)"),
]


@pytest.mark.parametrize("cell", CELLS)
def test_custom_cells_agree_with_finite_differences_and_sympy(cell: tuple[str, ...]) -> None:
    params = {"Wh": 0.5} | ({"b": 0.5} if "b" in "".join(cell) else {})  # keep abs and relu off their kinks
    report = check(Problem(x=[1, -0.5, 2], g=[0, 1, 0.5], cell=cell, params=params), inputs=True)
    assert report.ok, [r for r in report.rows if not r.ok]
    assert all(r.finite_difference is not None for r in report.rows)


def test_local_derivatives_of_a_custom_cell_come_from_sympy(cli) -> None:
    code, out, _ = cli(
        "grads",
        "--show-steps",
        "--cell",
        "h = tanh(Wi*x + Wh*h_prev + U*h_prev**2)",
        "--cell",
        "y = sigmoid(a*h)",
        "--x",
        "1",
        "0",
    )
    assert code == 0
    assert "do_2/dh_1 = W_h + 2 · U · h_1" in out
    assert "dy_1/dh_1 = a · y_1 · (1 - y_1)" in out or "dy_1/dh_1 = a · (1 - y_1) · y_1" in out
    assert "dh_1/do_1 = 1 - h_1^2" in out


def test_custom_cell_methods_agree() -> None:
    derivation = derive(Problem(x=[1, 0, 2], cell=CELLS[2]), method="both")
    assert derivation.methods_agree
