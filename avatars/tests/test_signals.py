import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from huey.contrib.djhuey import HUEY

from avatars.state import record_outcome
from registration.models import Profile, User
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


def queued_tasks() -> list[tuple]:
    return [(task.name, task.args) for task in HUEY.pending()]


@pytest.fixture
def profile() -> Profile:
    return User.objects.create_user("erin", "erin@example.com", "x").profile


def new_photo(photo_jpeg: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", photo_jpeg, content_type="image/jpeg")


def test_resize_is_enqueued_only_after_commit(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        profile.image = new_photo(photo_jpeg)
        profile.save()
        assert queued_tasks() == []
    assert queued_tasks() == []  # still nothing: the transaction has not committed

    for callback in callbacks:
        callback()

    assert queued_tasks() == [("resize_avatar", (profile.pk, profile.image.name))]
    profile.refresh_from_db()
    assert profile.avatar_state == "queued"
    assert profile.avatar_task_id == HUEY.pending()[0].id


def test_rolled_back_save_enqueues_nothing(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        profile.image = new_photo(photo_jpeg)
        profile.save()
        raise RuntimeError("the request failed after the save")
    assert callbacks == []
    assert queued_tasks() == []
    assert Profile.objects.get(pk=profile.pk).avatar_state == "none"


def test_user_saved_before_the_photo_enqueues_nothing(
    django_capture_on_commit_callbacks,
):
    # The tutorial's bug: the resize was queued for the empty profile.
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user("gina", "gina@example.com", "x")
    assert queued_tasks() == []


def test_bio_edit_enqueues_nothing(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    HUEY.flush()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        profile = Profile.objects.get(pk=profile.pk)
        profile.bio = "I like photos."
        profile.save()
    assert callbacks == []
    assert queued_tasks() == []


def test_the_workers_outcome_enqueues_nothing(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    task_id = profile.avatar_task_id
    HUEY.flush()

    original = profile.image.name
    with django_capture_on_commit_callbacks(execute=True):
        outcome = {"image": original, "thumbnails": "avatars/a"}
        assert record_outcome(profile, task_id, outcome)
        profile.save()  # a later full save of the same row changes nothing either
    assert queued_tasks() == []
    assert Profile.objects.get(pk=profile.pk).avatar_state == "ready"
    # Once its thumbnails are recorded, the original is no longer kept.
    assert not storages["uploads"].exists(original)


def test_replacing_the_photo_enqueues_again(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    first_image, first_task = profile.image.name, profile.avatar_task_id

    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()

    assert profile.image.name != first_image
    assert profile.avatar_task_id != first_task
    assert [args for _, args in queued_tasks()] == [
        (profile.pk, first_image),
        (profile.pk, profile.image.name),
    ]


def test_stored_names_never_come_from_the_users_file_name(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = SimpleUploadedFile("../../etc/фото 😀.jpg", photo_jpeg)
        profile.save()
    assert profile.image.name.startswith("originals/")
    assert "etc" not in profile.image.name
    assert "фото" not in profile.image.name
    assert profile.image.storage.exists(profile.image.name)


def test_deleting_a_user_removes_their_thumbnails_after_commit(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    outcome = {"image": profile.image.name, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(profile, profile.avatar_task_id, outcome)

    with django_capture_on_commit_callbacks() as callbacks:
        profile.user.delete()
        assert any_exist(outcome["thumbnails"])  # not before the commit
    for callback in callbacks:
        callback()

    assert not any_exist(outcome["thumbnails"])


def test_deleting_a_user_with_a_pending_photo_removes_the_original(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    original = profile.image.name
    assert storages["uploads"].exists(original)

    with django_capture_on_commit_callbacks(execute=True):
        profile.user.delete()

    assert not storages["uploads"].exists(original)


def test_replacing_a_photo_removes_the_old_files_after_commit(
    profile, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = new_photo(photo_jpeg)
        profile.save()
    old_original = profile.image.name
    outcome = {"image": old_original, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(profile, profile.avatar_task_id, outcome)
        profile.image = new_photo(photo_jpeg)
        profile.save()

    assert not any_exist(outcome["thumbnails"])
    assert not storages["uploads"].exists(old_original)
    assert storages["uploads"].exists(profile.image.name)
