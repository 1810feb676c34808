"""The cell layer: function and loss registries, the safe equation parser, SymPy rules, the sweep compiler.

Importing this package stays free of SymPy; only ``rules``, ``equations``, ``sympy_functions`` and
``sweep`` import it.
"""

PARAMETERS: tuple[str, ...] = ("Wi", "Wh", "a", "b", "c")
"""The built-in cell's parameters: o = Wi·x + Wh·h_prev + b, y = a·h + c."""
