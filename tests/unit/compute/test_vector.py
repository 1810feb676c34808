"""Vector and matrix RNNs: gradients against an independent 40-digit reference, shapes, formats, the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from latex import compile_latex
from paths import EXAMPLES, ROOT, TESTS
from reference import close, thsis_notebook_gradients, vector_gradients, vector_loss

from rnncalc import derive
from rnncalc.cell.functions import NUMERIC_FUNCTIONS
from rnncalc.cell.numpy_functions import NUMPY_FUNCTIONS
from rnncalc.compute.problem import Problem as VectorProblem
from rnncalc.compute.problem import Settings
from rnncalc.compute.run import run as run_trace
from rnncalc.derivation.formula import Rebuild, Ref
from rnncalc.errors import InputError

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity")
LOSSES = ("mse", "sse", "half-sse", "softmax-ce")


def random_problem(seed: int, activation: str, loss: str) -> dict:
    """Sizes H, D, K in 1..4 (K >= 2 for softmax-ce), values with two decimals."""
    rng = random.Random(seed)
    H, D, n = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
    K = rng.randint(2, 4) if loss == "softmax-ce" else rng.randint(1, 4)

    def matrix(rows, cols, scale=1.0):
        return [[round(rng.uniform(-scale, scale), 2) for _ in range(cols)] for _ in range(rows)]

    params = {
        "Wi": matrix(H, D),
        "Wh": matrix(H, H, 0.8),
        "b": matrix(1, H)[0],
        "a": matrix(K, H),
        "c": matrix(1, K)[0],
    }
    x = matrix(n, D, 2.0)
    g = [rng.randrange(K) for _ in range(n)] if loss == "softmax-ce" else matrix(n, K)
    h0 = matrix(1, H, 0.5)[0]
    return {"x": x, "g": g, "params": params, "h0": h0, "activation": activation, "loss": loss}


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_problems_match_the_40_digit_reference(seed: int, activation: str, loss: str) -> None:
    case = random_problem(
        seed * 100 + ACTIVATIONS.index(activation) * 10 + LOSSES.index(loss), activation, loss
    )
    problem = VectorProblem(**case)
    d = derive(problem, Settings())
    expected_loss = vector_loss(case["x"], case["g"], case["params"], case["h0"], activation, loss)
    assert d.loss == pytest.approx(float(expected_loss), rel=1e-12, abs=1e-14)
    reference = vector_gradients(case["x"], case["g"], case["params"], case["h0"], activation, loss)
    for name, expected in reference.items():
        got = np.array(d.gradients[name], dtype=float)
        assert got.shape == np.array(expected).shape, name
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=name)


def test_pytorch_agrees_when_installed() -> None:
    torch = pytest.importorskip("torch")
    case = random_problem(7, "tanh", "softmax-ce")
    trace = run_trace(VectorProblem(**case))
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in case["params"].items()}
    h = h0 = torch.tensor(case["h0"], dtype=torch.float64, requires_grad=True)
    loss = 0
    for t, x in enumerate(case["x"]):
        h = torch.tanh(p["Wi"] @ torch.tensor(x, dtype=torch.float64) + p["Wh"] @ h + p["b"])
        loss = loss - torch.log_softmax(p["a"] @ h + p["c"], 0)[case["g"][t]] / len(case["x"])
    loss.backward()
    for name, leaf in {**p, "h0": h0}.items():
        np.testing.assert_allclose(trace.gradients[name], leaf.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_every_numpy_function_matches_the_registry() -> None:
    points = [-2.5, -1.0, -0.01, 0.0, 0.3, 1.0, 2.0]
    for name, function in NUMPY_FUNCTIONS.items():
        domain = [p for p in points if p > 0] if name in ("log", "sqrt") else points
        expected = [NUMERIC_FUNCTIONS[name](p) for p in domain]
        np.testing.assert_allclose(function(np.array(domain)), expected, rtol=1e-15, atol=1e-15, err_msg=name)


def test_a_one_unit_problem_is_the_scalar_problem() -> None:
    """H = D = K = 1 with brackets gives the worked example's numbers, computed by the scalar engine."""
    vector = derive(VectorProblem(x=[[1], [0]], params={"Wh": [[1]]}, h0=[0]), Settings())
    scalar = derive()
    assert vector.loss == pytest.approx(scalar.loss, rel=1e-15)
    for name in ("Wi", "Wh", "a", "b", "c", "h0"):
        assert float(np.ravel(vector.gradients[name])[0]) == pytest.approx(scalar.gradients[name], rel=1e-14)


