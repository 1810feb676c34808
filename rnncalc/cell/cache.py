"""The per-user cache of derived cell data: a custom cell is differentiated by SymPy once per user.

Each entry is one JSON file in the user's cache folder (platformdirs; ``RNNCALC_CACHE_DIR`` overrides
it, and an empty value turns the cache off), named by a hash of its key, rnncalc's version and the
shipped data's digest, and holding the key itself. A file that is missing, unreadable, corrupt, for
another key or not well formed is treated as absent: the data is derived again. Writes go to a
temporary file that is renamed into place, so concurrent runs never see half a file; a folder that
cannot be written is skipped. As ssh does with its files, the folder is made for this user alone
(0700 whatever the umask), and a folder or entry that another user owns or may write is ignored; an
entry is read only when it is a regular file (never a symlink, FIFO or device) of at most 4 MB.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA = 1
"""The layout of an entry; a change makes every older entry a miss."""


def folder() -> Path | None:
    """The cache folder, or None when caching is off (RNNCALC_CACHE_DIR set to an empty value)."""
    chosen = os.environ.get("RNNCALC_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None  # ~/x as a shell would read it
    import platformdirs

    return Path(platformdirs.user_cache_dir("rnncalc", appauthor=False))


def _stamp(key: Any) -> list[Any]:
    """The key with what makes derived data differ between installs: the schema, rnncalc's version and
    the shipped data (which changes with the code printer)."""
    from .. import __version__
    from .data import shipped_digest

    return [SCHEMA, __version__, shipped_digest(), key]


def _path(base: Path, stamped: list[Any]) -> Path:
    """The entry's file: a hash of the stamped key."""
    import hashlib  # here, not at the top: the worked example never touches the cache

    digest = hashlib.sha256(json.dumps(stamped, sort_keys=True).encode()).hexdigest()
    return base / f"{digest[:32]}.json"


MAX_ENTRY_BYTES = 4 << 20
"""The largest entry read (4 MB): a cell's derived data is a few kB; anything bigger is not ours."""


def _trusted(info: os.stat_result, directory: bool) -> bool:
    """Owned by this user and writable by no one else, as ssh asks of its files; of the right type."""
    right_type = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not right_type:
        return False
    if not hasattr(os, "getuid"):  # no owners to compare on this system
        return True
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _usable(base: Path) -> bool:
    """The folder exists, is a folder this user owns, and no one else may write to it."""
    try:
        return _trusted(os.stat(base), directory=True)
    except (OSError, ValueError):
        return False


def _read_entry(path: Path) -> bytes | None:
    """An entry's bytes: a regular file of this user's (never a symlink, FIFO or device), not too big."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(handle)
        if not _trusted(info, directory=False) or info.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read(MAX_ENTRY_BYTES + 1)
        return data if len(data) <= MAX_ENTRY_BYTES else None
    except OSError:
        return None
    finally:
        os.close(handle)


def load(key: Any, valid: Callable[[Any], bool]) -> Any | None:
    """The cached data for ``key`` if a sound entry exists, else None (never an error).

    Only data is read, never code: an entry is plain JSON, checked by ``valid`` node by node. A folder or
    entry another user owns or may write is not read at all (the data is derived afresh).
    """
    base = folder()
    if base is None or not _usable(base):
        return None
    stamped = _stamp(key)
    raw = _read_entry(_path(base, stamped))
    if raw is None:
        return None
    try:
        entry = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != stamped:
        return None
    data = entry.get("data")
    try:
        return data if valid(data) else None
    except (TypeError, ValueError, RecursionError):
        return None


def _make_folder(base: Path) -> bool:
    """Create the folder for this user only (0700 whatever the umask); True when it is usable."""
    if not base.exists():
        base.parent.mkdir(parents=True, exist_ok=True)
        try:
            base.mkdir(mode=0o700)
        except FileExistsError:
            pass
        else:
            os.chmod(base, 0o700)  # mkdir's mode is masked by the umask; chmod's is not
    return _usable(base)


def store(key: Any, data: Any) -> None:
    """Save ``data`` for ``key`` atomically; any failure (read-only folder, full disk) is ignored."""
    base = folder()
    if base is None:
        return
    stamped = _stamp(key)
    target = _path(base, stamped)
    temporary = None
    try:
        if not _make_folder(base):
            return  # another user's or a shared folder: nothing is written there
        handle, temporary = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=base)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({"key": stamped, "data": data}, file)
        os.replace(temporary, target)
        temporary = None
    except OSError:
        pass
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
