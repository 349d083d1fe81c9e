"""Files nobody needs: a change's orphans once it commits, stale spooled uploads."""

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from avatars import cleanup
from avatars.cleanup import delete_files_on_commit, remove_stale_uploads
from avatars.storage import thumbnail_names
from testing.storage import stored_names
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


def test_stale_spooled_uploads_are_removed_and_fresh_ones_kept(tmp_path):
    stale, fresh = tmp_path / "tmpold.upload.jpg", tmp_path / "tmpnew.upload.jpg"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    assert remove_stale_uploads(tmp_path) == 1

    assert not stale.exists() and fresh.exists()


def an_original() -> str:
    return storages["uploads"].save("originals/old", ContentFile(b"original"))


def test_orphaned_files_go_only_once_the_change_commits(
    django_capture_on_commit_callbacks,
):
    original, stem = an_original(), write_thumbnails()

    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            delete_files_on_commit(originals=[original], thumbnail_stems=[stem])
        # Committed by the test's own transaction only: still there until then.
        assert storages["uploads"].exists(original)
        assert all(storages["default"].exists(name) for name in thumbnail_names(stem))

    for callback in callbacks:
        callback()
    assert not storages["uploads"].exists(original)
    assert not any_exist(stem)
    assert stored_names("default", "avatars") == []


def test_orphaned_files_stay_when_the_change_is_rolled_back(
    django_capture_on_commit_callbacks,
):
    original, stem = an_original(), write_thumbnails()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        delete_files_on_commit(originals=[original], thumbnail_stems=[stem])
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert storages["uploads"].exists(original)
    assert all(storages["default"].exists(name) for name in thumbnail_names(stem))


def test_nothing_to_delete_registers_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        delete_files_on_commit(originals=[None, ""], thumbnail_stems=[None, ""])
    assert callbacks == []


def test_stale_uploads_are_looked_for_at_most_every_ten_minutes(
    tmp_path, settings, monkeypatch
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    looked = []
    monkeypatch.setattr(cleanup, "remove_stale_uploads", looked.append)
    monkeypatch.setitem(cleanup._last_removal, "at", float("-inf"))
    now = [1000.0]
    monkeypatch.setattr(cleanup.time, "monotonic", lambda: now[0])

    cleanup.remove_stale_uploads_now_and_then()
    now[0] += 599
    cleanup.remove_stale_uploads_now_and_then()
    now[0] += 2
    cleanup.remove_stale_uploads_now_and_then()

    assert looked == [tmp_path, tmp_path]
