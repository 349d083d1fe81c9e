"""The single host's file cache: writes that cost the same at any size, a cap
that still holds, and expired files that go."""

from pathlib import Path

import pytest

from config import cache as cache_module
from config.cache import FileCache


def files_in(folder: Path) -> int:
    return len(list(folder.glob("*.djcache")))


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    return now


def test_writes_do_not_list_the_whole_folder_each_time(tmp_path, monkeypatch, clock):
    cache = FileCache(str(tmp_path), {})
    listings = []
    list_files = cache._list_cache_files
    monkeypatch.setattr(
        cache, "_list_cache_files", lambda: listings.append(1) or list_files()
    )

    for number in range(50):
        cache.set(f"session-{number}", number)
    clock[0] += cache_module.CULL_EVERY_SECONDS
    cache.set("one-more", 0)

    assert len(listings) == 2
    assert cache.get("session-49") == 49


def test_the_cap_still_holds_a_minute_later(tmp_path, clock):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10}})
    for number in range(30):
        cache.set(f"key-{number}", number)
    over_the_cap = files_in(tmp_path)

    clock[0] += cache_module.CULL_EVERY_SECONDS
    cache.set("later", 1)

    assert over_the_cap == 30
    assert files_in(tmp_path) == 30 - 30 // 3 + 1  # Django culls a third


def test_expired_files_are_removed_and_the_others_kept(tmp_path):
    cache = FileCache(str(tmp_path), {})
    cache.set("expired", 1, timeout=0)
    cache.set("live", 2, timeout=3600)
    cache.set("for-ever", 3, timeout=None)

    removed = cache.delete_expired()

    assert removed == 1
    assert files_in(tmp_path) == 2
    assert cache.get("live") == 2 and cache.get("for-ever") == 3
