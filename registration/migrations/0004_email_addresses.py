"""Give every account from before allauth its e-mail address record.

allauth looks a login's e-mail up in its EmailAddress table, lower-cased: without
a record, people who signed up before could not log in by e-mail. The address is
recorded as not yet confirmed.
"""

from django.db import migrations


def record_addresses(apps, schema_editor):
    User = apps.get_model("registration", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user_id=user_id, email=email.lower(), primary=True, verified=False)
        for user_id, email in User.objects.exclude(email="").values_list("id", "email")
        if user_id not in known
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_avatar_worker_deaths"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(record_addresses, migrations.RunPython.noop)]
