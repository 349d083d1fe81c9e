"""Attempt limits for sign-up and login, per client address and per account.

Each attempt costs a password hash (about 0.18 s of a core), so a few dozen a
second would saturate the machine. Counters are fixed windows in Django's cache
(Redis when REDIS_URL is set, else files in DATA_DIR shared by the web workers
of one host); the limits live in settings.RATE_LIMITS.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    if settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR:
        # The platform's proxy appends the address it saw; earlier entries
        # are whatever the client claimed.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def seconds_to_wait(action: str, request: HttpRequest, account: str) -> int:
    """Count one attempt at `action`; how long to wait if it is over a limit."""
    if not settings.RATE_LIMITS_ENABLED:
        return 0
    wait = 0
    for scope, key in (("address", client_address(request)), ("account", account)):
        if not key:
            continue
        limit, window = settings.RATE_LIMITS[f"{action}:{scope}"]
        now = time.time()
        digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]
        counter = f"ratelimit:{action}:{scope}:{digest}:{int(now // window)}"
        if cache.add(counter, 1, timeout=window):
            attempts = 1
        else:
            try:
                attempts = cache.incr(counter)
            except ValueError:  # expired between add and incr
                cache.add(counter, 1, timeout=window)
                attempts = 1
        if attempts > limit:
            wait = max(wait, int(window - now % window) + 1)
    return wait


def message(action: str, wait: int) -> str:
    minutes = max(1, round(wait / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many {action} attempts. Please wait about {minutes} {unit} and try again."
    )