def test_hand_rounding_rounds_every_entry() -> None:
    case = random_problem(11, "sigmoid", "mse")
    rounded = derive(VectorProblem(**case), Settings(digits=4, round_intermediate=True))
    exact = derive(VectorProblem(**case), Settings())
    for step in rounded.steps():
        if not step.definition and step.target.value is not None and not step.target.given:
            values = np.ravel(np.array(step.target.value, dtype=float))
            assert np.all(np.round(values, 4) == values), step.target.name.text
    for name, value in exact.gradients.items():
        np.testing.assert_allclose(np.array(rounded.gradients[name]), np.array(value), atol=5e-3)


SHAPE_ERRORS = [
    (
        {"x": [[1, 2]], "params": {"Wh": [[1, 0], [0, 1]], "Wi": [[1, 2, 3], [4, 5, 6]]}},
        "Wi is 2×3 but must be H×D = 2×2",
    ),
    ({"x": [[1]], "params": {"Wh": [[1, 0], [0, 1], [1, 1]]}}, "Wh is 3×2"),
    (
        {"x": [[1]], "params": {"Wh": [[1, 0], [0, 1]], "b": [1, 2, 3]}},
        "b is a vector of 3 but must be a vector of H",
    ),
    ({"x": [[1, 2], [3]], "params": {"Wh": [[1]]}}, "rows of different lengths"),
    (
        {"x": [[1]], "params": {"Wh": [[1]], "a": [[1]]}, "g": [[1, 2]], "loss": "mse"},
        "g has rows of 2 but the output",
    ),
    (
        {"x": [[1], [2]], "params": {"Wh": [[1]], "a": [[1], [2]]}, "g": [0, 5], "loss": "softmax-ce"},
        "g_2 = 5 is not a class index",
    ),
    ({"x": [[1]], "params": {"Wh": [[1]]}, "loss": "softmax-ce"}, "needs targets"),
    ({"x": [[1]], "params": {"Wh": [[1]]}, "loss": "bce"}, "not defined for vector outputs"),
    ({"x": [[[[1]]]], "params": {"Wh": [[1]]}}, "nested more than two deep"),
]


@pytest.mark.parametrize(("case", "message"), SHAPE_ERRORS)
def test_shape_errors_name_both_shapes(case: dict, message: str) -> None:
    with pytest.raises(InputError, match=None) as error:
        VectorProblem(**case)
    assert message in str(error.value)


def test_the_cli_reads_brackets_unquoted_and_quoted(cli) -> None:
    quoted = cli("grads", "--x", "[[1, 2], [0, 1]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]", "-f", "json")
    unquoted = cli(
        "grads", "--x", "[[1,", "2],", "[0,", "1]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]", "-f", "json"
    )
    assert quoted[0] == unquoted[0] == 0 and quoted[1] == unquoted[1]
    data = json.loads(quoted[1])
    assert data["problem"]["sizes"] == {"H": 2, "D": 2, "K": 1}
    assert np.array(data["gradients"]["Wh"]).shape == (2, 2) and np.array(data["gradients"]["a"]).shape == (
        1,
        2,
    )
    expected = derive(VectorProblem(x=[[1, 2], [0, 1]], params={"Wh": [[0.5, 0.1], [0.2, 0.3]]}), Settings())
    np.testing.assert_allclose(data["gradients"]["Wh"], expected.gradients["Wh"], rtol=1e-15)
    assert [row["h"] for row in data["forward"]][0] == list(expected.columns.values["h"][0])


def test_a_problem_file_with_matrices(cli, tmp_path: Path) -> None:
    problem = tmp_path / "p.toml"
    problem.write_text(
        'x = [[1, 2], [0, 1]]\ng = [0, 1]\nloss = "softmax-ce"\nactivation = "tanh"\n'
        "[params]\nWh = [[0.5, 0.1], [0.2, 0.3]]\na = [[1, 1], [0.5, -1]]\nc = 0\n",
        encoding="utf-8",
    )
    code, out, err = cli("grads", "--config", str(problem), "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    case = {
        "x": [[1, 2], [0, 1]],
        "g": [0, 1],
        "params": {
            "Wi": [[1, 1], [1, 1]],
            "Wh": [[0.5, 0.1], [0.2, 0.3]],
            "b": [1, 1],
            "a": [[1, 1], [0.5, -1]],
            "c": [0, 0],
        },
        "h0": [0, 0],
    }
    reference = vector_gradients(**case, activation="tanh", kind="softmax-ce")
    np.testing.assert_allclose(data["gradients"]["Wi"], reference["Wi"], rtol=1e-8)


