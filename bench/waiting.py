"""Section w: a thousand browsers waiting on a stopped worker.

The worker is stopped (SIGSTOP to its process group) and 1,000 members, written
straight to the database, each get a small photo that stays queued. Each one's
browser is a coroutine that does what htmx does: it loads /profile/, then asks
for the status fragment when the fragment's own `hx-trigger` says, at the
address its `hx-get` names, until the answer is 286. They arrive over the first
ten seconds, as people would, once the web knows no worker is alive.

Sign-ups (a new visitor's plain POST with a 0.01 MP photo) and the profile page
of a member without a photo are timed before the browsers come (idle) and while
they wait, in turns. Then the worker resumes (SIGCONT) and every browser must
see its photo ready.
"""

import asyncio
import os
import random
import re
import signal
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import Visitor, new_sign_up
from bench.photos import TINY, Photo
from bench.poll import login_cookie
from bench.servers import Web
from bench.stats import Report
from testing.processes import Worker

AVATAR = re.compile(r'<div id="avatar".*?>', re.S)
TRIGGER = re.compile(r'hx-trigger="every (\d+)ms')
NEXT_URL = re.compile(r'hx-get="([^"]+)"')
ARRIVALS_SECONDS = 10.0


@dataclass
class Browser:
    cookie: str
    polls: list[float] = field(default_factory=list)  # when each poll was sent
    ready_at: float | None = None


async def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    """One GET on a connection of its own, as htmx's polls from many browsers
    reach the server."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "HX-Request: true\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode(errors="replace")


def next_poll(html: str) -> tuple[str, float] | None:
    """Where and in how many seconds the fragment asks next; None: it is done."""
    element = AVATAR.search(html)
    if element is None:
        raise RuntimeError("no status fragment in the answer")
    trigger, url = TRIGGER.search(element[0]), NEXT_URL.search(element[0])
    if trigger is None or url is None:
        return None
    return url[1].replace("&amp;", "&"), int(trigger[1]) / 1000


async def wait_like_htmx(port: int, browser: Browser, arrive_in: float) -> None:
    await asyncio.sleep(arrive_in)
    status, html = await get(port, "/profile/", browser.cookie)
    while status == 200 and (step := next_poll(html)) is not None:
        url, delay = step
        await asyncio.sleep(delay)
        browser.polls.append(time.monotonic())
        status, html = await get(port, url, browser.cookie)
    if status not in (200, 286) or 'data-state="ready"' not in html:
        raise RuntimeError(f"a waiting browser ended with {status}")
    browser.ready_at = time.monotonic()


def members_waiting(count: int, photo: bytes) -> list[Browser]:
    """Members with a queued photo each, and their browsers' session cookies."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from avatars import state
    from registration import seeding
    from registration.models import User

    for _ in seeding.seed_members(count, prefix="waiting"):
        pass
    browsers = []
    users = User.objects.filter(username__startswith="waiting").select_related("avatar")
    for user in users.order_by("pk")[:count]:
        upload = SimpleUploadedFile("photo.jpg", photo, "image/jpeg")
        with transaction.atomic():
            state.attach_photo(user.avatar, upload, None)
        browsers.append(Browser(login_cookie(user)))
    return browsers


def no_worker_seen(port: int, cookie: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        visitor = Visitor(port)
        name, value = cookie.split("=", 1)
        visitor.cookies[name] = value
        if b'data-worker="absent"' in visitor.get("/profile/avatar/").body:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the web still sees a worker")
        time.sleep(0.5)


def timed_pair(ours: Web, profile_cookie: str, tiny: bytes) -> tuple[float, float]:
    """One sign-up and one profile page, in seconds."""
    sign_up = new_sign_up(ours.port, f"w{time.monotonic_ns()}", TINY, tiny)
    signed_up = sign_up.send().seconds
    visitor = Visitor(ours.port)
    name, value = profile_cookie.split("=", 1)
    visitor.cookies[name] = value
    page = visitor.get("/profile/")
    if page.status != 200:
        raise RuntimeError(f"GET /profile/ answered {page.status}")
    return signed_up, page.seconds


def browsers_waiting(
    report: Report,
    ours: Web,
    worker: Worker,
    photos: dict[Photo, Path],
    quick: bool,
) -> None:
    from registration.models import User

    count, outage, samples = (50, 15.0, 3) if quick else (1000, 60.0, 20)
    tiny = photos[TINY].read_bytes()
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        browsers = members_waiting(count, tiny)
        control = User.objects.create_user("w-control", "w-control@example.com")
        profile_cookie = login_cookie(control)
        no_worker_seen(ours.port, browsers[0].cookie)
        idle = [timed_pair(ours, profile_cookie, tiny) for _ in range(samples)]

        chance = random.Random(20)
        arrivals = [chance.uniform(0, ARRIVALS_SECONDS) for _ in browsers]
        failures: list[BaseException] = []

        async def everyone_waits() -> None:
            waits = [
                wait_like_htmx(ours.port, browser, arrive_in)
                for browser, arrive_in in zip(browsers, arrivals, strict=True)
            ]
            await asyncio.wait_for(asyncio.gather(*waits), 600)

        def in_thread() -> None:
            try:
                asyncio.run(everyone_waits())
            except BaseException as exc:  # reported in the main thread
                failures.append(exc)

        thread = threading.Thread(target=in_thread)
        started = time.monotonic()
        thread.start()
        time.sleep(ARRIVALS_SECONDS)  # every browser has its page
        window_start = time.monotonic()
        loaded: list[tuple[float, float]] = []
        while time.monotonic() - window_start < outage or len(loaded) < samples:
            loaded.append(timed_pair(ours, profile_cookie, tiny))
        window = time.monotonic() - window_start
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    resumed = time.monotonic()
    thread.join()
    if failures:
        raise RuntimeError("the waiting browsers failed") from failures[0]

    polls_in_window = [
        sum(window_start <= at < window_start + window for at in b.polls)
        for b in browsers
    ]
    per_minute = [n * 60 / window for n in polls_in_window]
    ready_after = [b.ready_at - resumed for b in browsers if b.ready_at]
    c = f"{count:,} browsers, worker stopped"
    report.add(
        "w",
        "status requests per waiting photo a minute",
        "count",
        per_minute,
        ("<=", 15),
        note=c,
    )
    report.add(
        "w",
        "status requests, all browsers",
        "req/s",
        [sum(polls_in_window) / window],
        note=c,
    )
    for column, page in enumerate(("sign-up", "profile page")):
        at_rest = [pair[column] for pair in idle]
        waiting = [pair[column] for pair in loaded]
        report.add("w", f"{page}, idle", "s", at_rest)
        report.add("w", f"{page}, browsers waiting", "s", waiting, note=c)
        report.add(
            "w",
            f"{page} waiting / idle (medians)",
            "x",
            [statistics.median(waiting) / statistics.median(at_rest)],
            ("<=", 1.5),
        )
    report.add(
        "w",
        "photos ready after the worker resumed",
        "count",
        [len(ready_after)],
        (">=", count),
    )
    report.add(
        "w",
        "… the last one seen ready",
        "s",
        [max(ready_after)],
        note=f"after SIGCONT; {time.monotonic() - started:.0f} s in all",
    )
