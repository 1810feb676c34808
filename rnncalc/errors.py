"""Errors meant for the user: each carries a one-line message and an exit status."""


class RnnCalcError(Exception):
    """A problem the user can fix; the CLI prints its message and exits 1."""

    exit_code = 1


class InputError(RnnCalcError):
    """Bad command-line input (a value, a length, a combination); exit status 2."""

    exit_code = 2