SOFTMAX_PROBLEM = (
    "--x",
    "[[1, 2], [0, 1]]",
    "--wh",
    "[[0.5, 0.1], [0.2, 0.3]]",
    "--a",
    "[[1, 1], [0.5, -1]]",
)
SOFTMAX_PROBLEM += ("--g", "0", "1", "--loss", "softmax-ce")
"""Two classes from a two-unit RNN: the softmax problem the format and check tests share."""


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "html", "json"])
def test_every_format_writes_the_derivation(cli, fmt: str, tmp_path: Path) -> None:
    code, out, err = cli("grads", "--show-steps", *SOFTMAX_PROBLEM, "-f", fmt)
    assert code == 0, err
    if fmt == "latex":
        assert r"\begin{bmatrix}" in out
        assert "Overfull" not in compile_latex(out, tmp_path)
    elif fmt == "rich":
        assert "δ_1 = dh_1/do_1 · (aᵀ · dL_1/dy_1 + W_hᵀ · δ_2)" in out
        assert "dL/dW_h (t = 2) = δ_2 · h_1ᵀ" in out


def test_large_matrices_are_summarised_on_the_terminal_only(cli) -> None:
    rng = np.random.default_rng(3)
    wh = str(np.round(rng.normal(size=(6, 6)) * 0.3, 2).tolist())
    terminal = cli("grads", "--show-steps", "--x", "[[1], [0]]", "--wh", wh)[1]
    markdown = cli("grads", "--show-steps", "--x", "[[1], [0]]", "--wh", wh, "-f", "markdown")[1]
    assert "⟨6×6, ‖·‖ = " in terminal and "shape and norm" in terminal
    assert "⟨" not in markdown and r"\begin{bmatrix}" in markdown


def test_what_is_not_written_for_vectors_says_so(cli) -> None:
    big = str([[0.1] * 5 for _ in range(5)])
    code, _, err = cli("grads", "--show-steps", "--x", "[[1, 2]]", "--wh", big, "--exact")
    assert code == 2 and "--exact writes matrices out in full up to 4" in err


def test_check_agrees_for_a_vector_problem(cli) -> None:
    code, out, err = cli("check", *SOFTMAX_PROBLEM, "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and len(data["rows"]) == 4 + 4 + 2 + 4 + 2 + 2


def test_scalar_problems_are_untouched_by_softmax_ce(cli) -> None:
    code, _, err = cli("grads", "--loss", "softmax-ce")
    assert code == 2 and "needs a vector output" in err


@pytest.mark.parametrize("loss", LOSSES)
def test_numbers_only_agree_with_the_full_derivation(loss: str) -> None:
    """Without the steps the sums are matrix products over all steps at once: the same numbers."""
    problem = VectorProblem(**random_problem(21, "tanh", loss))
    full, lean = derive(problem, Settings()), derive(problem, Settings(), steps=False)
    assert full.loss == lean.loss
    for name, value in full.gradients.items():
        np.testing.assert_allclose(np.array(lean.gradients[name]), np.array(value), rtol=1e-13, atol=1e-15)


def test_the_softmax_example_in_the_docs_matches_the_reference() -> None:
    """docs/examples/vector-softmax.toml: every gradient against the 40-digit reference."""
    import tomllib

    root = ROOT
    data = tomllib.loads((root / "docs" / "examples" / "vector-softmax.toml").read_text(encoding="utf-8"))
    problem = VectorProblem(
        x=data["x"],
        g=data["g"],
        h0=data["h0"],
        params=data["params"],
        activation=data["activation"],
        loss=data["loss"],
    )
    d = derive(problem, Settings())
    reference = vector_gradients(data["x"], data["g"], data["params"], data["h0"], "tanh", "softmax-ce")
    for name, expected in reference.items():
        np.testing.assert_allclose(np.array(d.gradients[name]), expected, rtol=1e-9, atol=1e-12)
    assert d.loss == pytest.approx(
        float(vector_loss(data["x"], data["g"], data["params"], data["h0"], "tanh", "softmax-ce")), rel=1e-13
    )


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "html", "json"])
def test_a_vector_exercise_sheet_and_its_key(cli, fmt: str, tmp_path: Path) -> None:
    config = str(EXAMPLES / "vector-softmax.toml")
    code, sheet, err = cli("grads", "--show-steps", "--config", config, "--blank", "--explain", "-f", fmt)
    assert code == 0, err
    key = derive(
        VectorProblem(
            x=[[1, 0], [0.5, -1]],
            g=[2, 0],
            h0=[0, 0],
            activation="tanh",
            loss="softmax-ce",
            params={
                "Wi": [[0.5, -0.3], [0.2, 0.4]],
                "Wh": [[0.1, 0.2], [-0.3, 0.1]],
                "b": [0, 0.1],
                "a": [[1, -1], [0.5, 0.5], [-0.2, 0.8]],
                "c": [0, 0, 0],
            },
        )
    )
    hidden = [
        f"{v:.6f}"
        for step in key.steps()
        if not step.target.given and not step.definition
        for v in np.ravel(np.array(step.target.value, dtype=float))
        if abs(v) > 0.01
    ]
    assert hidden and not any(value in sheet for value in hidden)
    if fmt == "latex":
        compile_latex(sheet, tmp_path)
    answers = cli("grads", "--show-steps", "--config", config, "--answers", "-f", fmt)[1]
    assert sum(value in answers for value in hidden) > len(hidden) // 2


