"""Section 6: the status fragment under load, against the naive one.

The naive fragment runs in a gunicorn of its own with the tutorial's settings
(bench.naive_settings: Django's default sessions, authentication and
connections) against the same database; ours runs with the site's.

wrk (8 connections) polls as a logged-in person whose photo is queued: its task
waits in huey's schedule an hour ahead, so it stays queued for the whole run and
no recovery sweep takes it up. What one poll costs is counted in this process,
through Django's WSGI handler: the request signals open and close database
connections as they do under gunicorn.
"""

import io
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.client import Visitor
from bench.servers import Web
from bench.stats import Report

OURS = "/profile/avatar/"
NAIVE = "/bench/naive-avatar/"
CONNECTIONS = 8
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""
STORE_READS = ("peek_data", "pop_data", "peek_many", "has_data_for_key")


def make_poller(username: str, state: str) -> str:
    """A user whose photo is queued (or ready); return its session cookie."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from avatars.models import Avatar, State
    from avatars.tasks import resize_avatar

    user = get_user_model().objects.create(
        username=username, email=f"{username}@example.com"
    )
    changes: dict[str, Any] = {"state": state, "queued_at": timezone.now()}
    if state == State.QUEUED:
        task = resize_avatar.s(user.pk, "originals/bench-poller", delay=3600)
        changes.update(image="originals/bench-poller", task_id=task.id)
        HUEY.add_schedule(task)
    else:
        changes.update(
            thumbnails="avatars/bench",
            finished_at=timezone.now() + timedelta(seconds=1),
        )
    Avatar.objects.filter(pk=user.pk).update(**changes)
    return login_cookie(user)


def login_cookie(user: Any) -> str:
    """A session for the user, made by the settings in force."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def naive_login_cookie(username: str) -> str:
    """The same user's session as the naive server makes and reads it."""
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from bench.naive_settings import TUTORIAL_DEFAULTS

    with override_settings(**TUTORIAL_DEFAULTS):
        return login_cookie(get_user_model().objects.get(username=username))


def wrk(
    url: str, cookie: str, seconds: int, script: Path, htmx: bool = True
) -> dict[str, float]:
    """wrk on one URL as a signed-in visitor: as htmx's polls (HX-Request) or as
    whole pages."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = subprocess.run(
        [
            "wrk",
            "--threads=1",
            f"--connections={CONNECTIONS}",
            f"--duration={seconds}s",
            f"--script={script}",
            f"--header=Cookie: {cookie}",
            *(["--header=HX-Request: true"] if htmx else []),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(output.strip().splitlines()[-1])
    if summary["errors"] or summary["bad_status"]:
        raise RuntimeError(f"wrk saw errors on {url}:\n{output}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "rate": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50": summary["p50_us"] / 1000,
        "p99": summary["p99_us"] / 1000,
        "cpu": 100 * cpu / wall,
    }


@contextmanager
def counting_calls(target: object, names: tuple[str, ...]) -> Iterator[Counter[str]]:
    """Count calls of target's methods `names` meanwhile."""
    counts: Counter[str] = Counter()
    originals = {name: getattr(target, name) for name in names}
    own = {name: vars(target)[name] for name in names if name in vars(target)}

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return method(*args, **kwargs)

        return wrapper

    for name, method in originals.items():
        setattr(target, name, counted(name, method))
    try:
        yield counts
    finally:
        for name in names:
            if name in own:
                setattr(target, name, own[name])
            else:
                delattr(target, name)


@contextmanager
def counting_store_reads() -> Iterator[Counter[str]]:
    """Count reads of huey's result store (and its key-value data) meanwhile."""
    from huey.contrib.djhuey import HUEY

    with counting_calls(HUEY.storage, STORE_READS) as counts:
        yield counts


def one_poll(path: str, cookie: str, naive: bool = False) -> dict[str, float]:
    """One poll through Django's WSGI handler, as gunicorn serves it (the naive
    one under the tutorial's defaults, as its own server runs)."""
    from django.test import override_settings

    from bench.naive_settings import TUTORIAL_DEFAULTS

    with override_settings(**(TUTORIAL_DEFAULTS if naive else {})):
        return _one_poll(path, cookie)


