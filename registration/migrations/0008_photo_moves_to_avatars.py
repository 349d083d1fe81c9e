"""The photo pipeline's fields move from the profile to avatars.Avatar.

Every user gets an avatar row holding, verbatim, what their profile held: the
original's name, the chosen square, the state, the task id, the counts, the
thumbnails' stem and the times. Files stay where they are, and a task queued
before still finds its photo (it names the user and the original). Then the
profile's columns go.

Reversed, the profile's columns come back with the avatars' values in them,
and the avatar rows are emptied, as they were before this migration.

The columns are named here rather than read from the models, so that this
stays what it was when the models change.
"""

from django.db import migrations

# The profile's column, the avatar's column.
COLUMNS = [
    ("image", "image"),
    ("crop_x", "crop_x"),
    ("crop_y", "crop_y"),
    ("crop_size", "crop_size"),
    ("avatar_state", "state"),
    ("avatar_task_id", "task_id"),
    ("avatar_error", "error"),
    ("avatar_attempts", "attempts"),
    ("avatar_worker_deaths", "worker_deaths"),
    ("avatar_worker", "worker"),
    ("thumbnails", "thumbnails"),
    ("avatar_queued_at", "queued_at"),
    ("avatar_started_at", "started_at"),
    ("avatar_finished_at", "finished_at"),
]
# What a user with no profile row gets (there should be none).
DEFAULTS = {
    "image": "''",
    "state": "'none'",
    "task_id": "''",
    "error": "''",
    "attempts": "0",
    "worker_deaths": "0",
    "worker": "''",
    "thumbnails": "''",
}


def tables(apps, schema_editor):
    q = schema_editor.quote_name
    return (
        q(apps.get_model("registration", "User")._meta.db_table),
        q(apps.get_model("registration", "Profile")._meta.db_table),
        q(apps.get_model("avatars", "Avatar")._meta.db_table),
    )


def copy_to_avatars(apps, schema_editor):
    q = schema_editor.quote_name
    users, profiles, avatars = tables(apps, schema_editor)
    selected = ", ".join(
        f"COALESCE(p.{q(old)}, {DEFAULTS[new]})" if new in DEFAULTS else f"p.{q(old)}"
        for old, new in COLUMNS
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {avatars} ({q('user_id')}, "
            f"{', '.join(q(new) for _, new in COLUMNS)}) "
            f"SELECT u.{q('id')}, {selected} FROM {users} u "
            f"LEFT JOIN {profiles} p ON p.{q('user_id')} = u.{q('id')}"
        )


def copy_back_to_profiles(apps, schema_editor):
    q = schema_editor.quote_name
    _, profiles, avatars = tables(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {profiles} SET ({', '.join(q(old) for old, _ in COLUMNS)}) = "
            f"(SELECT {', '.join('a.' + q(new) for _, new in COLUMNS)} "
            f"FROM {avatars} a WHERE a.{q('user_id')} = {profiles}.{q('user_id')}) "
            f"WHERE EXISTS (SELECT 1 FROM {avatars} a "
            f"WHERE a.{q('user_id')} = {profiles}.{q('user_id')})"
        )
        cursor.execute(f"DELETE FROM {avatars}")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0007_page_visibility"),
        ("avatars", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_avatars, copy_back_to_profiles),
        *(migrations.RemoveField(model_name="profile", name=old) for old, _ in COLUMNS),
    ]
