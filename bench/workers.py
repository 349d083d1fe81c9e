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

The scale-out path is measured the same way: one and two consumers from the
Procfile's worker line sharing one Redis queue (REDIS_URL, a queue name of the
run's own), batches of 16 in turns.
"""

import os
import re
import secrets
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.photos import MP12, Photo
from bench.servers import worker_command
from bench.stats import Report
from testing.processes import Worker

BATCH = 8
REDIS_BATCH = 16  # work for every thread of two consumers
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


def redis_available() -> bool:
    """Redis answers on loopback, or can be started as the tests do."""
    from testing import services

    return services.port_open(6379) or shutil.which("redis-server") is not None


def photo_tasks(users: list[int], data: bytes, name: str) -> list[Any]:
    """Each member's own copy of the photo, queued as a new photo is: the
    consumers' recovery sweeps record finished photos and delete their
    originals meanwhile, as they do on the site."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from avatars.models import Avatar
    from avatars.tasks import resize_avatar

    tasks = []
    for pk in users:
        stored = storages["uploads"].save(name, ContentFile(data))
        task = resize_avatar.s(pk, stored)
        Avatar.objects.filter(pk=pk).update(image=stored, task_id=task.id)
        tasks.append(task)
    return tasks


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
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    data = photos[MP12].read_bytes()
    profiles = []
    for number in range(BATCH):
        name = f"throughput{number}"
        user = get_user_model().objects.create(
            username=name, email=f"{name}@example.com"
        )
        profiles.append(user.pk)

    def new_batch() -> list[Any]:
        return photo_tasks(profiles, data, "originals/bench-throughput")

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


def consumers_on_redis(
    report: Report,
    env: dict[str, str],
    data_dir: Path,
    photos: dict[Photo, Path],
    runs: int,
) -> None:
    """Photos a second with one and with two consumers on one Redis queue."""
    from django.contrib.auth import get_user_model
    from huey.contrib.djhuey import HUEY
    from huey.storage import RedisStorage

    from testing.services import REDIS_URL as SERVICE_URL
    from testing.services import START_REDIS, ensure, redis_answers

    ensure("Redis", 6379, START_REDIS, redis_answers)
    data = photos[MP12].read_bytes()
    users = [
        get_user_model()
        .objects.create(username=f"redis{n}", email=f"redis{n}@example.com")
        .pk
        for n in range(REDIS_BATCH)
    ]
    run_id = secrets.token_hex(4)
    variants = [1, 2]
    queues = {
        count: RedisStorage(name=f"bench-{run_id}-{count}", url=SERVICE_URL)
        for count in variants
    }
    consumers: dict[int, list[Worker]] = {
        count: [
            Worker(
                f"redis consumer {number + 1} of {count}",
                worker_command(),
                {**env, "REDIS_URL": SERVICE_URL, "HUEY_NAME": queues[count].name},
                data_dir / f"redis-{count}-{number}.log",
            )
            for number in range(count)
        ]
        for count in variants
    }
    rates: dict[int, list[float]] = {count: [] for count in variants}
    try:
        for group in consumers.values():
            for consumer in group:
                consumer.wait_ready()
        for round_number in range(runs):
            for count in variants if round_number % 2 == 0 else variants[::-1]:
                ids = []
                for task in photo_tasks(users, data, "originals/bench-redis"):
                    queues[count].enqueue(HUEY.serialize_task(task), 0)
                    ids.append(task.id)
                done = wait_for_all(queues[count], ids)
                started: dict[str, float] = {}
                for consumer in consumers[count]:
                    started.update(start_times(consumer))
                first = min(started[task_id] for task_id in ids)
                rates[count].append(REDIS_BATCH / (done - first))
                for task_id in ids:
                    queues[count].pop_data(task_id)
    finally:
        for group in consumers.values():
            for consumer in group:
                consumer.stop()
        for queue in queues.values():
            queue.flush_all()
    shared = [len(start_times(consumer)) for consumer in consumers[2]]
    note = f"one Redis queue; the two took {shared[0]} and {shared[1]} tasks"
    report.add("5", "12 MP resized per second, 1 consumer on Redis", "jpeg/s", rates[1])
    report.add(
        "5",
        "12 MP resized per second, 2 consumers on Redis",
        "jpeg/s",
        rates[2],
        note=note,
    )
    report.add(
        "5",
        "2 consumers / 1 on Redis",
        "x",
        [b / a for a, b in zip(rates[1], rates[2], strict=True)],
        note=f"{os.cpu_count()} cores: resizing is CPU-bound",
    )
