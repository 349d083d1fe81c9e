"""Fault tests: the real consumer is killed, stopped, absent or failing."""

import logging
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from huey.contrib.djhuey import HUEY

from avatars import state
from avatars.models import Avatar
from avatars.tests.test_tasks import HTMX, avatar_fragment, signup, state_of
from testing import image_factory, multipart

User = get_user_model()

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll until the condition holds; fail loudly at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(0.05)


def shows(client: Client, state: str) -> Callable[[], bool]:
    return lambda: state_of(avatar_fragment(client)) == state


@pytest.fixture
def photo() -> bytes:
    return image_factory.jpeg_bytes(size=(1200, 900))


def test_worker_killed_mid_task_the_next_one_finishes_it(start_consumer, gate, photo):
    client = Client()
    avatar = signup(client, "ada", photo)
    doomed = start_consumer(AVATARS_TEST_GATE=str(gate.path))
    assert gate.wait_for_task() == avatar.task_id
    assert state_of(avatar_fragment(client)) == "processing"

    doomed.process.kill()
    doomed.process.wait()
    start_consumer()

    wait_until(shows(client, "ready"))
    avatar.refresh_from_db()
    assert avatar.attempts == 1  # the new task's single attempt


def test_sigterm_puts_the_running_task_back_for_the_next_worker(
    start_consumer, gate, photo
):
    client = Client()
    avatar = signup(client, "bea", photo)
    stopping = start_consumer(
        AVATARS_TEST_GATE=str(gate.path), HUEY_SHUTDOWN_TIMEOUT="0.5"
    )
    assert gate.wait_for_task() == avatar.task_id

    stopping.process.send_signal(signal.SIGTERM)
    assert stopping.process.wait(timeout=15) == 0
    assert "interrupted, requeued" in stopping.output
    assert [task.id for task in HUEY.scheduled()] == [avatar.task_id]
    assert state_of(avatar_fragment(client)) == "queued"

    start_consumer()
    wait_until(shows(client, "ready"))


def test_no_worker_says_so_then_finishes_when_one_starts(start_consumer, photo):
    client = Client()
    signup(client, "cleo", photo)

    waiting = avatar_fragment(client)
    assert state_of(waiting) == "queued"
    assert 'data-worker="absent"' in waiting
    assert "No worker is running right now" in waiting

    start_consumer()
    wait_until(shows(client, "ready"))


def test_queued_fragment_says_a_worker_is_present_when_one_beats(
    start_consumer, gate, photo
):
    client = Client()
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    wait_until(lambda: HUEY.get("heartbeat", peek=True) is not None)
    avatar = signup(client, "dora", photo)
    first = avatar_fragment(client)
    assert gate.wait_for_task() == avatar.task_id
    assert 'data-worker="present"' in first
    assert "No worker is running" not in first


def test_transient_error_is_retried_and_never_looks_failed(start_consumer, gate, photo):
    client = Client()
    avatar = signup(client, "edna", photo)
    start_consumer(
        AVATARS_TEST_GATE=str(gate.path), AVATARS_TEST_TRANSIENT_FAILURES="1"
    )
    assert gate.wait_for_task() == avatar.task_id
    gate.release()  # this attempt fails

    assert gate.wait_for_task() == avatar.task_id  # and is retried
    retrying = avatar_fragment(client)
    assert state_of(retrying) == "processing"
    assert "hx-get" in retrying
    gate.release()

    wait_until(shows(client, "ready"))
    avatar.refresh_from_db()
    assert avatar.attempts == 2


def test_damaged_photo_fails_at_once_without_retries(start_consumer):
    client = Client()
    avatar = signup(client, "fern", image_factory.truncated_jpeg_bytes())
    start_consumer()
    wait_until(shows(client, "failed"))
    avatar.refresh_from_db()
    assert avatar.attempts == 1
    assert "damaged or incomplete" in avatar.error


def test_try_again_after_every_attempt_failed(start_consumer, photo):
    client = Client()
    signup(client, "gail", photo)
    # One more failure than there are retries: the task fails for good.
    start_consumer(AVATARS_TEST_TRANSIENT_FAILURES="4")
    wait_until(shows(client, "failed"), timeout=60)
    failed = avatar_fragment(client)
    assert "Something went wrong while processing your photo." in failed
    assert 'hx-post="/profile/avatar/retry/"' in failed
    assert "Try again" in failed

    response = client.post("/profile/avatar/retry/", **HTMX)
    retried = response.content.decode()
    assert state_of(retried) in {"queued", "processing"}
    assert "hx-get" in retried

    wait_until(shows(client, "ready"))


def test_try_again_needs_a_post_from_a_logged_in_owner(photo):
    assert Client().post("/profile/avatar/retry/").status_code == 302  # to login
    client = Client()
    signup(client, "hedy", photo)
    assert client.get("/profile/avatar/retry/").status_code == 405
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(Avatar.objects.get().user)
    assert csrf_client.post("/profile/avatar/retry/").status_code == 403


