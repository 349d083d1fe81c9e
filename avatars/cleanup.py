"""Files nobody needs any more: a photo's files once the change that orphaned
them has committed, and uploads spooled by processes that were killed."""

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction

from avatars.storage import thumbnail_names

logger = logging.getLogger(__name__)

# Spooled uploads older than this belong to no request still running.
STALE_UPLOAD_SECONDS = 3600


def delete_files_on_commit(
    originals: Iterable[str | None] = (), thumbnail_stems: Iterable[str | None] = ()
) -> None:
    """Remove files once the change that orphaned them has committed."""
    doomed = [("uploads", name) for name in originals if name]
    for stem in thumbnail_stems:
        doomed += [("default", name) for name in thumbnail_names(stem)]
    if doomed:
        transaction.on_commit(lambda: _delete_files(doomed), robust=True)


def _delete_files(doomed: list[tuple[str, str]]) -> None:
    for alias, name in doomed:
        storages[alias].delete(name)


def remove_stale_uploads(folder: Path, older_than: float = STALE_UPLOAD_SECONDS) -> int:
    """Delete spooled uploads older than `older_than` seconds: left behind by a
    process that was killed mid-request. Runs at start-up and now and then."""
    cutoff = time.time() - older_than
    removed = 0
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # another process got there first
            pass
    if removed:
        logger.info("removed %d stale spooled uploads from %s", removed, folder)
    return removed


_last_removal = {"at": float("-inf")}
_removal_lock = threading.Lock()


def remove_stale_uploads_now_and_then() -> None:
    """remove_stale_uploads, at most every ten minutes in this process."""
    with _removal_lock:
        if time.monotonic() - _last_removal["at"] < 600:
            return
        _last_removal["at"] = time.monotonic()
    remove_stale_uploads(Path(settings.FILE_UPLOAD_TEMP_DIR))
