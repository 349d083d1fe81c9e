"""The decoding child and its limits, driven directly (no Django, no consumer)."""

import contextlib
import io
import os
import signal
import threading

import pytest

from avatars import images, sandbox
from testing import image_factory

LIMITS = sandbox.Limits(cpu_seconds=1, memory_bytes=128 * 2**20, wall_seconds=30)


def test_a_photo_comes_out_as_it_does_in_process():
    photo = image_factory.photo_jpeg_bytes((1600, 1200))

    made = sandbox.make_thumbnails(photo, LIMITS)

    assert made == images.make_thumbnails(io.BytesIO(photo))


def test_the_chosen_square_goes_to_the_child():
    photo = image_factory.photo_jpeg_bytes((1600, 1200))
    crop = images.Crop(1000, 100, 500)

    made = sandbox.make_thumbnails(photo, LIMITS, crop)

    assert made == images.make_thumbnails(io.BytesIO(photo), crop)
    assert made is not None and made[600].width == 500


def test_a_path_is_opened_by_the_child(tmp_path):
    path = tmp_path / "original"
    path.write_bytes(image_factory.photo_jpeg_bytes((800, 600)))

    made = sandbox.make_thumbnails(str(path), LIMITS)

    assert made is not None and made[600].width == 600
    with pytest.raises(FileNotFoundError):
        sandbox.make_thumbnails(str(tmp_path / "gone"), LIMITS)


def test_a_file_that_is_not_a_photo_is_refused_as_in_process():
    with pytest.raises(images.ImageRejected) as refused:
        sandbox.make_thumbnails(b"<html>", LIMITS)

    assert "not a photo we can read" in refused.value.message


def test_a_scan_bomb_is_stopped_by_the_cpu_limit():
    bomb = image_factory.scan_bomb_jpeg_bytes()

    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.make_thumbnails(bomb, LIMITS)

    assert stopped.value.kind == "time"


def test_the_wall_clock_limit_stops_a_child_that_is_given_cpu_time():
    bomb = image_factory.scan_bomb_jpeg_bytes()
    limits = sandbox.Limits(
        cpu_seconds=600, memory_bytes=LIMITS.memory_bytes, wall_seconds=1
    )
    children = []

    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.make_thumbnails(bomb, limits, on_start=children.append)

    assert stopped.value.kind == "time"
    assert "wall time" in str(stopped.value)
    with pytest.raises(ProcessLookupError):
        os.kill(children[0], 0)


def test_a_photo_that_needs_more_memory_than_allowed_fails_as_memory():
    bomb = image_factory.memory_bomb_png_bytes((6000, 6000))  # 144 MB decoded

    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.make_thumbnails(bomb, LIMITS)

    assert stopped.value.kind == "memory"


def test_a_child_that_dies_is_reported_as_a_crash():
    bomb = image_factory.scan_bomb_jpeg_bytes()

    def crash(pid: int) -> None:
        os.kill(pid, signal.SIGSEGV)

    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.make_thumbnails(bomb, LIMITS, on_start=crash)

    assert stopped.value.kind == "crash"


def test_a_decode_nobody_wants_any_more_is_killed():
    bomb = image_factory.scan_bomb_jpeg_bytes()
    limits = sandbox.Limits(
        cpu_seconds=600, memory_bytes=LIMITS.memory_bytes, wall_seconds=600
    )
    children: list[int] = []
    asked = []

    def still_wanted() -> bool:
        asked.append(True)
        return len(asked) < 2

    made = sandbox.make_thumbnails(
        bomb,
        limits,
        still_wanted=still_wanted,
        check_every=0.1,
        on_start=children.append,
    )

    assert made is None
    with pytest.raises(ProcessLookupError):
        os.kill(children[0], 0)


def test_a_child_serves_photo_after_photo_but_none_after_hitting_a_limit():
    photo = image_factory.photo_jpeg_bytes((800, 600))
    children: list[int] = []
    for thread in threading.enumerate():  # replacements of earlier tests' children
        if thread.name == "sandbox-prestart":
            thread.join()

    for data in (photo, photo, image_factory.memory_bomb_png_bytes(), photo):
        with contextlib.suppress(sandbox.LimitExceeded):
            sandbox.make_thumbnails(data, LIMITS, on_start=children.append)

    first, second, bomb, after = children
    assert first == second == bomb  # each job under limits of its own
    assert after != bomb
    with pytest.raises(ProcessLookupError):
        os.kill(bomb, 0)
