"""The export's work in the Huey consumer: preparing an archive, and the
periodic sweep that deletes expired archives and fails lost ones.

Photos come first. The resize task has a higher priority (avatars.tasks), so a
consumer takes every queued photo before an export on the queues that order by
priority (SQLite, PostgreSQL). And each consumer prepares one archive at a
time: a second export reaching another of its worker threads goes back to the
schedule for a few seconds rather than wait, so that thread stays free for
photos. The lock is this process's own, not huey's lock_task: that one is a
key in the shared queue, one for every consumer together; it survives a
crash until a consumer starts with --flush-locks; and a task it refuses fails.
"""

import logging
import tempfile
import threading
import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from exports import archive, state
from exports.models import Export
from registration.tasks import queue_email

logger = logging.getLogger(__name__)

# Below the resize's (avatars.tasks.PHOTO_PRIORITY); 0 is also "no priority",
# which every queue accepts.
EXPORT_PRIORITY = 0
# How long an export that found this consumer busy with another waits.
BUSY_RETRY_SECONDS = 2.0

_one_export_at_a_time = threading.Lock()


def archives() -> Storage:
    """The private storage: a folder outside /media/, or private S3 objects."""
    return storages["uploads"]


def archive_name() -> str:
    return f"exports/{uuid.uuid4().hex}.zip"


@db_task(priority=EXPORT_PRIORITY, context=True)
def prepare_export(export_id: str, task: Task | None = None) -> None:
    if not _one_export_at_a_time.acquire(blocking=False):
        raise RetryTask(delay=BUSY_RETRY_SECONDS)
    try:
        prepare(export_id)
    finally:
        _one_export_at_a_time.release()


def prepare(export_id: str) -> None:
    """Build the export's archive in a temporary file, then store it whole:
    a failure anywhere leaves no archive, and the export failed."""
    if not state.start(export_id):
        return  # its account went, or the sweep gave up on it, before it ran
    stored = None
    try:
        export = Export.objects.select_related("user__profile", "user__avatar").get(
            pk=export_id
        )
        with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as out:
            archive.write_archive(
                export.user, out, lambda step: state.set_step(export_id, step)
            )
            size = out.tell()
            out.seek(0)
            stored = archives().save(archive_name(), File(out))
        email = state.finish(export_id, stored, size)
    except Export.DoesNotExist:
        logger.info("export %s: gone while it was prepared", export_id)
        delete_archive(stored)
        return
    except Exception:
        logger.exception("export %s: failed", export_id)
        delete_archive(stored)
        state.fail(export_id, state.FAILED)
        return
    logger.info("export %s: ready, %d bytes", export_id, size)
    if email:
        queue_email(email)


def delete_archive(name: str | None) -> None:
    if not name:
        return
    try:
        archives().delete(name)
    except Exception:
        # Named by no row: the sweep's listing of the folder would not find
        # it either, so say so loudly.
        logger.exception("archive %s could not be deleted", name)


@db_periodic_task(crontab(minute="*/5"))
def sweep_exports() -> None:
    """Delete the archives past their 24 hours; fail the exports that lost
    their task (so that their owners may ask again)."""
    expired = 0
    for export in state.due_for_expiry():
        # The download refuses it already; deleted first, so that a storage
        # that is down leaves it to the next sweep rather than unnamed.
        try:
            archives().delete(export.archive)
        except Exception:
            logger.exception("export %s: archive not deleted yet", export.pk)
            continue
        expired += state.expire(export)
    stuck = state.fail_stuck()
    if expired or stuck:
        logger.info(
            "exports: %d archives expired, %d lost exports failed", expired, stuck
        )
