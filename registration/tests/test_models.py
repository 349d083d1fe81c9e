"""Accounts and profiles: names unique in any case, and who sees a profile."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from registration.models import Profile, User, Visibility

pytestmark = pytest.mark.django_db


def test_database_refuses_usernames_differing_only_in_case():
    User.objects.create_user("Carol", "carol@example.com", "x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("carol", "other@example.com", "x")


def test_database_refuses_emails_differing_only_in_case():
    User.objects.create_user("dave", "dave@example.com", "x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("dave2", "DAVE@example.com", "x")


def test_a_username_is_found_in_any_case():
    carol = User.objects.create_user("Carol", "carol@example.com", "x")
    assert User.objects.get_by_natural_key("cAROL") == carol
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("caro")


@pytest.mark.parametrize(
    ("visibility", "owner", "member", "anonymous"),
    [
        (Visibility.EVERYONE, True, True, True),
        (Visibility.MEMBERS, True, True, False),
        (Visibility.ONLY_ME, True, False, False),
    ],
)
def test_who_sees_a_profile(visibility, owner, member, anonymous):
    ann = User.objects.create_user("ann", "ann@example.com", "x")
    ben = User.objects.create_user("ben", "ben@example.com", "x")
    Profile.objects.filter(pk=ann.pk).update(visibility=visibility)
    profile = Profile.objects.get(pk=ann.pk)

    assert profile.visible_to(ann) is owner
    assert profile.visible_to(ben) is member
    assert profile.visible_to(AnonymousUser()) is anonymous
