"""Usernames become public handles: 3 to 30 ASCII letters, digits, ".", "_", "-".

Existing usernames that break the rule get the nearest name that keeps it
(accents dropped, other characters removed, padded or cut to length), made
unique in any case with a number when needed.
"""

import re
import unicodedata

import django.core.validators
from django.db import migrations, models

ALLOWED = re.compile(r"[^A-Za-z0-9._-]")


def handle_for(username: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", username).encode("ascii", "ignore")
    name = ALLOWED.sub("", ascii_name.decode())[:30]
    return name if len(name) >= 3 else (name + "user")[:30]


def follow_the_rule(apps, schema_editor):
    User = apps.get_model("registration", "User")
    taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
    for user in User.objects.order_by("pk"):
        if re.fullmatch(r"[A-Za-z0-9._-]{3,30}", user.username):
            continue
        base = handle_for(user.username)
        name, number = base, 1
        while name.lower() in taken:
            number += 1
            suffix = f"-{number}"
            name = base[: 30 - len(suffix)] + suffix
        taken.add(name.lower())
        user.username = name
        user.save(update_fields=["username"])


class Migration(migrations.Migration):
    dependencies = [("registration", "0004_email_addresses")]

    operations = [
        migrations.RunPython(follow_the_rule, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "That username is taken."},
                help_text=(
                    "Your public name, in your page's address: 3 to 30 characters: "
                    "ASCII letters, digits, '.', '_' and '-'."
                ),
                max_length=30,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9._-]{3,30}\\Z",
                        "Use 3 to 30 characters: ASCII letters, digits, '.', '_' and '-'.",
                        code="invalid",
                    )
                ],
                verbose_name="username",
            ),
        ),
    ]
