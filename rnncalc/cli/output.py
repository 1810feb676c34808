"""Where results go: the terminal (colour, paging, wrapping, ASCII), a pipe, or the -o file."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..render import FORMATS, View, render, rich_of
from ..render.ascii import can_show, to_ascii
from ..text import visible

DEFAULT_WIDTH = 80
"""Text to a pipe or a file is wrapped at COLUMNS, or at this."""
MIN_WIDTH = 40
"""Narrower than this, a line is wrapped at this width anyway (an equation needs some room)."""


@dataclass(frozen=True)
class Terminal:
    """How output reaches the user: colour (None: automatic), paging (None: when taller), ASCII only."""

    color: bool | None = None
    pager: bool | None = None
    ascii: bool = False
    force: bool = False
    quiet: bool = False
    width: int | None = None
    """--width: wrap text at this many columns (0: never); None: the terminal's, or COLUMNS or 80."""

    def text_width(self, on_screen: bool, screen: int) -> int | None:
        """The width text is wrapped at: --width (0: none), the screen's, or COLUMNS (else 80)."""
        if self.width is not None:
            return max(self.width, MIN_WIDTH) if self.width else None
        if on_screen:
            return max(screen, MIN_WIDTH)
        columns = os.environ.get("COLUMNS", "")
        return max(int(columns), MIN_WIDTH) if columns.isdigit() and int(columns) > 0 else DEFAULT_WIDTH

    def wants_ascii(self) -> bool:
        """--ascii, or a stdout that cannot show σ and ·."""
        return self.ascii or not can_show(sys.stdout)

    def rich(self) -> bool:
        """Styled output: on a terminal, or when colour is forced (--color, FORCE_COLOR)."""
        if self.wants_ascii():
            return False
        forced = self.color is True or (self.color is None and bool(os.environ.get("FORCE_COLOR")))
        return sys.stdout.isatty() or forced

    def console(self) -> Any:
        """The stdout console: text kept verbatim, colour as asked."""
        from rich.console import Console

        no_color = self.color is False or (self.color is None and "NO_COLOR" in os.environ)
        return Console(
            markup=False,
            highlight=False,
            soft_wrap=True,
            emoji=False,
            force_terminal=True if self.color else None,
            no_color=no_color,
        )


def deliver(result: Any, format_name: str, output: Path | None, view: View, terminal: Terminal) -> None:
    """Any result: styled on a terminal (wrapped to its width, paged when long), else as text."""
    if output is None and format_name == "rich" and terminal.rich():
        console = terminal.console()
        width = terminal.text_width(sys.stdout.isatty(), console.width)
        with console.capture() as captured:
            console.print(rich_of(result, dataclasses.replace(view, width=width)))
        _show(captured.get(), terminal, console.height)
        return
    binary = FORMATS.get(format_name)
    if output is None and binary is not None and binary.binary:  # before typesetting: say it at once
        raise _not_text(format_name)
    ascii = terminal.ascii or (output is None and terminal.wants_ascii())
    on_screen = output is None and sys.stdout.isatty()
    if format_name == "rich":  # text to a pipe or a file: wrapped by the terminal's rules
        screen = shutil.get_terminal_size().columns
        view = dataclasses.replace(view, width=terminal.text_width(on_screen, screen))
    if ascii:  # the layout is made in ASCII (δ is spelled delta before lines are wrapped and stacked)
        view = dataclasses.replace(view, ascii=True)
    text = render(result, format_name, view)
    if isinstance(text, bytes):
        if output is None:
            raise _not_text(format_name)
        emit(text, output, terminal.force, terminal.quiet)
        return
    if ascii:
        text = to_ascii(text)
    if format_name != "json":  # JSON escapes control characters itself
        text = visible(text)
    emit(text, output, terminal.force, terminal.quiet)


def _not_text(format_name: str) -> InputError:
    """The error for a binary format asked for on the terminal."""
    return InputError(f"{format_name.upper()} is not text: write it to a file, e.g. -o sheet.{format_name}")


def _show(text: str, terminal: Terminal, height: int) -> None:
    """Styled text to the terminal, through the pager when asked or when taller than the screen."""
    tall = sys.stdout.isatty() and text.count("\n") > height
    if terminal.pager or (terminal.pager is None and tall):
        import pydoc

        os.environ.setdefault("LESS", "FRX")  # as git does: quit if one screen, keep colours
        pydoc.pager(text)
    else:
        sys.stdout.write(text)


def emit(text: str | bytes, output: Path | None, force: bool = False, quiet: bool = False) -> None:
    """Write text to the output file (saying so on stderr unless ``quiet``), or to stdout."""
    if output is None:
        sys.stdout.write(text if isinstance(text, str) else text.decode("utf-8"))
        return
    from ..files import write_atomically

    write_atomically(output, text, force)
    if not quiet:
        wrote(output, len(text.encode("utf-8") if isinstance(text, str) else text))


def wrote(path: Path, size: int) -> None:
    """One line on stderr: the file -o wrote, and its size."""
    shown = f"{size:,} bytes" if size < 10_000 else f"{size / 1000:,.0f} kB"
    sys.stderr.write(f"rnncalc: wrote {visible(str(path))} ({shown})\n")


SHOW_AFTER_SECONDS = 0.5


@contextlib.contextmanager
def progress(label: str) -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar on stderr for work that takes longer than half a second, only on a terminal.

    Yields ``update(done, total, stage)`` for work that can say how far it is; without updates the
    bar just pulses. Nothing is printed in pipes or files, and the bar disappears when done.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    bar = Progress(*columns, console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=None)
    timer = threading.Timer(SHOW_AFTER_SECONDS, bar.start)
    timer.daemon = True
    timer.start()

    def update(done: int, total: int, stage: str) -> None:
        """Advance the bar."""
        bar.update(task, completed=done, total=total, description=stage)

    try:
        yield update
    finally:
        timer.cancel()
        bar.stop()
