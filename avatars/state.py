"""The avatar's state: every write of a profile's `avatar_*` fields, its photo
and its thumbnails happens here, and nowhere else.

    none ──new photo──▶ queued ──worker takes it──▶ processing ──▶ ready | failed
                          ▲          ▲ retrying, interrupted │          │
                          │          └───────────────────────┘          │
                          └──── "Try again", the sweep, the admin ──────┘

Every write is a conditional UPDATE (`update_where`): a writer whose task is no
longer the profile's current one changes nothing, so a newer photo always wins.
"""

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskException

from avatars.files import delete_files_on_commit
from avatars.images import Crop
from registration.models import PENDING_STATES, AvatarState, Profile

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


def update_where(profile: Profile, changes: dict[str, Any], **conditions: Any) -> bool:
    """Write `changes` to the profile's row, if it still matches `conditions`, and
    to `profile` itself.

    A queryset update sends no signals, so recording state never queues a
    resize; the conditions turn a stale writer into a no-op, not a winner.
    """
    if not Profile.objects.filter(pk=profile.pk, **conditions).update(**changes):
        return False
    for field, value in changes.items():
        setattr(profile, field, value)
    profile._stored_image_name = profile.image.name or ""
    return True


def is_current(profile_id: int, image_name: str, task_id: str) -> bool:
    return Profile.objects.filter(
        pk=profile_id, image=image_name, avatar_task_id=task_id
    ).exists()


def chosen_crop(profile_id: int, image_name: str, task_id: str) -> Crop | None | bool:
    """The square to cut for a task: the one chosen with the photo, None for the
    centred one, or False when the task is no longer the profile's current one."""
    row = (
        Profile.objects.filter(pk=profile_id, image=image_name, avatar_task_id=task_id)
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
    profile_id: int, image_name: str, task_id: str, thumbnails: str
) -> bool:
    """Name the thumbnails a worker has just written (their stem, as
    avatars.files names them) in the profile's row, if
    the task is still the profile's current one. The worker deletes them itself
    when it is not.

    This is the resize's last "still current?" check and its record in one
    UPDATE, so there is no moment in between: a profile deleted or given a new
    photo before it finds nothing to update, and one deleted after it names the
    files (Profile's delete receivers remove them). The state stays
    "processing": the outcome is recorded once Huey reports it (`refresh`).
    """
    return bool(
        Profile.objects.filter(
            pk=profile_id, image=image_name, avatar_task_id=task_id
        ).update(thumbnails=thumbnails)
    )


def photo_changed(profile: Profile) -> None:
    """A saved profile names another photo than the one loaded: the old files go
    after the commit, and the new photo (if any) is queued."""
    delete_files_on_commit(
        originals=[profile._stored_image_name], thumbnail_stems=[profile.thumbnails]
    )
    profile._stored_image_name = profile.image.name or ""
    if profile.image:
        queue_resize(profile, avatar_worker_deaths=0, thumbnails="")
    else:
        update_where(profile, {"thumbnails": "", "avatar_state": AvatarState.NONE})


def remove_photo(profile: Profile) -> None:
    """Back to the default avatar at once; the files go after the commit.

    The row is locked and read again: a resize may have claimed thumbnails since
    `profile` was loaded. Its task id is cleared, so a resize still running for
    the removed photo finds it is no longer current and stores nothing.
    """
    with transaction.atomic():
        current = (
            Profile.objects.select_for_update()
            .filter(pk=profile.pk)
            .values("image", "thumbnails")
            .get()
        )
        delete_files_on_commit(
            originals=[current["image"]], thumbnail_stems=[current["thumbnails"]]
        )
        update_where(
            profile,
            {
                "image": "",
                "thumbnails": "",
                "crop_x": None,
                "crop_y": None,
                "crop_size": None,
                "avatar_state": AvatarState.NONE,
                "avatar_task_id": "",
                "avatar_error": "",
                "avatar_worker": "",
                "avatar_worker_deaths": 0,
            },
        )


def queue_resize(
    profile: Profile, replacing_task: str | None = None, **changes: Any
) -> bool:
    """Give the profile's photo a new resize task, sent once the transaction commits.

    With `replacing_task`, only if that is still the profile's task: two sweeps
    (or a sweep and a person pressing "Try again") requeue a photo once.
    """
    # tasks.py imports this module for its hooks.
    from avatars.tasks import resize_avatar, send

    task = resize_avatar.s(profile.pk, profile.image.name)
    changes.update(
        avatar_state=AvatarState.QUEUED,
        avatar_task_id=task.id,
        avatar_error="",
        avatar_attempts=0,
        avatar_worker="",
        avatar_queued_at=timezone.now(),
        avatar_started_at=None,
        avatar_finished_at=None,
    )
    still = {} if replacing_task is None else {"avatar_task_id": replacing_task}
    claimed = ""
    if replacing_task is not None:
        # Thumbnails the replaced task wrote and claimed, but never recorded.
        claimed = profile.thumbnails
        changes.update(thumbnails="")
    if not update_where(profile, changes, **still):
        return False
    delete_files_on_commit(thumbnail_stems=[claimed])
    transaction.on_commit(lambda: send(task))
    return True


