"""Staff see how exports went, never what is in them."""

import pytest
from django.test import Client

from exports.tests.conftest import member
from exports.tests.test_views import prepared
from registration.models import User

pytestmark = pytest.mark.django_db


def test_staff_see_an_export_read_only_and_never_its_file():
    _, export = prepared(member("nora"))
    admin = Client()
    admin.force_login(
        User.objects.create_superuser("root", "root@example.com", "correct horse")
    )

    listed = admin.get("/admin/exports/export/").content.decode()
    page = admin.get(f"/admin/exports/export/{export.pk}/change/").content.decode()

    assert "nora" in listed and "Ready" in listed
    assert 'name="_save"' not in page
    assert export.archive not in page and "archive.zip" not in page
    assert admin.get("/admin/exports/export/add/").status_code == 403