def test_training_a_vector_problem_follows_the_reference_gradient() -> None:
    from rnncalc.features.train import train

    case = random_problem(31, "tanh", "softmax-ce")
    run = train(VectorProblem(**case), lr=0.3, epochs=40)
    losses = [epoch.loss for epoch in run.history]
    assert losses[-1] < losses[0] and len(losses) == 41
    reference = vector_gradients(case["x"], case["g"], case["params"], case["h0"], "tanh", "softmax-ce")
    for name in ("Wi", "Wh", "b", "a", "c"):
        expected = np.array(case["params"][name]) - 0.3 * np.array(reference[name])
        np.testing.assert_allclose(np.array(run.history[1].params[name]), expected, rtol=1e-8, atol=1e-10)


def test_grading_vector_answers_entry_by_entry(cli, tmp_path: Path) -> None:
    """Nested lists are split into entries; each is marked against the reference, slips named."""
    case = random_problem(41, "tanh", "mse")
    reference = vector_gradients(case["x"], case["g"], case["params"], case["h0"], "tanh", "mse")
    wh = [[round(v, 4) for v in row] for row in reference["Wh"]]
    right = wh[0][0]
    wh[0][0] = -right if abs(right) > 1e-3 else right + 0.1  # a flipped sign (or a plain slip)
    problem = "\n".join(f"{k} = {json.dumps(v)}" for k, v in case.items() if k not in ("params",))
    params = "\n".join(f"{k} = {json.dumps(v)}" for k, v in case["params"].items())
    answers = tmp_path / "answers.toml"
    answers.write_text(
        f"dWh = {json.dumps(wh)}\ndb = {json.dumps([round(v, 4) for v in reference['b']])}\n\n"
        f"[problem]\n{problem}\ndigits = 4\n[problem.params]\n{params}\n",
        encoding="utf-8",
    )
    code, out, err = cli("grade", str(answers), "-f", "json")
    data = json.loads(out)
    marks = {row["name"]: row for row in data["marks"]}
    assert code == 1, err
    assert not marks["dL/dW_h[1,1]"]["ok"] and all(
        row["ok"] for name, row in marks.items() if name != "dL/dW_h[1,1]"
    )
    assert len(marks) == len(wh) * len(wh[0]) + len(reference["b"])


