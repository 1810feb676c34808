"""--reduce-time: a loss's steps averaged or summed whatever the loss's own default, against the reference
loss (written in tests/reference.py) scaled by the number of targets, and each course's default."""

from __future__ import annotations

import numpy as np
import pytest
from reference import finite_differences, vector_gradients

from rnncalc.compute.problem import Problem, Settings
from rnncalc.derivation.derive import derive
from rnncalc.errors import InputError

X, G = [1, 0.5, -1], [0.3, None, 0.8]
THETA = {"Wi": 0.7, "Wh": -0.4, "a": 0.4, "b": 0.1, "c": 0.1, "h0": 0.3}  # 0 < y_t < 1 for bce
TARGETS = 2  # the steps of G with a target
PARAMS = {"Wi": THETA["Wi"], "Wh": THETA["Wh"], "a": THETA["a"], "b": THETA["b"], "c": THETA["c"]}


@pytest.mark.parametrize(
    ("loss", "reduce_time", "kind", "scale"),
    [
        ("mse", "sum", "mse", TARGETS),  # the mean's gradients times n
        ("mse", "mean", "mse", 1),
        ("sse", "mean", "sse", 1 / TARGETS),
        ("half-sse", "mean", "half-sse", 1 / TARGETS),
        ("bce", "sum", "bce", TARGETS),
    ],
)
def test_a_scalar_loss_reduced_over_time(loss: str, reduce_time: str, kind: str, scale: float) -> None:
    problem = Problem(x=X, g=G, h0=THETA["h0"], params=PARAMS, loss=loss, reduce_time=reduce_time)
    derivation = derive(problem, Settings(), steps=False)
    expected = finite_differences(X, G, THETA, kind=kind)
    for name, value in expected.items():
        assert derivation.gradients[name] == pytest.approx(value * scale, rel=1e-7, abs=1e-9), name


def test_the_loss_definition_says_how_the_steps_add_up() -> None:
    derivation = derive(Problem(x=X, g=G, loss="half-sse", reduce_time="mean"), Settings())
    lead = derivation.section("loss").lead
    assert (
        lead is not None
        and lead.text.startswith("L = 1/(2|T|) Σ_{t ∈ T}")
        and r"\frac{1}{2|T|}" in lead.latex
    )
    summed = derive(Problem(x=[1, 0], params=PARAMS, loss="bce", g=[0.2, 0.9], reduce_time="sum"), Settings())
    assert summed.section("loss").lead.text.startswith("L = -Σ_{t=1}^{n}")  # type: ignore[union-attr]


def test_a_softmax_output_summed_over_time() -> None:
    x, g = [[1, 0], [0, 1], [1, 1]], [0, 2, 1]
    params = {"Wi": [[0.5, -0.2], [0.1, 0.3]], "Wh": [[0.2, 0], [-0.1, 0.4]], "b": [0.1, -0.1]}
    params |= {"a": [[1, 0], [0, 1], [0.5, -0.5]], "c": [0, 0.1, -0.1]}
    problem = Problem(x=x, g=g, params=params, activation="tanh", loss="softmax-ce", reduce_time="sum")
    derivation = derive(problem, Settings(), steps=False)
    mean = vector_gradients(x, g, params, [0, 0], kind="softmax-ce")
    for name, entries in mean.items():
        got = np.asarray(derivation.gradients[name], dtype=float)
        assert got == pytest.approx(3 * np.asarray(entries, dtype=float), rel=1e-6, abs=1e-9), name


COURSE_PARAMS = {
    "cs231n": {"Wx": [[0.5, 0.1], [0.2, 0.3]], "Wh": [[0.1, 0], [0, 0.1]], "b": [0, 0.1]},
    "pytorch": {"weight_ih_l0": [[0.5, 0.1], [0.2, 0.3]], "weight_hh_l0": [[0.1, 0], [0, 0.1]]},
    "d2l": {"W_xh": [[0.5, 0.1], [0.2, 0.3]], "W_hh": [[0.1, 0], [0, 0.1]], "b_h": [0, 0.1]},
}


@pytest.mark.parametrize(("convention", "weight"), [("cs231n", 1), ("pytorch", 1 / 2), ("d2l", 1 / 2)])
def test_a_course_adds_up_its_steps_as_it_does(convention: str, weight: float) -> None:
    """CS231n sums a sequence's steps (temporal_softmax_loss), PyTorch and d2l average them."""
    steps = [[1, 0], [0, 1]], [[0.5, 0.5], [0.1, 0.2]]
    x, g = ([s] for s in steps) if convention == "cs231n" else ([[row] for row in s] for s in steps)
    given = {"convention": convention, "x": x, "g": g, "params": COURSE_PARAMS[convention], "loss": "mse"}
    assert float(Problem(**given).loss_weight) == weight
    assert float(Problem(**given, reduce_time="sum").loss_weight) == 1


def test_an_unknown_reduction_is_refused() -> None:
    with pytest.raises(InputError, match="--reduce-time must be one of mean, sum"):
        Problem(x=X, reduce_time="median")


def test_upstream_gradients_take_no_reduction() -> None:
    """dL/dy_t is given for every step: averaging it would silently halve every gradient."""
    with pytest.raises(InputError, match="--reduce-time and upstream gradients conflict"):
        Problem(convention="cs231n", x=[[[1, 0], [0, 1]]], params=COURSE_PARAMS["cs231n"],
                upstream=[[[1, 0], [0, 1]]], reduce_time="mean")  # fmt: skip


def test_a_vector_loss_term_averaged_writes_its_weight_once() -> None:
    """ℓ_t as the user wrote it; the 1/n in L's definition and in each step's term of L."""
    x, g = [[[1, 0]], [[0, 1]]], [[[1, 0]], [[0, 1]]]
    given = {"convention": "d2l", "x": x, "g": g, "params": COURSE_PARAMS["d2l"], "loss_term": "(y - g)**2"}
    section = derive(Problem(**given, reduce_time="mean"), Settings()).section("loss")
    term, total = section.steps[0], section.steps[1]
    assert section.lead is not None and section.lead.text.startswith("L = 1/n Σ_t Σ ℓ_t")
    assert "1/2" not in term.rule.__repr__() and "Fraction(1, 2)" not in repr(term.rule)
    assert "Fraction(1, 2)" in repr(total.rule)
