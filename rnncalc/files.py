"""Writing output files safely: a temporary file beside the target, renamed into place.

Nothing the user had is lost or half-written: a failed write leaves the old file as it was. A symlink is
followed (its target is replaced, the link kept); a device or FIFO (``-o /dev/null``) is written in place,
never replaced by a regular file; a read-only file is replaced only when asked (``--force``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError, RnnCalcError

TEMPORARY_PREFIX = ".rnncalc-"


def _fail(path: Path, reason: object) -> RnnCalcError:
    """An error naming the file."""
    text = str(path)
    shown = text if len(text) <= 80 else f"{text[:40]}…{text[-30:]}"
    return RnnCalcError(f"cannot write {shown}: {reason}")


def _mode(path: Path) -> int | None:
    """The file's mode (following symlinks), or None when there is no such file."""
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise _fail(path, f"{path.parent} is not a directory") from None
    except OSError as error:
        raise _fail(path, error.strerror or error) from None


def refuse_overwriting(output: Path | None, *inputs: Path | None) -> None:
    """An output file may not be one of the command's inputs (it would replace what it was read from)."""
    if output is None or str(output) == "-":
        return
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        try:
            same = output.exists() and source.exists() and os.path.samefile(output, source)
        except OSError:
            same = False
        try:
            same = same or output.resolve(strict=False) == source.resolve(strict=False)
        except (OSError, RuntimeError):  # a symlink loop is no input file
            pass
        if same:
            raise InputError(f"-o {output}: that is the input file {source}; write the output somewhere else")


def write_atomically(path: Path, text: str | bytes, force: bool = False) -> None:
    """Write text to path; on any failure the previous file is untouched and no partial file is left."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        target = path.resolve() if path.is_symlink() else path
    except OSError as error:
        raise _fail(path, error.strerror or error) from None
    except RuntimeError:  # Python before 3.13 reports a symlink loop this way
        raise _fail(path, "it is a symbolic link that points back to itself") from None
    mode = _mode(target)
    if mode is not None and stat.S_ISDIR(mode):
        raise _fail(path, "it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(target, data)
        return
    if mode is not None and not mode & 0o222 and not force:  # by its mode bits: root may write anything
        raise _fail(path, "it is read-only; use --force to replace it")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        reason = "is not a directory" if directory.exists() else "does not exist"
        raise _fail(path, f"{directory} {reason}")
    temporary = _temporary_copy(target, data, directory)
    try:
        os.chmod(temporary, (mode & 0o7777) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _fail(path, error.strerror or error) from None
        raise


def create_new(path: Path, text: str) -> None:
    """Write a new file, refusing (atomically, even against a concurrent run) one that already exists."""
    directory = path.parent if str(path.parent) else Path(".")
    temporary = _temporary_copy(path, text.encode("utf-8"), directory)
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        os.link(temporary, path)  # fails if path exists: no check-then-write race
    except FileExistsError:
        raise InputError(f"{path} already exists; use --force to replace it") from None
    except OSError as error:
        raise _fail(path, error.strerror or error) from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _temporary_copy(path: Path, data: bytes, directory: Path) -> str:
    """The data in a new temporary file beside the target (a short name, whatever the target's length)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=".tmp", dir=directory)
    except OSError as error:
        raise _fail(path, error.strerror or error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _fail(path, error.strerror or error) from None
        raise
    return temporary


def _write_in_place(path: Path, data: bytes) -> None:
    """A device or FIFO: write to it as it is (replacing /dev/null with a file would be a disaster)."""
    try:
        with path.open("wb") as stream:
            stream.write(data)
    except OSError as error:
        raise _fail(path, error.strerror or error) from None


def _umask() -> int:
    """The process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