def _one_poll(path: str, cookie: str) -> dict[str, float]:
    from importlib import import_module

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test.utils import CaptureQueriesContext

    opened: list[object] = []

    def on_created(sender: object, **kwargs: object) -> None:
        opened.append(sender)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "HTTP_HX_REQUEST": "true",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    headers: list[tuple[str, str]] = []
    status: list[str] = []

    def start_response(
        response_status: str, response_headers: list[tuple[str, str]], *_: object
    ) -> Callable[[bytes], object]:
        status.append(response_status)
        headers.extend(response_headers)
        return lambda data: None

    connection_created.connect(on_created)
    try:
        # Whatever the session engine, a write goes through its save().
        session_store = import_module(settings.SESSION_ENGINE).SessionStore
        with (
            CaptureQueriesContext(connection) as queries,
            counting_store_reads() as store,
            counting_calls(session_store, ("save",)) as session_saves,
        ):
            response = WSGIHandler()(environ, start_response)
            b"".join(response)
            response.close()  # request_finished, as gunicorn sends it
    finally:
        connection_created.disconnect(on_created)
    if not status[0].startswith(("200", "286")):
        raise RuntimeError(f"GET {path} answered {status[0]}")
    # The session's cookie only: a poller without a CSRF cookie is given one,
    # as a browser is on the page it polls from.
    set_cookie = any(
        name.lower() == "set-cookie"
        and value.startswith(f"{settings.SESSION_COOKIE_NAME}=")
        for name, value in headers
    )
    return {
        "queries": len(queries.captured_queries),
        "store_reads": sum(store.values()),
        "connections": len(opened),
        "session_writes": max(session_saves["save"], int(set_cookie)),
    }


def fragment_throughput(
    report: Report, ours: Web, naive: Web, runs: int, work_dir: Path
) -> None:
    from avatars.models import State

    queued = make_poller("poller", State.QUEUED)
    ready = make_poller("poller-ready", State.READY)
    servers = {OURS: ours, NAIVE: naive}
    cookies = {OURS: queued, NAIVE: naive_login_cookie("poller")}
    for path, expected in (
        (OURS, b'data-state="queued"'),
        (NAIVE, b'data-state="queued"'),
    ):
        visitor = Visitor(servers[path].port)
        name, value = cookies[path].split("=", 1)
        visitor.cookies[name] = value
        response = visitor.get(path, **{"HX-Request": "true"})
        if response.status != 200 or expected not in response.body:
            raise RuntimeError(f"GET {path} as the poller answered {response.status}")

    script = work_dir / "wrk-summary.lua"
    script.write_text(WRK_SCRIPT)
    figures: dict[str, list[dict[str, float]]] = {OURS: [], NAIVE: []}
    for round_number in range(runs):
        order = [OURS, NAIVE] if round_number % 2 == 0 else [NAIVE, OURS]
        for path in order:
            figures[path].append(
                wrk(servers[path].url + path, cookies[path], 1, script)
            )

    def column(path: str, key: str) -> list[float]:
        return [run[key] for run in figures[path]]

    ratio = [
        a / b for a, b in zip(column(OURS, "rate"), column(NAIVE, "rate"), strict=True)
    ]
    c = f"{CONNECTIONS} connections, 1 s × {runs}"
    report.add(
        "6", "status fragment, photo queued", "req/s", column(OURS, "rate"), note=c
    )
    report.add(
        "6", "naive fragment (reference)", "req/s", column(NAIVE, "rate"), note=c
    )
    report.add("6", "ours / naive", "x", ratio, (">=", 1.8))
    report.add("6", "status fragment p50 latency", "ms", column(OURS, "p50"))
    report.add("6", "status fragment p99 latency", "ms", column(OURS, "p99"))
    report.add("6", "naive fragment p50 latency", "ms", column(NAIVE, "p50"))
    report.add("6", "naive fragment p99 latency", "ms", column(NAIVE, "p99"))
    report.add(
        "6",
        "wrk's own CPU (on ours)",
        "%",
        column(OURS, "cpu"),
        note="of one core",
    )

    polls = {
        "queued": [one_poll(OURS, queued) for _ in range(runs)],
        "ready": [one_poll(OURS, ready) for _ in range(runs)],
        "naive": [one_poll(NAIVE, cookies[NAIVE], naive=True) for _ in range(runs)],
    }

    def count(state: str, key: str) -> list[float]:
        return [float(poll[key]) for poll in polls[state]]

    report.add(
        "6",
        "SQL queries per poll, photo queued",
        "count",
        count("queued", "queries"),
        ("<=", 2),
        note="the viewer, and its place in line: one indexed count",
    )
    report.add(
        "6",
        "queue store reads per poll, photo queued",
        "count",
        count("queued", "store_reads"),
        note="the workers' figures, at most once a second per process",
    )
    report.add(
        "6", "DB connections opened per poll", "count", count("queued", "connections")
    )
    report.add(
        "6",
        "session writes per poll",
        "count",
        count("queued", "session_writes"),
        ("==", 0),
    )
    report.add(
        "6",
        "result-store reads per poll, photo ready",
        "count",
        count("ready", "store_reads"),
        ("==", 0),
    )
    report.add(
        "6", "SQL queries per poll, photo ready", "count", count("ready", "queries")
    )
    report.add(
        "6", "SQL queries per poll, naive fragment", "count", count("naive", "queries")
    )
