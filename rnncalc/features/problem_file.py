"""Problem files: every model option in a TOML file; options on the command line override the file."""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from ..compute.problem import Problem, Settings
from ..errors import InputError
from ..files import create_new, write_atomically

TEMPLATE = """# rnncalc problem file: the worked example of the documentation.
# Use it with:  rnncalc grads --show-steps --config problem.toml
# Options given on the command line override the values here.

# Inputs x_0 .. x_{n-1} and targets g_1 .. g_n (numbers, or strings such as "1/2";
# "_" for a step without a target, e.g. g = ["_", 1] for many-to-one).
x = [1, 0]
g = [1, 1]

# Initial state h_0.
h0 = 0

# Parameters. With the built-in cell: Wi, Wh, a, b, c (any left out are 1).
[params]
Wi = 1
Wh = 1
a = 1
b = 1
c = 1

# The rest is optional; these are the defaults.
# activation = "sigmoid"        # sigmoid, tanh, relu, leaky_relu, softplus or identity (built-in cell only)
# loss = "mse"                  # mse = 1/n Σ (y_t - g_t)^2, sse = plain sum, half-sse = 1/2 Σ, bce
# digits = 6                    # decimals shown
# method = "forward"            # forward, backward or both
# round_intermediate = false    # hand-calculation mode
# exact = false                 # also show exact values
#
# Your own cell instead of the built-in one (then leave out activation): equations in order,
# NAME_prev for the step before; or a preset (elman, jordan, gru, lstm; rnncalc cells lists them):
# cell = ["o = Wi*x + Wh*h_prev + b", "h = tanh(o)", "y = a*h + c"]
# preset = "gru"
# loss_term = "abs(y - g)"      # your own loss term instead of loss
# [init]                        # initial values of the cell's states (default 0)
# s = 0.1
# [inputs]                      # further input streams, n values each
# x2 = [2, 3]
#
# A mini-batch: x nested three deep, one matrix (a row per step) per sequence; g one list per sequence.
# x = [[[1, 2], [0, 1]], [[0.5, 1], [1, 0]]]
# g = [[1, 0.5], [0, 1]]
# reduce_batch = "mean"         # the batch loss: the mean (or sum) of the sequences' losses
# reduce_time = "sum"           # the loss over time: the mean or sum of the steps' (default: the loss's)
# convention = "cs231n"         # a course's names, layout and stacked weights (rnncalc conventions)
# upstream = [[...]]            # dL/dh_t given instead of targets and a loss ([upstream] h = ..., c = ...)
# sequence = 1                  # the sequence derived in full
# layers = 2                    # stacked layers of the cell: layer 2 reads layer 1's h (names Wi2, h2)
# bidirectional = true          # pytorch convention: a reverse direction too (hb; weight_ih_l0_reverse)
# truncate = 2                  # truncated BPTT: each loss term's gradient kept for 2 steps back
# chunked = true                # ... or in chunks of 2 steps, as detach() does
# arrays = "p.npz"              # arrays by name from np.savez("p.npz", x=x, Wh=Wh, ...) beside this file
#                               # (x, g with NaN for no target, h0 or prev_h, c0 or prev_c, the rest
#                               # parameters); the values in this file come first
#                               # (--config p.npz alone works too)
"""

KINDS: dict[str, str] = {
    "x": "numbers",
    "g": "numbers",
    "h0": "number",
    "params": "table",
    "activation": "text",
    "loss": "text",
    "cell": "texts",
    "preset": "text",
    "inputs": "streams",
    "init": "table",
    "loss_term": "text",
    "sequence": "integer",
    "reduce_batch": "text",
    "reduce_time": "text",
    "convention": "text",
    "upstream": "numbers",
    "layers": "integer",
    "bidirectional": "boolean",
    "digits": "integer",
    "truncate": "integer",
    "chunked": "boolean",
    "method": "text",
    "round_intermediate": "boolean",
    "exact": "boolean",
}


MAX_LIST = 2_000_000
"""No sequence is longer than derive() accepts, so longer lists are refused before their values are read."""
MAX_FILE_BYTES = 1_000_000
"""Problem and answers files are small; anything larger (or /dev/zero) is refused before it is read whole."""


def _read_text(path: Path) -> str:
    """The file's text (``-``: standard input), at most MAX_FILE_BYTES."""
    if str(path) == "-":
        if sys.stdin is None:
            raise OSError("standard input is closed")
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(f"larger than {MAX_FILE_BYTES:,} bytes, too large for a problem or answers file")
    return data.decode("utf-8")


def read_toml(path: Path, what: str, missing_hint: str = "") -> dict[str, Any]:
    """A TOML file (or ``-``, standard input) as a dict, or a one-line error naming the file."""
    return read_toml_with_text(path, what, missing_hint)[0]


def read_toml_with_text(path: Path, what: str, missing_hint: str = "") -> tuple[dict[str, Any], str]:
    """The TOML file as a dict, and its text (to echo values exactly as they were typed)."""
    shown = "standard input" if str(path) == "-" else str(path)
    try:
        text = _read_text(path)
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise InputError(f"{what}: {shown} does not exist{missing_hint}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: {shown} is a directory") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise InputError(f"{what}: cannot read {shown}: {reason}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{what}: {shown} is not valid TOML: {error}{_toml_hint(text, error)}") from None
    except RecursionError:
        raise InputError(f"{what}: {shown} is nested too deeply") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise InputError(
            f"{what}: {shown} holds an integer of more than 4,300 digits; write it with an exponent (1e4300)"
        ) from None


FRACTION = re.compile(r"=\s*(-?\d+\s*/\s*\d+)\s*(#.*)?$")


