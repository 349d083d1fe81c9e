"""Many members at once, written straight to the database: no sign-ups, no
password hashes, a few queries for any number. For the directory's tests and
the benchmark's people's pages."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from avatars.models import Avatar, State
from registration.models import Profile, Visibility
from testing.thumbnails import write_thumbnails


def add_members(
    names: Sequence[str],
    visibilities: Sequence[str] | None = None,
    photos: Sequence[dict[int, bytes] | None] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Members with these usernames, each joined a millisecond before the one
    before it (the first is the newest), their profiles (visible to members
    unless `visibilities` says otherwise) and avatars: ready with thumbnails
    where `photos` gives their files by side ({}: placeholders), else none.
    Returns their ids by username."""
    User = get_user_model()
    now = now or timezone.now()
    User.objects.bulk_create(
        User(
            username=name,
            email=f"{name}@example.com",
            password="!",  # unusable: they never log in with one
            date_joined=now - timedelta(milliseconds=number),
        )
        for number, name in enumerate(names)
    )
    ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    # bulk_create sends no post_save: the rows the signals would make, made here.
    Profile.objects.bulk_create(
        Profile(
            user_id=ids[name],
            visibility=visibilities[number] if visibilities else Visibility.MEMBERS,
        )
        for number, name in enumerate(names)
    )
    avatars = []
    for number, name in enumerate(names):
        files = photos[number] if photos else None
        if files is None:
            avatars.append(Avatar(user_id=ids[name]))
            continue
        avatars.append(
            Avatar(
                user_id=ids[name],
                state=State.READY,
                thumbnails=write_thumbnails(files or None),
                finished_at=now,
            )
        )
    Avatar.objects.bulk_create(avatars)
    return ids
