"""System checks of the site's own; `manage.py check --deploy` runs these.

They read settings only: nothing here connects to a service.
"""

import ipaddress
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: reachable from this machine alone."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register(checks.Tags.security, deploy=True)
def check_redis_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warn about a Redis on the network that anyone there may write to.

    Huey serialises tasks with pickle: whoever can push to the queue can run
    code in the worker. A password (AUTH) or TLS (rediss://) keeps others out.
    """
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        return []  # unix:// is a socket file on this machine
    host = parts.hostname or "localhost"
    password = parts.password or parse_qs(parts.query).get("password", [""])[0]
    if parts.scheme == "rediss" or password or is_loopback(host):
        return []
    return [
        checks.Warning(
            f"REDIS_URL points at {host}, which is not this machine, with no "
            "password and no TLS. The queue serialises tasks with pickle, so "
            "anyone who can write to that Redis can run code in the worker.",
            hint=(
                "Require a password on that Redis and put it in the URL "
                "(redis://:PASSWORD@host:6379/0), or connect over TLS "
                "(rediss://host:6380/0), or both."
            ),
            id="config.W001",
        )
    ]


# A token from `secrets.token_urlsafe(32)` has 43 characters.
SHORTEST_METRICS_TOKEN = 32


@checks.register(checks.Tags.security, deploy=True)
def check_metrics_token(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warn about a /metrics token short enough to guess: whoever holds it reads
    the site's traffic and queue."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token or len(token) >= SHORTEST_METRICS_TOKEN:
        return []
    return [
        checks.Warning(
            f"METRICS_TOKEN has {len(token)} characters; /metrics is then "
            "guessable by anyone who can reach the site.",
            hint=(
                f"Use at least {SHORTEST_METRICS_TOKEN} random characters: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            ),
            id="config.W002",
        )
    ]
