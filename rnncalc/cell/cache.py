"""The per-user cache of derived cell data: a custom cell is differentiated by SymPy once per user.

Each entry is one JSON file in the user's cache folder (platformdirs; ``RNNCALC_CACHE_DIR`` overrides
it, and an empty value turns the cache off), named by a hash of its key, rnncalc's version and the
shipped data's digest, and holding the key itself. A file that is missing, unreadable, corrupt, for
another key or not well formed is treated as absent: the data is derived again. Writes go to a
temporary file that is renamed into place, so concurrent runs never see half a file; a folder that
cannot be written is skipped.
"""

from __future__ import annotations

import json
import os
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


def load(key: Any, valid: Callable[[Any], bool]) -> Any | None:
    """The cached data for ``key`` if a sound entry exists, else None (never an error)."""
    base = folder()
    if base is None:
        return None
    stamped = _stamp(key)
    try:
        entry = json.loads(_path(base, stamped).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != stamped:
        return None
    data = entry.get("data")
    try:
        return data if valid(data) else None
    except (TypeError, ValueError, RecursionError):
        return None


def store(key: Any, data: Any) -> None:
    """Save ``data`` for ``key`` atomically; any failure (read-only folder, full disk) is ignored."""
    base = folder()
    if base is None:
        return
    stamped = _stamp(key)
    target = _path(base, stamped)
    temporary = None
    try:
        base.mkdir(parents=True, exist_ok=True)
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
