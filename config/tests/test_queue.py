import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from huey.contrib.djhuey import HUEY

from avatars.models import Avatar
from avatars.tests.test_recovery_with_consumer import wait_until
from config import logs
from config.queue import CONTEXT_KEY
from testing.logs import json_lines, parse

logger = logging.getLogger("avatars.test_queue")
attempts: list[str] = []


@HUEY.task()
def say(words: str, then: str | None = None) -> None:
    logger.info("said %s", words)
    if then:
        say(then)


@HUEY.task(retries=1)
def flaky() -> None:
    attempts.append(logs.current().request_id or "-")
    if len(attempts) == 1:
        raise OSError("first attempt fails")


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    attempts.clear()
    yield
    HUEY.flush()


def run_next() -> None:
    HUEY.execute(HUEY.dequeue())


def test_a_task_runs_with_the_context_of_the_request_that_queued_it():
    with logs.bound(request_id="req-9", user=lambda: 5):
        say("hello")
    assert logs.current().request_id is None

    with json_lines() as lines:
        run_next()

    [said] = [line for line in lines if line["message"] == "said hello"]
    assert said["request_id"] == "req-9"
    assert said["user_id"] == 5
    assert said["task"] == "config.tests.test_queue.say"
    assert said["task_id"]
    assert logs.current().request_id is None  # the worker thread's next task


def test_the_tasks_a_task_queues_carry_the_same_id():
    with logs.bound(request_id="req-9"):
        say("first", then="second")
    run_next()

    with json_lines() as lines:
        run_next()
    [said] = [line for line in lines if line["message"] == "said second"]
    assert said["request_id"] == "req-9"


def test_a_retry_keeps_the_id():
    with logs.bound(request_id="req-7"):
        flaky()
    run_next()
    run_next()
    assert attempts == ["req-7", "req-7"]


def test_the_message_is_huey_s_own_and_the_function_never_sees_the_key():
    with logs.bound(request_id="req-9"):
        say("hello")

    # As the recovery sweep reads it, without resolving the task.
    [data] = HUEY.storage.enqueued_items()
    message = HUEY.serializer.deserialize(data)
    assert message.kwargs[CONTEXT_KEY]["request_id"] == "req-9"
    [task] = HUEY.pending()
    assert task.kwargs == {}
    assert task.args == ("hello",)


def test_a_task_queued_before_the_change_runs_without_an_id():
    # Serialised as huey itself does, with nothing carried.
    task = say.s("old")
    HUEY.storage.enqueue(HUEY.serializer.serialize(HUEY._registry.create_message(task)))

    with json_lines() as lines:
        run_next()
    [said] = [line for line in lines if line["message"] == "said old"]
    assert said["request_id"] is None
    assert said["task_id"] == task.id


def test_a_task_queued_outside_any_request_carries_nothing():
    say("from the scheduler")
    [data] = HUEY.storage.enqueued_items()
    assert CONTEXT_KEY not in HUEY.serializer.deserialize(data).kwargs


@pytest.mark.integration
def test_the_worker_s_lines_for_a_photo_carry_the_sign_up_s_request_id(
    start_consumer, photo_jpeg
):
    consumer = start_consumer(LOG_FORMAT="json")
    form = {
        "username": "noor",
        "email": "noor@example.com",
        "password1": "correct horse battery",
        "image": SimpleUploadedFile("IMG_1234.JPG", photo_jpeg, "image/jpeg"),
    }
    response = Client().post("/register/", form, HTTP_X_REQUEST_ID="signup-e2e")
    task_id = Avatar.objects.get(user__username="noor").task_id

    wait_until(lambda: "thumbnails written" in consumer.output)
    lines = parse(consumer.output)
    photo = [line for line in lines if line["task_id"] == task_id]
    assert response["X-Request-ID"] == "signup-e2e"
    assert {line["request_id"] for line in photo} == {"signup-e2e"}
    messages = [line["message"] for line in photo]
    assert any(message.endswith("started") for message in messages)
    [written] = [line for line in photo if "thumbnails written" in line["message"]]
    assert written["task"] == "avatars.tasks.resize_avatar"
    for step in ("decode", "resize", "encode", "store"):
        assert written[f"{step}_seconds"] > 0
