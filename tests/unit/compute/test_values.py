"""The records of the kinds of value: each problem gets its own, every table keyed by kind has a row for
each, and a one-unit problem gives the same numbers whichever kind it is written as."""

from __future__ import annotations

import pytest

from rnncalc import Problem
from rnncalc.compute.run import run
from rnncalc.compute.values import ARRAYS, NUMBERS, given, values_of
from rnncalc.derivation.derive import WRITTEN_EXACTLY, derive
from rnncalc.derivation.flow_steps import SHARES
from rnncalc.derivation.jacobians import quantities_of
from rnncalc.derivation.writing import WRITINGS
from rnncalc.engine.written import written
from rnncalc.features.variants import DRAWN_VALUES
from rnncalc.render.json import PROBLEM_DATA
from rnncalc.render.reports.graph import VIA

KINDS = {NUMBERS.name, ARRAYS.name}


def one_unit(problem: Problem) -> Problem:
    """The worked example written with 1×1 matrices and 1-entry vectors."""
    params = {k: [[v]] if k in ("Wi", "Wh", "a") else [v] for k, v in problem.params.items()}
    return Problem(x=[[v] for v in problem.x], g=[[v] for v in problem.g], h0=[0], params=params)


def test_each_problem_gets_the_record_of_its_values() -> None:
    assert values_of(Problem()) is NUMBERS
    assert values_of(one_unit(Problem())) is ARRAYS


@pytest.mark.parametrize("table", [WRITINGS, WRITTEN_EXACTLY, SHARES, PROBLEM_DATA, DRAWN_VALUES, VIA])
def test_every_table_keyed_by_kind_has_a_row_for_each_kind(table: dict[str, object]) -> None:
    assert set(table) == KINDS


@pytest.mark.parametrize("problem", [Problem(), one_unit(Problem())])
def test_the_quantities_are_of_the_problems_kind(problem: Problem) -> None:
    trace = run(problem)
    q = quantities_of(trace, written(trace.net, problem.loss, problem.loss_weight, problem.loss_term))
    assert q.values_name == values_of(problem).name


def test_a_one_unit_problem_is_the_same_problem_in_either_kind() -> None:
    numbers, arrays = Problem(x=[1, 0, 0.5], g=[1, 0, 1]), one_unit(Problem(x=[1, 0, 0.5], g=[1, 0, 1]))
    assert given(arrays).keys() == given(numbers).keys()
    for method in ("forward", "backward"):
        a, b = derive(numbers, method=method), derive(arrays, method=method)
        assert b.loss == pytest.approx(a.loss, rel=1e-12)
        for key, value in a.gradients.items():
            assert float(b.gradients[key][0] if key in ("b", "c", "h0") else b.gradients[key][0][0]) == (
                pytest.approx(value, rel=1e-12)
            )
