"""seed_members: raw inserts that write what the ORM writes for a sign-up."""

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.db import models
from django.utils import timezone

from avatars.models import Avatar
from registration import seeding
from registration.models import Profile, User, Visibility

# On each database: PostgreSQL writes through COPY, SQLite through executemany.
pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# What differs from member to member, and the keys.
VARYING = {"id", "user_id", "username", "email", "password", "date_joined"}


def columns(row: models.Model) -> dict[str, Any]:
    """Every column as read back from the database, but the varying ones."""
    row.refresh_from_db()
    return {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if field.attname not in VARYING
    }


def test_every_row_a_sign_up_makes_as_the_orm_writes_it(monkeypatch):
    reference = User.objects.create_user("reference", "ref@example.com", "x")
    EmailAddress.objects.create(user=reference, email=reference.email, primary=True)
    monkeypatch.setattr(seeding, "BATCH", 7)  # batches, and a last short one
    now = timezone.now().replace(microsecond=0)

    written = list(seeding.seed_members(20, now=now))

    assert written == [7, 14, 20]
    members = list(User.objects.exclude(pk=reference.pk).order_by("date_joined"))
    assert [m.username for m in members] == [f"member{n:07d}" for n in range(1, 21)]
    assert [m.date_joined for m in members] == [
        now - timedelta(seconds=19 - n) for n in range(20)
    ]
    for member in members:
        assert member.email == f"{member.username}@example.com"
        assert columns(member) == columns(reference)
        profile = Profile.objects.get(user=member)
        assert columns(profile) == columns(reference.profile) | {
            "visibility": profile.visibility
        }
        assert columns(Avatar.objects.get(user=member)) == columns(reference.avatar)
        address = EmailAddress.objects.get(user=member)
        assert address.email == member.email
        assert columns(address) == columns(EmailAddress.objects.get(user=reference))
    visibilities = [
        p.visibility
        for p in Profile.objects.exclude(pk=reference.pk).order_by("user__username")
    ]
    assert visibilities[9] == visibilities[19] == Visibility.ONLY_ME
    assert visibilities[4] == visibilities[14] == Visibility.EVERYONE
    assert visibilities[0] == Visibility.MEMBERS
    assert authenticate(username="member0000020", password=seeding.PASSWORD)


def test_more_members_follow_the_ones_there():
    list(seeding.seed_members(3))
    list(seeding.seed_members(2))
    list(seeding.seed_members(2, prefix="other"))

    assert list(
        User.objects.order_by("username").values_list("username", flat=True)
    ) == [
        "member0000001",
        "member0000002",
        "member0000003",
        "member0000004",
        "member0000005",
        "other0000001",
        "other0000002",
    ]
    assert Profile.objects.count() == Avatar.objects.count() == 7
    assert EmailAddress.objects.count() == 7
