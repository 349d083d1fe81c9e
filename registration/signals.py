import logging
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from registration.avatars import delete_files_on_commit
from registration.models import AvatarState, Profile
from registration.tasks import queue_resize

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
    no_thumbnails = {"thumbnail": "", "thumbnail_2x": ""}
    if instance.image:
        queue_resize(instance, **no_thumbnails)
    else:
        instance.update_where({**no_thumbnails, "avatar_state": AvatarState.NONE})


@receiver(post_delete, sender=Profile)
def delete_avatar_files(sender, instance: Profile, **kwargs) -> None:
    delete_files_on_commit(
        originals=[instance.image.name],
        thumbnails=[instance.thumbnail.name, instance.thumbnail_2x.name],
    )
