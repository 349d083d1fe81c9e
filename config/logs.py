"""What every log line carries, how it is written, and what it never shows.

The context (the request's id and user, the task's name and id) lives in one
context variable: each gunicorn thread and each huey worker thread has its own.
The web sets it per request (config.requestid), the queue per task
(config.queue). Both formatters, text and JSON (LOG_FORMAT), scrub the final
line of passwords, session keys and the keys in reset and confirmation links,
whatever logger it came from. No Django import: gunicorn's master process loads
this module (config.accesslog) before any app.
"""

import contextlib
import contextvars
import dataclasses
import datetime
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

FORMATS = ("text", "json")


def log_format() -> str:
    """LOG_FORMAT: "text" (the default) or "json"."""
    value = (os.environ.get("LOG_FORMAT") or "text").lower()
    if value not in FORMATS:
        raise SystemExit(f"LOG_FORMAT must be text or json, not {value!r}.")
    return value


# --- Context -----------------------------------------------------------------


def _nobody() -> int | None:
    return None


@dataclasses.dataclass(frozen=True)
class Context:
    request_id: str | None = None
    # Asked when a line is written: the user is known only once the request
    # has loaded it, and asking must never load it.
    user: Callable[[], int | None] = _nobody
    user_id: int | None = None
    task: str | None = None
    task_id: str | None = None

    def known_user_id(self) -> int | None:
        return self.user_id if self.user_id is not None else self.user()


NO_CONTEXT = Context()
_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "log_context", default=None
)


def current() -> Context:
    return _context.get() or NO_CONTEXT


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[Context]:
    """The current context with these fields replaced, for the block's duration."""
    context = dataclasses.replace(current(), **fields)
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


CONTEXT_FIELDS = ("request_id", "user_id", "task", "task_id")
# Where a request leaves its id and user for the access log, which gunicorn
# writes once the request's context is gone.
ENVIRON_REQUEST_ID = "avatars.request_id"
ENVIRON_USER_ID = "avatars.user_id"


class ContextFilter(logging.Filter):
    """Puts the context's fields on every record that does not carry its own
    (an access line names the request it logs, after the request ended)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        values = {
            "request_id": context.request_id,
            "user_id": context.known_user_id(),
            "task": context.task,
            "task_id": context.task_id,
        }
        for name, value in values.items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


# --- Redaction ---------------------------------------------------------------

REDACTED = "[redacted]"
_SLASH = r"(?:/|%2F)"
# The key of a reset or confirmation link, also percent-encoded (a ?next=).
# allauth's reset page redirects to ".../key/<uid>-set-password/", which is no
# secret, but it is scrubbed with the rest.
_LINK_KEY = re.compile(
    rf"(?i)(confirm-email{_SLASH}|password{_SLASH}reset{_SLASH}key{_SLASH})"
    r"((?:[^/\s?#&\"'%]|%3A|%2D)+)"
)
# password=..., "password": "...", sessionid=... (a Cookie header).
_SECRET_VALUE = re.compile(
    r"(?i)(\b(?:\w*password\d?|sessionid|session_key)\b[\"']?\s*[=:]\s*[\"']?)"
    r"([^\s&\"',;}]+)"
)


def redact(text: str) -> str:
    text = _LINK_KEY.sub(rf"\1{REDACTED}", text)
    return _SECRET_VALUE.sub(rf"\1{REDACTED}", text)


# --- Formatters ----------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """A readable line; the context is shown as [req=… user=…] when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        record.context = context_text(record)
        return redact(super().format(record)).rstrip()


def context_text(record: logging.LogRecord) -> str:
    parts = [
        f"{label}={value}"
        for label, value in (
            ("req", getattr(record, "request_id", None)),
            ("user", getattr(record, "user_id", None)),
        )
        if value is not None
    ]
    return f"[{' '.join(parts)}] " if parts else ""


# What every LogRecord has; anything else on a record came as `extra`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "context"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the
    context, then any `extra` fields (step timings, say) and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            entry[name] = getattr(record, name, None)
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=str))


def formatter_config(text_format: str) -> dict[str, Any]:
    """LOGGING's formatter for LOG_FORMAT; `text_format` is the text one's fmt
    ({}-style, with {context} before the message)."""
    if log_format() == "json":
        return {"()": "config.logs.JsonFormatter"}
    return {
        "()": "config.logs.TextFormatter",
        "fmt": text_format,
        "style": "{",
        "defaults": {"elapsed": 0.0},
    }
