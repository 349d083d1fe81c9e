"""The worker's side: preparing an archive step by step, failing without a
trace, the e-mail, expiry, and the archive going with the account."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.test import TestCase
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import RetryTask

from avatars import tasks as avatar_tasks
from avatars.models import Avatar
from exports import archive, state, tasks
from exports.models import Export, State, Step
from exports.tests.conftest import member, open_zip, ready_photo, signed_in
from exports.tests.test_views import ask, prepared, run_queued_exports
from testing.mail import deliver
from testing.storage import stored_names

pytestmark = pytest.mark.django_db


def archives_stored() -> list[str]:
    return stored_names("uploads", "exports")


def test_a_ready_archive_is_stored_privately_and_announced_by_email():
    nora = member("nora")
    ready_photo(nora)

    client, export = prepared(nora)

    assert export.step == ""
    assert archives_stored() == [export.archive.removeprefix("exports/")]
    # Outside the public folder: no URL reaches it.
    assert client.get(f"/media/../uploads/{export.archive}").status_code == 404
    with storages["uploads"].open(export.archive) as stored:
        data = stored.read()
    assert len(data) == export.size
    assert "photo/square-600px.webp" in open_zip(data)
    assert export.expires_at - export.finished_at == timedelta(hours=24)
    deliver()
    (message,) = mail.outbox
    assert message.to == ["nora@example.com"]
    assert "ready" in message.subject
    assert "http://testserver/accounts/export/\n" in message.body
    assert "archive.zip" not in message.body and str(export.pk) not in message.body
    assert Export.objects.get().ready_email == {}


def test_each_step_is_recorded_on_the_row_as_it_starts():
    nora = member("nora")
    ask(signed_in(nora))
    seen = []
    real_set_step = state.set_step

    def record(export_id, step):
        real_set_step(export_id, step)
        seen.append(Export.objects.values_list("state", "step").get())

    with mock.patch.object(state, "set_step", record):
        run_queued_exports()

    assert seen == [
        (State.PREPARING, Step.COLLECTING),
        (State.PREPARING, Step.PHOTO),
        (State.PREPARING, Step.WRITING),
    ]


def test_a_storage_failing_midway_fails_the_export_and_leaves_no_file():
    nora = member("nora")
    client = signed_in(nora)
    ask(client)
    uploads = storages["uploads"]

    def read_some_then_fail(self, name, content):
        content.read(100)
        raise OSError("No space left on device")

    with mock.patch.object(type(uploads), "_save", read_some_then_fail):
        run_queued_exports()

    export = Export.objects.get()
    assert export.state == State.FAILED
    assert "Nothing is lost: try again" in export.error
    assert archives_stored() == []
    deliver()
    assert mail.outbox == []
    # Nothing lost: trying again works.
    ask(client)
    run_queued_exports()
    assert Export.objects.filter(state=State.READY).count() == 1


def test_a_missing_thumbnail_fails_the_export_and_leaves_no_file():
    nora = member("nora")
    stem = ready_photo(nora)
    storages["default"].delete(f"{stem}-96.webp")
    ask(signed_in(nora))

    run_queued_exports()

    assert Export.objects.get().state == State.FAILED
    assert archives_stored() == []


def test_a_failure_after_the_archive_is_stored_deletes_it():
    nora = member("nora")
    ask(signed_in(nora))

    with mock.patch.object(state, "finish", side_effect=RuntimeError("db gone")):
        run_queued_exports()

    assert Export.objects.get().state == State.FAILED
    assert archives_stored() == []


def test_an_account_deleted_while_its_archive_is_written_leaves_no_file():
    nora = member("nora")
    ask(signed_in(nora))
    real_write = archive.write_archive

    def delete_account_meanwhile(user, out, on_step):
        real_write(user, out, on_step)
        with TestCase.captureOnCommitCallbacks(execute=True):
            Avatar.objects.filter(pk=user.pk).delete()
            type(user).objects.filter(pk=user.pk).delete()

    with mock.patch.object(archive, "write_archive", delete_account_meanwhile):
        run_queued_exports()

    assert not Export.objects.exists()
    assert archives_stored() == []


def test_the_archive_goes_with_the_account():
    nora = member("nora")
    ask(signed_in(nora))
    run_queued_exports()
    assert len(archives_stored()) == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        nora.delete()

    assert archives_stored() == []


def test_the_sweep_deletes_archives_past_24_hours_and_fails_lost_exports():
    nora, paul = member("nora"), member("paul")
    ask(signed_in(nora))
    run_queued_exports()
    Export.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    ask(signed_in(paul))
    Export.objects.filter(user=paul).update(
        state=State.PREPARING, requested_at=timezone.now() - timedelta(hours=2)
    )

    tasks.sweep_exports.call_local()

    expired = Export.objects.get(user=nora)
    assert (expired.state, expired.archive) == (State.EXPIRED, "")
    assert archives_stored() == []
    lost = Export.objects.get(user=paul)
    assert lost.state == State.FAILED and "try again" in lost.error
    page = signed_in(nora).get("/accounts/export/").content.decode()
    assert 'data-state="expired"' in page and "deleted after 24 hours" in page


def test_a_consumer_busy_with_an_export_puts_the_next_one_back_for_later():
    nora = member("nora")
    ask(signed_in(nora))
    (task,) = [t for t in HUEY.pending() if t.name == "prepare_export"]

    with tasks._one_export_at_a_time, pytest.raises(RetryTask) as later:
        tasks.prepare_export.call_local(*task.args, task=task)

    assert later.value.delay == tasks.BUSY_RETRY_SECONDS
    assert Export.objects.get().state == State.QUEUED


def test_photos_are_taken_from_the_queue_before_exports_where_it_orders():
    nora = member("nora")
    ask(signed_in(nora))  # queued first
    avatar_tasks.resize_avatar(nora.pk, "originals/x")

    first, second = HUEY.dequeue(), HUEY.dequeue()

    # huey's plain Redis queue is a list: there, first come first served.
    expected = ["resize_avatar", "prepare_export"]
    if not HUEY.storage.priority:
        expected.reverse()
    assert [first.name, second.name] == expected


def test_a_queue_that_is_down_fails_the_request_at_once_and_loses_nothing():
    client = signed_in(member("nora"))

    with mock.patch.object(HUEY, "enqueue", side_effect=ConnectionError("down")):
        assert ask(client).status_code == 200

    export = Export.objects.get()
    assert export.state == State.FAILED
    page = client.get("/accounts/export/").content.decode()
    assert "We could not queue your archive" in page and "Try again" in page


def test_a_storage_down_at_expiry_leaves_the_archive_to_the_next_sweep():
    nora = member("nora")
    ask(signed_in(nora))
    run_queued_exports()
    Export.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    uploads = type(storages["uploads"])

    with mock.patch.object(uploads, "delete", side_effect=OSError("down")):
        tasks.sweep_exports.call_local()
    assert Export.objects.get().state == State.READY
    tasks.sweep_exports.call_local()

    assert Export.objects.get().state == State.EXPIRED
    assert archives_stored() == []
