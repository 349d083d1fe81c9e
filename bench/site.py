"""In-process access to the benchmarked site's database and queue.

The orchestrating process runs Django with the same settings and data folder as
the live server, to read rows and the result store the way a poll would, and to
count what one poll costs. Import the ORM only after setup().
"""

import logging
import os
import time

import django

from bench.servers import SITE_VARIABLES


def setup(env: dict[str, str], settings_module: str) -> None:
    """Django in this process, on the server's data folder and settings."""
    for key in [key for key in os.environ if key.startswith(SITE_VARIABLES)]:
        del os.environ[key]
    os.environ.update(
        {key: value for key, value in env.items() if key.startswith(SITE_VARIABLES)}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()
    # The site logs each outcome it records and huey each task it schedules; this
    # process does both many times.
    for name in ("registration", "huey"):
        logging.getLogger(name).setLevel(logging.WARNING)


def settle(timeout: float = 120, prefix: str = "") -> None:
    """Wait until no photo is pending (of the users whose name starts with
    `prefix`), recording outcomes as a poll would."""
    from avatars import state
    from avatars.models import PENDING_STATES, Avatar

    deadline = time.monotonic() + timeout
    waiting = Avatar.objects.filter(
        state__in=PENDING_STATES, user__username__startswith=prefix
    )
    while True:
        pending = [state.refresh(avatar) for avatar in waiting.all()]
        if not any(avatar.pending for avatar in pending):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} photos still pending after {timeout} s")
        time.sleep(0.01)


def pickup_seconds(username: str) -> float:
    """Time the photo spent queued before a worker started it."""
    from avatars.models import Avatar

    avatar = Avatar.objects.get(user__username=username)
    assert avatar.started_at and avatar.queued_at
    return (avatar.started_at - avatar.queued_at).total_seconds()


def wait_until_ready(usernames: list[str], timeout: float = 120) -> float:
    """Return time.perf_counter() once every user's photo is ready to be shown:
    its outcome is in the result store (the next status poll shows it) or already
    recorded (the worker's recovery sweep records what it finds). The store is
    only peeked at, so the polls still find the outcomes there."""
    from huey.contrib.djhuey import HUEY

    from avatars.models import PENDING_STATES, Avatar

    deadline = time.monotonic() + timeout
    while True:
        rows = Avatar.objects.filter(user__username__in=usernames)
        pending = dict(
            rows.filter(state__in=PENDING_STATES).values_list(
                "task_id", "user__username"
            )
        )
        everyone = rows.count() == len(usernames)
        if everyone and (
            not pending or len(HUEY.storage.peek_many(list(pending))) == len(pending)
        ):
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise RuntimeError(f"photos still pending after {timeout} s: {pending}")
        time.sleep(0.01)
