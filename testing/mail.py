"""E-mail in tests and the benchmark: a real SMTP server on loopback."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from testing.processes import free_port


@dataclass
class Inbox:
    """What the server received, and where it listens."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def deliver() -> list[Any]:
    """Run, in this process, the e-mail tasks the site queued (under the test
    settings they land in django.core.mail.outbox); the rest stay queued."""
    from huey.contrib.djhuey import HUEY

    from registration.tasks import send_email

    tasks: list[Any] = HUEY.pending()
    HUEY.storage.flush_queue()
    for task in tasks:
        if isinstance(task, send_email.task_class):
            # The bare function: the task's wrapper closes the test's database
            # connection when it is done.
            send_email.call_local(*task.args, **task.kwargs)
        else:
            HUEY.enqueue(task)
    return tasks
