import logging
import time
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from registration.models import Profile, User

logger = logging.getLogger(__name__)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(
    sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any
) -> None:
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
