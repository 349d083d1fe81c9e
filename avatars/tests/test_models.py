"""The avatar row: one per user, keyed by the user's id, and its states."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from avatars.models import PENDING_STATES, Avatar, State, original_upload_to

User = get_user_model()

pytestmark = pytest.mark.django_db


def test_every_user_gets_an_avatar_keyed_by_their_id():
    user = User.objects.create_user("kim", "kim@example.com", "x")
    other = User.objects.create_user("lee", "lee@example.com", "x")

    avatar = Avatar.objects.get(user=user)

    assert avatar.pk == user.pk
    assert Avatar.objects.get(pk=other.pk).user == other
    assert avatar.state == State.NONE
    assert not avatar.image
    assert str(avatar) == "Avatar of kim"


def test_the_avatar_goes_with_its_user():
    user = User.objects.create_user("kim", "kim@example.com", "x")
    user.delete()
    assert not Avatar.objects.exists()


@pytest.mark.parametrize(
    ("state", "thumbnails", "pending", "ready"),
    [
        (State.NONE, "", False, False),
        (State.QUEUED, "", True, False),
        (State.PROCESSING, "", True, False),
        (State.PROCESSING, "avatars/abc", True, False),  # claimed, not yet recorded
        (State.READY, "avatars/abc", False, True),
        (State.READY, "", False, False),  # never an image without files
        (State.FAILED, "", False, False),
    ],
)
def test_pending_and_ready(state, thumbnails, pending, ready):
    avatar = Avatar(state=state, thumbnails=thumbnails)
    assert avatar.pending is pending
    assert avatar.ready is ready
    assert (state in PENDING_STATES) is pending


def test_an_original_gets_a_new_name_for_every_upload():
    avatar = Avatar()
    first = original_upload_to(avatar, "photo.jpg")
    assert first.startswith("originals/")
    assert first != original_upload_to(avatar, "photo.jpg")


def test_stored_names_never_come_from_the_users_file_name(
    photo_jpeg, django_capture_on_commit_callbacks
):
    avatar = User.objects.create_user("erin", "erin@example.com", "x").avatar
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = SimpleUploadedFile("../../etc/фото 😀.jpg", photo_jpeg)
        avatar.save()
    assert avatar.image.name.startswith("originals/")
    assert "etc" not in avatar.image.name
    assert "фото" not in avatar.image.name
    assert avatar.image.storage.exists(avatar.image.name)
