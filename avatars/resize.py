"""What one resize does, inside the worker: read the original, make the
thumbnails, store them, and say what came of it (the task's outcome)."""

import logging
import time

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from avatars import blocklist, fingerprints, images, metrics, sandbox, state, storage
from avatars.conf import conf
from avatars.state import Outcome, is_current

logger = logging.getLogger(__name__)

LIMIT_MESSAGES = {
    "time": (
        "This photo takes too long to process. "
        "Please upload another one, or the same photo saved again as a JPEG."
    ),
    "memory": (
        "This photo needs too much memory to process. Please upload a smaller one."
    ),
    "crash": ("This photo could not be processed. Try again, or upload another one."),
}
# The photo's own doing, as a rejected file is; a crash may be the decoder's.
REFUSING_LIMITS = {"time", "memory"}


def limits() -> sandbox.Limits:
    return sandbox.Limits(
        cpu_seconds=conf.DECODE_CPU_SECONDS,
        memory_bytes=conf.DECODE_MEMORY_BYTES,
        wall_seconds=conf.DECODE_WALL_SECONDS,
    )


def _source(image_name: str) -> str | bytes:
    """What the decoding child reads: the file's path on local disk (it opens the
    file itself), else its bytes (object storage)."""
    uploads = storages["uploads"]
    try:
        return uploads.path(image_name)
    except NotImplementedError:
        with uploads.open(image_name) as original:
            data: bytes = original.read()
            return data


def make_avatar(user_id: int, image_name: str, task_id: str) -> Outcome | None:
    """Make the avatar's thumbnails from the uploaded original.

    Returns the outcome for Huey's result store, naming the image it was made
    from, or None (which Huey does not store) when this task is no longer the
    avatar's current one: replaced before the work, during it (its original
    may be gone), or after it. A photo that cannot be decoded is a permanent
    failure, reported as an outcome; any other exception is taken as transient
    and Huey retries it.
    """
    log = f"task {task_id} user {user_id}:"
    crop = state.chosen_crop(user_id, image_name, task_id)
    if crop is False:
        logger.info("%s skipped, the photo was replaced", log)
        return None
    started = time.monotonic()
    timings: dict[str, float] = {}
    hashes = images.Hashes()
    try:
        made = sandbox.make_thumbnails(
            _source(image_name),
            limits(),
            crop=crop if isinstance(crop, images.Crop) else None,
            still_wanted=lambda: is_current(user_id, image_name, task_id),
            on_start=lambda pid: logger.info("%s decoding in child %d", log, pid),
            timings=timings,
            hashes=hashes,
        )
    except images.ImageRejected as exc:
        logger.info("%s photo refused: %s", log, exc)
        return {"image": image_name, "error": exc.message, "refused": "yes"}
    except sandbox.LimitExceeded as exc:
        logger.warning("%s photo stopped: %s", log, exc)
        metrics.SANDBOX_KILLS.labels(exc.kind).inc()
        outcome = {"image": image_name, "error": LIMIT_MESSAGES[exc.kind]}
        if exc.kind in REFUSING_LIMITS:
            outcome["refused"] = "yes"
        return outcome
    except FileNotFoundError:
        if not is_current(user_id, image_name, task_id):
            logger.info("%s dropped, the photo was replaced", log)
            return None
        logger.error("%s the uploaded original is missing", log)
        return {
            "image": image_name,
            "error": "Your photo's file was lost. Please upload it again.",
        }
    if made is None:
        logger.info("%s stopped, the photo was replaced", log)
        return None
    if blocklist.is_blocked(hashes):
        logger.info("%s photo refused: it matches one moderators removed", log)
        return {
            "image": image_name,
            "error": blocklist.REMOVED,
            "refused": "yes",
            "blocked": "yes",
        }
    storing = time.monotonic()
    media = storages["default"]
    stem = storage.new_thumbnail_stem()
    for side, thumbnail in made.items():
        name = storage.thumbnail_name(stem, side)
        # The stem is new: a storage that renamed the file would break the set.
        if media.save(name, ContentFile(thumbnail.data)) != name:
            raise OSError(f"{name} was stored under another name")
    if not state.claim_thumbnails(user_id, image_name, task_id, stem):
        for name in storage.thumbnail_names(stem):
            media.delete(name)
        logger.info("%s dropped, the photo was replaced or its account deleted", log)
        return None
    timings["store"] = time.monotonic() - storing
    largest = made[images.PIXEL_SIZES[0]]
    logger.info(
        "%s thumbnails written (%dx%d square%s; %s)",
        log,
        largest.width,
        largest.height,
        ", chosen" if crop else ", centred",
        ", ".join(f"{step} {seconds:.3f} s" for step, seconds in timings.items()),
        extra={
            "elapsed": time.monotonic() - started,
            **{f"{step}_seconds": seconds for step, seconds in timings.items()},
        },
    )
    return {
        "image": image_name,
        "thumbnails": stem,
        "hashes": fingerprints.as_text(hashes.kept()),
    }
