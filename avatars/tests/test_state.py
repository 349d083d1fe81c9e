"""The state's writers: a stale writer changes nothing, a requeue happens once."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from huey.contrib.djhuey import HUEY

from avatars import state
from registration.models import AvatarState, Profile

pytestmark = pytest.mark.django_db


def test_an_outcome_for_a_replaced_task_is_discarded_with_its_thumbnails(
    queued, django_capture_on_commit_callbacks
):
    media = storages["default"]
    outcome = {
        "image": queued.image.name,
        "thumbnail": media.save("avatars/old.webp", ContentFile(b"RIFF")),
        "thumbnail_2x": media.save("avatars/old-2x.webp", ContentFile(b"RIFF")),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert not state.record_outcome(queued, "an-older-task", outcome)

    queued.refresh_from_db()
    assert queued.avatar_state == AvatarState.QUEUED
    assert not media.exists(outcome["thumbnail"])
    assert not media.exists(outcome["thumbnail_2x"])


def test_two_requeues_of_the_same_task_queue_it_once(
    queued, django_capture_on_commit_callbacks
):
    HUEY.flush()
    first = Profile.objects.get(pk=queued.pk)
    second = Profile.objects.get(pk=queued.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert state.requeue(first)
        assert not state.requeue(second)

    assert [task.id for task in HUEY.pending()] == [first.avatar_task_id]
    assert Profile.objects.get().avatar_task_id == first.avatar_task_id


def test_try_again_is_only_for_a_failed_photo(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert not state.retry(queued)
        Profile.objects.update(avatar_state=AvatarState.FAILED)
        queued.refresh_from_db()
        old_task = queued.avatar_task_id
        assert state.retry(queued)

    assert queued.avatar_state == AvatarState.QUEUED
    assert queued.avatar_task_id != old_task
