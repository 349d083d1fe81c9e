"""Members in bulk, for benchmarks and query-plan tests: every row a sign-up
makes (the user, the profile, the avatar, the e-mail address), written with
bulk inserts. No signal fires, so each table is written here explicitly; one
password hash serves every member. No photos: a seeded avatar has none."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from avatars import state
from registration.models import Profile, User, Visibility

# Every seeded member signs in with this, so a benchmark can be any of them.
PASSWORD = "seeded member password"
BATCH = 5_000


def visibility_of(number: int) -> str:
    """A mix like a real directory's: most seen by members, some by everyone,
    a few by nobody else."""
    if number % 10 == 0:
        return Visibility.ONLY_ME
    if number % 5 == 0:
        return Visibility.EVERYONE
    return Visibility.MEMBERS


def username_of(prefix: str, number: int) -> str:
    return f"{prefix}{number:07d}"


def seed_members(
    count: int, prefix: str = "member", now: datetime | None = None
) -> Iterator[int]:
    """Add `count` members named prefix0000001, prefix0000002, … after the
    ones already there, each joined a second after the one before, the last
    just now. Yields how many are written, batch by batch."""
    now = now or timezone.now()
    first = User.objects.filter(username__startswith=prefix).count() + 1
    password = make_password(PASSWORD)
    written = 0
    while written < count:
        size = min(BATCH, count - written)
        numbers = range(first + written, first + written + size)
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    username=username_of(prefix, number),
                    email=f"{username_of(prefix, number)}@example.com",
                    password=password,
                    date_joined=now - timedelta(seconds=count - written - offset),
                )
                for offset, number in enumerate(numbers, start=1)
            )
            Profile.objects.bulk_create(
                Profile(user_id=user.pk, visibility=visibility_of(number))
                for user, number in zip(users, numbers, strict=True)
            )
            state.make_blank_avatars(user.pk for user in users)
            EmailAddress.objects.bulk_create(
                EmailAddress(user_id=user.pk, email=user.email, primary=True)
                for user in users
            )
        written += size
        yield written


def analyse() -> None:
    """Fresh statistics, so the query planner knows how large the tables are."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
