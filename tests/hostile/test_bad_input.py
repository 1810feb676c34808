"""Bad input: a clear one-line error on stderr, the right exit status, nothing on stdout, no traceback."""

from __future__ import annotations

import re

import pytest
from bad_inputs import BAD_INPUTS, FIXTURES, expand, prepare
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Every bad input of tests/bad_inputs.py, run as a command: the slow tier (.ci/run: pytest -m slow).

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def scratch(tmp_path):
    prepare(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(("case", "args", "status", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input(cli, scratch, case: str, args: list[str], status: int, message: str) -> None:
    code, out, err = cli(*expand(args, str(scratch)))
    assert code == status, err
    assert out == ""
    assert err.startswith("rnncalc: error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err and "internal error" not in err
    assert not RAW_CONTROL.search(err), "control characters reach the terminal escaped, never raw"
    for name, text in FIXTURES.items():  # nothing the user had is lost or changed
        assert (scratch / name).read_text(encoding="utf-8") == text, name
    assert not list(scratch.glob(".rnncalc-*")), "no temporary file is left behind"


TOKENS = st.sampled_from(
    [
        "grads",
        "forward",
        "check",
        "--x",
        "--g",
        "--h0",
        "--wi",
        "--wh",
        "--a",
        "--b",
        "--c",
        "--activation",
        "--loss",
        "--digits",
        "--round-intermediate",
        "--exact",
        "--format",
        "-f",
        "--show-steps",
        "--all-steps",
        "--fragment",
        "--markdown-flavor",
        "--inputs",
        "--",
        "-",
        "1",
        "0",
        "-1",
        "1/2",
        "1e-3",
        "1e400",
        "1/0",
        "nan",
        "inf",
        "sigmoid",
        "tanh",
        "relu",
        "identity",
        "mse",
        "sse",
        "json",
        "rich",
        "markdown",
        "latex",
        "github",
        "generic",
        "7",
        "31",
        "abc",
        "",
        ",",
        "1,0",
        "é",
        "--version",
        "--help",
        "-x",
        "--x=1",
        "--digits=3",
        "train",
        "graph",
        "grade",
        "init",
        "--cell",
        "h = tanh(Wi*x + Wh*h_prev)",
        "y = a*h",
        "h = o",
        "y = __import__('os')",
        "--param",
        "Wi=2",
        "Q=1",
        "Wh",
        "--method",
        "both",
        "backward",
        "--blank",
        "--answers",
        "--lr",
        "--epochs",
        "--optimizer",
        "momentum",
        "--clip",
        "--config",
        "/nonexistent.toml",
        "--inputs",
        "dot",
        "--loss",
        "--activation",
    ]
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(TOKENS, max_size=12))
def test_random_command_lines_never_crash(cli, args: list[str]) -> None:
    code, _, err = cli(*args)
    assert code in (0, 1, 2)
    assert "Traceback" not in err and "internal error" not in err
    if code:
        assert err.count("\n") == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=8), max_size=6))
def test_random_text_values_never_crash(cli, values: list[str]) -> None:
    code, _, err = cli("grads", "--x", *values) if values else cli("grads")
    assert code in (0, 1, 2) and "Traceback" not in err and "internal error" not in err
