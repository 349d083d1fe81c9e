"""Section m: what the metrics cost.

The status fragment under wrk, on the site's web line with the request metrics
(ours) and on the same line with METRICS_ENABLED=0, against the same database;
the middleware's own work per request, timed in this process; and one scrape
of /metrics (the processes' files added up, the database and the queue read)
as Prometheus makes it.
"""

import time
from pathlib import Path

from bench.client import Visitor
from bench.poll import OURS, WRK_SCRIPT, make_poller, wrk
from bench.servers import METRICS_TOKEN, Web
from bench.stats import Report


def middleware_microseconds(calls: int) -> float:
    """The request middleware around a view that does nothing: µs a request."""
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from config.metrics import RequestMetricsMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    request = RequestFactory().get(OURS)
    request.resolver_match = resolve(OURS)
    middleware = RequestMetricsMiddleware(view)
    started = time.perf_counter()
    for _ in range(calls):
        middleware(request)
    bare = time.perf_counter()
    for _ in range(calls):
        view(request)
    done = time.perf_counter()
    return ((bare - started) - (done - bare)) / calls * 1e6


def scrape(web: Web) -> tuple[float, int]:
    """One /metrics: milliseconds and bytes."""
    started = time.perf_counter()
    response = Visitor(web.port).get(
        "/metrics", Authorization=f"Bearer {METRICS_TOKEN}"
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200 or b"avatars_http_requests_total" not in response.body:
        raise RuntimeError(f"/metrics answered {response.status}")
    return elapsed, len(response.body)


def metrics_cost(
    report: Report, ours: Web, bare: Web, runs: int, quick: bool, work_dir: Path
) -> None:
    from avatars.models import State

    cookie = make_poller("metrics-poller", State.QUEUED)
    script = work_dir / "wrk-summary-m.lua"
    script.write_text(WRK_SCRIPT)
    figures: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for round_number in range(runs):
        order = ["on", "off"] if round_number % 2 == 0 else ["off", "on"]
        for switch in order:
            web = ours if switch == "on" else bare
            figures[switch].append(wrk(web.url + OURS, cookie, 1, script))

    def column(switch: str, key: str) -> list[float]:
        return [run[key] for run in figures[switch]]

    note = "8 connections, 1 s each"
    report.add(
        "m", "status fragment, metrics on", "req/s", column("on", "rate"), note=note
    )
    report.add("m", "status fragment, metrics off", "req/s", column("off", "rate"))
    report.add(
        "m",
        "on / off",
        "x",
        [
            on / off
            for on, off in zip(column("on", "rate"), column("off", "rate"), strict=True)
        ],
        note="wall-clock rates on a shared machine: the middleware line is steadier",
    )
    report.add("m", "status fragment p50, metrics on", "ms", column("on", "p50"))
    report.add("m", "status fragment p50, metrics off", "ms", column("off", "p50"))
    calls = 2_000 if quick else 50_000
    report.add(
        "m",
        "request middleware, per request",
        "µs",
        [middleware_microseconds(calls) for _ in range(runs)],
        note=f"in this process, {calls:,} calls; one counter and one histogram",
    )
    scrapes = [scrape(ours) for _ in range(max(runs, 3))]
    report.add("m", "one /metrics scrape", "ms", [ms for ms, _ in scrapes], ("<=", 200))
    report.add("m", "its size", "B", [float(size) for _, size in scrapes])
