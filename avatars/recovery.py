"""Every photo finishes, even when a worker dies: signs of life, the sweep
that requeues what a dead worker held, and the clean-up of what races leave.

Each consumer process writes the time under its own key and under a shared
one every few seconds, in Huey's own key-value store (and its figures for the
status fragment's pacing, avatars.pacing): the health check asks the shared key
whether any worker is running, the sweep asks a worker's own key whether the
task it took can still finish.
"""

import logging
import os
import re
import socket
import threading
import time
from datetime import timedelta

from django.core.files.storage import storages
from django.db import close_old_connections, transaction
from django.utils import timezone
from huey import Huey
from huey.contrib.djhuey import HUEY

from avatars import pacing, state
from avatars.conf import conf
from avatars.models import PENDING_STATES, Avatar, State
from avatars.storage import thumbnail_names

logger = logging.getLogger(__name__)

ANY_WORKER_KEY = "heartbeat"
WORKER_KEY_PREFIX = "heartbeat:"
TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def worker_id() -> str:
    """This process, as a worker: host and PID (process workers fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> None:
    now = time.time()
    HUEY.put(ANY_WORKER_KEY, now)
    HUEY.put(WORKER_KEY_PREFIX + worker_id(), now)
    pacing.publish(worker_id())


def is_fresh(timestamp: float | None) -> bool:
    return (
        timestamp is not None and time.time() - timestamp < conf.WORKER_TIMEOUT_SECONDS
    )


def any_worker_alive(store: Huey = HUEY) -> bool:
    """`store`: the queue as another client reaches it (the health check's)."""
    return is_fresh(store.get(ANY_WORKER_KEY, peek=True))


def heartbeats(store: Huey = HUEY, within: float = 3600.0) -> dict[str, float]:
    """Each consumer's last beat (a Unix time) by its id, for those heard from
    within `within` seconds: one gone for longer is no longer of interest.

    Read from the whole result store, which holds only the beats, the pacing
    figures and the outcomes not yet recorded: a few keys per live photo.
    """
    since = time.time() - within
    beats = {}
    for key, raw in store.all_results().items():
        if key.startswith(WORKER_KEY_PREFIX):
            beat = store.serializer.deserialize(raw)
            if beat >= since:
                beats[key.removeprefix(WORKER_KEY_PREFIX)] = float(beat)
    return beats


def worker_alive(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        # On this host a dead process is known at once, without waiting for
        # its heartbeat to go stale.
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return is_fresh(HUEY.get(WORKER_KEY_PREFIX + worker, peek=True))


def forget_workers(store: Huey = HUEY) -> int:
    """Delete every consumer's signs of life from `store`; return how many.

    After a restore (config.backup) they name the processes of the site that
    was backed up: none of them works for this one, and a photo one of them
    held must be queued again at the first sweep, not awaited for
    WORKER_TIMEOUT_SECONDS.
    """
    keys = [
        key
        for key in store.all_results()
        if key == ANY_WORKER_KEY or key.startswith(WORKER_KEY_PREFIX)
    ]
    for key in keys:
        store.delete(key)
    return len(keys)


_life_signs_started = threading.Lock()


def start_life_signs() -> None:
    """Start the beating thread, once per consumer process (huey runs startup
    hooks once per worker thread)."""
    if _life_signs_started.acquire(blocking=False):
        threading.Thread(target=life_signs, name="life-signs", daemon=True).start()
        logger.info("worker %s: heartbeat and recovery sweep started", worker_id())


def life_signs() -> None:
    """Beat every few seconds; sweep at start-up and every AVATAR_SWEEP_SECONDS."""
    next_sweep = time.monotonic()
    while True:
        try:
            beat()
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + conf.SWEEP_SECONDS
                close_old_connections()
                sweep_avatars()
        except Exception:
            # A locked database or a queue hiccup must not stop the beat.
            logger.exception("heartbeat or sweep failed; trying again")
        time.sleep(conf.HEARTBEAT_SECONDS)


def waiting_task_ids() -> set[str]:
    """The ids of the tasks in the queue and the schedule.

    Read from each message alone, without resolving its task: a message whose
    task no longer resolves (renamed, or from an older release) must not stop
    the sweep, and one that cannot be read at all is logged and stepped over.
    """
    ids = set()
    for data in [*HUEY.storage.scheduled_items(), *HUEY.storage.enqueued_items()]:
        try:
            ids.add(HUEY.serializer.deserialize(data).id)
        except Exception:
            logger.warning("sweep: a queued message could not be read; skipped it")
    return ids


# Queued tasks (id, attempts) found neither waiting nor running at the last sweep.
_missing_at_last_sweep: set[tuple[str, int]] = set()


def sweep_avatars() -> int:
    """Requeue every pending photo whose task can no longer finish.

    Huey deletes a task from its queue when a worker takes it, so a worker
    killed mid-task, or an enqueue that failed after the commit, leaves a
    avatar waiting forever. A task is alive while it waits in the queue or the
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
    pending = list(Avatar.objects.filter(state__in=PENDING_STATES))
    waiting = waiting_task_ids()
    missing = set()
    requeued = 0
    for avatar in pending:
        task_id = avatar.task_id
        seen = (task_id, avatar.attempts)
        state.refresh(avatar)
        if not avatar.pending or task_id in waiting:
            continue
        if avatar.state == State.PROCESSING:
            if worker_alive(avatar.worker):
                continue
            worker = avatar.worker
            with transaction.atomic():
                if not state.worker_died(avatar):
                    continue
            if avatar.state == State.FAILED:
                logger.error(
                    "task %s user %s: worker %s died with it, %d times: failed",
                    task_id,
                    avatar.pk,
                    worker,
                    avatar.worker_deaths,
                )
                continue
        elif seen not in _missing_at_last_sweep:
            missing.add(seen)
            continue
        else:
            worker = "none"
            with transaction.atomic():
                if not state.requeue(avatar):
                    continue
        requeued += 1
        logger.warning(
            "task %s user %s: lost (worker %s), requeued as %s",
            task_id,
            avatar.pk,
            worker,
            avatar.task_id,
        )
    _missing_at_last_sweep = missing
    return requeued


def purge_orphans(min_age: timedelta = timedelta(hours=1)) -> tuple[int, int]:
    """Delete results nobody will read and thumbnails no avatar shows.

    Results belong to a pending avatar's current task, or to no one (a photo
    replaced or a user deleted while the task ran). Thumbnails older than
    `min_age` that no avatar names are left over from such races.
    """
    wanted = set(
        Avatar.objects.filter(state__in=PENDING_STATES).values_list(
            "task_id", flat=True
        )
    )
    stale_beat = time.time() - 86400
    results = 0
    for key, raw in HUEY.all_results().items():
        if key.startswith(ANY_WORKER_KEY):
            if HUEY.serializer.deserialize(raw) < stale_beat:
                HUEY.delete(key)
        elif TASK_ID.fullmatch(key) and key not in wanted:
            HUEY.delete(key)
            results += 1
    media = storages["default"]
    files = 0
    if media.exists("avatars"):
        shown = {
            name
            for stem in Avatar.objects.exclude(thumbnails="").values_list(
                "thumbnails", flat=True
            )
            for name in thumbnail_names(stem)
        }
        cutoff = timezone.now() - min_age
        for name in media.listdir("avatars")[1]:
            path = f"avatars/{name}"
            if path not in shown and media.get_modified_time(path) < cutoff:
                media.delete(path)
                files += 1
    if results or files:
        logger.info("purged %d orphan results and %d orphan thumbnails", results, files)
    return results, files
