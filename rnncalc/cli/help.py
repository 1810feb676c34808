"""Help that teaches: options grouped in panels, a few examples at the end, command summaries uncut.

Plain click help (no Rich) so that ``--help`` stays about as fast as importing typer.
"""

from __future__ import annotations

import difflib
import re
import shutil
from typing import Any

import typer.core
from typer import _click as click

from .options import PANELS

EXAMPLES: dict[str, tuple[str, ...]] = {
    "rnncalc": (
        "rnncalc                                   # the worked example, every step",
        "rnncalc forward --x 1 0                   # the forward pass",
        "rnncalc grads --show-steps -o notes.md    # the derivation as Markdown",
    ),
    "forward": (
        "rnncalc forward --x 1 0",
        "rnncalc forward --x 1 -1 0.5 --activation tanh --wh -1/2",
    ),
    "grads": (
        "rnncalc grads --show-steps",
        "rnncalc grads --show-steps --round-intermediate      # as by hand, 6 decimals",
        "rnncalc grads --show-steps -o derivation.html        # one web page, math as MathML",
        "rnncalc grads --x 1 2 3 --g 0.4 0.8 1.2 --loss half-sse -f json",
    ),
    "check": (
        "rnncalc check",
        "rnncalc check --activation relu --inputs -f markdown",
    ),
    "train": (
        "rnncalc train --lr 0.5 --epochs 20",
        "rnncalc train --optimizer momentum --clip 1 --show-steps",
    ),
    "graph": (
        "rnncalc graph -o graph.svg",
        "rnncalc graph -f rich --tree Wh",
    ),
    "grade": (
        "rnncalc grade answers.toml",
        "rnncalc grade answers.toml --config problem.toml -f markdown",
        "cat answers.toml | rnncalc grade -",
    ),
    "init": ("rnncalc init problem.toml && rnncalc grads --show-steps --config problem.toml",),
}


def write_examples(name: str, formatter: click.HelpFormatter) -> None:
    """The examples of a command, written as they are typed; at a narrow width the comment goes on the
    line above and a long command continues with a backslash, broken between words."""
    examples = EXAMPLES.get(name, ())
    if examples:
        with formatter.section("Examples"):
            for line in examples:
                for piece in example_lines(line, formatter.width - formatter.current_indent):
                    formatter.write(f"{'':>{formatter.current_indent}}{piece}\n")


def example_lines(line: str, width: int) -> list[str]:
    """One example as lines no wider than ``width`` where words allow it."""
    if len(line) <= width:
        return [line]
    command, _, comment = line.partition("  #")
    lines = [f"#{comment.rstrip()}"] if comment else []
    current = ""
    for word in command.split():
        if current and len(current) + 1 + len(word) + 2 > width:
            lines.append(current + " \\")
            current = "    " + word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current]


MIN_HELP_WIDTH = 30
NON_BREAKING_HYPHEN = "\u2011"
INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


class WordFormatter(click.HelpFormatter):
    """Click's help formatter, but a hyphenated word (many-to-one, half-sse) is never split at its hyphen."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        """The definition list, wrapped between words only."""
        room = self.width - self.current_indent
        kept = [_choices_below(first, second, room) for first, second in rows]
        kept = [(first, INNER_HYPHEN.sub(NON_BREAKING_HYPHEN, second)) for first, second in kept]
        start = len(self.buffer)
        col_max = min(col_max, max(12, self.width // 3))  # narrow: long options on a line of their own
        super().write_dl(kept, col_max, col_spacing)
        self.buffer[start:] = [piece.replace(NON_BREAKING_HYPHEN, "-") for piece in self.buffer[start:]]


CHOICES = re.compile(r"<([^<>]*\|[^<>]*)>")


def _choices_below(first: str, second: str, room: int) -> tuple[str, str]:
    """An option whose choices do not fit the width: NAME in the first column, the choices in words."""
    found = CHOICES.search(first)
    if found is None or len(first) <= room:
        return first, second
    return first.replace(found.group(0), "NAME"), f"One of {', '.join(found.group(1).split('|'))}. {second}"


def help_text(command: Any, ctx: click.Context) -> str:
    """A command's whole help, laid out by ``WordFormatter`` at the context's width."""
    columns = ctx.terminal_width or shutil.get_terminal_size().columns
    width = max(min(columns, ctx.max_content_width or 80) - 2, MIN_HELP_WIDTH)  # click's own floor is 50
    formatter = WordFormatter(width=width, max_width=ctx.max_content_width)
    command.format_help(ctx, formatter)
    return formatter.getvalue().rstrip("\n")


class PanelledCommand(typer.core.TyperCommand):
    """A command whose help lists its own options first, then the shared ones by panel, then examples."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Options grouped under Options (the command's own), Problem, Parameters, Cell, Method, Output."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and isinstance(param, typer.core.TyperOption):
                groups.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(record)
        for panel in ("Options", *PANELS):
            if groups.get(panel):
                with formatter.section(panel):
                    formatter.write_dl(groups[panel])

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The examples."""
        write_examples(self.name or "", formatter)

    def get_help(self, ctx: click.Context) -> str:
        """The help, wrapped between words."""
        return help_text(self, ctx)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        """[OPTIONS] and each argument in capitals: rnncalc grade [OPTIONS] ANSWERS."""
        arguments = [p for p in self.get_params(ctx) if isinstance(p, typer.core.TyperArgument)]
        return ["[OPTIONS]", *((p.metavar or (p.name or "").upper()) for p in arguments)]


class SummaryGroup(typer.core.TyperGroup):
    """The command group: summaries in full (wrapped, not cut with ...), examples at the end."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with the whole first line of its help."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, (command.help or "").strip().splitlines()[0]))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The examples."""
        write_examples("rnncalc", formatter)

    def get_help(self, ctx: click.Context) -> str:
        """The help, wrapped between words."""
        return help_text(self, ctx)


NEAR_MISSES: dict[tuple[str, str], str] = {
    **{
        ("--loss", word): "bce (binary targets, y in (0, 1)) or softmax-ce (class targets)"
        for word in ("cross-entropy", "crossentropy", "ce", "xent", "nll", "log-loss", "logloss", "bce-loss")
    },
    **{("--loss", word): '--loss-term "abs(y - g)" (your own loss term)' for word in ("mae", "l1", "abs")},
    **{("--loss", word): "mse (or sse, half-sse)" for word in ("l2", "mean-squared-error", "squared")},
    **{
        ("--activation", word): f"--preset {word} (a whole cell, not an activation)"
        for word in ("lstm", "gru", "elman")
    },
    **{("--activation", word): "sigmoid" for word in ("logistic", "sigma", "σ")},
    **{("--activation", word): "identity" for word in ("linear", "none", "id")},
    ("--activation", "leaky-relu"): "leaky_relu",
    ("--activation", "leakyrelu"): "leaky_relu",
}
"""What a value that is not one of an option's choices most likely meant."""
CHOICE = re.compile(r"Invalid value for '(--[\w-]+)'(?: / '-\w')?: '([^']*)' is not one of (.*)\.$")


def near_miss(message: str) -> str:
    """ " (did you mean ...?)" for a choice a user got nearly right, else nothing."""
    found = CHOICE.search(message)
    if found is None:
        return ""
    option, value, choices = found.group(1), found.group(2), re.findall(r"'([^']*)'", found.group(3))
    meant = NEAR_MISSES.get((option, value.strip().lower()))
    if meant is None:
        close = difflib.get_close_matches(value.lower(), choices, n=1, cutoff=0.6)
        meant = close[0] if close else None
    return f" (did you mean {meant}?)" if meant else ""
