"""Archives on S3 (moto's server): private objects, downloaded through a
presigned link that works for 60 seconds at most."""

import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from exports.models import Export, State
from exports.tests.conftest import member, open_zip, ready_photo, signed_in
from exports.tests.test_views import ask, prepared, run_queued_exports
from testing import services

pytestmark = pytest.mark.django_db

S3 = "storages.backends.s3.S3Storage"


@pytest.fixture
def object_storage(settings):
    server, env = services.start_object_storage(f"exports-{uuid.uuid4().hex[:12]}")
    common = {
        "bucket_name": env["AWS_STORAGE_BUCKET_NAME"],
        "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
        "region_name": env["AWS_S3_REGION_NAME"],
        "access_key": env["AWS_ACCESS_KEY_ID"],
        "secret_key": env["AWS_SECRET_ACCESS_KEY"],
        "file_overwrite": False,
    }
    # As config/settings.py sets them when AWS_STORAGE_BUCKET_NAME is set.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": S3,
            "OPTIONS": {
                **common,
                "location": "media",
                "default_acl": "public-read",
                "querystring_auth": False,
            },
        },
        "uploads": {
            "BACKEND": S3,
            "OPTIONS": {**common, "location": "uploads", "default_acl": "private"},
        },
    }
    yield
    server.stop()


def test_on_s3_the_archive_is_private_and_its_link_lasts_60_seconds(object_storage):
    nora = member("nora")
    ready_photo(nora)

    client, export = prepared(nora)

    response = client.get(f"/accounts/export/{export.pk}/archive.zip")
    assert response.status_code == 302
    link = response["Location"]
    asked_at = time.time()
    query = parse_qs(urlsplit(link).query)
    # Signature version 4 says for how long; version 2 (moto's default
    # here) until when.
    if "X-Amz-Expires" in query:
        assert int(query["X-Amz-Expires"][0]) <= 60
    else:
        assert 0 < int(query["Expires"][0]) - asked_at <= 60
    # Without the signature the object is refused: it is private.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(link.split("?")[0])
    assert refused.value.code == 403
    with urllib.request.urlopen(link) as downloaded:
        disposition = downloaded.headers["Content-Disposition"]
        files = open_zip(downloaded.read())
    assert disposition.startswith('attachment; filename="avatars-nora-')
    assert files["photo/square-600px.webp"] == b"RIFF-600"


def test_on_s3_a_failure_midway_leaves_no_object(object_storage):
    from django.core.files.storage import storages

    nora = member("nora")
    stem = ready_photo(nora)
    storages["default"].delete(f"{stem}-32.webp")
    ask(signed_in(nora))

    run_queued_exports()

    assert Export.objects.get().state == State.FAILED
    assert storages["uploads"].listdir("exports") == ([], [])