def test_enqueue_failing_after_commit_is_swept_up(
    start_consumer, photo, monkeypatch, caplog
):
    def queue_down(task):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(HUEY, "enqueue", queue_down)
    client = Client()
    with caplog.at_level(logging.ERROR):
        avatar = signup(client, "iris", photo)
    assert "enqueue failed, the sweep will send it" in caplog.text
    assert "the queue is down" in caplog.text
    assert avatar.state == "queued"
    monkeypatch.undo()

    start_consumer()
    wait_until(shows(client, "ready"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def all_settled() -> bool:
    avatars = list(Avatar.objects.all())
    return all(not state.refresh(avatar).pending for avatar in avatars)


def test_thirty_parallel_signups_all_finish(live_server, start_consumer, caplog):
    consumer = start_consumer()  # busy with the first photos while the rest arrive
    photo = image_factory.photo_jpeg_bytes((1600, 1200))  # 2 MP
    statuses: list[int] = []
    barrier = threading.Barrier(30)

    def sign_up(number: int) -> None:
        opener = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPCookieProcessor()
        )
        page = opener.open(f"{live_server.url}/register/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        body, content_type = multipart.sign_up_form(
            f"user{number}",
            token.group(1),
            multipart.File("IMG.JPG", "image/jpeg", photo),
        )
        request = urllib.request.Request(
            f"{live_server.url}/register/",
            data=body,
            headers={"Content-Type": content_type},
        )
        barrier.wait()
        try:
            statuses.append(opener.open(request, timeout=60).status)
        except urllib.error.HTTPError as response:
            statuses.append(response.code)

    with caplog.at_level(logging.WARNING):
        threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [302] * 30
        wait_until(all_settled, timeout=120)

    assert Avatar.objects.filter(state="ready").count() == 30
    assert "database is locked" not in caplog.text + consumer.output
    assert "Traceback" not in consumer.output


def save_photo_unchecked(username: str, data: bytes) -> Avatar:
    """A photo that never went through the form's checks: what the worker must
    survive even if a file slips past them."""
    user = User.objects.create_user(username, f"{username}@example.com", "x")
    with transaction.atomic():
        user.avatar.image = SimpleUploadedFile("photo", data)
        user.avatar.save()
    return Avatar.objects.get(pk=user.pk)


def outcome_of(avatar: Avatar) -> Avatar:
    return state.refresh(Avatar.objects.get(pk=avatar.pk))


def test_hostile_photos_fail_within_limits_and_other_photos_go_on(
    start_consumer, photo
):
    slow = save_photo_unchecked("sly", image_factory.scan_bomb_jpeg_bytes())
    large = save_photo_unchecked("max", image_factory.memory_bomb_png_bytes())
    client = Client()
    signup(client, "nia", photo)  # queued behind both
    consumer = start_consumer()

    wait_until(shows(client, "ready"))
    # When it turned ready, each hostile photo was still being decoded under its
    # limits or had already been stopped by them.
    wait_until(lambda: not outcome_of(slow).pending)
    wait_until(lambda: not outcome_of(large).pending)

    slow, large = outcome_of(slow), outcome_of(large)
    assert slow.state == "failed"
    assert slow.error.startswith("This photo takes too long to process.")
    assert large.state == "failed"
    assert large.error.startswith("This photo needs too much memory")
    assert slow.image and large.image  # kept: "Try again" is still offered
    assert consumer.process.poll() is None
    assert "Traceback" not in consumer.output


def test_a_replaced_photo_has_its_decode_stopped(start_consumer):
    avatar = save_photo_unchecked("rex", image_factory.scan_bomb_jpeg_bytes())
    consumer = start_consumer(AVATARS_TEST_DECODE_SECONDS="600")
    wait_until(lambda: "decoding in child" in consumer.output)
    child = int(re.search(r"decoding in child (\d+)", consumer.output).group(1))

    # The task stops being the profile's current one. Only the row changes, so
    # the original stays on disk: the child is surely decoding it, not failing
    # to open a file a new photo's commit has just deleted.
    Avatar.objects.filter(pk=avatar.pk).update(task_id="a newer task")

    wait_until(lambda: "stopped, the photo was replaced" in consumer.output)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    assert "takes too long" not in consumer.output


def test_a_photo_whose_worker_died_three_times_fails_then_try_again_works(
    start_consumer, gate, photo
):
    client = Client()
    avatar = signup(client, "ike", photo)
    for _ in range(3):
        doomed = start_consumer(AVATARS_TEST_GATE=str(gate.path))
        assert gate.wait_for_task()
        doomed.process.kill()
        doomed.process.wait()
        gate.release()

    start_consumer()
    wait_until(shows(client, "failed"))
    failed = avatar_fragment(client)
    assert "stopped our photo processor several times" in failed
    assert "Try again" in failed
    avatar.refresh_from_db()
    assert avatar.worker_deaths == 3

    client.post("/profile/avatar/retry/", **HTMX)
    wait_until(shows(client, "ready"))
    avatar.refresh_from_db()
    assert avatar.worker_deaths == 0
