"""rnncalc: backpropagation through time for a scalar RNN, worked step by step with every number.

>>> from rnncalc import derive, Problem
>>> derivation = derive(Problem(x=[1, 0]))
>>> round(derivation.gradients["Wi"], 6)
0.102936
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "Derivation",
    "Problem",
    "Settings",
    "RnnCalcError",
    "InputError",
    "build_graph",
    "check",
    "derive",
    "grade",
    "load",
    "load_settings",
    "train",
    "__version__",
]

_LAZY = {
    "Derivation": "rnncalc.derivation.model",
    "Problem": "rnncalc.compute.problem",
    "Settings": "rnncalc.compute.problem",
    "RnnCalcError": "rnncalc.errors",
    "InputError": "rnncalc.errors",
    "derive": "rnncalc.derivation.derive",
    "train": "rnncalc.features.train",
    "check": "rnncalc.features.check",
    "build_graph": "rnncalc.features.graph",
    "grade": "rnncalc.features.grade",
    "load": "rnncalc.features.problem_file",
    "load_settings": "rnncalc.features.problem_file",
}
_RENAMED = {"load": "load_problem"}
"""Public names whose function is named otherwise in its module."""


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so the CLI's --help stays fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), _RENAMED.get(name, name))
    raise AttributeError(f"module 'rnncalc' has no attribute {name!r}")
