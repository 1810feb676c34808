"""The one engine: a cell's formulas as trees, one rule per primitive operation, generated code.

``diff`` differentiates a formula tree by the chain rule, each function's derivative taken from its
record in the function registry; ``printer`` writes trees as Python source; ``cse`` takes out what
several formulas share. Nothing here imports SymPy, and nothing is ever read back as code: the code
is generated afresh from the parsed cell at every run.
"""
