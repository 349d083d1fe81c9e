"""The avatar's state: every write of an Avatar's fields, its photo and its
thumbnails happens here, and nowhere else.

    none ──new photo──▶ queued ──worker takes it──▶ processing ──▶ ready | failed
                          ▲          ▲ retrying, interrupted │          │
                          │          └───────────────────────┘          │
                          └──── "Try again", the sweep, the admin ──────┘

Every write is a conditional UPDATE (`update_where`): a writer whose task is no
longer the avatar's current one changes nothing, so a newer photo always wins.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskException

from avatars import blocklist, metrics
from avatars.cleanup import delete_files_on_commit
from avatars.conf import conf
from avatars.images import Crop
from avatars.models import PENDING_STATES, Avatar, State
from config.bulk import Insert

logger = logging.getLogger(__name__)

WORKER_DIED = (
    "This photo stopped our photo processor several times, so we gave up on it. "
    "Try again, or upload another one."
)
UNEXPECTED_FAILURE = (
    "Something went wrong while processing your photo. "
    "Try again, or upload another one."
)

Outcome = dict[str, str]


def update_where(avatar: Avatar, changes: dict[str, Any], **conditions: Any) -> bool:
    """Write `changes` to the avatar's row, if it still matches `conditions`, and
    to `avatar` itself.

    A queryset update sends no signals, so recording state never queues a
    resize; the conditions turn a stale writer into a no-op, not a winner.
    """
    if not Avatar.objects.filter(pk=avatar.pk, **conditions).update(**changes):
        return False
    for field, value in changes.items():
        setattr(avatar, field, value)
    avatar._stored_image_name = avatar.image.name or ""
    return True


def is_current(user_id: int, image_name: str, task_id: str) -> bool:
    return Avatar.objects.filter(pk=user_id, image=image_name, task_id=task_id).exists()


def chosen_crop(user_id: int, image_name: str, task_id: str) -> Crop | None | bool:
    """The square to cut for a task: the one chosen with the photo, None for the
    centred one, or False when the task is no longer the avatar's current one."""
    row = (
        Avatar.objects.filter(pk=user_id, image=image_name, task_id=task_id)
        .values_list("crop_x", "crop_y", "crop_size")
        .first()
    )
    if row is None:
        return False
    x, y, size = row
    if x is None or y is None or size is None:
        return None
    return Crop(x, y, size)


def claim_thumbnails(
    user_id: int, image_name: str, task_id: str, thumbnails: str
) -> bool:
    """Name the thumbnails a worker has just written (their stem, as
    avatars.storage names them) in the avatar's row, if the task is still the
    avatar's current one. The worker deletes them itself when it is not.

    This is the resize's last "still current?" check and its record in one
    UPDATE, so there is no moment in between: an avatar deleted or given a new
    photo before it finds nothing to update, and one deleted after it names the
    files (Avatar's delete receivers remove them). The state stays
    "processing": the outcome is recorded once Huey reports it (`refresh`).
    """
    return bool(
        Avatar.objects.filter(pk=user_id, image=image_name, task_id=task_id).update(
            thumbnails=thumbnails
        )
    )


def make_blank_avatars(user_ids: Iterable[int]) -> None:
    """The photo-less avatars of users written in bulk, where no signal fires."""
    avatars = Insert(Avatar(user_id=0), ["user_id"])
    for user_id in user_ids:
        avatars.add(user_id)
    avatars.execute()


def attach_photo(
    avatar: Avatar, upload: UploadedFile[bytes], crop: Crop | None
) -> None:
    """Give the person a new photo and the square chosen from it (None: the
    centred one). Its resize is queued once the transaction commits
    (avatars.signals); the previous photo's files go then too."""
    avatar.image = upload
    avatar.crop_x, avatar.crop_y, avatar.crop_size = (
        (crop.x, crop.y, crop.size) if crop else (None, None, None)
    )
    avatar.save(update_fields=["image", "crop_x", "crop_y", "crop_size"])


