"""Site-wide views that belong to no app."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from avatars import recovery
from config import health

# What failed and why goes here; the answer itself says only "ok" or "error",
# since it is public and an exception's text can name hosts, ports and users.
logger = logging.getLogger("config.health")


def database_status() -> str:
    try:
        health.database_answers()
    except Exception:
        logger.exception("health check: the database does not answer")
        return "error"
    return "ok"


def queue_status() -> str:
    try:
        health.queue().pending_count()
    except Exception:
        logger.exception("health check: the queue does not answer")
        return "error"
    return "ok"


def worker_status(queue: str) -> str:
    """Heartbeats live in the queue's store: without it, nobody knows."""
    if queue != "ok":
        return "unknown"
    try:
        alive = recovery.any_worker_alive(health.queue())
    except Exception:
        logger.exception("health check: the worker heartbeat could not be read")
        return "unknown"
    return "alive" if alive else "absent"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the queue answer, else 503, in about
    health.TIMEOUT_SECONDS each at worst.

    A missing worker heartbeat is reported but never fails the check: a stopped
    worker must not make a platform restart healthy web processes.
    """
    database = database_status()
    queue = queue_status()
    checks = {"database": database, "queue": queue, "worker": worker_status(queue)}
    healthy = database == "ok" and queue == "ok"
    return JsonResponse(checks, status=200 if healthy else 503)
