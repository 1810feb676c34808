"""Every loss of the registry against the independent reference: squared errors and binary cross-entropy."""

from __future__ import annotations

import pytest
import reference

from rnncalc import Problem, Settings, check, derive
from rnncalc.cell.losses import LOSSES


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_matches_the_reference(loss: str) -> None:
    # sigmoid with a = 1/2, c = 0 keeps y in (0, 1/2), inside binary cross-entropy's domain
    x, g = [1.0, -0.5, 2.0], [1.0, 0.0, 1.0]
    theta = {"Wi": 0.5, "Wh": -0.75, "a": 0.5, "b": 0.25, "c": 0.0, "h0": 0.0}
    problem = Problem(x=x, g=g, params={k: v for k, v in theta.items() if k != "h0"}, loss=loss)
    d = derive(problem, Settings(), method="both")
    assert d.loss == pytest.approx(reference.loss(x, g, theta, "sigmoid", loss), rel=1e-12)
    symbolic = reference.symbolic_gradients(x, g, theta, "sigmoid", loss)
    for name, value in symbolic.items():
        assert d.gradients[name] == pytest.approx(value, rel=1e-10, abs=1e-14), name
        assert d.backward_gradients[name] == pytest.approx(value, rel=1e-10, abs=1e-14), name
    assert check(problem).ok


def test_cross_entropy_outside_its_domain_names_the_step(cli) -> None:
    code, out, err = cli("grads", "--loss", "bce", "--g", "1", "0")
    assert code == 2 and out == "" and "y_1 = 1.8808" in err and "0 < y_t < 1" in err


def test_cross_entropy_derivation_shows_its_terms(cli) -> None:
    code, out, _ = cli("grads", "--show-steps", "--loss", "bce", "--g", "1", "0", "--a", "1/2", "--c", "0")
    assert code == 0 and "log(y_1)" in out and "dL_1/dy_1 = 1/2 · ((1 - g_1)/(1 - y_1) - g_1/y_1)" in out
