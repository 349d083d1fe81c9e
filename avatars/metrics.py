"""The photo pipeline's counters and histograms, one object per measure.

Each is changed at the one place its event happens (avatars.state, resize,
tasks), in whichever process that is: the web (a status poll records an
outcome) or the consumer. Their values land in the host's metrics folder
(config.multiproc), which /metrics adds up; what describes shared state (photos
waiting, heartbeats) is read at scrape time instead (config.metrics).
"""

from typing import Literal

from prometheus_client import Counter, Histogram

Finished = Literal["ready", "failed", "refused"]

PHOTOS_FINISHED = Counter(
    "avatars_photos_finished_total",
    "Photos whose processing ended, by outcome: ready, failed (our side: a lost "
    "file, workers dying with it, an unexpected error) or refused (the photo "
    "itself: not an image, too large, over a decoding limit).",
    ["outcome"],
)
PICKUP_SECONDS = Histogram(
    "avatars_photo_pickup_seconds",
    "From a photo's queueing to a worker taking it (first attempt).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
RESIZE_SECONDS = Histogram(
    "avatars_photo_resize_seconds",
    "One resize task's run in the worker, decoding and storing included.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60),
)
SANDBOX_KILLS = Counter(
    "avatars_sandbox_kills_total",
    "Decoding children stopped by a limit: time (CPU or wall), memory, or "
    "crash (died of a signal).",
    ["limit"],
)


def photo_finished(outcome: Finished) -> None:
    PHOTOS_FINISHED.labels(outcome).inc()
