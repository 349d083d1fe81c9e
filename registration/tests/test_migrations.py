"""Migrations on rows made before them: 0006 makes square thumbnails from the
old 600 px one and empties the placeholder bio; 0008 moves each photo to its
avatar and back, and a photo queued before the upgrade still comes out."""

import io
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

from avatars.images import PIXEL_SIZES
from avatars.storage import thumbnail_name
from testing import image_factory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("registration", "0005_username_rule")]
AFTER = [("registration", "0006_square_avatars")]
GREEN = (30, 180, 60)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # (app, None) means "none of it": the state is that of the others.
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def webp(size, colour) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "WEBP")
    return ContentFile(buffer.getvalue())


def test_old_avatars_get_every_square_size_from_their_600_px_thumbnail():
    old_apps = migrate(BEFORE)
    OldUser = old_apps.get_model("registration", "User")
    OldProfile = old_apps.get_model("registration", "Profile")
    media = storages["default"]
    large = media.save("avatars/old-2x.webp", webp((600, 450), GREEN))
    small = media.save("avatars/old.webp", webp((300, 225), GREEN))
    rows = {
        "ready": {"thumbnail": small, "thumbnail_2x": large, "avatar_state": "ready"},
        "lost": {
            "thumbnail": "avatars/gone.webp",
            "thumbnail_2x": "avatars/gone-2x.webp",
            "avatar_state": "ready",
        },
        "none": {"bio": "My own words"},
    }
    for username, fields in rows.items():
        user = OldUser.objects.create(username=username, email=f"{username}@x.org")
        OldProfile.objects.create(
            user=user, **{"bio": "This is a default bio", **fields}
        )

    Profile = migrate(AFTER).get_model("registration", "Profile")
    try:
        ready = Profile.objects.get(user__username="ready")
        assert ready.avatar_state == "ready"
        for side in PIXEL_SIZES:
            with media.open(thumbnail_name(ready.thumbnails, side)) as file:
                im = Image.open(file)
                assert im.size == (min(side, 450),) * 2  # the centred square
                colour = im.convert("RGB").getpixel((5, 5))
                assert all(abs(a - b) < 10 for a, b in zip(colour, GREEN, strict=True))
        assert not media.exists(large) and not media.exists(small)
        lost = Profile.objects.get(user__username="lost")
        assert (lost.avatar_state, lost.thumbnails) == ("none", "")
        bios = dict(Profile.objects.values_list("user__username", "bio"))
        assert bios == {"ready": "", "lost": "", "none": "My own words"}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


OLD_SCHEMA = [("registration", "0007_page_visibility"), ("avatars", None)]
# The profile's photo columns before 0008, and the avatar's names for them.
MOVED = {
    "image": "image",
    "crop_x": "crop_x",
    "crop_y": "crop_y",
    "crop_size": "crop_size",
    "avatar_state": "state",
    "avatar_task_id": "task_id",
    "avatar_error": "error",
    "avatar_attempts": "attempts",
    "avatar_worker_deaths": "worker_deaths",
    "avatar_worker": "worker",
    "thumbnails": "thumbnails",
    "avatar_queued_at": "queued_at",
    "avatar_started_at": "started_at",
    "avatar_finished_at": "finished_at",
}


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def photo_columns(state: str, n: int) -> dict:
    """A profile's photo as the old schema held it, each value its own."""
    at = datetime(2026, 11, 1, 12, n, 7, 123456, tzinfo=UTC)
    columns = {"avatar_state": state}
    if state != "none":
        columns |= {
            "image": f"originals/{n:032x}",
            "crop_x": 10 + n,
            "crop_y": 20 + n,
            "crop_size": 300 + n,
            "avatar_task_id": str(uuid.UUID(int=n)),
            "avatar_attempts": n,
            "avatar_worker_deaths": n % 2,
            "avatar_queued_at": at,
        }
    if state in ("processing", "ready", "failed"):
        columns |= {"avatar_worker": f"host-{n}:{1000 + n}", "avatar_started_at": at}
    if state in ("ready", "failed"):
        columns["avatar_finished_at"] = at + timedelta(seconds=n)
    if state == "ready":
        columns["thumbnails"] = f"avatars/{n:032x}"
    if state == "failed":
        columns["avatar_error"] = "This photo could not be read."
    return columns


def profiles_by_user(apps) -> dict[str, dict]:
    Profile = apps.get_model("registration", "Profile")
    return {
        row.pop("user__username"): row
        for row in Profile.objects.values("user__username", "bio", *MOVED)
    }


