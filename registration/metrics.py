"""The accounts app's counters: e-mail, as the worker sends it."""

from prometheus_client import Counter

EMAILS = Counter(
    "avatars_emails_total",
    "E-mail send attempts by result: sent, failed (huey retries it) or "
    "unqueued (the queue was down; the message is lost).",
    ["result"],
)