def test_a_quiz_on_a_vector_problem_marks_entry_by_entry(tmp_path: Path) -> None:
    """Typed vectors are compared entry by entry with the reference; the first wrong entry is named."""
    import subprocess
    import sys

    case = random_problem(51, "tanh", "mse")
    problem = VectorProblem(**case)
    trace = run_trace(problem)
    o_1 = [round(v, 4) for v in trace.values["o"][0]]
    h_1 = [round(v, 4) for v in trace.value("h", 1)]
    h_1[-1] = -h_1[-1] if abs(h_1[-1]) > 1e-3 else h_1[-1] + 0.5
    config = f"x = {json.dumps(case['x'])}\ng = {json.dumps(case['g'])}\nh0 = {json.dumps(case['h0'])}\n"
    config += 'activation = "tanh"\n[params]\n' + "".join(
        f"{k} = {json.dumps(v)}\n" for k, v in case["params"].items()
    )
    path = TESTS / "_vector_quiz.toml"
    path.write_text(config, encoding="utf-8")
    try:
        run = subprocess.run(
            [sys.executable, "-m", "rnncalc", "quiz", "--config", str(path), "--digits", "4"],
            input=f"{json.dumps(o_1)}\n{json.dumps(h_1)}\nq\n",
            capture_output=True,
            text=True,
        )
    finally:
        path.unlink()
    lines = run.stdout.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("[1/")) :]  # after the problem
    assert lines[1] == "  ✓ right" and lines[3].startswith("  ✗ h_1 = ")
    assert f"entry {len(h_1)} is" in run.stdout and "Score: 1 of 2 right" in run.stdout


