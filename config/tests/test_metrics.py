"""/metrics: who may read it, what the requests add, what a scrape reads."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from huey import RedisHuey

from avatars.models import Avatar, State
from config import health, metrics
from registration import seeding
from testing import image_factory
from testing.plans import costly_queries
from testing.processes import free_port

TOKEN = "s3cret-scraper-token"


def without_secrets(page: bytes) -> bytes:
    """A page without what differs at each response: nonce, CSRF token."""
    return re.sub(rb'(nonce=|"x-csrftoken": )"[^"]*"', b"", page)


def status(settings, debug: bool, token: str, **request: str) -> int:
    settings.DEBUG = debug
    settings.METRICS_TOKEN = token
    return Client().get("/metrics", **request).status_code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("debug", "token", "request_", "expected"),
    [
        # Development without a token: this machine only.
        (True, "", {"REMOTE_ADDR": "127.0.0.1"}, 200),
        (True, "", {"REMOTE_ADDR": "::1"}, 200),
        (True, "", {"REMOTE_ADDR": "192.0.2.7"}, 404),
        # With a token, its bearer alone, loopback or not (a local proxy makes
        # everyone loopback).
        (True, TOKEN, {"REMOTE_ADDR": "127.0.0.1"}, 404),
        (False, TOKEN, {"REMOTE_ADDR": "127.0.0.1"}, 404),
        (False, TOKEN, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, 200),
        (False, TOKEN, {"HTTP_AUTHORIZATION": f"bearer {TOKEN}"}, 200),
        (
            False,
            TOKEN,
            {"REMOTE_ADDR": "192.0.2.7", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"},
            200,
        ),
        (False, TOKEN, {"HTTP_AUTHORIZATION": "Bearer wrong"}, 404),
        (False, TOKEN, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}, 404),
        (False, TOKEN, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"}, 404),
        (False, TOKEN, {"HTTP_AUTHORIZATION": "Bearer tökén"}, 404),
        (False, TOKEN, {"HTTP_AUTHORIZATION": ""}, 404),
        # Production without a token: nobody, this machine included.
        (False, "", {"REMOTE_ADDR": "127.0.0.1"}, 404),
        (False, "", {"HTTP_AUTHORIZATION": "Bearer "}, 404),
    ],
)
def test_who_may_read_the_metrics(settings, debug, token, request_, expected):
    assert status(settings, debug, token, **request_) == expected


@pytest.mark.django_db
def test_a_refusal_looks_like_any_missing_page(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = TOKEN
    refused = Client().get("/metrics")
    missing = Client().get("/no-such-page")
    assert refused.status_code == missing.status_code == 404
    assert without_secrets(refused.content) == without_secrets(missing.content)


@pytest.mark.django_db
def test_switched_off_there_is_no_endpoint(settings):
    settings.METRICS_ENABLED = False
    assert Client().get("/metrics").status_code == 404


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status_and_timed(scrape):
    client = Client()
    before = scrape()
    client.get("/healthz")
    client.get("/healthz")
    client.get("/wp-login.php")
    client.get("/static/site.js")
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    requests = "avatars_http_requests_total"
    assert moved(requests, view="healthz", method="GET", status="200") == 2
    assert moved(requests, view=metrics.UNMATCHED, status="404") == 1
    # whitenoise answers before any URL is resolved: static files have a label.
    assert moved(requests, view=metrics.STATIC, method="GET") == 1
    # A scanner's paths never become labels.
    assert not any("wp-login" in str(s.labels) for s in after.samples)
    latency = "avatars_http_request_duration_seconds"
    assert moved(f"{latency}_count", view="healthz") == 2
    assert moved(f"{latency}_bucket", view="healthz", le="+Inf") == 2
    assert moved(f"{latency}_sum", view="healthz") > 0


@pytest.mark.django_db
def test_switched_off_requests_are_not_counted(settings, scrape):
    before = scrape().value("avatars_http_requests_total", view="healthz")
    settings.METRICS_ENABLED = False
    Client().get("/healthz")  # a new client loads the middleware anew
    settings.METRICS_ENABLED = True
    assert scrape().value("avatars_http_requests_total", view="healthz") == (before)


@pytest.mark.django_db(transaction=True)
def test_the_scrape_reads_the_waiting_photos_and_the_queue(scrape):
    user = get_user_model().objects.create_user("kay", "kay@example.com", "x")
    # Committed at once (no transaction here): the row is queued, the task sent.
    user.avatar.image = SimpleUploadedFile("k.jpg", image_factory.jpeg_bytes())
    user.avatar.save()

    found = scrape()
    assert found.value("avatars_photos_waiting", state="queued") == 1
    assert found.value("avatars_photos_waiting", state="processing") == 0
    assert found.value("avatars_oldest_waiting_photo_age_seconds") > 0
    assert found.value("avatars_queue_tasks", queue="pending") == 1
    assert found.value("avatars_scrape_error", source="database") == 0
    assert found.value("avatars_scrape_error", source="queue") == 0


@pytest.mark.django_db
def test_a_database_that_is_down_is_reported_not_a_500(monkeypatch, scrape):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "bounded_database", down)
    found = scrape()
    assert found.value("avatars_scrape_error", source="database") == 1
    assert not found.has("avatars_photos_waiting")
    # The rest is still there.
    assert found.value("avatars_scrape_error", source="queue") == 0
    assert found.has("avatars_queue_tasks")


@pytest.mark.django_db
def test_a_queue_that_is_down_is_reported_not_a_500(monkeypatch, scrape):
    nobody = RedisHuey("avatars", port=free_port(), socket_connect_timeout=1)
    monkeypatch.setattr(health, "queue", lambda: nobody)
    found = scrape()
    assert found.value("avatars_scrape_error", source="queue") == 1
    assert not found.has("avatars_queue_tasks")
    assert not found.has("avatars_consumers_alive")
    assert found.value("avatars_scrape_error", source="database") == 0
    assert found.has("avatars_photos_waiting")


@pytest.mark.integration
@pytest.mark.django_db
def test_the_scrape_reads_the_line_through_its_index_at_any_size():
    """On every backend, at a size where the planner prefers indexes: no scan
    of the members and no sort, whatever their number."""
    for _ in seeding.seed_members(10_000):
        pass
    line = Avatar.objects.order_by("pk")[:20].values_list("pk", flat=True)
    Avatar.objects.filter(pk__in=list(line)).update(
        state=State.QUEUED, queued_at=timezone.now()
    )
    seeding.analyse()

    read = list(metrics.photo_families(connection))

    waiting = {s.labels["state"]: s.value for s in read[0].samples}
    assert waiting == {"queued": 20, "processing": 0}
    costly = costly_queries(lambda: list(metrics.photo_families(connection)))
    assert not costly, list(costly.values())
