"""Everything that runs inside the Huey consumer: the resize task, the hooks
that record its progress, the periodic clean-up and the start of the worker's
signs of life. `run_huey` finds them by importing this module; the web process
imports it too (AvatarsConfig.ready), since it enqueues the task."""

import logging
import time
from typing import Any

from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup, signal
from huey.signals import SIGNAL_EXECUTING, SIGNAL_INTERRUPTED, SIGNAL_RETRYING

from avatars import metrics, pacing, recovery, resize, sandbox, state
from avatars.conf import conf

logger = logging.getLogger(__name__)

# Photos before other work (an export of a person's data has 0): the SQLite and
# PostgreSQL queues hand out the highest priority first. huey's plain Redis
# queue is a list that refuses priorities: there, first come first served.
PHOTO_PRIORITY = 10 if HUEY.storage.priority else None


@db_task(
    context=True,
    priority=PHOTO_PRIORITY,
    retries=conf.RETRIES,
    retry_delay=conf.RETRY_DELAY,
    retry_backoff=2,
)
def resize_avatar(
    user_id: int, image_name: str, task: Task | None = None
) -> state.Outcome | None:
    assert task is not None  # context=True: huey passes the running task
    started = time.monotonic()
    try:
        return resize.make_avatar(user_id, image_name, task.id)
    finally:
        elapsed = time.monotonic() - started
        pacing.record_resize(elapsed)
        metrics.RESIZE_SECONDS.observe(elapsed)


def send(task: Task) -> None:
    """Send the task; a queue that is down must not turn a saved change into a
    500. The avatar stays queued, and the recovery sweep sends it later."""
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


def is_resize(task: Any) -> bool:
    return isinstance(task, resize_avatar.task_class)


@signal(SIGNAL_EXECUTING)
def mark_avatar_processing(signal_name: str, task: Task) -> None:
    if not is_resize(task):
        return
    queued_at = state.mark_processing(task.args[0], task.id, recovery.worker_id())
    logger.info(
        "task %s user %s: started",
        task.id,
        task.args[0],
        extra={"elapsed": (time.time() - queued_at.timestamp()) if queued_at else 0.0},
    )


@signal(SIGNAL_RETRYING)
def mark_avatar_retrying(signal_name: str, task: Task) -> None:
    if not is_resize(task):
        return
    state.mark_waiting(task.args[0], task.id)
    logger.warning(
        "task %s user %s: attempt failed, %d retries left",
        task.id,
        task.args[0],
        task.retries,
    )


@signal(SIGNAL_INTERRUPTED)
def requeue_interrupted_resize(signal_name: str, task: Task) -> None:
    """The worker is stopping mid-task: put the task back, as huey's docs advise.

    Into the schedule, due at once, rather than the queue: this consumer's
    worker threads are still polling the queue while it shuts down and would
    take the task straight back. The next consumer's scheduler moves it over.
    """
    if not is_resize(task):
        return
    task.eta = None
    HUEY.add_schedule(task)
    state.mark_waiting(task.args[0], task.id)
    logger.warning("task %s user %s: interrupted, requeued", task.id, task.args[0])


@on_startup()
def start_worker_thread() -> None:
    pacing.worker_started()
    recovery.start_life_signs()
    # A decoding child ready for this thread's first photo.
    sandbox.prestart()


@db_periodic_task(crontab(minute="17"))
def purge_orphans_hourly() -> None:
    recovery.purge_orphans()
