"""Decoding an uploaded photo in a child process with hard limits (no Django).

Pillow's decoders run on whatever a stranger uploads, so a crafted file can cost
minutes of CPU or gigabytes of memory. Each decode therefore runs in a child
process of its own that sets its own limits: CPU seconds (RLIMIT_CPU, which
counts from the child's start, so one job per child), memory (RLIMIT_DATA: the
heap and anonymous mappings actually requested, where RLIMIT_AS would also count
reserved address space) and, watched from the parent, wall-clock time. A child
that hits a limit dies or is killed; the consumer and its other threads go on.

Children come from multiprocessing's forkserver: a single-threaded server with
Pillow already imported, started once by fork+exec. Forking the consumer itself
would copy a process with running threads and their locks. A child is started
ahead of time (a spare), so a job pays only for sending its request; the next
spare is started while the current job decodes.
"""

import io
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


# Spares: children waiting for their one job, with the parent's end of their pipe.
_spares: list[tuple[BaseProcess, Connection]] = []
_spares_lock = threading.Lock()


def warm_up() -> None:
    """Make thumbnails of a tiny photo once: a child forked afterwards finds the
    decoders, encoders and allocator already set up (a 12 MP photo: 76 ms
    instead of 95, where the same work in the consumer itself takes 72)."""
    tiny = Image.effect_noise((64, 48), 50).convert("RGB")
    buffer = io.BytesIO()
    tiny.save(buffer, "JPEG", exif=Image.Exif())
    images.make_thumbnails(buffer)


def _start_child() -> tuple[BaseProcess, Connection]:
    parent_end, child_end = _context.Pipe()
    child = _context.Process(target=_serve_one_job, args=(child_end,), daemon=True)
    child.start()
    child_end.close()
    return child, parent_end


def prestart() -> None:
    """Have one more spare child ready (each worker thread asks once)."""
    spare = _start_child()
    with _spares_lock:
        _spares.append(spare)


def _take_child() -> tuple[BaseProcess, Connection]:
    with _spares_lock:
        while _spares:
            child, connection = _spares.pop()
            if child.is_alive():
                return child, connection
            connection.close()
    return _start_child()


def make_thumbnails(
    source: str | bytes,
    limits: Limits,
    still_wanted: Callable[[], bool] = lambda: True,
    check_every: float = 0.5,
    on_start: Callable[[int], None] = lambda pid: None,
) -> tuple[images.Thumbnail, images.Thumbnail] | None:
    """images.make_thumbnails(source) in a child with limits.

    `source` is a file's path (the child opens it) or its bytes. Returns None when
    `still_wanted()` turns false while the child works (asked every `check_every`
    seconds): the child is killed. Raises images.ImageRejected as make_thumbnails
    does, FileNotFoundError for a missing path, and LimitExceeded.
    """
    child, connection = _take_child()
    try:
        connection.send((source, limits))
        threading.Thread(target=prestart, daemon=True).start()
        if child.pid is not None:
            on_start(child.pid)
        deadline = time.monotonic() + limits.wall_seconds
        while not connection.poll(min(check_every, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                raise LimitExceeded(
                    "time", f"over {limits.wall_seconds:g} s of wall time"
                )
            if not still_wanted():
                return None
        try:
            kind, value = connection.recv()
        except EOFError:
            child.join()
            raise _death(child.exitcode, limits) from None
    finally:
        connection.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "thumbnails":
        large, small = value
        return large, small
    if kind == "rejected":
        raise images.ImageRejected(value)
    if kind == "missing":
        raise FileNotFoundError(value)
    raise LimitExceeded("memory", value)


def _death(exitcode: int | None, limits: Limits) -> LimitExceeded:
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return LimitExceeded("time", f"over {limits.cpu_seconds} s of CPU")
    return LimitExceeded("crash", f"the decoder died (exit code {exitcode})")


def _serve_one_job(connection: Connection) -> None:
    """In the child: wait for one job, set its limits, do it, answer, exit."""
    # Out of the consumer's process group: a Ctrl-C or a platform's SIGTERM to
    # the group must not look like a photo that crashed the decoder. The
    # consumer stops its children itself (and multiprocessing at exit).
    os.setsid()
    try:
        source, limits = connection.recv()
    except EOFError:  # the consumer went away before giving a job
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    answer: tuple[str, Any]
    try:
        with _open(source) as fp:
            answer = ("thumbnails", images.make_thumbnails(fp))
    except images.ImageRejected as exc:
        if isinstance(exc.__cause__, MemoryError):
            answer = ("memory", f"over {limits.memory_bytes // 2**20} MB")
        else:
            answer = ("rejected", exc.message)
    except MemoryError:
        answer = ("memory", f"over {limits.memory_bytes // 2**20} MB")
    except FileNotFoundError as exc:
        answer = ("missing", str(exc))
    connection.send(answer)
    connection.close()
    # Skip interpreter teardown: nothing is left to flush, and it costs time.
    os._exit(0)


def _open(source: str | bytes) -> IO[bytes]:
    if isinstance(source, str):
        return open(source, "rb")
    return io.BytesIO(source)
