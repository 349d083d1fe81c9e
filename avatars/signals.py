from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver
from huey.contrib.djhuey import HUEY

from avatars import state
from avatars.files import delete_files_on_commit
from registration.models import AvatarState, Profile


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


@receiver(pre_delete, sender=Profile)
def lock_avatar_files(sender: type[Profile], instance: Profile, **kwargs: Any) -> None:
    """Read the profile's file names again, locking its row until the deletion
    commits.

    The instance was loaded before the deletion began, and a running resize may
    have claimed its thumbnails since (state.claim_thumbnails). Under the lock,
    a claim either came first and is read here, or waits and finds no row (the
    worker then deletes its own files). SQLite's transactions here are
    IMMEDIATE, so the deletion holds the write lock all along.
    """
    names = (
        Profile.objects.select_for_update()
        .filter(pk=instance.pk)
        .values("image", "thumbnails", "avatar_state")
        .first()
    )
    if names is not None:
        for field, value in names.items():
            setattr(instance, field, value)


@receiver(post_delete, sender=Profile)
def delete_avatar_files(
    sender: type[Profile], instance: Profile, **kwargs: Any
) -> None:
    delete_files_on_commit(
        originals=[instance.image.name], thumbnail_stems=[instance.thumbnails]
    )
    if instance.avatar_state == AvatarState.QUEUED and instance.avatar_task_id:
        # A queued resize would find no row and do nothing; revoked, it is
        # dropped unopened. One that is running notices within half a second.
        task_id = instance.avatar_task_id
        transaction.on_commit(
            lambda: HUEY.revoke_by_id(task_id, revoke_once=True), robust=True
        )
