import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from huey.contrib.djhuey import HUEY

from config import logs
from config.queue import CONTEXT_KEY
from config.requestid import RequestIdMiddleware
from testing.client import HTMX
from testing.logs import json_lines

User = get_user_model()
logger = logging.getLogger("avatars.test_requestid")


def never_loaded():
    raise AssertionError("the log line loaded the user")


def respond(request, view=lambda request: HttpResponse("ok")):
    return RequestIdMiddleware(view)(request)


@pytest.mark.parametrize("offered", ["abc-123_x.y", "A" * 64, "f" * 32])
def test_a_short_token_from_the_client_is_the_request_id(offered, rf: RequestFactory):
    response = respond(rf.get("/", HTTP_X_REQUEST_ID=offered))
    assert response["X-Request-ID"] == offered


@pytest.mark.parametrize(
    "offered", ["", "has space", "a" * 65, "semi;colon", "new\nline", "é"]
)
def test_anything_else_gets_a_new_id(offered, rf: RequestFactory):
    first = respond(rf.get("/", HTTP_X_REQUEST_ID=offered))["X-Request-ID"]
    second = respond(rf.get("/", HTTP_X_REQUEST_ID=offered))["X-Request-ID"]
    assert first != second
    assert len(first) == 32 and first.isalnum()


def test_the_view_logs_with_the_id_and_the_user_once_loaded(rf: RequestFactory, db):
    user = User.objects.create_user("lee", "lee@example.com", "x")
    request = rf.get("/", HTTP_X_REQUEST_ID="req-1")
    request.user = SimpleLazyObject(lambda: user)

    def view(request):
        logger.info("before the user is loaded")
        assert request.user.is_authenticated
        logger.info("after")
        return HttpResponse("ok")

    with json_lines() as lines:
        respond(request, view)
    assert [(line["request_id"], line["user_id"]) for line in lines] == [
        ("req-1", None),
        ("req-1", user.pk),
    ]
    # For the access line, written by gunicorn after the request.
    assert request.META[logs.ENVIRON_REQUEST_ID] == "req-1"
    assert request.META[logs.ENVIRON_USER_ID] == user.pk
    assert logs.current().request_id is None  # nothing left for the next request


def test_logging_never_loads_the_user(rf: RequestFactory):
    request = rf.get("/")
    request.user = SimpleLazyObject(never_loaded)

    def view(request):
        logger.info("a line")
        return HttpResponse("ok")

    with json_lines() as lines:
        respond(request, view)
    assert lines[0]["user_id"] is None
    assert request.META[logs.ENVIRON_USER_ID] is None


def test_an_anonymous_visitor_has_no_user_id(rf: RequestFactory):
    request = rf.get("/")
    request.user = AnonymousUser()
    respond(request)
    assert request.META[logs.ENVIRON_USER_ID] is None


@pytest.mark.django_db(transaction=True)  # on_commit runs inside the request
def test_the_sign_up_returns_its_id_and_its_tasks_carry_it(client, photo_jpeg):
    HUEY.flush()
    form = {
        "username": "hana",
        "email": "hana@example.com",
        "password1": "correct horse battery",
        "image": SimpleUploadedFile("IMG_1234.JPG", photo_jpeg, "image/jpeg"),
    }
    with json_lines() as lines:
        response = client.post(
            "/register/", form, HTTP_X_REQUEST_ID="signup-42", **HTMX
        )

    assert response["HX-Redirect"] == "/profile/"
    assert response["X-Request-ID"] == "signup-42"
    enqueued = [line for line in lines if "resize enqueued" in line["message"]]
    assert [line["request_id"] for line in enqueued] == ["signup-42"]
    carried = {task.name: getattr(task, CONTEXT_KEY) for task in HUEY.pending()}
    assert carried["resize_avatar"]["request_id"] == "signup-42"
    assert carried["send_email"]["request_id"] == "signup-42"
    HUEY.flush()
