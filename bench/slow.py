"""Section 8: slow clients, the Procfile's web line against gunicorn's sync workers.

Two web servers, each in a data folder of its own copied from the prepared one,
each with WEB_CONCURRENCY=2 as in production and no huey worker (a sign-up's
photo stays queued, so nothing resizes beside a measurement): "ours", the
Procfile's web line as it is, and "sync", the same line without its
--worker-class and --threads options (gunicorn's default sync workers).

A new visitor's sign-up is timed as section 1 times it (the form is filled in
first, then the plain multipart POST with the 0.01 MP photo is timed), with no
slow clients and with twenty connected: each sends the request's headers and
3 MB of a 4 MB photo as fast as the server reads it, then 100 bytes every 0.2 s,
and goes away after the sample. A sign-up that gets no answer within 40 s is
counted as 40 s. The status fragment's req/s is measured as section 6 measures
it (wrk, 8 connections), as a visitor whose photo is queued.
"""

import http.client
import itertools
import time
import urllib.request
from pathlib import Path

from bench.client import SignUp, avatar_state, new_address, new_sign_up
from bench.photos import TINY, Photo
from bench.poll import CONNECTIONS, OURS, WRK_SCRIPT, wrk
from bench.servers import Web
from bench.signup import username
from bench.stats import Report
from testing import multipart
from testing.slow_clients import CSRF_TOKEN, SlowUploads, post_head

SLOW_CLIENTS = 20
BURST = 3 * 1024 * 1024
TRICKLE_BYTES = 100
TRICKLE_EVERY = 0.2
CAP = 40.0
SLOW_PHOTO = multipart.File(
    "IMG_0001.JPG", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * (4 * 1024 * 1024 - 4)
)
WRK_SECONDS = 1
POST_LOGGED = '"POST /register/ HTTP/1.1"'

_slow_numbers = itertools.count(1)


class SlowClients(SlowUploads):
    """Sign-ups that send their headers and 3 MB of a 4 MB photo as fast as the
    server takes them, then 100 bytes every 0.2 s. The photo comes before the
    other fields: when the client goes away mid-photo, the truncated form it
    leaves has no username, so the request ends without an account (or a
    password hash)."""

    def __init__(self, port: int, count: int = SLOW_CLIENTS) -> None:
        requests = []
        for _ in range(count):
            name = f"slow{next(_slow_numbers)}"
            body, content_type = multipart.sign_up_form(
                name, CSRF_TOKEN, SLOW_PHOTO, photo_first=True
            )
            head = post_head(
                "127.0.0.1",
                port,
                "/register/",
                content_type,
                len(body),
                X_Forwarded_For=new_address(),
            )
            requests.append((head, body))
        super().__init__(
            "127.0.0.1", port, requests, BURST, TRICKLE_BYTES, TRICKLE_EVERY
        )

    def wait_for_bursts(self, spool: Path, timeout: float = 10) -> None:
        """Until every client's upload is being spooled, or the bursts stall for
        half a second (a server that reads only as many as it has workers)."""
        deadline = time.monotonic() + timeout
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            if spooled(spool) >= len(self.uploads):
                return
            now, sent = time.monotonic(), self.burst_bytes()
            if sent != last:
                last, last_change = sent, now
            elif now - last_change > 0.5:
                return
            time.sleep(0.05)


def spooled(spool: Path) -> int:
    """Uploads being received: the files the server spools them to."""
    return sum(1 for path in spool.iterdir() if path.is_file())


def timed_sign_up(sign_up: SignUp, cap: float = CAP) -> tuple[float, bool]:
    """Section 1's plain POST, given up after `cap` seconds: (seconds, timed out).
    A sign-up the server drops (its worker killed) counts as timed out too."""
    visitor = sign_up.visitor
    headers = {
        "X-Forwarded-For": visitor.address,
        "Content-Type": sign_up.content_type,
        "Cookie": "; ".join(f"{k}={v}" for k, v in visitor.cookies.items()),
    }
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", visitor.port, timeout=cap)
    try:
        connection.request("POST", "/register/", body=sign_up.body, headers=headers)
        if connection.sock is not None:
            left = cap - (time.perf_counter() - started)
            connection.sock.settimeout(max(left, 0.001))
        response = connection.getresponse()
        body = response.read()
    except (TimeoutError, ConnectionError):
        return cap, True
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    if response.status != 302:
        raise RuntimeError(
            f"sign-up of {sign_up.username} answered {response.status}: "
            + body[:2000].decode(errors="replace")
        )
    return min(seconds, cap), seconds >= cap


