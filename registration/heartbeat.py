"""Signs of life from Huey consumers, kept in Huey's own key-value store.

Each consumer process writes the time under its own key and under a shared
one every few seconds: the page asks the shared key whether any worker is
running, the recovery sweep asks a worker's own key whether the task it took
can still finish.
"""

import os
import socket
import time

from django.conf import settings
from huey.contrib.djhuey import HUEY

ANY_WORKER_KEY = "heartbeat"
WORKER_KEY_PREFIX = "heartbeat:"


def worker_id() -> str:
    """This process, as a worker: host and PID (process workers fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> None:
    now = time.time()
    HUEY.put(ANY_WORKER_KEY, now)
    HUEY.put(WORKER_KEY_PREFIX + worker_id(), now)


def is_fresh(timestamp: float | None) -> bool:
    return (
        timestamp is not None
        and time.time() - timestamp < settings.AVATAR_WORKER_TIMEOUT_SECONDS
    )


def any_worker_alive() -> bool:
    return is_fresh(HUEY.get(ANY_WORKER_KEY, peek=True))


_last_look = {"at": float("-inf"), "beat": None}


def any_worker_alive_recently() -> bool:
    """any_worker_alive(), looking at the store at most once a second.

    Every queued status poll asks, and beats come every few seconds: a second
    old answer is as good, and saves a store read per poll.
    """
    now = time.monotonic()
    if now - _last_look["at"] >= 1.0:
        _last_look.update(at=now, beat=HUEY.get(ANY_WORKER_KEY, peek=True))
    return is_fresh(_last_look["beat"])


def forget_last_look() -> None:
    _last_look["at"] = float("-inf")


def worker_alive(worker_id: str) -> bool:
    host, _, pid = worker_id.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        # On this host a dead process is known at once, without waiting for
        # its heartbeat to go stale.
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return is_fresh(HUEY.get(WORKER_KEY_PREFIX + worker_id, peek=True))
