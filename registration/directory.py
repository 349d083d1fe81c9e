"""The directory's pages, walked by keyset: each page starts from a cursor in
the URL (the last row shown), never from an OFFSET, and nothing counts the
members. A page costs the same at a thousand members as at a million.

Two orders: newest first (the directory), and by name (the search). Each is
served by one index on the users table, with the visibility checked per row
through the profile's primary key.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet

from registration.models import SEEN_BY_MEMBERS, User, UsernameKey

PER_PAGE = 48

Key = TypeVar("Key")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# A username is at most 30 characters: a longer cursor is no cursor of ours.
LONGEST_NAME_CURSOR = 30


@dataclass(frozen=True)
class Order(Generic[Key]):
    """A way through the listed members, with how its cursors look."""

    order_by: tuple[str, ...]
    reverse_order_by: tuple[str, ...]
    after: Callable[[Key], Q]  # the rows after a key, in this order
    before: Callable[[Key], Q]
    key_of: Callable[[User], Key]
    encode: Callable[[Key], str]
    decode: Callable[[str], Key | None]  # None for anything malformed


@dataclass(frozen=True)
class Page:
    members: list[User]
    # Cursors for the links, when there is something that way.
    before: str | None
    after: str | None


def listed() -> "QuerySet[User]":
    """Members whose choice lets other members see them, with what a card
    shows (the profile and the avatar, in the same query)."""
    return User.objects.filter(
        is_active=True, profile__visibility__in=SEEN_BY_MEMBERS
    ).select_related("profile", "avatar")


# --- Newest first ---------------------------------------------------------------

JoinedKey = tuple[datetime, int]


def joined_key(user: User) -> JoinedKey:
    return (user.date_joined, user.pk)


def encode_joined(key: JoinedKey) -> str:
    joined, pk = key
    return f"{(joined - EPOCH) // MICROSECOND}-{pk}"


def decode_joined(text: str) -> JoinedKey | None:
    micros, _, pk = text.partition("-")
    if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    if len(micros) > 17 or len(pk) > 18:
        return None
    try:
        return (EPOCH + int(micros) * MICROSECOND, int(pk))
    except OverflowError:
        return None


def joined_earlier(key: JoinedKey) -> Q:
    """(date_joined, id) < key. The redundant first bound lets the database
    walk the index from the cursor: the OR alone plans as a multi-index OR
    and a sort of every older member."""
    joined, pk = key
    return Q(date_joined__lte=joined) & (
        Q(date_joined__lt=joined) | Q(date_joined=joined, pk__lt=pk)
    )


def joined_later(key: JoinedKey) -> Q:
    joined, pk = key
    return Q(date_joined__gte=joined) & (
        Q(date_joined__gt=joined) | Q(date_joined=joined, pk__gt=pk)
    )


NEWEST_FIRST: Order[JoinedKey] = Order(
    order_by=("-date_joined", "-pk"),
    reverse_order_by=("date_joined", "pk"),
    after=joined_earlier,
    before=joined_later,
    key_of=joined_key,
    encode=encode_joined,
    decode=decode_joined,
)


# --- By name ----------------------------------------------------------------------


def name_key(user: User) -> str:
    return user.username.lower()


def decode_name(text: str) -> str | None:
    return text.lower() if 0 < len(text) <= LONGEST_NAME_CURSOR else None


BY_NAME: Order[str] = Order(
    order_by=("username_key",),
    reverse_order_by=("-username_key",),
    after=lambda name: Q(username_key__gt=name),
    before=lambda name: Q(username_key__lt=name),
    key_of=name_key,
    encode=str,
    decode=decode_name,
)


def named_from(prefix: str) -> "QuerySet[User]":
    """Listed members whose username starts with `prefix`, in any case: a
    range of the lower-case key, which its index serves (a LIKE would not be,
    on SQLite)."""
    start = prefix.lower()
    # Usernames are ASCII: every one that starts with `start` sorts below this.
    end = start + "\U0010ffff"
    return (
        listed()
        .alias(username_key=UsernameKey())
        .filter(username_key__gte=start, username_key__lt=end)
    )


# --- Paging -----------------------------------------------------------------------


def page_of(
    rows: "QuerySet[User]",
    order: Order[Any],
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """The page of `rows` that follows the cursor `after`, or precedes the
    cursor `before`; the first page for neither, or for a cursor that is
    malformed or leads nowhere (a stale link).

    One query: a row beyond the page says whether there is more that way.
    The other way there is the page the cursor came from; asking would cost
    a query per page, and where its rows have all gone since, that link
    leads to the first page.
    """
    after_key = order.decode(after) if after else None
    before_key = order.decode(before) if before else None
    members: list[User] = []
    if before_key is not None:
        found = list(
            rows.filter(order.before(before_key)).order_by(*order.reverse_order_by)[
                : PER_PAGE + 1
            ]
        )
        members = found[:PER_PAGE][::-1]
        more_before, more_after = len(found) > PER_PAGE, True
    elif after_key is not None:
        found = list(
            rows.filter(order.after(after_key)).order_by(*order.order_by)[
                : PER_PAGE + 1
            ]
        )
        members = found[:PER_PAGE]
        more_before, more_after = True, len(found) > PER_PAGE
    if not members:
        found = list(rows.order_by(*order.order_by)[: PER_PAGE + 1])
        members = found[:PER_PAGE]
        more_before, more_after = False, len(found) > PER_PAGE
    return Page(
        members=members,
        before=order.encode(order.key_of(members[0])) if more_before else None,
        after=order.encode(order.key_of(members[-1])) if more_after else None,
    )
