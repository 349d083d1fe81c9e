import logging
import time
from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.http import HttpRequest

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


@receiver(password_reset)
def confirm_address_on_reset(
    sender: type[User], request: HttpRequest, user: User, **kwargs: Any
) -> None:
    """Opening the reset link proves the person reads that mailbox: the address
    counts as confirmed, so the real owner of an address someone else signed up
    with first can take it back."""
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True
    )


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def end_sessions_of_deleted_user(
    sender: type[User], instance: User, **kwargs: Any
) -> None:
    """A deleted account is signed out of every browser, once the deletion
    commits (the rows that list its sessions go with it)."""
    sessions = list(UserSession.objects.filter(user=instance))
    if sessions:
        transaction.on_commit(
            lambda: get_usersessions_adapter().end_sessions(sessions), robust=True
        )
