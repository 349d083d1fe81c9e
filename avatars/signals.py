from typing import Any

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from avatars import state
from avatars.files import delete_files_on_commit
from registration.models import Profile


@receiver(post_init, sender=Profile)
def remember_stored_image(
    sender: type[Profile], instance: Profile, **kwargs: Any
) -> None:
    instance._stored_image_name = instance.image.name or ""


@receiver(post_save, sender=Profile)
def queue_avatar_resize(
    sender: type[Profile], instance: Profile, raw: bool, **kwargs: Any
) -> None:
    """Queue a resize when, and only when, the saved photo is a new one.

    A bio edit or the worker's own update leaves the image name alone and
    queues nothing. The task is sent once the transaction commits, so the worker
    never looks for a row that is not there yet, and a rollback sends nothing.
    """
    if raw or (instance.image.name or "") == instance._stored_image_name:
        return
    state.photo_changed(instance)


@receiver(post_delete, sender=Profile)
def delete_avatar_files(
    sender: type[Profile], instance: Profile, **kwargs: Any
) -> None:
    delete_files_on_commit(
        originals=[instance.image.name],
        thumbnails=[instance.thumbnail.name, instance.thumbnail_2x.name],
    )
