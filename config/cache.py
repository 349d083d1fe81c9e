"""The file cache of a single host, at the size of a real site.

Django's FileBasedCache lists its whole folder on every write to see whether it
holds more than MAX_ENTRIES: with 100,000 sessions that is 66 ms per login or
sign-up (measured here), growing with the membership. This one looks at most
once a minute per process, so the cap still holds within a minute, and the
daily housekeeping removes expired files, which Django only drops when they
are read or culled.
"""

import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY_SECONDS = 60.0


class FileCache(FileBasedCache):
    _last_cull = float("-inf")

    def _cull(self) -> None:
        now = time.monotonic()
        if now - self._last_cull < CULL_EVERY_SECONDS:
            return
        self._last_cull = now
        super()._cull()  # type: ignore[misc]  # private: django-stubs omit it

    def delete_expired(self) -> int:
        """Remove the files whose entries have expired; return how many."""
        removed = 0
        for name in self._list_cache_files():  # type: ignore[attr-defined]
            try:
                with open(name, "rb") as entry:
                    removed += self._is_expired(entry)  # type: ignore[attr-defined]
            except FileNotFoundError:  # removed meanwhile by another process
                pass
        return removed
