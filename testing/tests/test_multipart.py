"""The hand-built form is the form Django reads."""

import io

from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory

from testing import multipart

PHOTO = multipart.File(
    "IMG_0001.JPG", "image/jpeg", b"\xff\xd8\xff" + bytes(range(256))
)


def parse(body: bytes, content_type: str):
    request = RequestFactory().post("/", body, content_type=content_type)
    parser = MultiPartParser(
        request.META, io.BytesIO(body), request.upload_handlers, "utf-8"
    )
    return parser.parse()


def test_django_reads_every_field_and_the_file_as_sent():
    body, content_type = multipart.sign_up_form("hana", "t" * 32, PHOTO)

    fields, files = parse(body, content_type)

    assert fields.dict() == {
        "csrfmiddlewaretoken": "t" * 32,
        "username": "hana",
        "email": "hana@example.com",
        "password1": "correct horse battery",
    }
    assert files["image"].name == "IMG_0001.JPG"
    assert files["image"].content_type == "image/jpeg"
    assert files["image"].read() == PHOTO.data


def test_the_photo_first_puts_the_account_fields_after_it():
    first, _ = multipart.sign_up_form("hana", "t" * 32, PHOTO, photo_first=True)
    last, _ = multipart.sign_up_form("hana", "t" * 32, PHOTO)

    assert first.index(PHOTO.data) < first.index(b'name="username"')
    assert last.index(b'name="username"') < last.index(PHOTO.data)
    # Cut short in the photo, the form holds no username: no account.
    cut = first[: first.index(PHOTO.data) + 10]
    assert b"hana" not in cut and b"csrfmiddlewaretoken" in cut
