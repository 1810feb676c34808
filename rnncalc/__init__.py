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
    "build_graph",
    "check",
    "derive",
    "train",
    "__version__",
]

_LAZY = {
    "Derivation": "rnncalc.derivation.model",
    "Problem": "rnncalc.compute.problem",
    "Settings": "rnncalc.compute.problem",
    "RnnCalcError": "rnncalc.errors",
    "derive": "rnncalc.derivation.derive",
    "train": "rnncalc.features.train",
    "check": "rnncalc.features.check",
    "build_graph": "rnncalc.features.graph",
}


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so the CLI's --help stays fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnncalc' has no attribute {name!r}")