def photo_changed(avatar: Avatar) -> None:
    """A saved avatar names another photo than the one loaded: the old files go
    after the commit, and the new photo (if any) is queued."""
    delete_files_on_commit(
        originals=[avatar._stored_image_name], thumbnail_stems=[avatar.thumbnails]
    )
    avatar._stored_image_name = avatar.image.name or ""
    # The hashes are the shown photo's, and it is gone.
    gone = {"thumbnails": "", "hashes": ""}
    if avatar.image:
        queue_resize(avatar, worker_deaths=0, **gone)
    else:
        update_where(avatar, {**gone, "state": State.NONE})


def remove_photo(avatar: Avatar, *, block: bool = False) -> None:
    """Back to the default avatar at once; the files go after the commit. With
    `block` (moderators removing it), the photo's hashes join the blocklist.

    The row is locked and read again: a resize may have claimed thumbnails since
    `avatar` was loaded. Its task id is cleared, so a resize still running for
    the removed photo finds it is no longer current and stores nothing.
    """
    with transaction.atomic():
        current = (
            Avatar.objects.select_for_update()
            .filter(pk=avatar.pk)
            .values("image", "thumbnails", "hashes")
            .get()
        )
        if block:
            blocklist.block(avatar.pk, current["hashes"], current["thumbnails"])
        delete_files_on_commit(
            originals=[current["image"]], thumbnail_stems=[current["thumbnails"]]
        )
        update_where(
            avatar,
            {
                "image": "",
                "thumbnails": "",
                "crop_x": None,
                "crop_y": None,
                "crop_size": None,
                "state": State.NONE,
                "task_id": "",
                "error": "",
                "worker": "",
                "worker_deaths": 0,
                "hashes": "",
            },
        )


