"""Tasks of the accounts app, run by the Huey worker: e-mail, and the photo
task's old name.

E-mail goes out from the worker, so that a slow or unreachable mail server
never holds a request; a failed send is retried.

huey finds a queued task by "module path + name", so a photo task queued by a
release from before the pipeline moved to avatars/ says
`registration.tasks.resize_avatar`. The task of that name below, a subclass of
the current one, answers to it: the same work, the same hooks. It can go once no
queue anywhere holds such a message.
"""

import logging
from typing import TypedDict

from django.core.mail import EmailMultiAlternatives
from huey.api import Task
from huey.contrib.djhuey import db_task

from avatars import tasks
from avatars.state import Outcome

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
    email.send()
    logger.info("e-mail %r sent", message["subject"])


def queue_email(message: Email) -> None:
    """Queue a message; a queue that is down must not turn the change that sent
    it (a sign-up, say) into a 500. The message is lost, and logged: the person
    can ask again ("Resend", "Forgot password?")."""
    try:
        send_email(message)
    except Exception:
        logger.exception(
            "e-mail %r to %s could not be queued", message["subject"], message["to"]
        )


@db_task(
    context=True,
    task_base=tasks.resize_avatar.task_class,
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
