"""The pipeline's metrics move as photos go through it: outcomes, pickup and
resize times, decoding children stopped by a limit; and a consumer that stops
shows as photos waiting and a heartbeat growing old."""

import os
import signal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from huey.contrib.djhuey import HUEY

from avatars import resize, sandbox, state
from avatars.conf import conf
from avatars.models import Avatar, State
from avatars.tests.test_recovery_with_consumer import shows, wait_until
from avatars.tests.test_tasks import signup
from testing import image_factory
from testing.metrics import Scrape


def moved(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


def finish(avatar: Avatar) -> None:
    """Run the resize in this process and record what came of it."""
    outcome = resize.make_avatar(avatar.pk, avatar.image.name, avatar.task_id)
    assert outcome is not None
    state.record_outcome(avatar, avatar.task_id, outcome)


def outcomes(before: Scrape, after: Scrape) -> dict[str, float]:
    return {
        outcome: moved(before, after, "avatars_photos_finished_total", outcome=outcome)
        for outcome in ("ready", "failed", "refused")
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "outcome"),
    [("time", "refused"), ("memory", "refused"), ("crash", "failed")],
)
def test_a_child_stopped_by_a_limit_is_counted_with_the_outcome(
    queued, monkeypatch, scrape, limit, outcome
):
    def over_the_limit(*args, **kwargs):
        raise sandbox.LimitExceeded(limit, "in the test")

    monkeypatch.setattr(sandbox, "make_thumbnails", over_the_limit)
    before = scrape()

    finish(queued)

    after = scrape()
    assert moved(before, after, "avatars_sandbox_kills_total", limit=limit) == 1
    assert moved(before, after, "avatars_sandbox_kills_total") == 1
    assert outcomes(before, after) == {"ready": 0, "failed": 0, "refused": 0} | {
        outcome: 1
    }


@pytest.mark.django_db
def test_a_photo_that_is_not_one_is_refused_without_a_kill(
    scrape, django_capture_on_commit_callbacks
):
    avatar = get_user_model().objects.create_user("lou", "lou@example.com", "x").avatar
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = SimpleUploadedFile("l.jpg", image_factory.truncated_jpeg_bytes())
        avatar.save()
    before = scrape()

    finish(avatar)

    after = scrape()
    assert outcomes(before, after) == {"ready": 0, "failed": 0, "refused": 1}
    assert moved(before, after, "avatars_sandbox_kills_total") == 0


@pytest.mark.django_db
def test_a_photo_that_keeps_killing_workers_is_counted_failed_once(queued, scrape):
    Avatar.objects.filter(pk=queued.pk).update(
        state=State.PROCESSING, worker_deaths=conf.MAX_WORKER_DEATHS - 1
    )
    queued.refresh_from_db()
    before = scrape()

    assert state.worker_died(queued)
    assert not state.worker_died(queued)  # a second sweep: already failed

    assert outcomes(before, scrape()) == {"ready": 0, "failed": 1, "refused": 0}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_sign_up_moves_the_ready_count_and_the_histograms(start_consumer, scrape):
    client = Client()
    start_consumer()
    before = scrape()

    signup(client, "ada", image_factory.jpeg_bytes(size=(1200, 900)))
    wait_until(shows(client, "ready"))

    after = scrape()
    assert outcomes(before, after) == {"ready": 1, "failed": 0, "refused": 0}
    # Timed in the consumer, read through the web's /metrics.
    assert moved(before, after, "avatars_photo_pickup_seconds_count") == 1
    assert moved(before, after, "avatars_photo_resize_seconds_count") == 1
    assert moved(before, after, "avatars_photo_resize_seconds_sum") > 0
    requests = "avatars_http_requests_total"
    assert moved(before, after, requests, view="register", method="POST") == 1
    assert moved(before, after, requests, view="register", status="200") == 1
    # The ready fragment stops the polling (status 286).
    assert moved(before, after, requests, view="avatar-status", status="286") == 1
    assert after.value("avatars_photos_waiting") == 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_stopped_consumer_shows_as_photos_waiting_and_an_old_heartbeat(
    start_consumer, scrape
):
    client = Client()
    consumer = start_consumer()
    beat_age = "avatars_consumer_heartbeat_age_seconds"
    wait_until(lambda: scrape().value("avatars_consumers_alive") == 1)
    os.kill(consumer.process.pid, signal.SIGSTOP)
    try:
        signup(client, "bea", image_factory.jpeg_bytes(size=(1200, 900)))
        silent = settings.AVATAR_WORKER_TIMEOUT_SECONDS
        wait_until(
            lambda: scrape().value(beat_age, consumer=consumer.worker_id) > silent
        )
        stopped = scrape()
        # Read while the consumer is stopped: its scheduler may have queued a
        # periodic task (the exports' sweep runs every five minutes) before.
        pending = [task.name for task in HUEY.pending()]
    finally:
        os.kill(consumer.process.pid, signal.SIGCONT)
    assert stopped.value("avatars_photos_waiting", state="queued") == 1
    assert stopped.value("avatars_oldest_waiting_photo_age_seconds") > 0
    # The photo's resize and the address's confirmation e-mail, among them.
    assert {"resize_avatar", "send_email"} <= set(pending)
    assert stopped.value("avatars_queue_tasks", queue="pending") == len(pending)
    assert stopped.value("avatars_consumers_alive") == 0

    wait_until(shows(client, "ready"))
    wait_until(lambda: scrape().value(beat_age, consumer=consumer.worker_id) < silent)
    going = scrape()
    assert going.value("avatars_photos_waiting") == 0
    assert going.value("avatars_oldest_waiting_photo_age_seconds") == 0
    assert going.value("avatars_consumers_alive") == 1
