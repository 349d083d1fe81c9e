"""Members in bulk, for benchmarks and query-plan tests: every row a sign-up
makes (the user, the profile, the avatar, the e-mail address), a batch at a
time through the database cursor: one prepared INSERT a table executed for
every row of the batch on SQLite (executemany), COPY on PostgreSQL (where
psycopg's executemany would send a statement a row). No signal fires, so each
table is written here explicitly; one password hash serves every member. No
photos: a seeded avatar has none.

The columns and their values come from the models: each table's row starts
as a model instance with its defaults would be saved by the ORM, and only the
columns that differ from member to member are filled in per row, each through
its field's own preparation for the database. bulk_create, with its model
instances and the compiler's work for every value, took about three times as
long on SQLite and twice as long on PostgreSQL (100,000 members: 12.8 s
against 4.0 s, and 14.7 s against 6.0 s)."""

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from avatars.models import Avatar
from registration.models import Profile, User, Visibility

# Every seeded member signs in with this, so a benchmark can be any of them.
PASSWORD = "seeded member password"
BATCH = 10_000


class Insert:
    """One table's INSERT: every concrete column but an automatic primary key,
    valued as `template` would be saved, except the `varying` fields (by
    attribute name, e.g. "user_id"), which each row gives in that order."""

    def __init__(self, template: models.Model, varying: Sequence[str]) -> None:
        meta = template._meta
        # The database numbers the users (isinstance covers BigAutoField too).
        fields = [
            field
            for field in meta.concrete_fields
            if not isinstance(field, models.AutoField)
        ]
        by_name = {field.attname: index for index, field in enumerate(fields)}
        self.slots = [by_name[name] for name in varying]
        self.varying = [fields[slot] for slot in self.slots]
        self.constant = [
            field.get_db_prep_save(field.pre_save(template, add=True), connection)
            for field in fields
        ]
        quote = connection.ops.quote_name
        columns = []
        for field in fields:
            assert field.column is not None  # every concrete field has one
            columns.append(quote(field.column))
        placeholders = ", ".join(["%s"] * len(fields))
        table = f"{quote(meta.db_table)} ({', '.join(columns)})"
        self.sql = f"INSERT INTO {table} VALUES ({placeholders})"
        self.copy_sql = f"COPY {table} FROM STDIN"
        self.rows: list[list[Any]] = []

    def add(self, *values: Any) -> None:
        row = self.constant.copy()
        for slot, field, value in zip(self.slots, self.varying, values, strict=True):
            row[slot] = field.get_db_prep_save(value, connection)
        self.rows.append(row)

    def execute(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # psycopg's executemany sends a statement a row: COPY streams.
                with cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.rows = []


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
    avatars = Insert(Avatar(user_id=0), ["user_id"])
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
                avatars.add(user_id)
                addresses.add(user_id, f"{name}@example.com")
            for insert in (profiles, avatars, addresses):
                insert.execute()
        written += size
        yield written


def analyse() -> None:
    """Fresh statistics, so the query planner knows how large the tables are."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
