"""The per-user cache trusts only what this user alone could have written, as ssh does with its files."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from rnncalc.cell import cache

KEY = ["test entry", 1]
DATA = {"answer": [1, 2, 3]}


def valid(data: object) -> bool:
    return data == DATA


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder (not yet created) that the cache uses."""
    target = tmp_path / "cache"
    monkeypatch.setenv("RNNCALC_CACHE_DIR", str(target))
    return target


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def test_the_folder_is_made_for_this_user_alone_whatever_the_umask(folder: Path) -> None:
    old = os.umask(0)
    try:
        cache.store(KEY, DATA)
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = entries(folder)
    assert stat.S_IMODE(entry.stat().st_mode) & 0o077 == 0
    assert cache.load(KEY, valid) == DATA


def test_a_folder_others_may_write_is_neither_read_nor_written(folder: Path) -> None:
    cache.store(KEY, DATA)
    os.chmod(folder, 0o777)  # e.g. RNNCALC_CACHE_DIR pointed at a shared, world-writable folder
    assert cache.load(KEY, valid) is None
    for entry in entries(folder):
        entry.unlink()
    cache.store(KEY, DATA)
    assert entries(folder) == []


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="chown needs root")
def test_a_folder_or_entry_of_another_user_is_ignored(folder: Path) -> None:
    cache.store(KEY, DATA)
    (entry,) = entries(folder)
    os.chown(entry, 12345, 12345)
    assert cache.load(KEY, valid) is None
    os.chown(entry, 0, 0)
    assert cache.load(KEY, valid) == DATA
    os.chown(folder, 12345, 12345)
    assert cache.load(KEY, valid) is None


def test_an_entry_others_may_write_is_ignored(folder: Path) -> None:
    cache.store(KEY, DATA)
    (entry,) = entries(folder)
    os.chmod(entry, 0o666)
    assert cache.load(KEY, valid) is None


def test_a_symlinked_entry_is_never_followed(folder: Path, tmp_path: Path) -> None:
    cache.store(KEY, DATA)
    (entry,) = entries(folder)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert cache.load(KEY, valid) is None


def test_a_fifo_in_place_of_an_entry_neither_blocks_nor_is_read(folder: Path) -> None:
    cache.store(KEY, DATA)
    (entry,) = entries(folder)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(cache.load(KEY, valid)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading the cache waited on a FIFO"
    assert result == [None]


def test_an_oversized_entry_is_not_read(folder: Path) -> None:
    cache.store(KEY, DATA)
    (entry,) = entries(folder)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    stored["padding"] = "x" * (cache.MAX_ENTRY_BYTES + 1)
    entry.write_text(json.dumps(stored), encoding="utf-8")
    assert cache.load(KEY, valid) is None
