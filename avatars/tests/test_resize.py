"""One resize in the worker's place: the outcome it reports and the files it
leaves, for a photo that is made, refused, stopped, lost or replaced."""

import io
from html import escape
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from avatars import blocklist, images, resize, sandbox, state
from avatars.models import Avatar, BlockedPhoto
from avatars.storage import thumbnail_name, thumbnail_names
from avatars.tasks import resize_avatar
from testing import image_factory
from testing.storage import stored_names

User = get_user_model()

pytestmark = pytest.mark.django_db


def stored_thumbnails() -> set[str]:
    return {f"avatars/{name}" for name in stored_names("default", "avatars")}


def run(avatar: Avatar, task_id: str | None = None):
    return resize.make_avatar(avatar.pk, avatar.image.name, task_id or avatar.task_id)


def test_a_current_task_writes_every_size_and_records_them(queued):
    outcome = run(queued)

    assert outcome is not None and "error" not in outcome
    stem = outcome["thumbnails"]
    assert outcome["image"] == queued.image.name
    assert set(outcome) == {"image", "thumbnails", "hashes"}
    assert stored_thumbnails() == set(thumbnail_names(stem))
    queued.refresh_from_db()
    assert queued.thumbnails == stem  # claimed; the state waits for the outcome
    for side in images.PIXEL_SIZES:
        with storages["default"].open(thumbnail_name(stem, side)) as stored:
            assert Image.open(io.BytesIO(stored.read())).size == (side, side)


def test_a_damaged_photo_is_a_failure_with_its_reason_and_no_files(
    django_capture_on_commit_callbacks,
):
    avatar = User.objects.create_user("lou", "lou@example.com", "x").avatar
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = SimpleUploadedFile("l.jpg", image_factory.truncated_jpeg_bytes())
        avatar.save()

    outcome = run(avatar)

    assert outcome == {
        "image": avatar.image.name,
        "error": images._DAMAGED,
        "refused": "yes",
    }
    assert stored_thumbnails() == set()


@pytest.mark.parametrize("kind", ["time", "memory", "crash"])
def test_a_photo_that_hits_a_decode_limit_fails_with_its_message(
    queued, monkeypatch, kind
):
    def over_the_limit(*args, **kwargs):
        raise sandbox.LimitExceeded(kind, "in the test")

    monkeypatch.setattr(sandbox, "make_thumbnails", over_the_limit)

    outcome = run(queued)

    assert outcome["image"] == queued.image.name
    assert outcome["error"] == resize.LIMIT_MESSAGES[kind]
    # Over a limit of time or memory the photo is refused; a crash may be ours.
    assert ("refused" in outcome) == (kind != "crash")
    assert stored_thumbnails() == set()


def test_the_child_gets_the_configured_limits(queued, monkeypatch, settings):
    settings.AVATAR_DECODE_CPU_SECONDS = 7
    settings.AVATAR_DECODE_MEMORY_BYTES = 99 * 2**20
    settings.AVATAR_DECODE_WALL_SECONDS = 3.5
    given = []
    real = sandbox.make_thumbnails

    def recording(source, limits, **kwargs):
        given.append(limits)
        return real(source, limits, **kwargs)

    monkeypatch.setattr(sandbox, "make_thumbnails", recording)

    run(queued)

    assert given == [sandbox.Limits(7, 99 * 2**20, 3.5)]


def test_a_task_that_is_no_longer_current_does_nothing(queued, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a stale task decoded the photo")

    monkeypatch.setattr(sandbox, "make_thumbnails", must_not_run)

    assert run(queued, task_id="an-older-task") is None
    assert stored_thumbnails() == set()


def test_a_lost_original_fails_with_a_message_while_it_is_current(queued):
    storages["uploads"].delete(queued.image.name)

    outcome = run(queued)

    assert outcome == {
        "image": queued.image.name,
        "error": "Your photo's file was lost. Please upload it again.",
    }


def test_an_original_gone_because_it_was_replaced_is_dropped(queued, monkeypatch):
    real = sandbox.make_thumbnails

    def replaced_first(*args, **kwargs):
        # A new photo arrives and the old original is deleted, mid-decode.
        Avatar.objects.filter(pk=queued.pk).update(image="originals/newer")
        storages["uploads"].delete(queued.image.name)
        return real(*args, **kwargs)

    monkeypatch.setattr(sandbox, "make_thumbnails", replaced_first)

    assert run(queued) is None
    assert stored_thumbnails() == set()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_task_for_a_photo_replaced_midway_drops_its_thumbnails(queued, monkeypatch):
    # Replaced once the thumbnails are made, before they are recorded: the task
    # itself must notice and remove what it wrote.
    real = sandbox.make_thumbnails

    def replaced_while_resizing(*args, **kwargs):
        thumbnails = real(*args, **kwargs)
        Avatar.objects.filter(pk=queued.pk).update(image="originals/newer")
        return thumbnails

    monkeypatch.setattr(sandbox, "make_thumbnails", replaced_while_resizing)
    outcome = resize_avatar.call_local(
        queued.pk, queued.image.name, task=SimpleNamespace(id=queued.task_id)
    )
    assert outcome is None
    assert stored_thumbnails() == set()


def upload(avatar: Avatar, data: bytes, on_commit) -> str:
    with on_commit(execute=True):
        avatar.image = SimpleUploadedFile("photo.jpg", data)
        avatar.save()
    return avatar.image.name


def test_a_photo_moderators_removed_cannot_be_uploaded_again(
    client, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    photo = image_factory.scene(seed=21)
    person = User.objects.create_user("ada", "ada@example.com", "x")
    avatar = person.avatar
    upload(avatar, image_factory.jpeg_from(photo), on_commit)
    with on_commit(execute=True):
        assert state.record_outcome(avatar, avatar.task_id, run(avatar))
    assert len(avatar.hashes.split()) == 6
    with on_commit(execute=True):
        state.remove_photo(avatar, block=True)
    assert BlockedPhoto.objects.filter(user=person).exists()

    smaller = image_factory.jpeg_from(photo.resize((800, 600)), quality=70)
    original = upload(avatar, smaller, on_commit)
    outcome = run(avatar)

    assert outcome == {
        "image": original,
        "error": blocklist.REMOVED,
        "refused": "yes",
        "blocked": "yes",
    }
    assert stored_thumbnails() == set()
    with on_commit(execute=True):
        assert state.record_outcome(avatar, avatar.task_id, outcome)
    avatar.refresh_from_db()
    assert (avatar.state, avatar.error, avatar.image.name) == (
        "failed",
        blocklist.REMOVED,
        "",
    )
    assert stored_names("uploads", "originals") == []
    client.force_login(person)
    fragment = client.get("/profile/avatar/").content.decode()
    assert escape(blocklist.REMOVED) in fragment
    assert "Try again" not in fragment


def test_another_photo_after_a_removal_is_made_as_usual(
    django_capture_on_commit_callbacks,
):
    on_commit = django_capture_on_commit_callbacks
    avatar = User.objects.create_user("bo", "bo@example.com", "x").avatar
    upload(avatar, image_factory.jpeg_from(image_factory.scene(seed=22)), on_commit)
    with on_commit(execute=True):
        state.record_outcome(avatar, avatar.task_id, run(avatar))
        state.remove_photo(avatar, block=True)

    upload(avatar, image_factory.jpeg_from(image_factory.scene(seed=23)), on_commit)
    outcome = run(avatar)

    assert outcome is not None and "error" not in outcome
