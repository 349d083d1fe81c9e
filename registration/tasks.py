import logging
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_task, signal
from huey.signals import SIGNAL_EXECUTING, SIGNAL_INTERRUPTED, SIGNAL_RETRYING

from registration import heartbeat, images
from registration.models import PENDING_STATES, AvatarState, Profile

logger = logging.getLogger(__name__)


def is_current(profile_id: int, image_name: str, task_id: str) -> bool:
    return Profile.objects.filter(
        pk=profile_id, image=image_name, avatar_task_id=task_id
    ).exists()


@db_task(
    context=True,
    retries=settings.AVATAR_RETRIES,
    retry_delay=settings.AVATAR_RETRY_DELAY,
    retry_backoff=2,
)
def resize_avatar(profile_id: int, image_name: str, task=None) -> dict | None:
    """Make the avatar's thumbnails from the uploaded original.

    Returns the outcome for Huey's result store, naming the image it was made
    from, or None (which Huey does not store) when this task is no longer the
    profile's current one: replaced before the work, during it (its original
    may be gone), or after it. A photo that cannot be decoded is a permanent
    failure, reported as an outcome; any other exception is taken as transient
    and Huey retries it.
    """
    log = f"task {task.id} user {profile_id}:"
    if not is_current(profile_id, image_name, task.id):
        logger.info("%s skipped, the photo was replaced", log)
        return None
    started = time.monotonic()
    try:
        with storages["uploads"].open(image_name) as original:
            thumbnail_2x, thumbnail = images.make_thumbnails(original)
    except images.ImageRejected as exc:
        logger.info("%s photo refused: %s", log, exc)
        return {"image": image_name, "error": exc.message}
    except FileNotFoundError:
        if not is_current(profile_id, image_name, task.id):
            logger.info("%s dropped, the photo was replaced", log)
            return None
        logger.error("%s the uploaded original is missing", log)
        return {
            "image": image_name,
            "error": "Your photo's file was lost. Please upload it again.",
        }
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
    if not is_current(profile_id, image_name, task.id):
        media.delete(outcome["thumbnail"])
        media.delete(outcome["thumbnail_2x"])
        logger.info("%s dropped, the photo was replaced", log)
        return None
    logger.info(
        "%s thumbnails written (%dx%d)",
        log,
        thumbnail.width,
        thumbnail.height,
        extra={"elapsed": time.monotonic() - started},
    )
    return outcome


def enqueue_avatar_resize(task) -> None:
    """Send the task; a queue that is down must not turn a saved change into a
    500. The profile stays queued, and the recovery sweep sends it later."""
    started = time.monotonic()
    try:
        HUEY.enqueue(task)
    except Exception:
        logger.exception(
            "task %s user %s: enqueue failed, the sweep will send it",
            task.id,
            task.args[0],
        )
        return
    logger.info(
        "task %s user %s: resize enqueued",
        task.id,
        task.args[0],
        extra={"elapsed": time.monotonic() - started},
    )


def queue_resize(
    profile: Profile, replacing_task: str | None = None, **changes
) -> bool:
    """Give the profile's photo a new resize task, sent once the transaction commits.

    With `replacing_task`, only if that is still the profile's task: two sweeps
    (or a sweep and a person pressing "Try again") requeue a photo once.
    """
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
    if not profile.update_where(changes, **still):
        return False
    transaction.on_commit(lambda: enqueue_avatar_resize(task))
    return True


def is_resize(task) -> bool:
    return isinstance(task, resize_avatar.task_class)


@signal(SIGNAL_EXECUTING)
def mark_avatar_processing(signal_name: str, task) -> None:
    if not is_resize(task):
        return
    profile_id = task.args[0]
    now = timezone.now()
    current = Profile.objects.filter(
        pk=profile_id, avatar_task_id=task.id, avatar_state__in=PENDING_STATES
    )
    queued_at = current.values_list("avatar_queued_at", flat=True).first()
    current.update(
        avatar_state=AvatarState.PROCESSING,
        avatar_started_at=now,
        avatar_worker=heartbeat.worker_id(),
        avatar_attempts=F("avatar_attempts") + 1,
    )
    logger.info(
        "task %s user %s: started",
        task.id,
        profile_id,
        extra={"elapsed": (now - queued_at).total_seconds() if queued_at else 0.0},
    )


@signal(SIGNAL_RETRYING)
def mark_avatar_retrying(signal_name: str, task) -> None:
    if not is_resize(task):
        return
    Profile.objects.filter(pk=task.args[0], avatar_task_id=task.id).update(
        avatar_state=AvatarState.QUEUED, avatar_worker=""
    )
    logger.warning(
        "task %s user %s: attempt failed, %d retries left",
        task.id,
        task.args[0],
        task.retries,
    )


@signal(SIGNAL_INTERRUPTED)
def requeue_interrupted_resize(signal_name: str, task) -> None:
    """The worker is stopping mid-task: put the task back, as huey's docs advise.

    Into the schedule, due at once, rather than the queue: this consumer's
    worker threads are still polling the queue while it shuts down and would
    take the task straight back. The next consumer's scheduler moves it over.
    """
    if not is_resize(task):
        return
    task.eta = None
    HUEY.add_schedule(task)
    Profile.objects.filter(pk=task.args[0], avatar_task_id=task.id).update(
        avatar_state=AvatarState.QUEUED, avatar_worker=""
    )
    logger.warning("task %s user %s: interrupted, requeued", task.id, task.args[0])
