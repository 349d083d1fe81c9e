import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from huey.contrib.djhuey import HUEY

from avatars.models import Avatar
from avatars.state import record_outcome
from testing.thumbnails import any_exist, write_thumbnails

User = get_user_model()

pytestmark = pytest.mark.django_db


def queued_tasks() -> list[tuple]:
    return [(task.name, task.args) for task in HUEY.pending()]


@pytest.fixture
def avatar() -> Avatar:
    return User.objects.create_user("erin", "erin@example.com", "x").avatar


def new_photo(photo_jpeg: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", photo_jpeg, content_type="image/jpeg")


def test_resize_is_enqueued_only_after_commit(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
        assert queued_tasks() == []
    assert queued_tasks() == []  # still nothing: the transaction has not committed

    for callback in callbacks:
        callback()

    assert queued_tasks() == [("resize_avatar", (avatar.pk, avatar.image.name))]
    avatar.refresh_from_db()
    assert avatar.state == "queued"
    assert avatar.task_id == HUEY.pending()[0].id


def test_rolled_back_save_enqueues_nothing(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
        raise RuntimeError("the request failed after the save")
    assert callbacks == []
    assert queued_tasks() == []
    assert Avatar.objects.get(pk=avatar.pk).state == "none"


def test_user_saved_before_the_photo_enqueues_nothing(
    django_capture_on_commit_callbacks,
):
    # The tutorial's bug: the resize was queued for the empty profile.
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user("gina", "gina@example.com", "x")
    assert queued_tasks() == []


def test_a_save_that_keeps_the_photo_enqueues_nothing(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    HUEY.flush()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        avatar = Avatar.objects.get(pk=avatar.pk)
        avatar.save()  # as the admin saves it
    assert callbacks == []
    assert queued_tasks() == []


def test_the_workers_outcome_enqueues_nothing(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    task_id = avatar.task_id
    HUEY.flush()

    original = avatar.image.name
    with django_capture_on_commit_callbacks(execute=True):
        outcome = {"image": original, "thumbnails": "avatars/a"}
        assert record_outcome(avatar, task_id, outcome)
        avatar.save()  # a later full save of the same row changes nothing either
    assert queued_tasks() == []
    assert Avatar.objects.get(pk=avatar.pk).state == "ready"
    # Once its thumbnails are recorded, the original is no longer kept.
    assert not storages["uploads"].exists(original)


def test_replacing_the_photo_enqueues_again(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    first_image, first_task = avatar.image.name, avatar.task_id

    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()

    assert avatar.image.name != first_image
    assert avatar.task_id != first_task
    assert [args for _, args in queued_tasks()] == [
        (avatar.pk, first_image),
        (avatar.pk, avatar.image.name),
    ]


def test_deleting_a_user_removes_their_thumbnails_after_commit(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    outcome = {"image": avatar.image.name, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(avatar, avatar.task_id, outcome)

    with django_capture_on_commit_callbacks() as callbacks:
        avatar.user.delete()
        assert any_exist(outcome["thumbnails"])  # not before the commit
    for callback in callbacks:
        callback()

    assert not any_exist(outcome["thumbnails"])


def test_deleting_a_user_with_a_pending_photo_removes_the_original(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    original = avatar.image.name
    assert storages["uploads"].exists(original)

    with django_capture_on_commit_callbacks(execute=True):
        avatar.user.delete()

    assert not storages["uploads"].exists(original)


def test_replacing_a_photo_removes_the_old_files_after_commit(
    avatar, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = new_photo(photo_jpeg)
        avatar.save()
    old_original = avatar.image.name
    outcome = {"image": old_original, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(avatar, avatar.task_id, outcome)
        avatar.image = new_photo(photo_jpeg)
        avatar.save()

    assert not any_exist(outcome["thumbnails"])
    assert not storages["uploads"].exists(old_original)
    assert storages["uploads"].exists(avatar.image.name)