def retry(profile: Profile) -> bool:
    """Queue the same photo again after a failure ("Try again")."""
    if profile.avatar_state != AvatarState.FAILED or not profile.image:
        return False
    return queue_resize(
        profile, replacing_task=profile.avatar_task_id, avatar_worker_deaths=0
    )


def requeue(profile: Profile) -> bool:
    """Queue the photo again whatever its state (the sweep, the admin)."""
    if not profile.image:
        return False
    return queue_resize(profile, replacing_task=profile.avatar_task_id)


def worker_died(profile: Profile) -> bool:
    """The worker that was processing the photo is gone: queue it again, or, if
    workers keep dying with it (a decoder crash, the machine running out of
    memory), fail it for good. The original stays, so "Try again" is offered."""
    deaths = profile.avatar_worker_deaths + 1
    if deaths < settings.AVATAR_MAX_WORKER_DEATHS:
        return queue_resize(
            profile,
            replacing_task=profile.avatar_task_id,
            avatar_worker_deaths=deaths,
        )
    changes = {
        "avatar_state": AvatarState.FAILED,
        "avatar_error": WORKER_DIED,
        "avatar_worker_deaths": deaths,
        "avatar_worker": "",
        "avatar_finished_at": timezone.now(),
    }
    return update_where(profile, changes, avatar_task_id=profile.avatar_task_id)


def mark_processing(profile_id: int, task_id: str, worker: str) -> datetime | None:
    """A worker has taken the task; returns when it was queued, for the log."""
    current = Profile.objects.filter(
        pk=profile_id, avatar_task_id=task_id, avatar_state__in=PENDING_STATES
    )
    queued_at = current.values_list("avatar_queued_at", flat=True).first()
    current.update(
        avatar_state=AvatarState.PROCESSING,
        avatar_started_at=timezone.now(),
        avatar_worker=worker,
        avatar_attempts=F("avatar_attempts") + 1,
    )
    return queued_at


def mark_waiting(profile_id: int, task_id: str) -> None:
    """The task is back in the queue: a retry after a transient failure, or a
    worker that stopped mid-task and put it back."""
    Profile.objects.filter(pk=profile_id, avatar_task_id=task_id).update(
        avatar_state=AvatarState.QUEUED, avatar_worker=""
    )


def refresh(profile: Profile) -> Profile:
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
    if outcome is not None and not ("error" in outcome or "thumbnails" in outcome):
        # Made before avatars were squares, by a worker of an earlier release:
        # the original is still there, so make them again.
        logger.info(
            "task %s user %s: an old outcome, queued again", task_id, profile.pk
        )
        delete_files_on_commit(thumbnail_stems=[profile.thumbnails])
        requeue(profile)
    elif outcome is not None:
        record_outcome(profile, task_id, outcome)
    return profile


def record_outcome(profile: Profile, task_id: str, outcome: Outcome) -> bool:
    """Store a task's outcome if it is still the profile's current photo.

    An outcome for an image that has since been replaced is discarded, and the
    thumbnails it made are removed: the newer photo always wins.
    """
    changes: dict[str, Any]
    if "error" in outcome:
        changes = {"avatar_state": AvatarState.FAILED, "avatar_error": outcome["error"]}
    else:
        # The original (with whatever metadata it carries) is kept only until
        # its thumbnails are recorded; a failed one stays for another attempt.
        changes = {
            "avatar_state": AvatarState.READY,
            "thumbnails": outcome["thumbnails"],
            "image": "",
        }
    changes["avatar_finished_at"] = timezone.now()
    if not update_where(
        profile, changes, avatar_task_id=task_id, image=outcome["image"]
    ):
        logger.info("task %s user %s: stale outcome discarded", task_id, profile.pk)
        delete_files_on_commit(thumbnail_stems=[outcome.get("thumbnails")])
        return False
    if changes["avatar_state"] == AvatarState.READY:
        delete_files_on_commit(originals=[outcome["image"]])
    queued_at = profile.avatar_queued_at
    logger.info(
        "task %s user %s: recorded as %s",
        task_id,
        profile.pk,
        profile.avatar_state,
        extra={
            "elapsed": (
                (changes["avatar_finished_at"] - queued_at).total_seconds()
                if queued_at
                else 0.0
            )
        },
    )
    return True
