"""Indexes for a directory and look-ups that cost the same at any size.

The directory pages newest first on (date_joined, id). allauth looks an address
up exactly once lower-cased. The search ranges over the lower-case username
in byte order: SQLite's unique Lower(username) index is already in that order;
on PostgreSQL it is in the database's collation, so the key is indexed again
collated "C" (registration.models.UsernameKey), which no model field can say.
"""

from django.db import migrations, models

USERNAME_KEY_INDEX = "user_username_key_idx"


def add_username_key_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {USERNAME_KEY_INDEX} ON registration_user "
            '((LOWER("username") COLLATE "C"))'
        )


def drop_username_key_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {USERNAME_KEY_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("registration", "0008_photo_moves_to_avatars"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["date_joined", "id"], name="user_joined_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["email"], name="user_email_idx"),
        ),
        migrations.RunPython(add_username_key_index, drop_username_key_index),
    ]