def wait_responsive(web: Web, timeout: float = 60) -> None:
    """Until the server answers /healthz again (a sync server first works
    through the connections the slow clients left in its queue)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{web.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise web.fail(f"no answer {timeout} s after the slow clients left")
        time.sleep(0.1)


def log_count(web: Web, text: str) -> int:
    return web.log_text().count(text)


def wait_for_log_count(web: Web, text: str, count: int, timeout: float = 10) -> None:
    """Until `text` is in the server's log `count` times (each request it ended,
    in its access log), or `timeout` seconds: what the slow clients left behind
    is over before the next measurement."""
    deadline = time.monotonic() + timeout
    while log_count(web, text) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def poller_cookie(web: Web, data: bytes) -> str:
    """A visitor signed up on this server, whose photo stays queued (no worker)."""
    sign_up = new_sign_up(web.port, username("p"), TINY, data)
    sign_up.send()
    if avatar_state(sign_up.visitor) != "queued":
        raise RuntimeError(f"{web.name}: the poller's photo is not queued")
    return "; ".join(f"{k}={v}" for k, v in sign_up.visitor.cookies.items())


def slow_clients(
    report: Report,
    ours: Web,
    sync: Web,
    spools: dict[str, Path],
    photos: dict[Photo, Path],
    runs: int,
    work_dir: Path,
) -> None:
    """Section 8, interleaved: each round signs up on each server with and without
    slow clients and runs wrk on each one's fragment, in an order that rotates
    from round to round."""
    data = photos[TINY].read_bytes()
    webs = (ours, sync)
    cookies = {web.name: poller_cookie(web, data) for web in webs}
    script = work_dir / "wrk-summary-8.lua"
    script.write_text(WRK_SCRIPT)

    seconds: dict[tuple[str, bool], list[float]] = {
        (web.name, slow): [] for web in webs for slow in (False, True)
    }
    timed_out = {key: 0 for key in seconds}
    receiving: dict[str, list[float]] = {web.name: [] for web in webs}
    killed: dict[str, list[float]] = {web.name: [] for web in webs}
    rates: dict[str, list[float]] = {web.name: [] for web in webs}

    def sign_up_case(web: Web, slow: bool) -> None:
        sign_up = new_sign_up(web.port, username("w"), TINY, data)
        if not slow:
            took, gave_up = timed_sign_up(sign_up)
            seconds[(web.name, slow)].append(took)
            timed_out[(web.name, slow)] += gave_up
            return
        timeouts = log_count(web, "WORKER TIMEOUT")
        posts = log_count(web, POST_LOGGED)
        clients = SlowClients(web.port)
        try:
            clients.wait_for_bursts(spools[web.name])
            receiving[web.name].append(spooled(spools[web.name]))
            took, gave_up = timed_sign_up(sign_up)
        finally:
            clients.go_away()
        seconds[(web.name, slow)].append(took)
        timed_out[(web.name, slow)] += gave_up
        wait_for_log_count(web, POST_LOGGED, posts + len(clients.uploads) + 1)
        wait_responsive(web)
        killed[web.name].append(log_count(web, "WORKER TIMEOUT") - timeouts)

    def fragment_case(web: Web) -> None:
        url = web.url + OURS
        rates[web.name].append(wrk(url, cookies[web.name], WRK_SECONDS, script)["rate"])

    cases = [
        (lambda web=web, slow=slow: sign_up_case(web, slow))
        for web in webs
        for slow in (False, True)
    ] + [(lambda web=web: fragment_case(web)) for web in webs]
    for round_number in range(runs):
        shift = round_number % len(cases)
        for case in cases[shift:] + cases[:shift]:
            case()

    def ratios(a: list[float], b: list[float]) -> list[float]:
        return [x / y for x, y in zip(a, b, strict=True)]

    slow_note = f"{SLOW_CLIENTS} slow clients"
    for web in webs:
        name = web.name
        calm, slow = seconds[(name, False)], seconds[(name, True)]

        def cut(slow: bool, name: str = name) -> str:
            count = timed_out[(name, slow)]
            return f"{count} of {runs} timed out, counted as {CAP:g} s" if count else ""

        report.add("8", f"{name}: sign-up, no slow clients", "s", calm, note=cut(False))
        report.add("8", f"{name}: sign-up, {slow_note}", "s", slow, note=cut(True))
        report.add("8", f"{name}: with / without slow clients", "x", ratios(slow, calm))
        report.add(
            "8",
            f"{name}: slow uploads being received",
            "count",
            receiving[name],
            note="spooled files when the sign-up starts",
        )
        report.add(
            "8", f"{name}: WORKER TIMEOUTs per slow sample", "count", killed[name]
        )
    c = f"{CONNECTIONS} connections, {WRK_SECONDS} s × {runs}"
    report.add(
        "8", "ours: status fragment, photo queued", "req/s", rates[ours.name], note=c
    )
    report.add(
        "8", "sync: status fragment, photo queued", "req/s", rates[sync.name], note=c
    )
    report.add(
        "8", "fragment ours / sync", "x", ratios(rates[ours.name], rates[sync.name])
    )
