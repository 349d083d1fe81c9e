"""The Procfile's web process under clients that send their uploads slowly.

Twenty connections each send the start of a 4 MB photo, then trickle the rest;
a new visitor must still load the sign-up page and sign up, a genuine upload
that takes longer than gunicorn's worker timeout must complete, and nothing the
slow clients sent may stay on disk once they go away.
"""

import http.client
import re
import socket
import sqlite3
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from config.tests.conftest import Site, running_site
from testing import image_factory

SLOW_CLIENTS = 20
# A token of the right form: Django compares the form's field with the cookie.
CSRF_TOKEN = "a" * 32
# gunicorn's worker timeout, made short: a request that outlives it must survive.
WORKER_TIMEOUT = 2


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    with running_site(
        tmp_path_factory.mktemp("slow"),
        GUNICORN_CMD_ARGS=f"--timeout {WORKER_TIMEOUT}",
    ) as site:
        yield site


def multipart(username: str, photo: bytes) -> tuple[bytes, bytes, str]:
    """The sign-up form as a browser sends it: (head, photo, tail), content type."""
    boundary = uuid.uuid4().hex
    fields = {
        "csrfmiddlewaretoken": CSRF_TOKEN,
        "username": username,
        "email": f"{username}@example.com",
        "password1": "correct horse battery",
    }
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n".encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
        f'filename="IMG_0001.JPG"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + photo, tail, f"multipart/form-data; boundary={boundary}"


def request_head(site: Site, content_type: str, length: int) -> bytes:
    host = urlsplit(site.url).netloc
    return (
        f"POST /register/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        f"Cookie: csrftoken={CSRF_TOKEN}\r\nReferer: {site.url}/register/\r\n"
        "\r\n"
    ).encode()


class SlowClients:
    """Connections that send 3 MB of a photo at once, then 100 bytes a tick."""

    def __init__(self, site: Site, count: int) -> None:
        photo = b"\xff\xd8\xff\xe0" + b"\0" * (4 * 1024 * 1024)
        self.sockets = []
        self.rest = []
        address = urlsplit(site.url)
        for n in range(count):
            body, tail, content_type = multipart(f"slow{n}", photo)
            body += tail
            sock = socket.create_connection((address.hostname, address.port))
            sock.sendall(request_head(site, content_type, len(body)))
            sock.sendall(body[: 3 * 1024 * 1024])
            self.sockets.append(sock)
            self.rest.append(body[3 * 1024 * 1024 :])
        self.sent_ticks = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self) -> None:
        # The clients' own pace, not a wait for the server.
        while not self.stopping.wait(0.2):
            for sock, rest in zip(self.sockets, self.rest, strict=True):
                offset = self.sent_ticks * 100
                sock.sendall(rest[offset : offset + 100])
            self.sent_ticks += 1

    def all_connected(self) -> bool:
        return self.thread.is_alive() and all(s.fileno() != -1 for s in self.sockets)

    def go_away(self) -> None:
        self.stopping.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def sign_up(site: Site, username: str, photo_parts: Iterator[bytes] | None = None):
    """A plain sign-up by a new visitor; the photo may come in pieces."""
    page = urllib.request.urlopen(f"{site.url}/register/", timeout=60)
    assert page.status == 200
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()
    ).group(1)
    photo = image_factory.jpeg_bytes(size=(800, 600))
    body, tail, content_type = multipart(username, photo)
    body = body.replace(CSRF_TOKEN.encode(), token.encode(), 1)
    address = urlsplit(site.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    connection.putrequest("POST", "/register/")
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(len(body) + len(tail)))
    connection.putheader("Cookie", f"csrftoken={cookie}")
    connection.putheader("Referer", f"{site.url}/register/")
    connection.endheaders()
    for part in photo_parts(body) if photo_parts else [body]:
        connection.send(part)
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


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
    slow = SlowClients(site, SLOW_CLIENTS)
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
