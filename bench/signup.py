"""Sections 1, 2 and 7: how long a sign-up takes to answer, ours against the
synchronous way, alone and thirty at once."""

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import site
from bench.client import SignUp, new_sign_up
from bench.photos import MP2, MP24, TINY, Photo
from bench.servers import Web
from bench.stats import Report, percentile

_numbers = itertools.count(1)


def username(prefix: str) -> str:
    return f"{prefix}{next(_numbers):04d}"  # 3 characters at least


def password_hash_seconds(hasher: str = "default") -> float:
    """The floor of any sign-up: one hash with the site's password hasher (or the
    one named, an algorithm of PASSWORD_HASHERS), here."""
    from django.contrib.auth.hashers import make_password

    started = time.perf_counter()
    make_password("correct horse battery", hasher=hasher)
    return time.perf_counter() - started


def single_sign_ups(
    report: Report,
    ours: Web,
    synchronous: Web,
    photos: dict[Photo, Path],
    runs: int,
    pbkdf2: Web | None = None,
) -> None:
    """Sections 1 and 2, interleaved: each round hashes a password in this process
    (the site's hasher, then Argon2id and PBKDF2 in alternating order), then signs
    up once with each photo on each server, and with the 0.01 MP photo on the
    PBKDF2 server if given, in an order that rotates from round to round."""
    data = {photo: photos[photo].read_bytes() for photo in (TINY, MP24)}
    cases = [(web, photo) for web in (ours, synchronous) for photo in (TINY, MP24)]
    if pbkdf2 is not None:
        cases.append((pbkdf2, TINY))
    seconds: dict[tuple[str, Photo], list[float]] = {
        (web.name, photo): [] for web, photo in cases
    }
    hashes: list[float] = []
    by_hasher: dict[str, list[float]] = {"argon2": [], "pbkdf2_sha256": []}
    for round_number in range(runs):
        site.settle()
        hashes.append(password_hash_seconds())
        order = list(by_hasher)
        for hasher in order if round_number % 2 == 0 else order[::-1]:
            by_hasher[hasher].append(password_hash_seconds(hasher))
        shift = round_number % len(cases)
        for web, photo in cases[shift:] + cases[:shift]:
            sign_up = new_sign_up(web.port, username("s"), photo, data[photo])
            # Nothing of an earlier photo may still be resizing beside it.
            site.settle()
            seconds[(web.name, photo)].append(sign_up.send().seconds)
    site.settle()

    def ratios(a: list[float], b: list[float]) -> list[float]:
        return [x / y for x, y in zip(a, b, strict=True)]

    ours_tiny, ours_big = seconds[(ours.name, TINY)], seconds[(ours.name, MP24)]
    sync_tiny = seconds[(synchronous.name, TINY)]
    sync_big = seconds[(synchronous.name, MP24)]
    target = ("<=", 0.25)
    report.add("1", "sign-up, 0.01 MP photo", "s", ours_tiny, target)
    report.add("1", "sign-up, 24 MP JPEG", "s", ours_big, target)
    report.add(
        "1", "sign-up 24 MP / 0.01 MP", "x", ratios(ours_big, ours_tiny), ("<=", 1.2)
    )
    report.add("1", "floor: one password hash", "s", hashes, note="in-process")
    report.add(
        "1",
        "sign-up 0.01 MP minus the hash",
        "s",
        [a - b for a, b in zip(ours_tiny, hashes, strict=True)],
        note="same round",
    )
    argon2, pbkdf2_hashes = by_hasher["argon2"], by_hasher["pbkdf2_sha256"]
    report.add("1", "one password hash: Argon2id", "s", argon2, note="in-process")
    report.add("1", "one password hash: PBKDF2", "s", pbkdf2_hashes, note="in-process")
    report.add(
        "1",
        "one password hash: Argon2id / PBKDF2",
        "x",
        ratios(argon2, pbkdf2_hashes),
        note="same round",
    )
    if pbkdf2 is not None:
        pbkdf2_tiny = seconds[(pbkdf2.name, TINY)]
        report.add("1", "sign-up, 0.01 MP photo: Argon2id (the site)", "s", ours_tiny)
        report.add("1", "sign-up, 0.01 MP photo: PBKDF2", "s", pbkdf2_tiny)
        report.add(
            "1",
            "sign-up 0.01 MP: Argon2id / PBKDF2",
            "x",
            ratios(ours_tiny, pbkdf2_tiny),
            note="same round",
        )
    report.add("2", "synchronous sign-up, 0.01 MP photo", "s", sync_tiny)
    report.add("2", "synchronous sign-up, 24 MP JPEG", "s", sync_big)
    report.add("2", "ours / synchronous, 24 MP JPEG", "x", ratios(ours_big, sync_big))


def crowd(report: Report, ours: Web, photos: dict[Photo, Path], runs: int) -> None:
    """Section 7: thirty people press "Sign up" at the same moment."""
    data = photos[MP2].read_bytes()
    all_ready: list[float] = []
    p95s: list[float] = []
    for _ in range(runs):
        site.settle()
        with ThreadPoolExecutor(max_workers=10) as pool:
            sign_ups = list(
                pool.map(
                    lambda name: new_sign_up(ours.port, name, MP2, data),
                    [username("c") for _ in range(30)],
                )
            )
        seconds, started = send_together(sign_ups)
        ready = site.wait_until_ready([s.username for s in sign_ups])
        all_ready.append(ready - started)
        p95s.append(percentile(seconds, 0.95))
        site.settle()
    report.add("7", "30 sign-ups at once (2 MP): all ready", "s", all_ready)
    report.add("7", "30 sign-ups at once (2 MP): p95 response", "s", p95s)


def send_together(sign_ups: list[SignUp]) -> tuple[list[float], float]:
    """Send every sign-up at once; return their response times and the
    perf_counter() at which they were let go."""
    barrier = threading.Barrier(len(sign_ups) + 1)
    seconds: list[float] = []
    errors: list[Exception] = []

    def send(sign_up: SignUp) -> Callable[[], None]:
        def run() -> None:
            barrier.wait()
            try:
                seconds.append(sign_up.send().seconds)
            except Exception as exc:  # raised again by the main thread
                errors.append(exc)

        return run

    threads = [threading.Thread(target=send(sign_up)) for sign_up in sign_ups]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return seconds, started
