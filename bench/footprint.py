"""Section b: what one member costs in bytes, after 10,000 sign-ups and the
housekeeping.

The sign-ups go through the site's own sign-up view in this process (Django's
test client, on the benchmark's database, queue and files), each with a
0.01 MP photo that the running worker resizes and a confirmation e-mail it
sends. Two things differ from a real sign-up, for speed only: the password is
hashed with MD5 (its stored hash is 22 bytes shorter than Argon2id's) and the
attempt limits are off. Once every photo is ready, the daily and hourly
housekeeping run (expired sessions, ended sessions' records, unread results,
orphan files), then each store is measured: the database and the queue as
their used pages (SQLite: page_count − freelist_count, after a WAL
checkpoint), files as the bytes under the media and upload folders.
"""

import sqlite3
import time
from pathlib import Path

from bench import site
from bench.client import new_address
from bench.photos import TINY, Photo
from bench.stats import Report

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def used_bytes(database: str) -> int:
    """The pages an SQLite file uses, its write-ahead log folded in first."""
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_count", "freelist_count", "page_size")
        )
    return int((pages - free) * size)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure() -> dict[str, int]:
    from django.conf import settings
    from django.core.files.storage import storages
    from django.db import connection

    if connection.vendor != "sqlite":
        raise RuntimeError("section b measures the SQLite default")
    files = sum(
        folder_bytes(Path(getattr(storages[alias], "location")))  # noqa: B009
        for alias in ("default", "uploads")
    )
    return {
        "database": used_bytes(str(settings.DATABASES["default"]["NAME"])),
        "queue": used_bytes(str(settings.HUEY["filename"])),
        "files": files,
    }


def bytes_per_member(report: Report, photos: dict[Photo, Path], quick: bool) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    from avatars.tasks import purge_orphans_hourly
    from registration.tasks import clear_sessions_daily

    count = 200 if quick else 10_000
    tiny = photos[TINY].read_bytes()
    # Section 6's poller keeps a photo queued on purpose: only these members'
    # photos are waited for.
    site.settle(prefix="w")
    before = measure()
    started = time.monotonic()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER, ACCOUNT_RATE_LIMITS=False):
        # One client, so the middleware loads once; each sign-up a new visitor.
        client = Client(HTTP_HOST="127.0.0.1")
        for number in range(count):
            client.cookies.clear()
            response = client.post(
                "/register/",
                {
                    "username": f"member-{number}",
                    "email": f"member-{number}@example.com",
                    "password1": "correct horse battery",
                    "image": SimpleUploadedFile("IMG_0001.JPG", tiny, "image/jpeg"),
                },
                REMOTE_ADDR=new_address(),
            )
            if response.status_code != 302:
                raise RuntimeError(f"sign-up {number} answered {response.status_code}")
    signed_up = time.monotonic() - started
    site.settle(timeout=600, prefix="member-")
    clear_sessions_daily.call_local()
    purge_orphans_hourly.call_local()
    after = measure()

    note = f"{count:,} sign-ups with a 0.01 MP photo, after the housekeeping"
    for store in ("database", "queue", "files"):
        per_member = (after[store] - before[store]) / count
        report.add("b", f"bytes per member: {store}", "B", [per_member], note=note)
    total = sum(after[store] - before[store] for store in after) / count
    report.add("b", "bytes per member, in all", "B", [total])
    report.add("b", "sign-ups in this process", "/s", [count / signed_up])