def test_the_graph_of_a_vector_problem(cli, tmp_path: Path) -> None:
    """Every node carries its vector and its gradient; the gradients are the derivation's."""
    config = str(EXAMPLES / "vector-softmax.toml")
    code, out, err = cli("graph", "--config", config, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    nodes = {node["id"]: node for node in data["nodes"]}
    assert nodes["o_1"]["value"] == [0.5, 0.30000000000000004] or np.allclose(
        nodes["o_1"]["value"], [0.5, 0.3]
    )
    h1 = nodes["h_1"]
    # dL/dh_1 = aᵀ dL_1/dy_1 + W_hᵀ δ_2: the finite-difference slope of the loss in h_1 would need a bump
    # of h_1 alone, so check it against the delta relation δ_1 = dh_1/do_1 ⊙ dL/dh_1 instead.
    slope = 1 - np.array(h1["value"]) ** 2
    np.testing.assert_allclose(slope * np.array(h1["grad"]), nodes["o_1"]["grad"], rtol=1e-12)
    reference = vector_gradients(
        [[1, 0], [0.5, -1]],
        [2, 0],
        {
            "Wi": [[0.5, -0.3], [0.2, 0.4]],
            "Wh": [[0.1, 0.2], [-0.3, 0.1]],
            "b": [0, 0.1],
            "a": [[1, -1], [0.5, 0.5], [-0.2, 0.8]],
            "c": [0, 0, 0],
        },
        [0, 0],
        "tanh",
        "softmax-ce",
    )
    np.testing.assert_allclose(nodes["Wh"]["grad"], reference["Wh"], rtol=1e-9)
    assert cli("graph", "--config", config, "-f", "dot")[1].startswith("digraph rnncalc {")
    code, out, err = cli("graph", "--config", config, "-f", "rich")  # the tree of dL/dW_h's shares
    assert code == 0 and err == "" and out.startswith("dL/dW_h = ") and "via o_2: δ_2 · h_1ᵀ = " in out


def _refs_in(form) -> list:
    """Every quantity a rule reads."""
    found: list = []
    if form is not None:
        Rebuild(lambda leaf: (found.append(leaf) if isinstance(leaf, Ref) else None) or leaf)(form)
    return found


@pytest.mark.parametrize("loss", ["mse", "softmax-ce"])
def test_exact_values_evaluate_to_the_numbers(loss: str) -> None:
    """Each exact value, read back by SymPy with its named entries put in, equals the step's number."""
    case = random_problem(61, "sigmoid" if loss == "mse" else "tanh", loss)
    case["x"] = [row[:2] for row in case["x"]][:2]
    d = derive(
        VectorProblem(
            **{**case, "x": case["x"], "params": {k: v for k, v in case["params"].items() if k != "Wi"}}
        ),
        Settings(exact=True),
    )
    assert _exact_values_checked(d) > 10


@pytest.mark.parametrize("preset", ["gru", "lstm"])
def test_exact_values_of_a_gated_cell_evaluate_to_the_numbers(preset: str) -> None:
    """A GRU's and an LSTM's exact values (diagonal Jacobians shown as vectors) equal the numbers."""
    init = {"h": [0.1, 0.2]} | ({"s": [0.3, -0.1]} if preset == "lstm" else {})
    problem = VectorProblem(preset=preset, x=[[1], [0]], init=init)
    assert _exact_values_checked(derive(problem, Settings(exact=True))) > 40


@pytest.mark.parametrize("preset", ["elman", "lstm"])
def test_exact_values_of_a_row_vector_course_evaluate_to_the_numbers(preset: str) -> None:
    """CS231n's x · Wx read as a row times a matrix in exact arithmetic too (never diag(x) · Wx)."""
    gates = 4 if preset == "lstm" else 1
    rng = np.random.default_rng(3)
    params = {"Wx": rng.uniform(-1, 1, (2, 2 * gates)).round(1).tolist(), "b": [0.1] * (2 * gates)}
    params["Wh"] = rng.uniform(-1, 1, (2, 2 * gates)).round(1).tolist()
    problem = VectorProblem(
        convention="cs231n", preset=preset, x=[[[1, 0.5], [0, -1]]], init={"h": [[0.1, 0.2]]},
        params=params, upstream=[[[1, 0], [0.5, -0.5]]],
    )  # fmt: skip
    assert _exact_values_checked(derive(problem, Settings(exact=True))) > 10


def _exact_values_checked(d) -> int:
    """How many exact values, read back by SymPy with their named entries put in, equal their numbers."""
    import sympy
    from sympy.parsing.sympy_parser import convert_xor, standard_transformations

    entries: dict[str, float] = {}
    for step in d.steps():
        if step.definition:
            continue
        for ref in [step.target, *_refs_in(step.rule)]:
            value = ref.value
            flat = np.array(value, dtype=float)
            if flat.ndim == 2:
                entries |= {
                    f"{ref.name.text}[{i + 1},{j + 1}]": flat[i, j] for i, j in np.ndindex(flat.shape)
                }
            elif flat.ndim == 1:
                entries |= {f"{ref.name.text}[{i + 1}]": flat[i] for i in range(len(flat))}
            else:
                entries[ref.name.text] = float(flat)
    names = sorted(entries, key=len, reverse=True)
    checked = 0
    for step in d.steps():
        if step.exact is None:
            continue
        text = step.exact.name.text
        symbols = {}
        for k, name in enumerate(names):
            if name in text:
                text = text.replace(name, f"v{k}")
                symbols[f"v{k}"] = entries[name]
        functions = {
            "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
            "tanh": sympy.tanh,
            "exp": sympy.exp,
            "log": sympy.log,
        }
        parsed = sympy.parse_expr(
            text,
            local_dict={**functions, **{k: sympy.Float(v, 30) for k, v in symbols.items()}},
            transformations=(*standard_transformations, convert_xor),
        )
        got = np.array(
            sympy.Matrix(parsed).evalf(30).tolist() if isinstance(parsed, list) else [[parsed.evalf(30)]],
            dtype=float,
        )
        expected = np.array(step.target.value, dtype=float)
        if got.shape == (1, 1) and expected.ndim == 2 and expected.shape[0] == expected.shape[1] > 1:
            got = got[0, 0] * np.eye(len(expected))  # I, written 1: the identity (dy_t/dh_t of y = h)
        expected = expected.reshape(got.shape)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=step.target.name.text)
        checked += 1
    return checked


