from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from exports.models import Export


@receiver(pre_delete, sender=Export)
def lock_export(sender: type[Export], instance: Export, **kwargs: Any) -> None:
    """Read the archive's name again, locking the row until the deletion
    commits: a worker that finished it since the instance was loaded either
    came first and is read here, or finds no row and deletes it itself
    (exports.state.finish)."""
    names = (
        Export.objects.select_for_update()
        .filter(pk=instance.pk)
        .values_list("archive", flat=True)
    )
    instance.archive = next(iter(names), instance.archive)


@receiver(post_delete, sender=Export)
def delete_archive_with_export(
    sender: type[Export], instance: Export, **kwargs: Any
) -> None:
    """An archive goes with its export: with the account (a cascade), or
    deleted in the admin; once that commits."""
    if instance.archive:
        from exports.tasks import delete_archive

        name = instance.archive
        transaction.on_commit(lambda: delete_archive(name), robust=True)
