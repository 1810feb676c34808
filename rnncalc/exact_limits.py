"""How far exact values are written out (kept free of SymPy so renderers can name it)."""

COMPACT_OPS = 4
