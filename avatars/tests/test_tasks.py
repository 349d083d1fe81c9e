"""The whole flow with a real Huey consumer process (not immediate mode)."""

import io
import re
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from huey.contrib.djhuey import HUEY
from PIL import Image

from avatars.models import PENDING_STATES, Avatar
from avatars.storage import thumbnail_names
from testing import image_factory
from testing.storage import stored_names

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HTMX = {"HTTP_HX_REQUEST": "true"}
BLUE = (30, 60, 200)


def assert_colour(im: Image.Image, colour: tuple[int, int, int]) -> None:
    found = im.getpixel((im.width // 2, im.height // 2))
    assert max(abs(a - b) for a, b in zip(found, colour, strict=True)) < 12, found


def signup(client: Client, username: str, photo: bytes) -> Avatar:
    response = client.post(
        "/register/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": "correct horse battery",
            "image": SimpleUploadedFile("IMG_0001.JPG", photo, "image/jpeg"),
        },
        **HTMX,
    )
    assert response["HX-Redirect"] == "/profile/"
    return Avatar.objects.get(user__username=username)


def avatar_fragment(client: Client) -> str:
    response = client.get("/profile/avatar/", **HTMX)
    return response.content.decode()


def state_of(fragment: str) -> str:
    return re.search(r'<div id="avatar"[^>]*data-state="(\w+)"', fragment).group(1)


def fetch(client: Client, url: str) -> tuple[bytes, str]:
    """What a browser gets for a URL: ours, or the object store's."""
    if url.startswith("http"):
        with urllib.request.urlopen(url) as response:
            return response.read(), response.headers["Content-Type"]
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content), response["Content-Type"]


def cache_control(client: Client, url: str) -> str:
    """How long a browser may keep what it got for a URL, ours or the store's."""
    if url.startswith("http"):
        with urllib.request.urlopen(url) as response:
            return str(response.headers["Cache-Control"])
    return str(client.get(url)["Cache-Control"])


def wait_for_outcome(avatar: Avatar, timeout: float = 30) -> None:
    """Block until the worker has stored the task's outcome (without reading
    it), or its recovery sweep has already read it into the row."""
    deadline = time.monotonic() + timeout
    task_id = avatar.task_id
    while HUEY.result(task_id, preserve=True) is None:
        recorded = Avatar.objects.filter(pk=avatar.pk, task_id=task_id)
        if recorded.exclude(state__in=PENDING_STATES).exists():
            return
        assert time.monotonic() < deadline, "no outcome"
        time.sleep(0.05)


def test_signup_goes_queued_processing_ready(start_consumer, gate):
    client = Client()
    photo = image_factory.jpeg_bytes(size=(3000, 2000), orientation=6)
    avatar = signup(client, "lena", photo)

    queued = avatar_fragment(client)
    assert state_of(queued) == "queued"
    assert "Waiting for a worker…" in queued

    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    assert gate.wait_for_task() == avatar.task_id
    processing = avatar_fragment(client)
    assert state_of(processing) == "processing"
    assert "Processing your photo…" in processing
    assert "hx-get" in processing

    gate.release()
    wait_for_outcome(avatar)
    ready = client.get("/profile/avatar/", **HTMX)
    html = ready.content.decode()
    assert ready.status_code == 286
    assert state_of(html) == "ready"
    assert "hx-trigger" not in html

    src = re.search(r'<img[^>]* src="([^"]+)"', html).group(1)
    thumbnail = Image.open(io.BytesIO(fetch(client, src)[0]))
    assert thumbnail.size == (300, 300)  # the centred square
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
    assert gate.wait_for_task() == first.task_id

    response = client.post(
        "/profile/",
        {
            "bio": "new photo",
            "image": SimpleUploadedFile(
                "b.jpg", image_factory.jpeg_bytes((600, 800), BLUE), "image/jpeg"
            ),
        },
        **HTMX,
    )
    assert response.status_code == 200
    second = Avatar.objects.get(pk=first.pk)
    gate.release()
    assert gate.wait_for_task() == second.task_id
    gate.release()
    wait_for_outcome(second)

    # The consumer's recovery sweep may be reading the outcome into the row at
    # that moment; the fragment shows it by the next poll at the latest.
    deadline = time.monotonic() + 30
    while state_of(html := avatar_fragment(client)) != "ready":
        assert time.monotonic() < deadline, state_of(html)
        time.sleep(0.05)
    assert state_of(html) == "ready"
    src = re.search(r'<img[^>]* src="([^"]+)"', html).group(1)
    served = Image.open(io.BytesIO(fetch(client, src)[0])).convert("RGB")
    assert_colour(served, BLUE)  # the new one, not the first
    assert HUEY.result(first.task_id) is None  # the stale task stored nothing


