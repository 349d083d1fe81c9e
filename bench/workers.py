"""Section 5: how many 12 MP photos a worker resizes a second, for the
Procfile's worker line with 1 or 2 thread workers. (huey's process workers are
daemonic, and a daemonic process may not start the decoding sandbox's child:
every photo fails there, so they are not measured.)

Every variant runs at once as its own consumer on a queue of its own (huey's
name, HUEY_NAME), against the site's database, idle but for the batch given to
it: batches go to the variants in turns, so the comparison is interleaved.

The batch's avatars stay in state "none" while their tasks run: a task only
checks that it is still the avatar's current one, and the consumers' recovery
sweeps (which read other queues' workers as dead) leave such avatars alone.
Each batch has originals of its own: a resize deletes its original.
"""

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.photos import MP12, Photo
from bench.servers import worker_command
from bench.stats import Report
from testing.processes import Worker

BATCH = 8
VARIANTS = [(1, "thread"), (2, "thread")]
# huey's own line as a worker takes a task: "2026-01-02 03:04:05,678 INFO huey:… -
# Executing avatars.tasks.resize_avatar: <task id> …"
EXECUTING = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .* Executing \S+: (\S+)", re.MULTILINE
)


def start_times(worker: Worker) -> dict[str, float]:
    """Epoch time at which each task was taken, from the consumer's log."""
    return {
        task_id: datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for stamp, task_id in EXECUTING.findall(worker.log_text())
    }


def throughput(
    report: Report,
    env: dict[str, str],
    data_dir: Path,
    photos: dict[Photo, Path],
    procfile_variant: tuple[int, str],
    runs: int,
) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    from avatars.models import Avatar
    from avatars.tasks import resize_avatar

    data = photos[MP12].read_bytes()
    profiles = []
    for number in range(BATCH):
        name = f"throughput{number}"
        user = get_user_model().objects.create(
            username=name, email=f"{name}@example.com"
        )
        profiles.append(user.pk)

    def new_batch() -> list[Any]:
        """Each member's own copy of the photo, queued as a new photo is: the
        consumers' recovery sweeps record finished photos and delete their
        originals meanwhile, as they do on the site."""
        tasks = []
        for pk in profiles:
            name = storages["uploads"].save(
                "originals/bench-throughput", ContentFile(data)
            )
            task = resize_avatar.s(pk, name)
            Avatar.objects.filter(pk=pk).update(image=name, task_id=task.id)
            tasks.append(task)
        return tasks

    consumers: dict[tuple[int, str], Worker] = {}
    queues: dict[tuple[int, str], SqliteStorage] = {}
    try:
        for workers, kind in VARIANTS:
            name = f"bench-{kind}-{workers}"
            consumers[(workers, kind)] = Worker(
                f"worker {workers} {kind}",
                worker_command(workers, kind),
                {**env, "HUEY_NAME": name},
                data_dir / f"{name}.log",
            )
            queues[(workers, kind)] = SqliteStorage(
                name=name, filename=settings.HUEY["filename"]
            )
        for consumer in consumers.values():
            consumer.wait_ready()

        rates: dict[tuple[int, str], list[float]] = {v: [] for v in VARIANTS}
        for round_number in range(runs):
            shift = round_number % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                tasks = new_batch()
                queue = queues[variant]
                for task in tasks:
                    queue.enqueue(HUEY.serialize_task(task), 0)
                ids = [task.id for task in tasks]
                done = wait_for_all(queue, ids)
                started = start_times(consumers[variant])
                first = min(started[task_id] for task_id in ids)
                rates[variant].append(BATCH / (done - first))
                for task_id in ids:
                    queue.pop_data(task_id)
    finally:
        for consumer in consumers.values():
            consumer.stop()
    for variant in VARIANTS:
        workers, kind = variant
        note = "the Procfile's" if variant == procfile_variant else ""
        label = f"12 MP resized per second, {workers} {kind} worker" + (
            "s" if workers > 1 else ""
        )
        report.add("5", label, "jpeg/s", rates[variant], note=note)


def wait_for_all(queue: Any, ids: list[str], timeout: float = 60) -> float:
    """Epoch time at which the last outcome was seen in the queue's result store."""
    deadline = time.monotonic() + timeout
    while len(queue.peek_many(ids)) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"a batch did not finish within {timeout} s")
        time.sleep(0.005)
    return time.time()
