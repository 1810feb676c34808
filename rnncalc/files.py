"""Writing output files safely: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import RnnCalcError


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write text to path; on any failure the previous file is untouched and no partial file is left."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        reason = "is not a directory" if directory.exists() else "does not exist"
        raise RnnCalcError(f"cannot write {path}: {directory} {reason}")
    if path.is_dir():
        raise RnnCalcError(f"cannot write {path}: it is a directory")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise RnnCalcError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise RnnCalcError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    """The process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
