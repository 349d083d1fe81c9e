"""The state's writers: a stale writer changes nothing, a requeue happens once."""

import pytest
from django.core.files.storage import storages
from huey.contrib.djhuey import HUEY

from avatars import state
from registration.models import AvatarState, Profile
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


def test_an_outcome_for_a_replaced_task_is_discarded_with_its_thumbnails(
    queued, django_capture_on_commit_callbacks
):
    outcome = {"image": queued.image.name, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        assert not state.record_outcome(queued, "an-older-task", outcome)

    queued.refresh_from_db()
    assert queued.avatar_state == AvatarState.QUEUED
    assert not any_exist(outcome["thumbnails"])


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


def test_a_claim_names_the_thumbnails_only_for_the_current_task(queued):
    written = write_thumbnails()

    assert not state.claim_thumbnails(queued.pk, queued.image.name, "old", written)
    assert Profile.objects.get().thumbnails == ""
    assert state.claim_thumbnails(
        queued.pk, queued.image.name, queued.avatar_task_id, written
    )

    claimed = Profile.objects.get()
    assert claimed.thumbnails == written
    assert claimed.avatar_state == AvatarState.QUEUED  # recorded later, by refresh


def test_a_requeue_removes_thumbnails_claimed_by_the_task_it_replaces(
    queued, django_capture_on_commit_callbacks
):
    written = write_thumbnails()
    state.claim_thumbnails(queued.pk, queued.image.name, queued.avatar_task_id, written)
    profile = Profile.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert state.requeue(profile)

    profile.refresh_from_db()
    assert profile.thumbnails == ""
    assert not any_exist(written)


def test_deleting_a_profile_loaded_before_a_claim_removes_the_claimed_files(
    queued, django_capture_on_commit_callbacks
):
    loaded_before = Profile.objects.get()
    written = write_thumbnails()
    state.claim_thumbnails(queued.pk, queued.image.name, queued.avatar_task_id, written)

    with django_capture_on_commit_callbacks(execute=True):
        loaded_before.delete()

    assert not any_exist(written)
    assert not storages["uploads"].exists(queued.image.name)


def test_deleting_a_queued_profile_revokes_its_task(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued.user.delete()

    assert HUEY.is_revoked(queued.avatar_task_id)
