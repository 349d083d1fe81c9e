"""Square avatars in three sizes, each at 1x and 2x, named by one stem; the
square a person chose; bios that start empty.

Avatars made before were a 600 px and a 300 px thumbnail of the whole photo,
and their originals are gone: the new sizes are cut from the 600 px one (its
centred square). Its files are removed once the migration has committed; one
that cannot be read leaves the person with their initials, and is logged.

The conversion is written out here rather than imported, so that it stays what
it was when the code around it changes.
"""

import io
import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import migrations, models, transaction
from PIL import Image, ImageOps

logger = logging.getLogger("registration.migrations")

OLD_PLACEHOLDER_BIO = "This is a default bio"
SIDES = (600, 300, 192, 96, 64, 32)


def empty_placeholder_bios(apps, schema_editor):
    Profile = apps.get_model("registration", "Profile")
    Profile.objects.filter(bio=OLD_PLACEHOLDER_BIO).update(bio="")


def square_sizes(data: bytes) -> dict[int, bytes]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        side = min(im.size)
        square = ImageOps.fit(im.convert("RGB"), (side, side), Image.Resampling.LANCZOS)
    made = {}
    for wanted in SIDES:
        size = min(wanted, side)
        resized = square.resize((size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "WEBP", quality=80, method=2)
        made[wanted] = buffer.getvalue()
    return made


def square_old_thumbnails(apps, schema_editor):
    Profile = apps.get_model("registration", "Profile")
    media = storages["default"]
    old_files = []
    for profile in Profile.objects.exclude(thumbnail_2x="").iterator():
        old = [f.name for f in (profile.thumbnail_2x, profile.thumbnail) if f.name]
        try:
            with media.open(old[0]) as large:
                made = square_sizes(large.read())
        except (OSError, ValueError, SyntaxError) as exc:
            logger.warning("profile %s: %s unreadable (%s)", profile.pk, old[0], exc)
            Profile.objects.filter(pk=profile.pk).update(avatar_state="none")
            continue
        stem = f"avatars/{uuid.uuid4().hex}"
        for side, data in made.items():
            media.save(f"{stem}-{side}.webp", ContentFile(data))
        Profile.objects.filter(pk=profile.pk).update(thumbnails=stem)
        old_files += old

    def remove_old_files():
        for name in old_files:
            media.delete(name)

    transaction.on_commit(remove_old_files, robust=True)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0005_username_rule"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="crop_x",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="profile",
            name="crop_y",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="profile",
            name="crop_size",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="profile",
            name="thumbnails",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Where the square thumbnails are: this, then -<side in px>.webp.",
                max_length=100,
            ),
        ),
        migrations.AlterField(
            model_name="profile",
            name="bio",
            field=models.TextField(blank=True, max_length=300),
        ),
        migrations.RunPython(empty_placeholder_bios, migrations.RunPython.noop),
        migrations.RunPython(square_old_thumbnails, migrations.RunPython.noop),
        migrations.RemoveField(model_name="profile", name="thumbnail"),
        migrations.RemoveField(model_name="profile", name="thumbnail_2x"),
    ]
