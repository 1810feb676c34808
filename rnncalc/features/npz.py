"""Arrays from a NumPy .npz archive, by name, as a problem file's keys (``np.savez("p.npz", x=x, ...)``).

Nothing in the archive runs: it is opened with ``allow_pickle=False`` (an object array is an error), only
arrays of numbers are taken, and the archive's uncompressed size is checked before any array is read.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

from ..errors import InputError

MAX_NPZ_BYTES = 64_000_000
"""The arrays of an archive, uncompressed, at most this (a compressed archive cannot hide a bomb)."""
TARGETS = ("g", "y", "targets")
INITIAL = {
    "h0": None,
    "prev_h": "h",
    "prev_c": "c",
    "a_prev": "a",
    "c_prev": "c",
    "a0": "a",
    "c0": "c",
    "s0": "s",
}
"""Initial states by the names courses give them (h0 is the problem's own key)."""
UPSTREAM = {"upstream": None, "dh": None}
"""Upstream gradients dL/dh_t (CS231n's rnn_backward calls them dh); upstream_c etc. for other states."""


def read_npz(path: Path) -> dict[str, Any]:
    """The archive's arrays as a problem table: x, g (NaN: no target), initial states, upstream
    gradients, every other array a parameter by its own name."""
    arrays = _arrays(path)
    table: dict[str, Any] = {}
    for name, array in arrays.items():
        value = array.tolist()
        if name == "x":
            table["x"] = value if isinstance(value, list) else [value]
        elif name in TARGETS:
            table["g"] = _targets(value, path, name)
        elif name in INITIAL:
            state = INITIAL[name]
            if state is None:
                table["h0"] = value
            else:
                table.setdefault("init", {})[state] = value
        elif name in UPSTREAM or name.startswith("upstream_"):
            state = name.removeprefix("upstream_") if name.startswith("upstream_") else "h"
            table.setdefault("upstream", {})[state] = value
        else:
            table.setdefault("params", {})[name] = value
    if "x" not in table:
        raise InputError(f"--config: {path} has no array named x (saved as np.savez(..., x=x, ...))")
    upstream = table.get("upstream")
    if upstream is not None and list(upstream) == ["h"]:
        table["upstream"] = upstream["h"]  # one state's: as the problem file's upstream = [...]
    return table


def _arrays(path: Path) -> dict[str, Any]:
    """The archive's arrays for --config."""
    return read_arrays(path, "--config")


def read_arrays(path: Path, what: str) -> dict[str, Any]:
    """The archive's arrays, each a NumPy array of numbers (errors name ``what`` the file is for)."""
    import numpy as np

    if not path.exists():
        raise InputError(f"{what}: {path} does not exist")
    if path.is_dir():
        raise InputError(f"{what}: {path} is a directory")
    try:
        if not zipfile.is_zipfile(path):  # one .npy array, a pickle or anything else: not read at all
            raise InputError(
                f"{what}: {path} is not a NumPy .npz archive (named arrays, as np.savez(path, x=x, ...) "
                "writes them)"
            )
        with np.load(path, allow_pickle=False) as archive:
            size = sum(info.file_size for info in archive.zip.infolist())
            if size > MAX_NPZ_BYTES:
                raise InputError(f"{what}: {path} holds {size:,} bytes of arrays, above {MAX_NPZ_BYTES:,}")
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(
            f"{what}: {path} is not a NumPy .npz archive of numbers ({_reason(error)})"
        ) from None
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise InputError(f"{what}: {path}: {name} holds {array.dtype} values, not numbers")
    return {name: array.astype(float) if array.dtype.kind == "b" else array for name, array in arrays.items()}


def _reason(error: BaseException) -> str:
    """Why an archive could not be read, in a few words."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def _targets(value: Any, path: Path, name: str) -> list[Any]:
    """Targets with NaN for a step without one (a whole row of NaN for a vector's), written "_"."""
    if not isinstance(value, list):
        value = [value]

    def one(item: Any) -> Any:
        if isinstance(item, float) and math.isnan(item):
            return "_"
        if (
            isinstance(item, list)
            and item
            and all(isinstance(v, float) and math.isnan(v) for v in _flat(item))
        ):
            return "_"
        if any(isinstance(v, float) and math.isnan(v) for v in _flat(item)):
            raise InputError(
                f"--config: {path}: {name} has NaN in part of a step's target; NaN marks a step without a "
                "target only when the whole step's target is NaN"
            )
        return item

    return [one(item) for item in value]


def _flat(value: Any) -> list[Any]:
    """A nested list's entries."""
    if isinstance(value, list):
        return [entry for item in value for entry in _flat(item)]
    return [value]
