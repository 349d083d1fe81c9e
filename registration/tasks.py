import logging
import time
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_task, signal
from huey.signals import SIGNAL_EXECUTING

from registration import images
from registration.models import AvatarState, Profile

logger = logging.getLogger(__name__)


def is_current(profile_id: int, image_name: str) -> bool:
    return Profile.objects.filter(pk=profile_id, image=image_name).exists()


@db_task(context=True)
def resize_avatar(profile_id: int, image_name: str, task=None) -> dict | None:
    """Make the avatar's thumbnails from the uploaded original.

    Returns the outcome for Huey's result store, naming the image it was made
    from, or None (which Huey does not store) when the photo was replaced:
    before the work, during it (its original may be gone), or after it.
    """
    if not is_current(profile_id, image_name):
        logger.info("skipped task %s: the photo was replaced", task.id)
        return None
    started = time.monotonic()
    try:
        with storages["uploads"].open(image_name) as original:
            thumbnail_2x, thumbnail = images.make_thumbnails(original)
    except images.ImageRejected as exc:
        logger.info("photo of user %s refused by the worker: %s", profile_id, exc)
        return {"image": image_name, "error": exc.message}
    except FileNotFoundError:
        if not is_current(profile_id, image_name):
            logger.info("dropped task %s: the photo was replaced", task.id)
            return None
        raise
    media = storages["default"]
    stem = f"avatars/{uuid.uuid4().hex}"
    outcome = {
        "image": image_name,
        "thumbnail": media.save(
            f"{stem}{images.OUTPUT_EXTENSION}", ContentFile(thumbnail.data)
        ),
        "thumbnail_2x": media.save(
            f"{stem}-2x{images.OUTPUT_EXTENSION}", ContentFile(thumbnail_2x.data)
        ),
    }
    if not is_current(profile_id, image_name):
        media.delete(outcome["thumbnail"])
        media.delete(outcome["thumbnail_2x"])
        logger.info("dropped task %s: the photo was replaced", task.id)
        return None
    logger.info(
        "thumbnails written for user %s (%dx%d)",
        profile_id,
        thumbnail.width,
        thumbnail.height,
        extra={"elapsed": time.monotonic() - started},
    )
    return outcome


def enqueue_avatar_resize(task) -> None:
    started = time.monotonic()
    HUEY.enqueue(task)
    logger.info(
        "resize enqueued: task %s for user %s",
        task.id,
        task.args[0],
        extra={"elapsed": time.monotonic() - started},
    )


@signal(SIGNAL_EXECUTING)
def mark_avatar_processing(signal_name: str, task) -> None:
    if not isinstance(task, resize_avatar.task_class):
        return
    profile_id = task.args[0]
    now = timezone.now()
    pending = Profile.objects.filter(
        pk=profile_id, avatar_task_id=task.id, avatar_state=AvatarState.QUEUED
    )
    queued_at = pending.values_list("avatar_queued_at", flat=True).first()
    pending.update(avatar_state=AvatarState.PROCESSING, avatar_started_at=now)
    logger.info(
        "task %s started for user %s",
        task.id,
        profile_id,
        extra={"elapsed": (now - queued_at).total_seconds() if queued_at else 0.0},
    )
