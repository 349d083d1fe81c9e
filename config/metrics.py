"""/metrics, in Prometheus' text format: who may read it, the request metrics,
and the figures computed at each scrape.

Counters and histograms live in the host's metrics folder (config.multiproc),
one set of files per process, and each scrape adds them up: any web process
answers for all the web processes on its host and for a consumer beside them.
What describes shared state (photos waiting, the oldest one's age, the queue's
depth, each consumer's heartbeat) is read at scrape time from the database and
the queue instead, so every web process, on any host, tells the same truth.
Those reads go through the health check's bounded clients (config.health): a
service that is down shows as avatars_scrape_error{source=...} 1 and its
series are left out, never as a scrape that hangs or fails.
"""

import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from avatars import recovery
from avatars.models import PENDING_STATES, Avatar, State
from config import health, multiproc
from config.checks import is_loopback

logger = logging.getLogger(__name__)

# --- Requests ------------------------------------------------------------------

# Requests no URL pattern matched (scanners, typos) and responses given before
# the URL was resolved (redirects to HTTPS, uploads refused by size): one label
# for all, so strangers cannot add series.
UNMATCHED = "unmatched"
# Static files are answered by whitenoise before any URL is resolved.
STATIC = "static"
METHODS = {"GET", "HEAD", "POST"}

REQUESTS = Counter(
    "avatars_http_requests_total",
    "Requests answered, by view (the URL pattern's name), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "avatars_http_request_duration_seconds",
    "Time to answer a request, by view, every middleware included.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        if match:
            view = match.view_name
        elif request.path.startswith(self.static_prefix):
            view = STATIC
        else:
            view = UNMATCHED
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(view).observe(elapsed)
        return response


# --- Shared state, read at each scrape -------------------------------------------


def rows(
    queryset: QuerySet[Avatar, Any], database: BaseDatabaseWrapper
) -> list[tuple[Any, ...]]:
    """The queryset's rows, read through `database` (a bounded connection)."""
    compiler = queryset.query.get_compiler(connection=database)
    return [tuple(row) for row in compiler.results_iter()]


def photo_families(database: BaseDatabaseWrapper) -> Iterator[Metric]:
    """Photos waiting, by state, and the age of the oldest not yet taken.

    Both read only the (state, queued_at) index: a range of the pending rows
    and its first entry, whatever the number of members."""
    counts: dict[str, int] = dict(
        rows(
            Avatar.objects.filter(state__in=PENDING_STATES)
            .order_by()
            .values_list("state")
            .annotate(n=Count("pk")),
            database,
        )
    )
    waiting = GaugeMetricFamily(
        "avatars_photos_waiting",
        "Photos not finished yet: queued (waiting for a worker) or processing.",
        labels=["state"],
    )
    for pending in PENDING_STATES:
        waiting.add_metric([pending.value], counts.get(pending.value, 0))
    yield waiting
    oldest = rows(
        Avatar.objects.filter(state=State.QUEUED, queued_at__isnull=False)
        .order_by("queued_at")
        .values_list("queued_at")[:1],
        database,
    )
    age = GaugeMetricFamily(
        "avatars_oldest_waiting_photo_age_seconds",
        "How long the photo queued the longest has waited; 0 when none waits.",
    )
    queued_at = oldest[0][0] if oldest else None
    seconds = (
        (timezone.now() - queued_at).total_seconds()
        if isinstance(queued_at, datetime)
        else 0.0
    )
    age.add_metric([], max(0.0, seconds))
    yield age


def queue_families() -> Iterator[Metric]:
    """The queue's depth, and the consumers' heartbeats, from its store."""
    store = health.queue()
    tasks = GaugeMetricFamily(
        "avatars_queue_tasks",
        "Tasks in the queue: pending (ready to run) or scheduled (retries, "
        "interrupted resizes put back).",
        labels=["queue"],
    )
    tasks.add_metric(["pending"], store.pending_count())
    tasks.add_metric(["scheduled"], store.scheduled_count())
    yield tasks
    now = time.time()
    beats = recovery.heartbeats(store)
    ages = GaugeMetricFamily(
        "avatars_consumer_heartbeat_age_seconds",
        "Seconds since each consumer process (host:pid) last beat; those silent "
        "for over an hour are left out.",
        labels=["consumer"],
    )
    for consumer, beat in sorted(beats.items()):
        ages.add_metric([consumer], max(0.0, now - beat))
    yield ages
    alive = GaugeMetricFamily(
        "avatars_consumers_alive",
        "Consumer processes whose heartbeat is fresh (AVATAR_WORKER_TIMEOUT_SECONDS).",
    )
    alive.add_metric([], sum(recovery.is_fresh(beat) for beat in beats.values()))
    yield alive


class SharedStateCollector(Collector):
    """Registered in each scrape's own registry, never in the global one."""

    def collect(self) -> Iterable[Metric]:
        errors = GaugeMetricFamily(
            "avatars_scrape_error",
            "1 when this scrape could not read a source (database, queue): its "
            "series are missing from this scrape.",
            labels=["source"],
        )
        families: list[Metric] = []
        try:
            with health.bounded_database() as database:
                families.extend(photo_families(database))
            errors.add_metric(["database"], 0)
        except Exception:
            logger.exception("metrics: the database could not be read")
            errors.add_metric(["database"], 1)
        try:
            families.extend(queue_families())
            errors.add_metric(["queue"], 0)
        except Exception:
            logger.exception("metrics: the queue could not be read")
            errors.add_metric(["queue"], 1)
        return [*families, errors]


# --- The view ----------------------------------------------------------------------


def may_read(authorization: str, remote_addr: str) -> bool:
    """With METRICS_TOKEN, the bearer of it alone (from loopback too: behind a
    local proxy everyone comes from loopback); without, loopback in
    development and nobody in production."""
    token: str = settings.METRICS_TOKEN
    if token:
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    return settings.DEBUG and is_loopback(remote_addr)


def exposition() -> bytes:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(settings.METRICS_DIR))
    registry.register(SharedStateCollector())
    with multiproc.reading(settings.METRICS_DIR):
        return generate_latest(registry)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """404 for anyone not allowed, as for a page that does not exist."""
    allowed = may_read(
        request.headers.get("Authorization", ""), request.META.get("REMOTE_ADDR", "")
    )
    if not (settings.METRICS_ENABLED and allowed):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- The consumer's own endpoint (METRICS_PORT) -------------------------------------


def consumer_app(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """GET /metrics as the web answers it, under the same rules; 404 for
    anything else."""
    if (
        environ.get("PATH_INFO") == "/metrics"
        and environ.get("REQUEST_METHOD") == "GET"
        and may_read(
            environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", "")
        )
    ):
        body = exposition()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found"]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every few seconds is not news


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


_consumer_server_started = threading.Lock()


def serve_consumer_metrics(host: str, port: int) -> None:
    """Serve /metrics from this consumer process, once per process, in a thread
    of its own: for a consumer on a host of its own, whose counters no web
    process can read (README, "Metrics")."""
    if not _consumer_server_started.acquire(blocking=False):
        return
    server = make_server(
        host,
        port,
        consumer_app,
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("metrics: /metrics served on %s:%d", host, port)
