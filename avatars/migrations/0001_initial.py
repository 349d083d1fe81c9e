"""The photo pipeline's own table. Rows come from registration's profiles in
registration 0008, which depends on this one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import avatars.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Avatar",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="avatar",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "image",
                    models.FileField(
                        blank=True,
                        help_text="The uploaded original. Private: never served.",
                        max_length=200,
                        storage=avatars.models.uploads_storage,
                        upload_to=avatars.models.original_upload_to,
                        verbose_name="photo",
                    ),
                ),
                (
                    "crop_x",
                    models.PositiveIntegerField(blank=True, editable=False, null=True),
                ),
                (
                    "crop_y",
                    models.PositiveIntegerField(blank=True, editable=False, null=True),
                ),
                (
                    "crop_size",
                    models.PositiveIntegerField(blank=True, editable=False, null=True),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("none", "No photo"),
                            ("queued", "Queued"),
                            ("processing", "Processing"),
                            ("ready", "Ready"),
                            ("failed", "Failed"),
                        ],
                        default="none",
                        max_length=10,
                    ),
                ),
                ("task_id", models.CharField(blank=True, max_length=36)),
                ("error", models.CharField(blank=True, max_length=300)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "worker_deaths",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Workers that died with this photo in flight.",
                    ),
                ),
                (
                    "worker",
                    models.CharField(
                        blank=True,
                        help_text="The consumer running the task.",
                        max_length=200,
                    ),
                ),
                (
                    "thumbnails",
                    models.CharField(
                        blank=True,
                        editable=False,
                        help_text="Where the square thumbnails are: this, then -<side in px>.webp.",
                        max_length=100,
                    ),
                ),
                ("queued_at", models.DateTimeField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