@pytest.mark.integration  # the copy is SQL of its own: run it on every backend
def test_every_photo_moves_to_its_avatar_verbatim_and_back():
    old_apps = migrate(OLD_SCHEMA)
    OldUser = old_apps.get_model("registration", "User")
    OldProfile = old_apps.get_model("registration", "Profile")
    states = ["none", "queued", "processing", "ready", "failed"]
    for n, state in enumerate(states, start=1):
        user = OldUser.objects.create(username=state, email=f"{state}@x.org")
        OldProfile.objects.create(
            user=user, bio=f"{state}'s bio", **photo_columns(state, n)
        )
    # No profile row: the old sign-up made one in the same transaction, but a
    # user made in the shell or the admin may have none.
    OldUser.objects.create(username="bare", email="bare@x.org")
    before = profiles_by_user(old_apps)

    try:
        new_apps = migrate(latest())
        Avatar = new_apps.get_model("avatars", "Avatar")
        moved = {
            row.pop("user__username"): row
            for row in Avatar.objects.values("user__username", *MOVED.values())
        }
        assert set(moved) == {*states, "bare"}
        for username, profile in before.items():
            assert moved[username] == {
                new: profile[old] for old, new in MOVED.items()
            }, username
        assert moved["bare"]["state"] == "none"
        assert Avatar.objects.get(user__username="bare").user_id == (
            new_apps.get_model("registration", "User").objects.get(username="bare").pk
        )
        Profile = new_apps.get_model("registration", "Profile")
        assert dict(Profile.objects.values_list("user__username", "bio")) == {
            username: profile["bio"] for username, profile in before.items()
        }

        back = migrate([("registration", "0007_page_visibility")])
        assert profiles_by_user(back) == before
        assert not Avatar.objects.exists()  # the table stays, emptied

        # And on down to 0005, and up again: every migration since reverses.
        migrate(BEFORE)
        again = migrate(latest()).get_model("avatars", "Avatar")
        queued = again.objects.get(user__username="queued")
        assert (queued.image.name, queued.task_id) == (
            before["queued"]["image"],
            before["queued"]["avatar_task_id"],
        )
        assert again.objects.count() == len(states) + 1
    finally:
        migrate(latest())


@pytest.mark.integration
@pytest.mark.parametrize(
    "task_name",
    [
        "avatars.tasks.resize_avatar",  # the release before the move
        "registration.tasks.resize_avatar",  # the one before that
    ],
)
def test_a_photo_queued_before_the_upgrade_is_ready_after_it(start_consumer, task_name):
    """The upgrade as the README gives it: processes stopped with a photo still
    queued, migrate, start. The task finds its photo by the user and the name."""
    from huey.contrib.djhuey import HUEY

    from avatars.tasks import resize_avatar

    old_apps = migrate(OLD_SCHEMA)
    try:
        user = old_apps.get_model("registration", "User").objects.create(
            username="olga", email="olga@x.org"
        )
        original = storages["uploads"].save(
            "originals/0123456789abcdef0123456789abcdef",
            ContentFile(image_factory.jpeg_bytes(size=(1200, 800))),
        )
        # What the old sign-up enqueued: (the profile's key, which is the
        # user's id, the original's name), under the old name.
        task = resize_avatar.s(user.pk, original)
        message = HUEY._registry.create_message(task)._replace(name=task_name)
        old_apps.get_model("registration", "Profile").objects.create(
            user=user,
            image=original,
            crop_x=200,
            crop_y=0,
            crop_size=800,
            avatar_state="queued",
            avatar_task_id=message.id,
            avatar_queued_at=datetime.now(UTC),
        )
        HUEY.storage.enqueue(HUEY.serializer.serialize(message))

        new_apps = migrate(latest())
        start_consumer()
        Avatar = new_apps.get_model("avatars", "Avatar")
        deadline = time.monotonic() + 60
        while Avatar.objects.get(pk=user.pk).state in ("queued", "processing"):
            assert time.monotonic() < deadline, "the old task never finished"
            time.sleep(0.05)

        avatar = Avatar.objects.get(pk=user.pk)
        assert (avatar.state, avatar.task_id, avatar.error) == ("ready", message.id, "")
        for side in PIXEL_SIZES:
            with storages["default"].open(thumbnail_name(avatar.thumbnails, side)) as f:
                assert Image.open(f).size == (side, side)
        assert not storages["uploads"].exists(original)  # kept only until then
    finally:
        migrate(latest())
