"""The accounts app's tasks: e-mail as the worker sends it, and a queue that is
down never failing the change that sent it."""

import logging

import pytest
from django.core import mail

from registration import tasks

MESSAGE: tasks.Email = {
    "subject": "Confirm your address",
    "body": "Open the link.",
    "from_email": "site@example.com",
    "to": ["hana@example.com"],
    "headers": {"X-Test": "1"},
    "alternatives": [("<p>Open the link.</p>", "text/html")],
}


@pytest.mark.django_db
def test_the_worker_sends_text_and_html_with_the_headers():
    tasks.send_email.call_local(MESSAGE)

    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.from_email, sent.to) == (
        "Confirm your address",
        "Open the link.",
        "site@example.com",
        ["hana@example.com"],
    )
    assert sent.extra_headers == {"X-Test": "1"}
    assert sent.alternatives == [("<p>Open the link.</p>", "text/html")]


def test_a_queue_that_is_down_loses_the_message_and_logs_it(monkeypatch, caplog):
    def queue_down(message):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "send_email", queue_down)

    with caplog.at_level(logging.ERROR, logger="registration.tasks"):
        tasks.queue_email(MESSAGE)  # no exception reaches the request

    assert "could not be queued" in caplog.text
    assert "hana@example.com" in caplog.text
