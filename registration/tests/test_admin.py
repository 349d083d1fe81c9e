"""The accounts admin: profiles are found by name or address, never added by hand."""

import pytest

from registration.models import User

pytestmark = pytest.mark.django_db


def test_profiles_are_listed_and_found_by_username_or_address(admin_client):
    User.objects.create_user("Nadia", "nadia@example.com", "x")
    User.objects.create_user("omar", "omar@example.com", "x")

    by_name = admin_client.get("/admin/registration/profile/?q=nadia")
    by_address = admin_client.get("/admin/registration/profile/?q=omar@example")

    assert by_name.status_code == 200
    assert "Profile of Nadia" in by_name.content.decode()
    assert "Profile of omar" not in by_name.content.decode()
    assert "Profile of omar" in by_address.content.decode()


def test_a_profile_comes_with_its_user_and_cannot_be_added_by_hand(admin_client):
    page = admin_client.get("/admin/registration/profile/")

    assert "/admin/registration/profile/add/" not in page.content.decode()
    assert admin_client.get("/admin/registration/profile/add/").status_code == 403
    assert admin_client.get("/admin/registration/user/add/").status_code == 200
