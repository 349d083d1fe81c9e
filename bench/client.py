"""A visitor without a browser: plain HTTP/1.1 requests, one connection each (as
gunicorn's sync workers close every connection), and a cookie jar of its own.

Cookies are kept by hand: the production settings mark them Secure, which a
standard cookie jar would never send back over the benchmark's plain HTTP.
"""

import http.client
import itertools
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from bench.photos import Photo
from testing import multipart

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
STATE = re.compile(rb'data-state="([a-z]+)"')


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float  # from opening the connection to the last byte read


_addresses = itertools.count(1)


def new_address() -> str:
    """A client address of its own, from the range set aside for benchmarks
    (198.18.0.0/15). It only ever travels in X-Forwarded-For, which the servers
    trust here, so the site's per-address sign-up limit counts each visitor apart
    as it would real people, instead of refusing the benchmark's hundreds of
    sign-ups from 127.0.0.1."""
    number = next(_addresses)
    return f"198.{18 + number // 65536 % 2}.{number // 256 % 256}.{number % 256}"


class Visitor:
    def __init__(self, port: int) -> None:
        self.port = port
        self.address = new_address()
        self.cookies: dict[str, str] = {}
        # The Host header's name, when not the address connected to.
        self.host: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = {"X-Forwarded-For": self.address, **(headers or {})}
        if self.host:
            headers.setdefault("Host", f"{self.host}:{self.port}")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(response.status, response.headers, content, seconds)

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)


@dataclass
class SignUp:
    """A sign-up form filled in by a new visitor, ready to be sent."""

    visitor: Visitor
    username: str
    body: bytes
    content_type: str

    def send(self) -> Response:
        """The plain (non-htmx) POST; a success redirects to the profile."""
        response = self.visitor.request(
            "POST",
            "/register/",
            body=self.body,
            headers={"Content-Type": self.content_type},
        )
        if response.status != 302:
            raise RuntimeError(
                f"sign-up of {self.username} answered {response.status}: "
                + response.body[:2000].decode(errors="replace")
            )
        return response


def new_sign_up(port: int, username: str, photo: Photo, data: bytes) -> SignUp:
    """Open the sign-up page as a new visitor and fill the form in."""
    visitor = Visitor(port)
    page = visitor.get("/register/")
    token = CSRF_INPUT.search(page.body)
    if page.status != 200 or token is None:
        raise RuntimeError(f"GET /register/ answered {page.status} with no form")
    body, content_type = multipart.sign_up_form(
        username,
        token.group(1).decode(),
        multipart.File(photo.filename, photo.content_type, data),
    )
    return SignUp(visitor, username, body, content_type)


def avatar_state(visitor: Visitor) -> str:
    """What the profile's status fragment says, as htmx asks for it."""
    response = visitor.get("/profile/avatar/", **{"HX-Request": "true"})
    match = STATE.search(response.body)
    if response.status not in (200, 286) or match is None:
        raise RuntimeError(f"GET /profile/avatar/ answered {response.status}")
    return match.group(1).decode()


def wait_for_state(
    visitor: Visitor, state: str, interval: float = 0.01, timeout: float = 60
) -> float:
    """Poll the fragment every `interval` s; return perf_counter() when it first
    shows `state` (the moment its response arrived)."""
    deadline = time.perf_counter() + timeout
    while True:
        if avatar_state(visitor) == state:
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the avatar is not {state} after {timeout} s")
        time.sleep(interval)
