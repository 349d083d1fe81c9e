"""The state's writers: a stale writer changes nothing, a requeue happens once."""

import pytest
from django.core.files.storage import storages
from huey.contrib.djhuey import HUEY

from avatars import state
from avatars.models import Avatar, State
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


def test_an_outcome_for_a_replaced_task_is_discarded_with_its_thumbnails(
    queued, django_capture_on_commit_callbacks
):
    outcome = {"image": queued.image.name, "thumbnails": write_thumbnails()}
    with django_capture_on_commit_callbacks(execute=True):
        assert not state.record_outcome(queued, "an-older-task", outcome)

    queued.refresh_from_db()
    assert queued.state == State.QUEUED
    assert not any_exist(outcome["thumbnails"])


def test_two_requeues_of_the_same_task_queue_it_once(
    queued, django_capture_on_commit_callbacks
):
    HUEY.flush()
    first = Avatar.objects.get(pk=queued.pk)
    second = Avatar.objects.get(pk=queued.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert state.requeue(first)
        assert not state.requeue(second)

    assert [task.id for task in HUEY.pending()] == [first.task_id]
    assert Avatar.objects.get().task_id == first.task_id


def test_try_again_is_only_for_a_failed_photo(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert not state.retry(queued)
        Avatar.objects.update(state=State.FAILED)
        queued.refresh_from_db()
        old_task = queued.task_id
        assert state.retry(queued)

    assert queued.state == State.QUEUED
    assert queued.task_id != old_task


def test_a_claim_names_the_thumbnails_only_for_the_current_task(queued):
    written = write_thumbnails()

    assert not state.claim_thumbnails(queued.pk, queued.image.name, "old", written)
    assert Avatar.objects.get().thumbnails == ""
    assert state.claim_thumbnails(queued.pk, queued.image.name, queued.task_id, written)

    claimed = Avatar.objects.get()
    assert claimed.thumbnails == written
    assert claimed.state == State.QUEUED  # recorded later, by refresh


def test_a_requeue_removes_thumbnails_claimed_by_the_task_it_replaces(
    queued, django_capture_on_commit_callbacks
):
    written = write_thumbnails()
    state.claim_thumbnails(queued.pk, queued.image.name, queued.task_id, written)
    avatar = Avatar.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert state.requeue(avatar)

    avatar.refresh_from_db()
    assert avatar.thumbnails == ""
    assert not any_exist(written)


def test_deleting_a_profile_loaded_before_a_claim_removes_the_claimed_files(
    queued, django_capture_on_commit_callbacks
):
    loaded_before = Avatar.objects.get()
    written = write_thumbnails()
    state.claim_thumbnails(queued.pk, queued.image.name, queued.task_id, written)

    with django_capture_on_commit_callbacks(execute=True):
        loaded_before.delete()

    assert not any_exist(written)
    assert not storages["uploads"].exists(queued.image.name)


def test_deleting_a_queued_profile_revokes_its_task(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued.user.delete()

    assert HUEY.is_revoked(queued.task_id)
