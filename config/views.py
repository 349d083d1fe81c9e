"""Site-wide views that belong to no app."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

from avatars import recovery


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the queue answer; says whether a worker beats."""
    checks: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    try:
        checks["queued_tasks"] = HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {exc}"
    checks["worker"] = "alive" if recovery.any_worker_alive() else "absent"
    healthy = checks["database"] == "ok" and checks["queue"] == "ok"
    return JsonResponse(checks, status=200 if healthy else 503)
