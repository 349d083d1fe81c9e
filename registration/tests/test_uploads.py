import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from registration.models import User

pytestmark = pytest.mark.django_db


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
            "password": "correct horse battery",
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
