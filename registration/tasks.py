"""Tasks of the accounts app, run by the Huey worker: e-mail, the daily
session housekeeping, and the photo task's old name.

E-mail goes out from the worker, so that a slow or unreachable mail server
never holds a request; a failed send is retried.

huey finds a queued task by "module path + name", so a photo task queued by a
release from before the pipeline moved to avatars/ says
`registration.tasks.resize_avatar`. The task of that name below, a subclass of
the current one, answers to it: the same work, the same hooks. It can go once no
queue anywhere holds such a message.
"""

import logging
from importlib import import_module
from typing import TypedDict

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.db.models import Manager
from django.utils import timezone
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import db_periodic_task, db_task

from avatars import tasks
from avatars.state import Outcome
from config.cache import FileCache
from registration.metrics import EMAILS

logger = logging.getLogger(__name__)


class Email(TypedDict):
    """A rendered message, as plain data: huey pickles a task's arguments."""

    subject: str
    body: str
    from_email: str
    to: list[str]
    headers: dict[str, str]
    alternatives: list[tuple[str, str]]


@db_task(retries=5, retry_delay=10, retry_backoff=2)
def send_email(message: Email) -> None:
    """Send what AccountAdapter.send_mail rendered."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"] or None,
    )
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    try:
        email.send()
    except Exception:
        EMAILS.labels("failed").inc()
        raise
    EMAILS.labels("sent").inc()
    logger.info("e-mail %r sent", message["subject"])


def queue_email(message: Email) -> None:
    """Queue a message; a queue that is down must not turn the change that sent
    it (a sign-up, say) into a 500. The message is lost, and logged: the person
    can ask again ("Resend", "Forgot password?")."""
    try:
        send_email(message)
    except Exception:
        EMAILS.labels("unqueued").inc()
        logger.exception(
            "e-mail %r to %s could not be queued", message["subject"], message["to"]
        )


# Rows a query at a time: flat memory at any size, and short write transactions.
SESSIONS_BATCH = 500


@db_periodic_task(crontab(hour="4", minute="41"))
def clear_sessions_daily() -> None:
    """Drop expired sessions (as `manage.py clearsessions` does), the
    signed-in-browser records of every session that is gone, and the expired
    files of a single host's file caches."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    # Our engine (cached_db) keeps every session in the database: Django's
    # clear_expired reports no count, so it is counted first.
    sessions = store.get_model_class().objects
    expired = sessions.filter(expire_date__lt=timezone.now()).count()
    store.clear_expired()
    ended = delete_records_of_ended_sessions(sessions)
    cached = sum(
        cache.delete_expired() for cache in caches.all() if isinstance(cache, FileCache)
    )
    logger.info(
        "sessions housekeeping: %d expired sessions cleared, "
        "%d records of ended sessions deleted, %d expired cache files removed",
        expired,
        ended,
        cached,
    )


def delete_records_of_ended_sessions(
    sessions: "Manager[AbstractBaseSession]",
) -> int:
    """Delete the UserSession rows whose session is no longer in `sessions`:
    signed out, expired or cleared. allauth purges a user's rows, one session
    look-up each, only when that user signs in or lists their browsers; an
    account nobody signs in to again would keep its rows for ever."""
    deleted, after = 0, 0
    while batch := list(
        UserSession.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "session_key")[:SESSIONS_BATCH]
    ):
        after = batch[-1][0]
        live = set(
            sessions.filter(session_key__in=[key for _, key in batch]).values_list(
                "session_key", flat=True
            )
        )
        gone = [pk for pk, key in batch if key not in live]
        if gone:
            deleted += UserSession.objects.filter(pk__in=gone).delete()[0]
    return deleted


@db_task(
    context=True,
    task_base=tasks.resize_avatar.task_class,
    priority=tasks.resize_avatar.task_class.default_priority,
    retries=tasks.resize_avatar.retries,
    retry_delay=tasks.resize_avatar.retry_delay,
    retry_backoff=2,
)
def resize_avatar(
    user_id: int, image_name: str, task: Task | None = None
) -> Outcome | None:
    outcome: Outcome | None = tasks.resize_avatar.call_local(
        user_id, image_name, task=task
    )
    return outcome
