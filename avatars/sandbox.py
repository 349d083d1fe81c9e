"""Decoding an uploaded photo in a child process with hard limits (no Django).

Pillow's decoders run on whatever a stranger uploads, so a crafted file can cost
minutes of CPU or gigabytes of memory. Each decode therefore runs in a child
process that sets its own limits for every job it takes: CPU seconds
(RLIMIT_CPU, which counts over the process's whole life, so each job's limit is
what the child has used so far plus the allowance), memory (RLIMIT_DATA: the heap
and anonymous mappings actually requested, where RLIMIT_AS would also count
reserved address space) and, watched from the parent, wall-clock time. A child
that hits a limit dies or is killed; the consumer and its other threads go on.

Children come from multiprocessing's forkserver: a single-threaded server with
Pillow already imported and warmed up (sandbox_preload), started once by
fork+exec. Forking the consumer itself would copy a process with running threads
and their locks. A child serves one job after another, so a photo pays only for
sending its request; a child that hit a limit, ran out of memory, was stopped
or has served JOBS_PER_CHILD photos is never given another, and a fresh one is
started in its place. The limits bound what any one photo can cost; they do not
contain a decoder exploit (that would take seccomp or a separate user).
"""

import io
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import IO, Any

from PIL import Image

from avatars import images

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["avatars.sandbox_preload"])


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int
    memory_bytes: int
    wall_seconds: float


class LimitExceeded(Exception):
    """The child hit a limit, or died: the photo's own failure, never retried."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "time", "memory" or "crash"


JOBS_PER_CHILD = 100


@dataclass
class _Child:
    process: BaseProcess
    connection: Connection
    jobs: int = 0


# Children waiting for a job.
_idle: list[_Child] = []
_idle_lock = threading.Lock()


def warm_up() -> None:
    """Make thumbnails of a tiny photo once: a child forked afterwards finds the
    decoders, encoders and allocator already set up (a 12 MP photo: 76 ms
    instead of 95, where the same work in the consumer itself takes 72)."""
    tiny = Image.effect_noise((64, 48), 50).convert("RGB")
    buffer = io.BytesIO()
    tiny.save(buffer, "JPEG", exif=Image.Exif())
    images.make_thumbnails(buffer)


def _start_child() -> _Child:
    parent_end, child_end = _context.Pipe()
    process = _context.Process(target=_serve_jobs, args=(child_end,), daemon=True)
    process.start()
    child_end.close()
    return _Child(process, parent_end)


def prestart() -> None:
    """Have one more child waiting for a job (each worker thread asks once)."""
    child = _start_child()
    with _idle_lock:
        _idle.append(child)


def idle_children() -> int:
    """How many children wait for a job (for the benchmark)."""
    with _idle_lock:
        return len(_idle)


def _take_child() -> _Child:
    with _idle_lock:
        while _idle:
            child = _idle.pop()
            if child.process.is_alive():
                return child
            child.connection.close()
    return _start_child()


def _retire(child: _Child) -> None:
    child.connection.close()
    if child.process.is_alive():
        child.process.kill()
    child.process.join()
    # Its replacement starts while this thread goes on with the outcome.
    threading.Thread(target=prestart, name="sandbox-prestart", daemon=True).start()


def make_thumbnails(
    source: str | bytes,
    limits: Limits,
    crop: images.Crop | None = None,
    *,
    still_wanted: Callable[[], bool] = lambda: True,
    check_every: float = 0.5,
    on_start: Callable[[int], None] = lambda pid: None,
    timings: dict[str, float] | None = None,
    hashes: images.Hashes | None = None,
) -> dict[int, images.Thumbnail] | None:
    """images.make_thumbnails(source, crop, timings, hashes) in a child with
    limits.

    `source` is a file's path (the child opens it) or its bytes. Returns None when
    `still_wanted()` turns false while the child works (asked every `check_every`
    seconds): the child is killed. Raises images.ImageRejected as make_thumbnails
    does, FileNotFoundError for a missing path, and LimitExceeded.
    """
    child = _take_child()
    reusable = False
    try:
        child.connection.send((source, crop, limits, hashes is not None))
        child.jobs += 1
        if child.process.pid is not None:
            on_start(child.process.pid)
        deadline = time.monotonic() + limits.wall_seconds
        while not child.connection.poll(min(check_every, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                wall = limits.wall_seconds
                raise LimitExceeded("time", f"over {wall:g} s of wall time")
            if not still_wanted():
                return None
        try:
            kind, value = child.connection.recv()
        except (EOFError, ConnectionResetError):  # it died
            child.process.join()
            raise _death(child.process.exitcode, limits) from None
        reusable = kind != "memory" and child.jobs < JOBS_PER_CHILD
    finally:
        if reusable:
            with _idle_lock:
                _idle.append(child)
        else:
            _retire(child)
    if kind == "thumbnails":
        # The child measured its steps; the consumer logs them (a child has no
        # Django, no log context and no handler).
        thumbnails: dict[int, images.Thumbnail]
        thumbnails, measured, hashed = value
        if timings is not None:
            timings.update(measured)
        if hashes is not None and hashed is not None:
            hashes.photo, hashes.square = hashed.photo, hashed.square
            hashes.cut = hashed.cut
        return thumbnails
    if kind == "rejected":
        raise images.ImageRejected(value)
    if kind == "missing":
        raise FileNotFoundError(value)
    raise LimitExceeded("memory", value)


def _death(exitcode: int | None, limits: Limits) -> LimitExceeded:
    if exitcode == -signal.SIGXCPU:
        return LimitExceeded("time", f"over {limits.cpu_seconds} s of CPU")
    return LimitExceeded("crash", f"the decoder died (exit code {exitcode})")


def _serve_jobs(connection: Connection) -> None:
    """In the child: take jobs one at a time, each under its own limits."""
    # Out of the consumer's process group: a Ctrl-C or a platform's SIGTERM to
    # the group must not look like a photo that crashed the decoder. The
    # consumer stops its children itself (and multiprocessing at exit).
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    while True:
        try:
            source, crop, limits, hashing = connection.recv()
        except EOFError:  # retired, or the consumer went away
            break
        _set_limits(limits)
        connection.send(_job(source, crop, limits, hashing))
    # Skip interpreter teardown: nothing is left to flush, and it costs time.
    os._exit(0)


def _set_limits(limits: Limits) -> None:
    """Only soft limits: a hard one could never be raised again for a later job.
    Past the soft CPU limit the kernel sends SIGXCPU, which ends the process."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime) + limits.cpu_seconds
    for limit, value in (
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_DATA, limits.memory_bytes),
    ):
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, hard))


def _job(
    source: str | bytes, crop: images.Crop | None, limits: Limits, hashing: bool
) -> tuple[str, Any]:
    try:
        timings: dict[str, float] = {}
        hashes = images.Hashes() if hashing else None
        with _open(source) as fp:
            thumbnails = images.make_thumbnails(fp, crop, timings, hashes)
        return "thumbnails", (thumbnails, timings, hashes)
    except images.ImageRejected as exc:
        if isinstance(exc.__cause__, MemoryError):
            return "memory", f"over {limits.memory_bytes // 2**20} MB"
        return "rejected", exc.message
    except MemoryError:
        return "memory", f"over {limits.memory_bytes // 2**20} MB"
    except FileNotFoundError as exc:
        return "missing", str(exc)


def _open(source: str | bytes) -> IO[bytes]:
    if isinstance(source, str):
        return open(source, "rb")
    return io.BytesIO(source)