def _toml_hint(text: str, error: tomllib.TOMLDecodeError) -> str:
    """What to do about the usual slip on the line TOML stopped at: a fraction written bare."""
    lines = text.splitlines()
    at = re.search(r"at line (\d+)", str(error))
    number = int(at.group(1)) if at else 0
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    found = FRACTION.search(line)
    return f'; quote fractions: "{found.group(1).replace(" ", "")}"' if found else ""


def load(path: Path) -> dict[str, Any]:
    """The file's options, checked: numbers become text for rnncalc's exact number parser (an .npz
    archive: its arrays by name; a TOML key ``arrays`` names one beside the file)."""
    return checked_table(path, _raw(path, "--config", f" (rnncalc init {path} writes a template)"))


def _raw(path: Path, what: str, missing_hint: str = "") -> dict[str, Any]:
    """A problem file's table before checking: TOML, with the arrays of an .npz it names merged in (the
    TOML's own values first), or an .npz archive itself."""
    from .npz import read_npz

    if path.suffix.lower() == ".npz":
        return read_npz(path)
    raw = read_toml(path, what, missing_hint)
    named = raw.pop("arrays", None)
    if named is None:
        return raw
    if not isinstance(named, str):
        raise InputError(f"{path}: arrays must name an .npz file beside it, got {named!r}")
    arrays = read_npz(path.parent / named)
    for table in ("params", "init"):
        if table in arrays and isinstance(raw.get(table, {}), dict):
            raw[table] = arrays[table] | raw.get(table, {})
    return arrays | raw


SETTINGS_KEYS = ("digits", "round_intermediate", "exact", "truncate", "chunked")
"""The file's keys that are Settings, not the problem (``method`` is derive's own argument)."""


def load_problem(path: Path | str) -> Problem:
    """The problem a TOML problem file describes (rnncalc.load): every key checked as the CLI checks it;
    the settings keys (digits, method, ...) are left to ``load_settings``."""
    raw = _raw(Path(path), "problem file")
    checked_table(Path(path), raw)
    fields = {key: value for key, value in raw.items() if key not in (*SETTINGS_KEYS, "method")}
    return Problem(**fields)


def load_settings(path: Path | str) -> Settings:
    """The settings a problem file gives (digits, round_intermediate, exact, truncate, chunked)."""
    raw = _raw(Path(path), "problem file")
    checked_table(Path(path), raw)
    return Settings(**{key: raw[key] for key in SETTINGS_KEYS if key in raw})


def checked_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """A problem's keys (a problem file, or an answers file's [problem] table), checked."""
    return {key: _checked(path, key, value) for key, value in data.items()}


def _checked(path: Path, key: str, value: Any) -> Any:
    """One key's value in the form the command-line options have, or an error naming the key."""
    if key not in KINDS:
        close = difflib.get_close_matches(key, KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(KINDS)})"
        raise InputError(f"{path}: unknown key {key!r}{hint}")
    kind = KINDS[key]
    if isinstance(value, list) and len(value) > MAX_LIST:
        raise InputError(f"{path}: {key} has {len(value):,} values; rnncalc takes at most {MAX_LIST:,}")
    if kind == "numbers" and isinstance(value, list) and value and all(_is_number(v) for v in value):
        return [str(v) for v in value]
    if kind in ("numbers", "number") and _is_matrix(value):
        return [_bracketed(value)] if kind == "numbers" else _bracketed(value)
    if kind == "number" and _is_number(value):
        return str(value)
    if (
        kind == "table"
        and isinstance(value, dict)
        and all(_is_number(v) or _is_matrix(v) for v in value.values())
    ):
        return [f"{name}={_bracketed(v) if isinstance(v, list) else v}" for name, v in value.items()]
    if kind == "streams" and isinstance(value, dict) and all(_is_matrix(v) for v in value.values()):
        # numbers as a comma list; rows (a vector problem's stream) in brackets
        return [
            f"{name}={','.join(map(str, v)) if _is_numbers(v) else _bracketed(v)}"
            for name, v in value.items()
        ]
    if (
        kind == "numbers"
        and key == "upstream"
        and isinstance(value, dict)
        and bool(value)
        and all(map(_is_matrix, value.values()))
    ):
        return [f"{name}={_bracketed(v)}" for name, v in value.items()]  # [upstream] h = ..., c = ...
    if kind == "texts" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    expected = {
        "numbers": "a list of numbers (or of rows, [[1, 2], [0, 1]])",
        "number": "a number (or a vector)",
        "table": "a table of numbers, vectors or matrices",
        "streams": "a table of lists of numbers (x2 = [2, 3]) or of rows (u = [[1, 0], [0, 1]])",
        "texts": "a list of strings",
    }.get(kind, f"a {kind}")
    raise InputError(f"{path}: {key} must be {expected}, got {value!r}")


def _is_matrix(value: Any) -> bool:
    """A vector or a matrix: a non-empty list of numbers, or of such lists (a vector problem's value)."""
    return isinstance(value, list) and bool(value) and all(_is_number(v) or _is_matrix(v) for v in value)


def _bracketed(value: Any) -> str:
    """A nested list in the bracket notation the command line takes: [[0.5, 0.1], [0.2, 0.3]]."""
    if isinstance(value, list):
        return "[" + ", ".join(_bracketed(v) for v in value) + "]"
    return str(value)


def _is_numbers(value: Any) -> bool:
    """A non-empty list of numbers."""
    return isinstance(value, list) and bool(value) and all(_is_number(v) for v in value)


def _is_number(value: Any) -> bool:
    """An int, float or numeric string (checked later by the number parser)."""
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def write_template(path: Path, force: bool) -> None:
    """Write the commented template; never overwrite a file unless asked (even against a concurrent run)."""
    if force:
        write_atomically(path, TEMPLATE, force=True)
    else:
        create_new(path, TEMPLATE)
