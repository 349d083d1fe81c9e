"""The photo pipeline's settings, each with its default.

Set any of them in Django's settings as AVATAR_<NAME> (AVATAR_MAX_UPLOAD_BYTES,
say). They are read when used, not at import, so `override_settings` and the
test settings change one name at a time. Only the task's retry policy is read
once, when tasks.py defines the task.
"""

from typing import Any

from django.conf import settings


class Defaults:
    # Uploads
    MAX_UPLOAD_BYTES: int = 20 * 1024 * 1024
    """The largest photo accepted; a request larger than it and the form's
    other fields is refused before it is read (avatars.uploads)."""

    # Decoding, in a child process with hard limits (avatars.sandbox): a 12 MP
    # photo needs about 0.1 s and 30 MB, the largest we accept a few seconds and
    # 250 MB. A photo that hits a limit fails with a message and is not retried.
    DECODE_CPU_SECONDS: int = 10
    """CPU time one photo's decoding may use."""
    DECODE_MEMORY_BYTES: int = 512 * 1024 * 1024
    """Address space of the decoding child."""
    DECODE_WALL_SECONDS: float = 20.0
    """Time one photo's decoding may take, waiting included."""

    # Failures
    RETRIES: int = 3
    """Attempts after a transient failure (I/O, a locked database)."""
    RETRY_DELAY: float = 1.0
    """Seconds before the first retry; each later one waits twice as long."""
    MAX_WORKER_DEATHS: int = 3
    """Workers that may die with a photo in flight before it fails for good."""

    # Signs of life and recovery (avatars.recovery)
    HEARTBEAT_SECONDS: float = 2.0
    """How often each consumer says it is alive."""
    WORKER_TIMEOUT_SECONDS: float = 10.0
    """A consumer silent for longer is taken for dead."""
    SWEEP_SECONDS: float = 15.0
    """How often each consumer requeues photos whose task can no longer finish."""

    # The status fragment's polling (avatars.pacing): each answer says when the
    # browser asks next. A 12 MP photo is ready about 0.15 s after it starts.
    FAST_POLL_MS: int = 100
    """Between polls while a photo is being made and new."""
    FAST_POLL_SECONDS: float = 2.0
    """How long after it starts a photo counts as new; then the delay doubles
    every second up to PROCESSING_POLL_MAX_MS."""
    PROCESSING_POLL_MAX_MS: int = 1000
    """The longest delay between polls while a photo is being made."""
    QUEUED_POLL_MIN_MS: int = 250
    """The shortest delay while a photo is queued: about the time until it
    starts (the photos ahead × the mean resize time / the live workers), doubled
    while its place in line stays the same, between these two."""
    QUEUED_POLL_MAX_MS: int = 5000
    """The longest delay while a photo is queued."""
    NO_WORKER_POLL_MS: int = 10_000
    """The delay while no worker is alive."""
    EXPECTED_RESIZE_SECONDS: float = 0.5
    """A photo's resize time, until a worker has timed some."""


class AvatarSettings(Defaults):
    def __getattribute__(self, name: str) -> Any:
        default = super().__getattribute__(name)
        if name.startswith("_"):
            return default
        return getattr(settings, f"AVATAR_{name}", default)


conf = AvatarSettings()
