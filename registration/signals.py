import logging
import time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django.utils import timezone

from registration.avatars import delete_files_on_commit
from registration.models import AvatarState, Profile
from registration.tasks import enqueue_avatar_resize, resize_avatar

logger = logging.getLogger(__name__)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created: bool, raw: bool, **kwargs) -> None:
    if not created or raw:
        return
    started = time.monotonic()
    profile, made = Profile.objects.get_or_create(user=instance)
    if made:
        logger.info(
            "profile created for user %s",
            instance.pk,
            extra={"elapsed": time.monotonic() - started},
        )


@receiver(post_init, sender=Profile)
def remember_stored_image(sender, instance: Profile, **kwargs) -> None:
    instance._stored_image_name = instance.image.name


@receiver(post_save, sender=Profile)
def queue_avatar_resize(sender, instance: Profile, raw: bool, **kwargs) -> None:
    """Queue a resize when, and only when, the saved photo is a new one.

    A bio edit or the worker's own update leaves the image name alone and
    queues nothing. The task is sent once the transaction commits, so the worker
    never looks for a row that is not there yet, and a rollback sends nothing.
    """
    if raw or instance.image.name == instance._stored_image_name:
        return
    delete_files_on_commit(
        originals=[instance._stored_image_name],
        thumbnails=[instance.thumbnail.name, instance.thumbnail_2x.name],
    )
    instance._stored_image_name = instance.image.name
    changes = {
        "avatar_state": AvatarState.NONE,
        "avatar_task_id": "",
        "avatar_error": "",
        "thumbnail": "",
        "thumbnail_2x": "",
        "avatar_queued_at": None,
        "avatar_started_at": None,
        "avatar_finished_at": None,
    }
    task = None
    if instance.image:
        task = resize_avatar.s(instance.pk, instance.image.name)
        changes.update(
            avatar_state=AvatarState.QUEUED,
            avatar_task_id=task.id,
            avatar_queued_at=timezone.now(),
        )
    Profile.objects.filter(pk=instance.pk).update(**changes)
    for field, value in changes.items():
        setattr(instance, field, value)
    if task is not None:
        # robust: a queue that is down must not turn a saved sign-up into a 500.
        # The profile stays queued and the error is logged.
        transaction.on_commit(
            partial(enqueue_avatar_resize, task),
            robust=True,
        )


@receiver(post_delete, sender=Profile)
def delete_avatar_files(sender, instance: Profile, **kwargs) -> None:
    delete_files_on_commit(
        originals=[instance.image.name],
        thumbnails=[instance.thumbnail.name, instance.thumbnail_2x.name],
    )