def test_published_many_to_one_thsis_in_matrix_form() -> None:
    """docs/examples/published.md §9: github.com/thsis/INFOSYS models/RNN-backprop.ipynb, as matrices."""

    case = {
        "x": [[0.2], [0.3], [0.4]],
        "g": [None, None, [7]],
        "params": {"Wi": [[2], [1]], "Wh": [[1, 2], [3, 4]], "b": [0, 0], "a": [[2, 4]], "c": [0]},
        "h0": [0, 0],
    }
    problem = VectorProblem(**case, activation="tanh", loss="half-sse")
    d = derive(problem, Settings(), steps=True)
    h = run_trace(problem).values["h"]
    published_h = (("0.37994896", "0.19737532"), ("0.87975882", "0.97711011"), ("0.9986059", "0.99999815"))
    for t, row in enumerate(published_h):
        assert all(close(value, digits) for value, digits in zip(h[t], row)), t + 1
    y = d.columns.values["y"]
    assert y[2][0] == pytest.approx(5.99720442000804, rel=1e-14)
    reference = vector_gradients(case["x"], case["g"], case["params"], case["h0"], "tanh", "half-sse")
    for name, expected in reference.items():
        np.testing.assert_allclose(np.array(d.gradients[name]), expected, rtol=1e-8, atol=1e-12, err_msg=name)
    params = dict(W1=2, W2=1, U11=1, U12=2, U21=3, U22=4, w1=2, w2=4)
    dW, dU = thsis_notebook_gradients([list(row) for row in h], (0.2, 0.3, 0.4), y[2][0], params)
    assert close(dW[0], "0.00034735") and close(dW[1], "0.00272708")  # the notebook's numbers, rebuilt
    assert close(dU[0], "0.00053191") and close(dU[1], "0.00212484")
    assert np.array(d.gradients["Wh"]).shape == (2, 2)  # the notebook's dU has 2 entries for a 2×2 matrix
    assert all(v < 0 for row in d.gradients["Wi"] for v in row)  # the notebook's dW has the other sign


def test_published_single_step_pixelbank() -> None:
    """docs/examples/published.md §11: pixelbank.dev's rnn_step, tanh(W_ax·[1, 2]) = [0.9354, 0.9801]."""
    problem = VectorProblem(
        x=[[1, 2]],
        params={"Wi": [[0.5, 0.6], [0.7, 0.8]], "Wh": [[0.1, 0.2], [0.3, 0.4]], "b": [0, 0]},
        h0=[0, 0],
        activation="tanh",
    )
    trace = run_trace(problem)
    assert trace.values["o"][0].tolist() == pytest.approx([1.7, 2.3], rel=1e-15)
    assert close(trace.value("h", 1)[0], "0.9354") and close(trace.value("h", 1)[1], "0.9801")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_steps_without_a_target_match_the_reference(seed: int, loss: str) -> None:
    case = random_problem(seed * 10 + LOSSES.index(loss), "tanh", loss)
    n = len(case["x"])
    rng = random.Random(seed)
    keep = rng.randrange(n)
    case["g"] = [g if t == keep or rng.random() < 0.5 else None for t, g in enumerate(case["g"])]
    d = derive(VectorProblem(**case), Settings(), steps=True)
    expected_loss = vector_loss(case["x"], case["g"], case["params"], case["h0"], "tanh", loss)
    assert d.loss == pytest.approx(float(expected_loss), rel=1e-12, abs=1e-14)
    reference = vector_gradients(case["x"], case["g"], case["params"], case["h0"], "tanh", loss)
    for name, expected in reference.items():
        np.testing.assert_allclose(np.array(d.gradients[name]), expected, rtol=1e-8, atol=1e-10, err_msg=name)


def test_the_cli_and_files_take_steps_without_a_target(cli, tmp_path: Path) -> None:
    common = ("--x", "[[0.2], [0.3], [0.4]]", "--wh", "[[1, 2], [3, 4]]", "--loss", "half-sse", "-f", "json")
    outputs = [cli("grads", *common, "--g", g) for g in ("[_, _, 7]", "[_, _, [7]]")]
    outputs.append(cli("grads", *common, "--g", "_", "_", "7"))
    assert all(code == 0 for code, _, _ in outputs), outputs
    assert len({out for _, out, _ in outputs}) == 1
    data = json.loads(outputs[0][1])
    assert data["problem"]["g"] == [None, None, [7.0]]
    problem = tmp_path / "p.toml"
    problem.write_text('x = [[0.2], [0.3], [0.4]]\ng = ["_", "_", [7]]\nloss = "half-sse"\n[params]\n'
                       'Wh = [[1, 2], [3, 4]]\n')  # fmt: skip
    code, out, err = cli("grads", "--config", str(problem), "-f", "json")
    assert code == 0, err
    assert json.loads(out)["gradients"] == data["gradients"]
    code, _, err = cli("grads", *common, "--g", "[_, _, _]")
    assert code == 2 and "give at least one target" in err and err.count("\n") == 1


