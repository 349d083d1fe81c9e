from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver
from huey.contrib.djhuey import HUEY

from avatars import state
from avatars.cleanup import delete_files_on_commit
from avatars.models import Avatar, State


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_avatar(
    sender: type[AbstractBaseUser],
    # Whatever AUTH_USER_MODEL is: avatars does not import it.
    instance: Any,
    created: bool,
    raw: bool,
    **kwargs: Any,
) -> None:
    """Every user has an avatar row from the start: every page reads it in the
    user's own query (the authentication backend joins it)."""
    if created and not raw:
        # Given the user itself, the new row is cached on it: the sign-up that
        # attaches a photo next reads `user.avatar` without a query.
        Avatar.objects.create(user=instance)


@receiver(post_init, sender=Avatar)
def remember_stored_image(
    sender: type[Avatar], instance: Avatar, **kwargs: Any
) -> None:
    instance._stored_image_name = instance.image.name or ""


@receiver(post_save, sender=Avatar)
def queue_avatar_resize(
    sender: type[Avatar], instance: Avatar, raw: bool, **kwargs: Any
) -> None:
    """Queue a resize when, and only when, the saved photo is a new one.

    The worker's own updates leave the image name alone and queue nothing. The
    task is sent once the transaction commits, so the worker never looks for a
    row that is not there yet, and a rollback sends nothing.
    """
    if raw or (instance.image.name or "") == instance._stored_image_name:
        return
    state.photo_changed(instance)


@receiver(pre_delete, sender=Avatar)
def lock_avatar_files(sender: type[Avatar], instance: Avatar, **kwargs: Any) -> None:
    """Read the avatar's file names again, locking its row until the deletion
    commits.

    The instance was loaded before the deletion began, and a running resize may
    have claimed its thumbnails since (state.claim_thumbnails). Under the lock,
    a claim either came first and is read here, or waits and finds no row (the
    worker then deletes its own files). SQLite's transactions here are
    IMMEDIATE, so the deletion holds the write lock all along.
    """
    names = (
        Avatar.objects.select_for_update()
        .filter(pk=instance.pk)
        .values("image", "thumbnails", "state")
        .first()
    )
    if names is not None:
        for field, value in names.items():
            setattr(instance, field, value)


@receiver(post_delete, sender=Avatar)
def delete_avatar_files(sender: type[Avatar], instance: Avatar, **kwargs: Any) -> None:
    delete_files_on_commit(
        originals=[instance.image.name], thumbnail_stems=[instance.thumbnails]
    )
    if instance.state == State.QUEUED and instance.task_id:
        # A queued resize would find no row and do nothing; revoked, it is
        # dropped unopened. One that is running notices within half a second.
        task_id = instance.task_id
        transaction.on_commit(
            lambda: HUEY.revoke_by_id(task_id, revoke_once=True), robust=True
        )
