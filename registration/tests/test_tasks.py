"""The whole flow with a real Huey consumer process (not immediate mode)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from huey.contrib.djhuey import HUEY
from PIL import Image

from registration.models import Profile
from registration.tests import image_factory

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


def signup(client: Client, username: str, photo: bytes) -> Profile:
    response = client.post(
        "/register/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password": "correct horse battery",
            "image": SimpleUploadedFile("IMG_0001.JPG", photo, "image/jpeg"),
        },
        **HTMX,
    )
    assert response["HX-Redirect"] == "/profile/"
    return Profile.objects.get(user__username=username)


def avatar_fragment(client: Client) -> str:
    response = client.get("/profile/avatar/", **HTMX)
    return response.content.decode()


def state_of(fragment: str) -> str:
    return re.search(r'<div id="avatar"[^>]*data-state="(\w+)"', fragment).group(1)


def wait_for_outcome(profile: Profile) -> None:
    """Block until the worker has stored the task's outcome (without reading it)."""
    HUEY.result(profile.avatar_task_id, blocking=True, timeout=30, preserve=True)


def test_signup_goes_queued_processing_ready(start_consumer, gate):
    client = Client()
    photo = image_factory.jpeg_bytes(size=(3000, 2000), orientation=6)
    profile = signup(client, "lena", photo)

    queued = avatar_fragment(client)
    assert state_of(queued) == "queued"
    assert "Waiting for a worker…" in queued

    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    assert gate.wait_for_task() == profile.avatar_task_id
    processing = avatar_fragment(client)
    assert state_of(processing) == "processing"
    assert "Processing your photo…" in processing
    assert "hx-get" in processing

    gate.release()
    wait_for_outcome(profile)
    ready = client.get("/profile/avatar/", **HTMX)
    html = ready.content.decode()
    assert ready.status_code == 286
    assert state_of(html) == "ready"
    assert "hx-trigger" not in html

    src = re.search(r'<img[^>]* src="([^"]+)"', html).group(1)
    served = client.get(src)
    thumbnail = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    # 3000x2000 stored sideways (orientation 6): upright it is 2000x3000.
    assert thumbnail.size == (200, 300)
    assert not thumbnail.getexif()


def test_a_damaged_photo_fails_with_a_message_and_the_worker_goes_on(
    start_consumer,
):
    broken_client, good_client = Client(), Client()
    broken = signup(broken_client, "max", image_factory.truncated_jpeg_bytes())
    good = signup(good_client, "nina", image_factory.jpeg_bytes(size=(800, 600)))
    start_consumer()

    wait_for_outcome(broken)
    wait_for_outcome(good)

    failed = avatar_fragment(broken_client)
    assert state_of(failed) == "failed"
    assert "damaged or incomplete" in failed
    assert state_of(avatar_fragment(good_client)) == "ready"


def test_replaced_photo_only_the_newest_is_shown(start_consumer, gate):
    client = Client()
    first = signup(client, "omar", image_factory.jpeg_bytes(size=(800, 600)))
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    assert gate.wait_for_task() == first.avatar_task_id

    response = client.post(
        "/profile/",
        {
            "bio": "new photo",
            "image": SimpleUploadedFile(
                "b.jpg", image_factory.jpeg_bytes(size=(600, 800)), "image/jpeg"
            ),
        },
        **HTMX,
    )
    assert response.status_code == 200
    second = Profile.objects.get(pk=first.pk)
    gate.release()
    assert gate.wait_for_task() == second.avatar_task_id
    gate.release()
    wait_for_outcome(second)

    html = avatar_fragment(client)
    assert state_of(html) == "ready"
    src = re.search(r'<img[^>]* src="([^"]+)"', html).group(1)
    served = Image.open(io.BytesIO(b"".join(client.get(src).streaming_content)))
    assert served.size == (225, 300)  # the portrait one, not the first
    assert HUEY.result(first.avatar_task_id) is None  # the stale task stored nothing
