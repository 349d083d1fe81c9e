"""The sweep and the clean-up, without a consumer: the queue and store are real."""

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from huey.contrib.djhuey import HUEY

from avatars import recovery
from avatars.models import Avatar

pytestmark = pytest.mark.django_db


def sweep(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return recovery.sweep_avatars()


def taken_by(avatar: Avatar, worker: str) -> None:
    """As if `worker` had dequeued the task and started it."""
    HUEY.flush()
    Avatar.objects.filter(pk=avatar.pk).update(state="processing", worker=worker)


def test_task_waiting_in_the_queue_is_left_alone(
    queued, django_capture_on_commit_callbacks
):
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert [task.id for task in HUEY.pending()] == [queued.task_id]


def test_task_of_a_dead_worker_is_requeued_once(
    queued, django_capture_on_commit_callbacks
):
    taken_by(queued, "elsewhere:4242")  # never beat: gone

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert sweep(django_capture_on_commit_callbacks) == 0

    queued.refresh_from_db()
    assert queued.state == "queued"
    assert [task.id for task in HUEY.pending()] == [queued.task_id]


def test_task_of_a_living_worker_is_left_alone(
    queued, django_capture_on_commit_callbacks
):
    taken_by(queued, recovery.worker_id())  # this process: alive, beating
    recovery.beat()
    task_id = queued.task_id

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert Avatar.objects.get().task_id == task_id


def test_worker_on_this_host_known_dead_without_waiting_for_its_beat(
    queued, django_capture_on_commit_callbacks
):
    dead_pid = os.getpid() + 10_000_000  # above pid_max: no such process
    taken_by(queued, f"{recovery.worker_id().split(':')[0]}:{dead_pid}")
    HUEY.put(f"heartbeat:{recovery.worker_id().split(':')[0]}:{dead_pid}", time.time())
    assert sweep(django_capture_on_commit_callbacks) == 1


def test_task_never_sent_is_requeued_on_the_second_sweep(
    queued, django_capture_on_commit_callbacks
):
    HUEY.flush()  # the enqueue after commit failed

    assert sweep(django_capture_on_commit_callbacks) == 0  # maybe just taken
    assert sweep(django_capture_on_commit_callbacks) == 1
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert len(HUEY.pending()) == 1


def test_finished_task_is_recorded_not_requeued(
    queued, django_capture_on_commit_callbacks
):
    taken_by(queued, "elsewhere:1")
    HUEY.put_result(
        queued.task_id, {"image": queued.image.name, "thumbnails": "avatars/a"}
    )
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert Avatar.objects.get().state == "ready"


def test_an_outcome_of_the_release_before_square_avatars_is_made_again(
    queued, django_capture_on_commit_callbacks
):
    """Its worker made a 600 and a 300 px thumbnail of the whole photo; the
    original is still there, so the photo is queued again."""
    taken_by(queued, "elsewhere:1")
    old_task = queued.task_id
    HUEY.put_result(
        old_task,
        {"image": queued.image.name, "thumbnail": "a.webp", "thumbnail_2x": "b.webp"},
    )
    HUEY.storage.flush_queue()

    sweep(django_capture_on_commit_callbacks)

    requeued = Avatar.objects.get()
    assert requeued.state == "queued"
    assert requeued.task_id != old_task
    assert [task.id for task in HUEY.pending()] == [requeued.task_id]


def test_purge_removes_unread_results_and_unshown_thumbnails(queued):
    media = storages["default"]
    shown = media.save("avatars/shown-96.webp", ContentFile(b"x"))
    orphan = media.save("avatars/orphan-96.webp", ContentFile(b"x"))
    fresh = media.save("avatars/fresh-96.webp", ContentFile(b"x"))
    Avatar.objects.filter(pk=queued.pk).update(thumbnails="avatars/shown")
    past = time.time() - 7200
    for name in (shown, orphan):
        os.utime(media.path(name), (past, past))
    HUEY.put_result(queued.task_id, {"image": "x"})  # still to be read
    HUEY.put_result("0b3a5b8e-6f7e-4f8e-9a47-7a1d8ad2c1a0", {"image": "y"})
    recovery.beat()

    assert recovery.purge_orphans() == (1, 1)

    assert media.exists(shown) and media.exists(fresh) and not media.exists(orphan)
    assert HUEY.get(queued.task_id, peek=True) == {"image": "x"}
    assert recovery.any_worker_alive()


def test_a_message_that_cannot_be_read_is_stepped_over(
    queued, django_capture_on_commit_callbacks, caplog
):
    taken_by(queued, "elsewhere:1")  # a worker on no host we know: dead
    HUEY.storage.enqueue(b"not a message at all")

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert "could not be read" in caplog.text


def test_a_message_whose_task_no_longer_resolves_still_counts_as_waiting(
    queued, django_capture_on_commit_callbacks
):
    (data,) = HUEY.storage.enqueued_items()
    message = HUEY.serializer.deserialize(data)
    HUEY.flush()
    HUEY.storage.enqueue(
        HUEY.serializer.serialize(message._replace(name="gone.tasks.resize_avatar"))
    )

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert sweep(django_capture_on_commit_callbacks) == 0
