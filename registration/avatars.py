"""The avatar's state: brought up to date from Huey's result store, recovered
when a worker dies, and cleaned up after."""

import logging
import re
import time
from collections.abc import Iterable
from datetime import timedelta

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskException

from registration import heartbeat
from registration.models import PENDING_STATES, AvatarState, Profile
from registration.tasks import queue_resize

logger = logging.getLogger(__name__)

TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

UNEXPECTED_FAILURE = (
    "Something went wrong while processing your photo. "
    "Try again, or upload another one."
)


def refresh_avatar_state(profile: Profile) -> Profile:
    """Record the resize's outcome in the row the first time Huey reports it.

    Reading a result deletes it from Huey's store, so the outcome is kept in the
    row from then on: a terminal state costs no result-store read. Nor does a
    queued one: huey signals EXECUTING, which marks the row processing, before
    a task runs, so a queued task has no outcome yet. Huey stores nothing while
    a task runs, so `None` means "not yet".
    """
    if profile.avatar_state != AvatarState.PROCESSING:
        return profile
    task_id = profile.avatar_task_id
    try:
        outcome = HUEY.result(task_id)
    except TaskException as exc:
        logger.error(
            "task %s user %s: failed after every attempt: %s",
            task_id,
            profile.pk,
            exc.metadata.get("error"),
        )
        outcome = {"image": profile.image.name, "error": UNEXPECTED_FAILURE}
    if outcome is not None:
        record_outcome(profile, task_id, outcome)
    return profile


def record_outcome(profile: Profile, task_id: str, outcome: dict) -> bool:
    """Store a task's outcome if it is still the profile's current photo.

    An outcome for an image that has since been replaced is discarded, and the
    thumbnails it made are removed: the newer photo always wins.
    """
    if "error" in outcome:
        changes = {"avatar_state": AvatarState.FAILED, "avatar_error": outcome["error"]}
    else:
        # The original (with whatever metadata it carries) is kept only until
        # its thumbnails are recorded; a failed one stays for another attempt.
        changes = {
            "avatar_state": AvatarState.READY,
            "thumbnail": outcome["thumbnail"],
            "thumbnail_2x": outcome["thumbnail_2x"],
            "image": "",
        }
    changes["avatar_finished_at"] = timezone.now()
    if not profile.update_where(
        changes, avatar_task_id=task_id, image=outcome["image"]
    ):
        logger.info("task %s user %s: stale outcome discarded", task_id, profile.pk)
        delete_files_on_commit(
            thumbnails=[outcome.get("thumbnail"), outcome.get("thumbnail_2x")]
        )
        return False
    if changes["avatar_state"] == AvatarState.READY:
        delete_files_on_commit(originals=[outcome["image"]])
    logger.info(
        "task %s user %s: recorded as %s",
        task_id,
        profile.pk,
        profile.avatar_state,
        extra={
            "elapsed": (
                profile.avatar_finished_at - profile.avatar_queued_at
            ).total_seconds()
        },
    )
    return True


def retry_avatar(profile: Profile) -> bool:
    """Queue the same photo again after a failure ("Try again")."""
    if profile.avatar_state != AvatarState.FAILED or not profile.image:
        return False
    return queue_resize(profile, replacing_task=profile.avatar_task_id)


# Queued tasks (id, attempts) found neither waiting nor running at the last sweep.
_missing_at_last_sweep: set[tuple[str, int]] = set()


def sweep_avatars() -> int:
    """Requeue every pending photo whose task can no longer finish.

    Huey deletes a task from its queue when a worker takes it, so a worker
    killed mid-task, or an enqueue that failed after the commit, leaves a
    profile waiting forever. A task is alive while it waits in the queue or the
    schedule (a retry), while the worker that took it still beats, or once its
    outcome is in the result store (then it is simply recorded).

    A queued task can be missing from both for a moment without being lost:
    taken by a worker that has not yet marked it processing, between the
    schedule and the queue, between a failed attempt and its retry, committed
    but not yet sent. So the rows are read before the queue (a task only moves
    forward), and a queued task counts as lost only when the next sweep still
    finds it missing at the same attempt. Safe to run twice, or from several
    workers at once: a photo is requeued only while its old task id is still
    the current one.
    """
    global _missing_at_last_sweep
    pending = list(Profile.objects.filter(avatar_state__in=PENDING_STATES))
    waiting = {task.id for task in HUEY.scheduled()}
    waiting |= {task.id for task in HUEY.pending()}
    missing = set()
    requeued = 0
    for profile in pending:
        task_id = profile.avatar_task_id
        seen = (task_id, profile.avatar_attempts)
        refresh_avatar_state(profile)
        if not profile.avatar_pending or task_id in waiting:
            continue
        if profile.avatar_state == AvatarState.PROCESSING:
            if heartbeat.worker_alive(profile.avatar_worker):
                continue
        elif seen not in _missing_at_last_sweep:
            missing.add(seen)
            continue
        worker = profile.avatar_worker or "none"
        with transaction.atomic():
            if queue_resize(profile, replacing_task=task_id):
                requeued += 1
                logger.warning(
                    "task %s user %s: lost (worker %s), requeued as %s",
                    task_id,
                    profile.pk,
                    worker,
                    profile.avatar_task_id,
                )
    _missing_at_last_sweep = missing
    return requeued


def purge_orphans(min_age: timedelta = timedelta(hours=1)) -> tuple[int, int]:
    """Delete results nobody will read and thumbnails no profile shows.

    Results belong to a pending profile's current task, or to no one (a photo
    replaced or a user deleted while the task ran). Thumbnails older than
    `min_age` that no profile names are left over from such races.
    """
    wanted = set(
        Profile.objects.filter(avatar_state__in=PENDING_STATES).values_list(
            "avatar_task_id", flat=True
        )
    )
    stale_beat = time.time() - 86400
    results = 0
    for key, raw in HUEY.all_results().items():
        if key.startswith(heartbeat.ANY_WORKER_KEY):
            if HUEY.serializer.deserialize(raw) < stale_beat:
                HUEY.delete(key)
        elif TASK_ID.fullmatch(key) and key not in wanted:
            HUEY.delete(key)
            results += 1
    media = storages["default"]
    files = 0
    if media.exists("avatars"):
        shown = set(Profile.objects.values_list("thumbnail", flat=True))
        shown |= set(Profile.objects.values_list("thumbnail_2x", flat=True))
        cutoff = timezone.now() - min_age
        for name in media.listdir("avatars")[1]:
            path = f"avatars/{name}"
            if path not in shown and media.get_modified_time(path) < cutoff:
                media.delete(path)
                files += 1
    if results or files:
        logger.info("purged %d orphan results and %d orphan thumbnails", results, files)
    return results, files


def delete_files_on_commit(
    originals: Iterable[str | None] = (), thumbnails: Iterable[str | None] = ()
) -> None:
    """Remove files once the change that orphaned them has committed."""
    doomed = [("uploads", name) for name in originals if name]
    doomed += [("default", name) for name in thumbnails if name]
    if doomed:
        transaction.on_commit(lambda: _delete_files(doomed), robust=True)


def _delete_files(doomed: list[tuple[str, str]]) -> None:
    for alias, name in doomed:
        storages[alias].delete(name)
