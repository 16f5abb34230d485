"""The cache without Redis lists its directory at most once per CULL_EVERY seconds, and still culls."""
import os

from servicedesk import filecache
from servicedesk.filecache import ThrottledFileCache


def _cache(tmp_path, max_entries=5):
    return ThrottledFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": max_entries, "CULL_FREQUENCY": 2}})


def test_sets_list_the_directory_once_per_interval_then_cull(tmp_path, monkeypatch):
    cache = _cache(tmp_path)
    listed = []
    original = ThrottledFileCache._list_cache_files
    monkeypatch.setattr(ThrottledFileCache, "_list_cache_files", lambda self: listed.append(1) or original(self))
    clock = [1000.0]
    monkeypatch.setattr(filecache.time, "monotonic", lambda: clock[0])
    for i in range(12):
        cache.set(f"k{i}", i, 60)
    assert len(listed) == 1  # Django's own lists the directory on every set: 12 times
    assert len(os.listdir(tmp_path)) == 12 and cache.get("k11") == 11
    clock[0] += filecache.CULL_EVERY
    cache.set("later", 1, 60)
    assert len(listed) == 2
    assert len(os.listdir(tmp_path)) <= 12 // 2 + 1  # culled: half of the entries went (CULL_FREQUENCY 2)
    assert cache.get("later") == 1


def test_expired_entries_are_never_read(tmp_path):
    cache = _cache(tmp_path)
    cache.set("gone", 1, -1)
    assert cache.get("gone") is None
