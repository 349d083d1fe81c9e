import pytest
from django.core.management import call_command

from registration.models import Profile, User

pytestmark = pytest.mark.django_db


def test_every_new_user_gets_exactly_one_profile():
    user = User.objects.create_user("frank", "frank@example.com", "x")
    user.first_name = "Frank"
    user.save()
    assert Profile.objects.filter(user=user).count() == 1


def test_createsuperuser_gets_a_profile_too(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "x")
    call_command(
        "createsuperuser",
        username="root",
        email="root@example.com",
        interactive=False,
        verbosity=0,
    )
    assert Profile.objects.filter(user__username="root").exists()
