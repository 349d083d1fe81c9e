"""Accounts and profiles: names unique in any case, and who sees a profile."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.test import Client

from registration import seeding
from registration.models import Profile, User, Visibility
from testing.client import signup
from testing.plans import costly_queries

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


def test_the_look_ups_in_any_case_find_one_account_each():
    carol = User.objects.create_user("Carol", "Carol@Example.com", "x")
    User.objects.create_user("carol2", "carol@example.org", "x")

    assert list(User.objects.named("cAROL")) == [carol]
    assert list(User.objects.with_email("carol@EXAMPLE.com")) == [carol]
    assert list(User.objects.by_login("CAROL")) == [carol]
    assert list(User.objects.by_login("CAROL@example.COM")) == [carol]
    assert not User.objects.named("carol%").exists()  # no pattern: the name


@pytest.mark.integration
def test_every_look_up_in_any_case_is_served_by_an_index():
    """The public page, signing in by username and by e-mail (with its
    attempt key), and the sign-up's "taken" checks, on every backend."""
    for _ in seeding.seed_members(10_000):
        pass
    seeding.analyse()
    member = Client()
    member.force_login(User.objects.get(username="member0005001"))
    visits = {
        "public page": lambda: member.get("/u/MEMBER0005002/"),
        "log-in by username": lambda: Client().post(
            "/accounts/login/", {"login": "Member0000042", "password": "wrong one"}
        ),
        "log-in by e-mail": lambda: Client().post(
            "/accounts/login/",
            {"login": "MEMBER0000042@example.com", "password": "wrong one"},
        ),
        "sign-up taken": lambda: signup(
            Client(), username="member0000043", email="Member0000044@Example.com"
        ),
    }

    for name, visit in visits.items():
        costly = costly_queries(visit)
        assert not costly, (name, list(costly.values()))
