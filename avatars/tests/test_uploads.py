import os

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

User = get_user_model()


@pytest.mark.django_db
def test_oversized_upload_is_cut_off_while_it_streams(client, settings, monkeypatch):
    """Past the limit nothing more is written to disk, and the form says why.

    The body is within the request's limit (the photo's and the form's), so
    it is read; the file in it is over the photo's."""
    settings.AVATAR_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    written = []
    real_receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting_receive(self, raw_data, start):
        written.append(len(raw_data))
        return real_receive(self, raw_data, start)

    monkeypatch.setattr(
        TemporaryFileUploadHandler, "receive_data_chunk", counting_receive
    )
    body = b"\xff\xd8\xff\xe0" + b"\0" * (3 * 1024 * 1024 + 200 * 1024)

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
    assert "This file is 3.2 MB; a photo can be at most 3 MB." in (
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
    # Each is spooled, then refused: too large, and not a photo.
    over = b"\xff\xd8\xff\xe0" + b"\0" * (3 * 1024 * 1024 + 100 * 1024)
    not_a_photo = b"GIF89a" + b"\0" * (3 * 1024 * 1024 - 6)

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
