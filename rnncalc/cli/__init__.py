"""The command line: the app, its shared options, and the one place errors become exit codes."""

from .app import app, main, run

__all__ = ["app", "main", "run"]
