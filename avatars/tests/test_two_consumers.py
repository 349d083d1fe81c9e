"""Two consumers, one queue: the Procfile's worker started twice, as a platform
scaled to two workers runs it, on whichever queue the run uses (Redis,
PostgreSQL or SQLite). Each photo is resized once and recorded once, both
consumers take a share, and a consumer killed mid-photo is covered by the other.
"""

import logging
import re
from collections import Counter

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from avatars import state
from avatars.models import Avatar
from avatars.storage import thumbnail_names
from avatars.tests.test_recovery_with_consumer import shows, wait_until
from avatars.tests.test_tasks import signup, stored_files
from testing import image_factory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BURST = 12
THREADS = 2  # HUEY_WORKERS of each consumer


@pytest.fixture
def photo() -> bytes:
    return image_factory.jpeg_bytes(size=(1200, 900))


@pytest.fixture
def logs(caplog):
    """Everything logged about the photos: by this process (a status poll records
    an outcome too) and by the consumers, passed in."""
    caplog.set_level(logging.INFO, logger="avatars")
    return lambda *consumers: caplog.text + "".join(c.output for c in consumers)


def outcomes(task_id: str, logs: str) -> list[str]:
    """The outcomes recorded for a task, by whichever process recorded them.

    The line is written after the row is updated and the files it orphaned are
    deleted, so once it is there the storage is final for that photo.
    """
    return re.findall(rf"task {task_id} user \d+: recorded as (\w+)", logs)


def all_settled() -> bool:
    """Every photo has an outcome; reading it records it, as a status poll does."""
    return all(not state.refresh(avatar).pending for avatar in Avatar.objects.all())


def test_a_burst_is_shared_by_both_consumers_each_photo_once(
    start_consumer, gate, photo, logs
):
    consumers = [
        start_consumer(AVATARS_TEST_GATE=str(gate.path), HUEY_WORKERS=str(THREADS))
        for _ in range(2)
    ]
    task_ids = {signup(Client(), f"burst{n}", photo).task_id for n in range(BURST)}

    # Every worker thread of both consumers holds a photo at the same moment, so
    # each consumer has taken its share of the queue.
    held = [gate.wait_for_task() for _ in range(2 * THREADS)]
    holders = Counter(Avatar.objects.get(task_id=task).worker for task in held)
    assert holders == {consumer.worker_id: THREADS for consumer in consumers}
    gate.release()
    passed = list(held)
    for _ in range(BURST - len(held)):
        passed.append(gate.wait_for_task())
        gate.release(passed[-1])
    assert sorted(passed) == sorted(task_ids)  # each task ran, none twice

    wait_until(all_settled)
    wait_until(lambda: all(outcomes(task, logs(*consumers)) for task in task_ids))
    avatars = list(Avatar.objects.all())
    assert [avatar.state for avatar in avatars] == ["ready"] * BURST
    assert {avatar.attempts for avatar in avatars} == {1}
    assert {avatar.worker for avatar in avatars} == {c.worker_id for c in consumers}
    everything = logs(*consumers)
    assert {task: outcomes(task, everything) for task in task_ids} == {
        task: ["ready"] for task in task_ids
    }
    assert "stale outcome discarded" not in everything
    assert "Traceback" not in everything
    assert stored_files("uploads") == set()
    assert stored_files("default") == {
        name for avatar in avatars for name in thumbnail_names(avatar.thumbnails)
    }


def test_a_consumer_killed_mid_photo_the_other_finishes_it(
    start_consumer, gate, photo, logs
):
    consumers = {
        consumer.worker_id: consumer
        for consumer in [
            start_consumer(AVATARS_TEST_GATE=str(gate.path)) for _ in range(2)
        ]
    }
    client = Client()
    avatar = signup(client, "kim", photo)
    lost_task = avatar.task_id
    assert gate.wait_for_task() == lost_task
    avatar.refresh_from_db()
    doomed = consumers.pop(avatar.worker)  # whichever of the two took it
    (survivor,) = consumers.values()

    doomed.process.kill()
    doomed.process.wait()

    # The survivor's sweep finds the photo's worker dead and queues the photo
    # again; the survivor takes it.
    requeued = gate.wait_for_task()
    avatar.refresh_from_db()
    assert requeued == avatar.task_id != lost_task
    assert avatar.state == "processing"
    assert avatar.worker == survivor.worker_id
    assert avatar.worker_deaths == 1
    assert (
        f"task {lost_task} user {avatar.pk}: lost (worker {doomed.worker_id}), "
        f"requeued as {requeued}"
    ) in survivor.output
    gate.release(requeued)

    wait_until(shows(client, "ready"))
    wait_until(lambda: bool(outcomes(requeued, logs(survivor))))
    avatar.refresh_from_db()
    assert avatar.attempts == 1  # the new task's single attempt
    everything = logs(doomed, survivor)
    assert outcomes(lost_task, everything) == []
    assert outcomes(requeued, everything) == ["ready"]
    assert HUEY.result(lost_task) is None
    assert "Traceback" not in everything
    assert stored_files("uploads") == set()
    assert stored_files("default") == set(thumbnail_names(avatar.thumbnails))
