import os
import time

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from avatars.files import AtomicFileSystemStorage, remove_stale_uploads
from registration.models import User


class BreaksHalfway(File):
    def __init__(self) -> None:
        super().__init__(None, "x.webp")

    def chunks(self, chunk_size=None):
        yield b"RIFF" + b"\0" * 1000
        raise OSError("disk full")


def test_saved_file_is_whole_and_no_temporary_file_is_left(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    name = storage.save("avatars/a.webp", ContentFile(b"x" * 100_000))
    assert storage.open(name).read() == b"x" * 100_000
    assert os.listdir(tmp_path / "avatars") == ["a.webp"]


def test_a_write_that_fails_leaves_nothing_behind(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="disk full"):
        storage.save("avatars/b.webp", BreaksHalfway())
    assert os.listdir(tmp_path / "avatars") == []


def test_an_existing_name_is_never_overwritten(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("avatars/c.webp", ContentFile(b"first"))
    second = storage.save("avatars/c.webp", ContentFile(b"second"))
    assert first != second
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_a_large_upload_is_linked_into_place_not_copied(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    storage = AtomicFileSystemStorage(location=tmp_path / "uploads")
    upload = TemporaryUploadedFile("big.jpg", "image/jpeg", 0, None)
    upload.write(b"y" * 3_000_000)
    upload.flush()

    name = storage.save("originals/big", upload)

    stored = os.stat(storage.path(name))
    assert stored.st_ino == os.stat(upload.temporary_file_path()).st_ino
    upload.close()  # Django removes its temporary name; the stored file stays
    assert storage.open(name).read() == b"y" * 3_000_000


@pytest.mark.django_db
def test_oversized_upload_is_cut_off_while_it_streams(client, settings, monkeypatch):
    """Past the limit nothing more is written to disk, and the form says why."""
    settings.AVATAR_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    written = []
    real_receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting_receive(self, raw_data, start):
        written.append(len(raw_data))
        return real_receive(self, raw_data, start)

    monkeypatch.setattr(
        TemporaryFileUploadHandler, "receive_data_chunk", counting_receive
    )
    body = b"\xff\xd8\xff\xe0" + b"\0" * (12 * 1024 * 1024)

    response = client.post(
        "/register/",
        {
            "username": "uma",
            "email": "uma@example.com",
            "password1": "correct horse battery",
            "image": SimpleUploadedFile("big.jpg", body, "image/jpeg"),
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "This file is 12.0 MB; a photo can be at most 3 MB." in (
        response.content.decode()
    )
    assert sum(written) <= settings.AVATAR_MAX_UPLOAD_BYTES
    assert not User.objects.exists()


def spooled_files(settings) -> list[str]:
    return os.listdir(settings.FILE_UPLOAD_TEMP_DIR)


def signup_fields(**extra) -> dict:
    return {
        "username": "uma",
        "email": "uma@example.com",
        "password1": "correct horse battery",
        **extra,
    }


@pytest.mark.django_db
def test_a_spooled_upload_is_deleted_when_its_request_ends(client, settings):
    settings.AVATAR_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    over = b"\xff\xd8\xff\xe0" + b"\0" * (4 * 1024 * 1024)  # spooled, then refused
    not_a_photo = b"GIF89a" + b"\0" * (3 * 1024 * 1024 - 6)  # spooled, then refused

    for body in (over, not_a_photo):
        client.post(
            "/register/",
            signup_fields(image=SimpleUploadedFile("big.jpg", body, "image/jpeg")),
            HTTP_HX_REQUEST="true",
        )
        assert spooled_files(settings) == []
    assert not User.objects.exists()


class NeverRead:
    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.django_db
def test_a_body_declared_over_the_limit_is_refused_unread(client, settings):
    declared = 100 * 1024 * 1024

    response = client.generic(
        "POST",
        "/register/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": NeverRead()},
    )

    assert response.status_code == 413
    assert "A photo can be at most 20 MB." in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_form_takes_one_file(client, settings, photo_jpeg):
    files = [
        SimpleUploadedFile(f"{n}.jpg", photo_jpeg, "image/jpeg") for n in range(10)
    ]

    response = client.post(
        "/register/", signup_fields(image=files), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert not User.objects.exists()
    assert spooled_files(settings) == []


def test_stale_spooled_uploads_are_removed_and_fresh_ones_kept(tmp_path):
    stale, fresh = tmp_path / "tmpold.upload.jpg", tmp_path / "tmpnew.upload.jpg"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    assert remove_stale_uploads(tmp_path) == 1

    assert not stale.exists() and fresh.exists()