def replace_photo(client: Client, photo: bytes) -> Avatar:
    response = client.post(
        "/profile/",
        {"bio": "", "image": SimpleUploadedFile("new.jpg", photo, "image/jpeg")},
        **HTMX,
    )
    assert response.status_code == 200
    return Avatar.objects.get(user__username=response.wsgi_request.user.username)


def stored_files(alias: str) -> set[str]:
    folder = "avatars" if alias == "default" else "originals"
    return {f"{folder}/{name}" for name in stored_names(alias, folder)}


@pytest.mark.parametrize("finishes_first", ["old", "new"])
def test_newer_photo_wins_whichever_task_finishes_first(
    start_consumer, gate, finishes_first
):
    client = Client()
    old = signup(client, "vera", image_factory.jpeg_bytes(size=(800, 600)))
    consumer = start_consumer(AVATARS_TEST_GATE=str(gate.path))
    assert gate.wait_for_task() == old.task_id
    new = replace_photo(client, image_factory.jpeg_bytes((600, 800), BLUE))
    assert gate.wait_for_task() == new.task_id

    order = [old, new] if finishes_first == "old" else [new, old]
    for avatar in order:
        gate.release(avatar.task_id)
    wait_for_outcome(new)
    # The old task stores nothing, so its end is known from the worker's log:
    # until then it may still be removing the thumbnails it wrote.
    finished = re.compile(rf"{old.task_id}( p=\d+)? \d+ retries executed")
    deadline = time.monotonic() + 30
    while not finished.search(consumer.output):
        assert time.monotonic() < deadline, consumer.output
        time.sleep(0.05)

    # As the page polls: the worker's sweep may have taken the outcome from the
    # store a moment before this poll, and record it a moment after.
    html = avatar_fragment(client)
    while state_of(html) == "processing":
        assert time.monotonic() < deadline, consumer.output
        html = avatar_fragment(client)
    assert state_of(html) == "ready"
    src = re.search(r'<img[^>]* src="([^"]+)"', html).group(1)
    assert_colour(Image.open(io.BytesIO(fetch(client, src)[0])).convert("RGB"), BLUE)
    assert HUEY.result(old.task_id) is None
    # The old photo's files are gone; only the new thumbnails remain.
    new.refresh_from_db()
    assert stored_files("default") == set(thumbnail_names(new.thumbnails))
    assert stored_files("uploads") == set()


def test_served_thumbnail_carries_no_metadata_and_original_is_unreachable(
    start_consumer,
):
    client = Client()
    photo = image_factory.jpeg_from(
        image_factory.photo_like((1200, 900)),
        orientation=3,
        gps=True,
        xmp=True,
        comment=b"secret comment",
    )
    avatar = signup(client, "walt", photo)
    original = avatar.image.name
    guesses = [f"/media/{original}", f"/media/../uploads/{original}"]
    assert all(client.get(url).status_code == 404 for url in guesses)
    if settings.AWS_STORAGE_BUCKET_NAME:  # a private object: no anonymous read
        url = storages["uploads"].url(original).split("?")[0]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url)
        assert refused.value.code == 403
    start_consumer()
    wait_for_outcome(avatar)
    html = avatar_fragment(client)

    for url in re.search(r'srcset="([^"]+)"', html).group(1).split(", "):
        data, content_type = fetch(client, url.split()[0])
        assert content_type == "image/webp"
        # Each photo's files have names of their own: kept for good, never stale.
        assert "immutable" in cache_control(client, url.split()[0])
        thumbnail = Image.open(io.BytesIO(data))
        assert not thumbnail.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & thumbnail.info.keys()
        for secret in [b"Exif", b"GPS", b"xmpmeta", b"Secret", b"secret comment"]:
            assert secret not in data
    assert all(client.get(url).status_code == 404 for url in guesses)


@pytest.mark.parametrize("held_at", ["decode", "store"])
def test_an_account_deleted_during_its_resize_is_left_with_no_file(
    start_consumer, gate, held_at
):
    """Held before the photo is decoded, or after its thumbnails are written
    and every "still current?" check has passed: either way the deletion wins."""
    client = Client()
    avatar = signup(client, "yara", image_factory.jpeg_bytes(size=(1600, 1200)))
    task_id = avatar.task_id
    start_consumer(
        AVATARS_TEST_GATE=str(gate.path),
        AVATARS_TEST_GATE_AT=held_at,
        AVATARS_TEST_GATE_DONE="1",
    )
    assert gate.wait_for_task() == task_id
    if held_at == "store":
        assert len(stored_names("default", "avatars")) == 6  # every size, written

    deleted = client.post("/accounts/delete/", {"password": "correct horse battery"})
    assert deleted.status_code == 302
    gate.release()
    assert gate.wait_for_task() == f"done:{task_id}"

    assert stored_names("default", "avatars") == []
    assert stored_names("uploads", "originals") == []
    assert not Avatar.objects.exists()
