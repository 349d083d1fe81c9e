"""When a waiting browser asks next about its photo, and what it is told.

Each status fragment carries the delay of its own next poll (its hx-trigger),
so the server paces every waiting browser: fast while its photo is being made,
about the expected wait while it is queued behind others, slowly while no
worker is alive. A backlog or an outage then costs a few requests a minute per
waiting person, not several a second.

The workers tell the web how many they are and how long a photo takes: each
consumer process keeps the mean of its recent resizes and publishes it, with
its number of worker threads, beside its heartbeat in Huey's key-value store.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict
from huey.contrib.djhuey import HUEY

from avatars.conf import conf
from avatars.models import Avatar, State

PACE_KEY = "pace"
# The weight of the newest resize in the running mean: about the last ten count.
NEWEST_WEIGHT = 0.2
LONGEST_QUEUE = 10_000_000  # a cap for a `?ahead=` carried in the poll's URL


@dataclass(frozen=True)
class Workers:
    count: int  # worker threads (or processes) alive, on every host
    resize_seconds: float  # their recent mean time for one photo


@dataclass(frozen=True)
class Poll:
    delay_ms: int  # until the browser asks again
    worker_alive: bool = True
    ahead: int | None = None  # queued photos before this one; None: not counted
    wait_seconds: float | None = None  # until it is likely ready, if queued

    @property
    def place(self) -> int | None:
        """1 for the next photo to start."""
        return None if self.ahead is None else self.ahead + 1

    @property
    def wait(self) -> str:
        """The expected wait as a person reads it: "about 3 s", "about 2 min"."""
        seconds = self.wait_seconds or 0.0
        if seconds < 90:
            return f"about {max(1, round(seconds))} s"
        return f"about {round(seconds / 60)} min"

    @property
    def query(self) -> str:
        """What the next poll carries, to tell whether the line moved."""
        if self.ahead is None:
            return ""
        return f"?ahead={self.ahead}&delay={self.delay_ms}"


# --- In the consumer -----------------------------------------------------------


@dataclass
class ThisProcess:
    threads: int = 0
    resize_seconds: float | None = None  # the running mean


_this_process = ThisProcess()
_this_process_lock = threading.Lock()


def worker_started() -> None:
    """Count this process's worker threads (huey starts each one's hooks)."""
    with _this_process_lock:
        _this_process.threads += 1


def record_resize(seconds: float) -> None:
    with _this_process_lock:
        mean = _this_process.resize_seconds
        _this_process.resize_seconds = (
            seconds if mean is None else mean + NEWEST_WEIGHT * (seconds - mean)
        )


def publish(worker: str) -> None:
    """Put this process's figures into the shared snapshot, dropping the dead.

    Two consumers beating at the same moment may each drop the other's entry;
    the next beat, a few seconds later, puts it back. A guess of the wait can
    live with that; liveness (recovery's heartbeat keys) does not depend on it.
    """
    now = time.time()
    with _this_process_lock:
        mine = (now, _this_process.threads or 1, _this_process.resize_seconds)
    snapshot: Snapshot = HUEY.get(PACE_KEY, peek=True) or {}
    snapshot = {
        key: entry
        for key, entry in snapshot.items()
        if now - entry[0] < conf.WORKER_TIMEOUT_SECONDS
    }
    snapshot[worker] = mine
    HUEY.put(PACE_KEY, snapshot)


# --- In the web ----------------------------------------------------------------

_last_look: dict[str, float | Workers] = {"at": float("-inf")}


def live_workers() -> Workers:
    """The workers alive, reading the store at most once a second per process.

    Every status poll asks, and workers publish every few seconds: a second old
    answer is as good, and saves a store read per poll.
    """
    now = time.monotonic()
    last_at = _last_look["at"]
    assert isinstance(last_at, float)
    if now - last_at >= 1.0:
        _last_look.update(at=now, workers=workers_in(HUEY.get(PACE_KEY, peek=True)))
    workers = _last_look["workers"]
    assert isinstance(workers, Workers)
    return workers


def forget_last_look() -> None:
    _last_look["at"] = float("-inf")


# Each consumer's entry: [when it beat, its worker threads, its mean or None].
Snapshot = dict[str, tuple[float, int, float | None]]


def workers_in(snapshot: Snapshot | None) -> Workers:
    now = time.time()
    count, busy_seconds = 0, 0.0
    for beat_at, threads, mean in (snapshot or {}).values():
        if now - beat_at < conf.WORKER_TIMEOUT_SECONDS:
            count += threads
            expected = conf.EXPECTED_RESIZE_SECONDS if mean is None else mean
            busy_seconds += threads * expected
    mean = busy_seconds / count if count else conf.EXPECTED_RESIZE_SECONDS
    return Workers(count, mean)


def queued_ahead(avatar: Avatar) -> int:
    """Photos queued before this one: a count on the (state, queued_at) index."""
    if avatar.queued_at is None:
        return 0
    return Avatar.objects.filter(
        state=State.QUEUED, queued_at__lt=avatar.queued_at
    ).count()


@dataclass(frozen=True)
class Previous:
    ahead: int
    delay_ms: int


def previous_poll(query: QueryDict) -> Previous | None:
    """What the browser was told last time; anything odd is ignored."""
    ahead, delay = query.get("ahead", ""), query.get("delay", "")
    if not (ahead.isdigit() and delay.isdigit() and len(ahead) + len(delay) < 20):
        return None
    previous = Previous(int(ahead), int(delay))
    low, high = conf.QUEUED_POLL_MIN_MS, conf.QUEUED_POLL_MAX_MS
    if previous.ahead > LONGEST_QUEUE or not low <= previous.delay_ms <= high:
        return None
    return previous


def next_poll(avatar: Avatar, previous: Previous | None = None) -> Poll | None:
    """When a pending photo's fragment asks next; None once it is finished."""
    if not avatar.pending:
        return None
    workers = live_workers()
    if not workers.count:
        return Poll(conf.NO_WORKER_POLL_MS, worker_alive=False)
    if avatar.state == State.PROCESSING:
        return processing_poll(avatar.started_at)
    return queued_poll(queued_ahead(avatar), workers, previous)


def poll_for_work(started_at: datetime | None) -> Poll:
    """The pace of other work the site shows live (an export of a person's
    data): as a photo being made since `started_at`, slowly while no worker
    is alive."""
    if not live_workers().count:
        return Poll(conf.NO_WORKER_POLL_MS, worker_alive=False)
    return processing_poll(started_at)


def processing_poll(started_at: datetime | None, now: float | None = None) -> Poll:
    """Every FAST_POLL_MS while a photo is new, then doubling each second."""
    now = time.time() if now is None else now
    running = now - started_at.timestamp() if started_at else 0.0
    late = max(0, int(running - conf.FAST_POLL_SECONDS))
    delay = conf.FAST_POLL_MS * 2 ** min(late, 30)
    return Poll(round(min(delay, conf.PROCESSING_POLL_MAX_MS)))


def queued_poll(ahead: int, workers: Workers, previous: Previous | None) -> Poll:
    """About the time until this photo starts, doubling while the line stands."""
    low, high = conf.QUEUED_POLL_MIN_MS, conf.QUEUED_POLL_MAX_MS
    per_photo = workers.resize_seconds / workers.count
    delay = ahead * per_photo * 1000
    if previous is not None and previous.ahead == ahead:
        delay = max(delay, 2 * previous.delay_ms)
    return Poll(
        delay_ms=round(min(max(delay, low), high)),
        ahead=ahead,
        wait_seconds=ahead * per_photo + workers.resize_seconds,
    )
