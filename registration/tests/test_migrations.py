"""Migration 0006 on rows made before it: square thumbnails from the old 600 px
one, nothing lost; the placeholder bio emptied."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

from avatars.images import PIXEL_SIZES
from avatars.storage import thumbnail_name

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("registration", "0005_username_rule")]
AFTER = [("registration", "0006_square_avatars")]
GREEN = (30, 180, 60)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


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
