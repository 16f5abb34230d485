"""The cache without Redis (`make run`, a small install): Django's file cache, culled now and then.

Django's FileBasedCache lists its whole directory on every set to decide whether to cull (up to its 300
entries: ~0.8 ms, an eighth of opening a ticket, whose double-click guard is one set). Here a process culls
at most once per CULL_EVERY seconds; expired entries are still never read (get checks the expiry), and the
directory still stays near MAX_ENTRIES (a burst between two culls adds at most what it writes)."""
import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 30.0


class ThrottledFileCache(FileBasedCache):
    _last_cull = float("-inf")

    def _cull(self):
        now = time.monotonic()
        if now - self._last_cull < CULL_EVERY:
            return
        self._last_cull = now
        super()._cull()
