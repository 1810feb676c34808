"""Every bad input a user could type, the exit status it gets and a fragment of its one-line message.

The tests run each case; scripts/make_docs.py writes docs/errors.md from the same list with the real
messages. ``{tmp}`` stands for a scratch directory holding a file named ``file``.
"""

from __future__ import annotations

LONG = 20_001

BAD_INPUTS: list[tuple[str, list[str], int, str]] = [
    ("non-numeric value", ["grads", "--x", "a"], 2, "'a' is not a number"),
    ("non-numeric parameter", ["grads", "--wh", "one"], 2, "--wh: 'one' is not a number"),
    ("empty --x", ["grads", "--x"], 2, "requires an argument"),
    ("empty value", ["grads", "--x", ""], 2, "expected one or more numbers"),
    ("empty item in a list", ["grads", "--x", "1,,0"], 2, "expected one or more numbers"),
    ("len(g) != len(x)", ["grads", "--x", "1", "0", "--g", "1"], 2, "g has 1 value(s) but x has 2"),
    ("nan", ["grads", "--x", "nan"], 2, "'nan' is not a number"),
    ("inf", ["grads", "--wi", "inf"], 2, "'inf' is not a number"),
    ("negative infinity", ["grads", "--g", "-inf", "--x", "1"], 2, "'-inf' is not a number"),
    ("division by zero", ["grads", "--b", "1/0"], 2, "divides by zero"),
    ("unknown activation", ["grads", "--activation", "softmax"], 2, "'softmax' is not one of"),
    ("unknown loss", ["grads", "--loss", "mae"], 2, "'mae' is not one of"),
    ("unknown format", ["grads", "--format", "pdf"], 2, "'pdf' is not one of"),
    ("--digits above 30", ["grads", "--digits", "31"], 2, "--digits must be between 0 and 30"),
    ("--digits below 0", ["grads", "--digits", "-1"], 2, "--digits must be between 0 and 30"),
    ("--digits not an integer", ["grads", "--digits", "six"], 2, "is not a valid int"),
    ("-o into a missing directory", ["grads", "-o", "{tmp}/missing/out.md"], 1, "does not exist"),
    ("-o below a file", ["grads", "-o", "{tmp}/file/out.md"], 1, "is not a directory"),
    ("-o onto a directory", ["grads", "-o", "{tmp}", "-f", "json"], 2, "is a directory"),
    ("-o with an unknown extension", ["grads", "-o", "{tmp}/out.xyz"], 2, "cannot tell the format"),
    ("a number too large for double precision", ["grads", "--x", "1e400"], 2, "too large to represent"),
    ("an absurd exponent", ["grads", "--wi", "1e99999"], 2, "too large or too small to represent"),
    (
        "values whose product overflows",
        ["grads", "--wi", "1e300", "--x", "1e300", "--activation", "identity"],
        1,
        "overflows double precision",
    ),
    ("a sequence too long to show", ["grads", "--show-steps", "--x", f"<{LONG:,} values>"], 2, "is too long"),
    ("--exact with --round-intermediate", ["grads", "--exact", "--round-intermediate"], 2, "conflict"),
    (
        "--fragment without LaTeX",
        ["grads", "-f", "json", "--fragment"],
        2,
        "--fragment applies to LaTeX output only",
    ),
    (
        "--markdown-flavor without Markdown",
        ["grads", "-f", "latex", "--markdown-flavor", "generic"],
        2,
        "--markdown-flavor applies to Markdown",
    ),
    (
        "check with --round-intermediate",
        ["check", "--round-intermediate"],
        2,
        "No such option: --round-intermediate",
    ),
    ("train with a bad learning rate", ["train", "--lr", "-1"], 2, "--lr must be a positive number"),
    ("unknown option", ["grads", "--bogus"], 2, "No such option: --bogus"),
    ("unknown command", ["frobnicate"], 2, "No such command 'frobnicate'"),
    ("stray argument", ["grads", "--x", "1", "a"], 2, "unexpected extra argument"),
]


def expand(args: list[str], tmp: str) -> list[str]:
    """The real argument list: the scratch directory filled in, long sequences written out."""
    result = []
    for arg in args:
        if arg == f"<{LONG:,} values>":
            result += ["0.5"] * LONG
        else:
            result.append(arg.replace("{tmp}", tmp))
    return result
