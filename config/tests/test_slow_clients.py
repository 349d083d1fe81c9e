"""The Procfile's web process under clients that send their uploads slowly.

Twenty connections each send the start of a 4 MB photo, then trickle the rest;
a new visitor must still load the sign-up page and sign up, a genuine upload
that takes longer than gunicorn's worker timeout must complete, and nothing the
slow clients sent may stay on disk once they go away.
"""

import sqlite3
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from config.tests.conftest import Site, running_site, sign_up
from testing import multipart
from testing.slow_clients import CSRF_TOKEN, SlowUploads, post_head

SLOW_CLIENTS = 20
# gunicorn's worker timeout, made short: a request that outlives it must survive.
WORKER_TIMEOUT = 2
SLOW_PHOTO = multipart.File(
    "IMG_0001.JPG", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 4 * 2**20
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    with running_site(
        tmp_path_factory.mktemp("slow"),
        GUNICORN_CMD_ARGS=f"--timeout {WORKER_TIMEOUT}",
    ) as site:
        yield site


def slow_sign_ups(site: Site, count: int) -> SlowUploads:
    """Sign-ups that send 3 MB of a 4 MB photo at once, then 100 bytes a tick."""
    address = urlsplit(site.url)
    requests = []
    for n in range(count):
        body, content_type = multipart.sign_up_form(f"slow{n}", CSRF_TOKEN, SLOW_PHOTO)
        head = post_head(
            address.hostname, address.port, "/register/", content_type, len(body)
        )
        requests.append((head, body))
    return SlowUploads(address.hostname, address.port, requests, burst=3 * 2**20)


def usernames(site: Site) -> list[str]:
    with sqlite3.connect(site.data_dir / "db.sqlite3") as database:
        rows = database.execute("SELECT username FROM registration_user").fetchall()
    return sorted(username for (username,) in rows)


def all_answered(site: Site) -> bool:
    """Every POST the web process took has been answered (its access log line)."""
    log = (site.data_dir / "web.log").read_text()
    return log.count('"POST /register/ HTTP/1.1"') >= SLOW_CLIENTS + 1


def spooled(site: Site) -> list[str]:
    return [path.name for path in (site.data_dir / "tmp").iterdir()]


def test_a_visitor_signs_up_while_twenty_clients_trickle_uploads(site):
    slow = slow_sign_ups(site, SLOW_CLIENTS)
    deadline = time.monotonic() + 60
    while len(spooled(site)) < SLOW_CLIENTS:  # each one holds a thread, receiving
        assert time.monotonic() < deadline, spooled(site)
        time.sleep(0.05)

    response = sign_up(site, "newcomer")

    assert response.status == 302
    assert response.headers["Location"] == "/profile/"
    assert slow.all_connected()

    slow.go_away()
    deadline = time.monotonic() + 60
    while spooled(site) or not all_answered(site):
        assert time.monotonic() < deadline, spooled(site)
        time.sleep(0.1)
    # What each slow client sent before it left was its fields and part of its
    # photo: no account is made from a form cut short.
    assert usernames(site) == ["newcomer"]


def test_an_upload_slower_than_the_worker_timeout_completes(site):
    def over_several_seconds(body: bytes) -> Iterator[bytes]:
        step = len(body) // 20
        for start in range(0, len(body), step):
            yield body[start : start + step]
            # A slow link's own pace: in all, twice the worker timeout.
            time.sleep(WORKER_TIMEOUT * 2 / 20)

    response = sign_up(site, "patient", over_several_seconds)

    assert response.status == 302
    assert "WORKER TIMEOUT" not in (site.data_dir / "web.log").read_text()
