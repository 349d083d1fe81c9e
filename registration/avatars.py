"""The avatar's state: one place that brings it up to date from Huey's result store."""

import logging
from collections.abc import Iterable

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskException

from registration.models import AvatarState, Profile

logger = logging.getLogger(__name__)

UNEXPECTED_FAILURE = (
    "Something went wrong while processing your photo. Please try another one."
)


def refresh_avatar_state(profile: Profile) -> Profile:
    """Record the resize's outcome in the row the first time Huey reports it.

    Reading a result deletes it from Huey's store, so the outcome is kept in the
    row from then on: a terminal state costs no result-store read. Huey stores
    nothing while a task waits or runs, so `None` means "not yet".
    """
    if not profile.avatar_pending:
        return profile
    try:
        outcome = HUEY.result(profile.avatar_task_id)
    except TaskException as exc:
        logger.error(
            "resize task %s for user %s failed: %s",
            profile.avatar_task_id,
            profile.pk,
            exc.metadata.get("error"),
        )
        outcome = {"image": profile.image.name, "error": UNEXPECTED_FAILURE}
    if outcome is not None:
        record_outcome(profile, profile.avatar_task_id, outcome)
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
    current = Profile.objects.filter(
        pk=profile.pk, avatar_task_id=task_id, image=outcome["image"]
    )
    if not current.update(**changes):
        logger.info("discarded outcome of stale task %s", task_id)
        delete_files_on_commit(
            thumbnails=[outcome.get("thumbnail"), outcome.get("thumbnail_2x")]
        )
        return False
    if changes["avatar_state"] == AvatarState.READY:
        delete_files_on_commit(originals=[outcome["image"]])
    for field, value in changes.items():
        setattr(profile, field, value)
    profile._stored_image_name = profile.image.name
    elapsed = (changes["avatar_finished_at"] - profile.avatar_queued_at).total_seconds()
    logger.info(
        "avatar of user %s recorded as %s",
        profile.pk,
        profile.avatar_state,
        extra={"elapsed": elapsed},
    )
    return True


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
