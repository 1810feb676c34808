"""Errors meant for the user: each carries a one-line message and an exit status."""


class RnnCalcError(Exception):
    """A problem the user can fix; the CLI prints its message and exits 1."""

    exit_code = 1


class InputError(RnnCalcError):
    """Bad command-line input (a value, a length, a combination); exit status 2."""

    exit_code = 2


def failure(error: Exception) -> str:
    """Why the sweep stopped, in words: overflow, division by zero, a domain error, a complex number."""
    if isinstance(error, OverflowError) or "range" in str(error):
        return "overflows double precision; use smaller values"
    if isinstance(error, ZeroDivisionError):
        return "divides by zero"
    if isinstance(error, TypeError) and "complex" in str(error):
        return "gives a complex number (a fractional power of a negative value?); rnncalc works with reals"
    if isinstance(error, TypeError):
        raise error
    return f"is undefined ({error}: e.g. the log or square root of a negative number)"