def queue_resize(
    avatar: Avatar, replacing_task: str | None = None, **changes: Any
) -> bool:
    """Give the avatar's photo a new resize task, sent once the transaction commits.

    With `replacing_task`, only if that is still the avatar's task: two sweeps
    (or a sweep and a person pressing "Try again") requeue a photo once.
    """
    # tasks.py imports this module for its hooks.
    from avatars.tasks import resize_avatar, send

    task = resize_avatar.s(avatar.pk, avatar.image.name)
    changes.update(
        state=State.QUEUED,
        task_id=task.id,
        error="",
        attempts=0,
        worker="",
        queued_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    still = {} if replacing_task is None else {"task_id": replacing_task}
    claimed = ""
    if replacing_task is not None:
        # Thumbnails the replaced task wrote and claimed, but never recorded.
        claimed = avatar.thumbnails
        changes.update(thumbnails="")
    if not update_where(avatar, changes, **still):
        return False
    delete_files_on_commit(thumbnail_stems=[claimed])
    transaction.on_commit(lambda: send(task))
    return True


def retry(avatar: Avatar) -> bool:
    """Queue the same photo again after a failure ("Try again")."""
    if avatar.state != State.FAILED or not avatar.image:
        return False
    return queue_resize(avatar, replacing_task=avatar.task_id, worker_deaths=0)


def requeue(avatar: Avatar) -> bool:
    """Queue the photo again whatever its state (the sweep, the admin)."""
    if not avatar.image:
        return False
    return queue_resize(avatar, replacing_task=avatar.task_id)


def worker_died(avatar: Avatar) -> bool:
    """The worker that was processing the photo is gone: queue it again, or, if
    workers keep dying with it (a decoder crash, the machine running out of
    memory), fail it for good. The original stays, so "Try again" is offered."""
    deaths = avatar.worker_deaths + 1
    if deaths < conf.MAX_WORKER_DEATHS:
        return queue_resize(
            avatar,
            replacing_task=avatar.task_id,
            worker_deaths=deaths,
        )
    changes = {
        "state": State.FAILED,
        "error": WORKER_DIED,
        "worker_deaths": deaths,
        "worker": "",
        "finished_at": timezone.now(),
    }
    # Still pending: two sweeps at once fail (and count) the photo once.
    pending = {"state__in": PENDING_STATES}
    if not update_where(avatar, changes, task_id=avatar.task_id, **pending):
        return False
    metrics.photo_finished("failed")
    return True


def mark_processing(user_id: int, task_id: str, worker: str) -> datetime | None:
    """A worker has taken the task; returns when it was queued, for the log."""
    current = Avatar.objects.filter(
        pk=user_id, task_id=task_id, state__in=PENDING_STATES
    )
    first = current.values_list("queued_at", "attempts").first()
    queued_at, attempts = first if first else (None, None)
    now = timezone.now()
    taken = current.update(
        state=State.PROCESSING,
        started_at=now,
        worker=worker,
        attempts=F("attempts") + 1,
    )
    # A retry's queued_at is its first attempt's: only the first pickup says
    # how long the line was.
    if taken and queued_at is not None and attempts == 0:
        metrics.PICKUP_SECONDS.observe((now - queued_at).total_seconds())
    return queued_at


def mark_waiting(user_id: int, task_id: str) -> None:
    """The task is back in the queue: a retry after a transient failure, or a
    worker that stopped mid-task and put it back."""
    Avatar.objects.filter(pk=user_id, task_id=task_id).update(
        state=State.QUEUED, worker=""
    )


def refresh(avatar: Avatar) -> Avatar:
    """Record the resize's outcome in the row the first time Huey reports it.

    Reading a result deletes it from Huey's store, so the outcome is kept in the
    row from then on: a terminal state costs no result-store read. Nor does a
    queued one: huey signals EXECUTING, which marks the row processing, before
    a task runs, so a queued task has no outcome yet. Huey stores nothing while
    a task runs, so `None` means "not yet".
    """
    if avatar.state != State.PROCESSING:
        return avatar
    task_id = avatar.task_id
    try:
        outcome = HUEY.result(task_id)
    except TaskException as exc:
        logger.error(
            "task %s user %s: failed after every attempt: %s",
            task_id,
            avatar.pk,
            exc.metadata.get("error"),
        )
        outcome = {"image": avatar.image.name, "error": UNEXPECTED_FAILURE}
    if outcome is not None and not ("error" in outcome or "thumbnails" in outcome):
        # Made before avatars were squares, by a worker of an earlier release:
        # the original is still there, so make them again.
        logger.info("task %s user %s: an old outcome, queued again", task_id, avatar.pk)
        delete_files_on_commit(thumbnail_stems=[avatar.thumbnails])
        requeue(avatar)
    elif outcome is not None:
        record_outcome(avatar, task_id, outcome)
    return avatar


def record_outcome(avatar: Avatar, task_id: str, outcome: Outcome) -> bool:
    """Store a task's outcome if it is still the avatar's current photo.

    An outcome for an image that has since been replaced is discarded, and the
    thumbnails it made are removed: the newer photo always wins.
    """
    changes: dict[str, Any]
    finished: metrics.Finished = "ready"
    if "error" in outcome:
        changes = {"state": State.FAILED, "error": outcome["error"]}
        finished = "refused" if outcome.get("refused") else "failed"
        if outcome.get("blocked"):
            # Removed by moderators once: nothing to try again, nothing kept.
            changes.update(image="", crop_x=None, crop_y=None, crop_size=None)
    else:
        # The original (with whatever metadata it carries) is kept only until
        # its thumbnails are recorded; a failed one stays for another attempt.
        changes = {
            "state": State.READY,
            "thumbnails": outcome["thumbnails"],
            "image": "",
            "hashes": outcome.get("hashes", ""),
        }
    changes["finished_at"] = timezone.now()
    if not update_where(avatar, changes, task_id=task_id, image=outcome["image"]):
        logger.info("task %s user %s: stale outcome discarded", task_id, avatar.pk)
        delete_files_on_commit(thumbnail_stems=[outcome.get("thumbnails")])
        return False
    if changes["state"] == State.READY or outcome.get("blocked"):
        delete_files_on_commit(originals=[outcome["image"]])
    metrics.photo_finished(finished)
    queued_at = avatar.queued_at
    logger.info(
        "task %s user %s: recorded as %s",
        task_id,
        avatar.pk,
        avatar.state,
        extra={
            "elapsed": (
                (changes["finished_at"] - queued_at).total_seconds()
                if queued_at
                else 0.0
            )
        },
    )
    return True