@pytest.mark.parametrize("activation", ["sigmoid", "softplus", "tanh"])
def test_saturated_units_underflow_to_zero_instead_of_failing(activation: str) -> None:
    # pre-activations of ±800: exp(-800) is below the smallest double, as a hand derivation writes 0
    case = {
        "x": [[1.0], [-1.0]],
        "g": [[0.5], [0.25]],
        "h0": [0.0, 0.0],
        "params": {"Wi": [[800.0], [-800.0]], "Wh": [[0.0, 0.0], [0.0, 0.0]], "b": [0.0, 0.0]},
    }
    d = derive(VectorProblem(**case, activation=activation), Settings())
    params = case["params"] | {"a": [[1.0, 1.0]], "c": [1.0]}
    reference = vector_gradients(case["x"], case["g"], params, case["h0"], activation, "mse")
    for name, expected in reference.items():
        np.testing.assert_allclose(
            np.array(d.gradients[name], dtype=float), expected, atol=1e-9, err_msg=name
        )


def test_check_at_a_relu_kink_skips_what_cannot_see_its_side(cli) -> None:
    # W_i x_0 + b has an entry exactly 0: a central difference straddles the kink, so it is skipped
    # (as for scalars) instead of reporting a false disagreement
    args = [
        "--x",
        "[[1,-1],[2,1]]",
        "--wi",
        "[[1,1],[1,-1]]",
        "--wh",
        "[[0.5,0.1],[0.2,0.3]]",
        "--b",
        "[0,0]",
    ]
    code, out, _ = cli(
        "check", *args, "--a", "[[1,1],[0.5,-1]]", "--g", "[[0.5,1],[0,-1]]", "--activation", "relu"
    )
    assert code == 0 and "finite differences skipped: some entry of o_t is within 0.001 of a kink" in out
    code, out, _ = cli("check", *args[:-1], "[0.5,0.5]", "--activation", "relu")  # away from the kink
    assert code == 0 and "finite differences skipped" not in out


def test_a_vector_kink_is_decided_exactly(cli) -> None:
    """o_1 = 0.1 + 0.2 - 0.3 is exactly 0 (5.6e-17 in floating point): relu'(0) = 0 stops every path
    through h, as for scalars; only c's gradient, 2·(c - g) = -8 with y_1 = 0 + 1, is left."""
    args = ["--activation", "relu", "--x", "[[0.1]]", "--wi", "[[1]]", "--wh", "[[1]]", "--h0", "[0.2]"]
    code, out, err = cli("grads", *args, "--b", "[-0.3]", "--c", "[1]", "--g", "5", "-f", "json")
    assert code == 0, err
    gradients = json.loads(out)["gradients"]
    assert gradients["Wi"] == [[0.0]] and gradients["Wh"] == [[0.0]] and gradients["b"] == [0.0]
    assert gradients["c"] == [-8.0]
    # a hair above the kink the slope is 1 again: the decision is the value's, not a tolerance's
    code, out, err = cli("grads", *args, "--b", "[-0.2999]", "--c", "[1]", "--g", "5", "-f", "json")
    assert json.loads(out)["gradients"]["b"][0] == pytest.approx(2 * (1.0001 - 5), rel=1e-12)


@pytest.mark.slow
def test_a_matrix_of_eleven_columns_compiles(cli, tmp_path: Path) -> None:
    """amsmath's bmatrix stops at 10 columns: a wider matrix is an array, so the document compiles."""
    x = str([[round(0.1 * i, 1) for i in range(11)]])
    code, out, err = cli("grads", "--show-steps", "--x", x, "--wh", "[[0.5]]", "--g", "1", "-f", "latex")
    assert code == 0, err
    assert r"\begin{array}{ccccccccccc}" in out
    compile_latex(out, tmp_path)


def test_both_methods_on_vectors_from_the_command_line(cli) -> None:
    args = ["grads", "--x", "[[0.1, 0.2], [0.3, 0.1]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]", "--g", "5", "6"]
    code, out, _ = cli(*args, "--method", "both")
    assert code == 0 and "Forward and backward agree" in out and "a column for each entry of θ" in out
    code, _, err = cli(*args, "--method", "forward", "--exact")
    assert code == 2 and "drop --exact or --method" in err
    big = str([[0.1] * 8 for _ in range(8)])
    code, _, err = cli("grads", "--x", str([[0.1] * 8] * 300), "--wh", big, "--wi", big, "--method", "both")
    assert code == 2 and "--method forward carries a column for each of the" in err
