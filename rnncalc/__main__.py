"""python -m rnncalc."""

from .cli import run

run()
