"""Section 4: the pipeline's own resize function against a minimal Pillow script.

Both run in a clean process (`python -m bench.resize`, which imports Pillow and
the pipeline and nothing else), each sample in a fork of it: memory one sample
freed cannot hide the next one's growth. Peak growth is the fork's high-water
resident set (reset at the start) over its resident set before the call.

Then, in another clean process (`python -m bench.resize sandbox`), what the
sandbox (avatars.sandbox, the worker's child process with hard limits) costs on
a 12 MP photo, and how long hostile files take with and without it.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from avatars import images
from bench.photos import MP12, MP24, MP48, PNG12, Photo
from bench.stats import Report
from testing import image_factory
from testing.processes import BASE_DIR

PHOTOS = (MP12, MP24, MP48, PNG12)
MB = 1024 * 1024


def floor(fp: BinaryIO) -> tuple[bytes, bytes]:
    """What a minimal script does: decode with draft, make the 600 and 300 px
    thumbnails, encode them as the pipeline does."""
    with Image.open(fp) as im:
        im.thumbnail((600, 600), Image.Resampling.LANCZOS)  # drafts a JPEG first
        large = im.convert("RGB")
    small = large.resize(images._fit(large.size, 300), Image.Resampling.LANCZOS)
    return encode(large), encode(small)


def encode(im: Image.Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "WEBP", quality=80, method=2)
    return buffer.getvalue()


def ours(fp: BinaryIO) -> tuple[bytes, bytes]:
    made = images.make_thumbnails(fp)
    return made[600].data, made[300].data


FUNCTIONS: dict[str, Callable[[BinaryIO], tuple[bytes, bytes]]] = {
    "ours": ours,
    "floor": floor,
}


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def sample(function: str, path: str) -> tuple[float, float]:
    """Run one function on one photo in this process: seconds and peak growth."""
    with open(path, "rb") as fp:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
        baseline = status_kb("VmRSS")
        started = time.perf_counter()
        FUNCTIONS[function](fp)
        seconds = time.perf_counter() - started
        peak = status_kb("VmHWM")
    return seconds, (peak - baseline) * 1024 / MB


def in_fork(call: Callable[[], object]) -> Any:
    """call() in a fork of this process: its result through JSON, or None if the
    fork failed (a hostile file's memory or crash stays there)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            os.write(write_end, json.dumps(call()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return json.loads(output) if output and not status else None


def sample_in_fork(function: str, path: str) -> tuple[float, float]:
    result = in_fork(lambda: sample(function, path))
    if result is None:
        raise RuntimeError(f"{function} on {path} failed in its fork")
    seconds, growth = result
    return seconds, growth


def probe(paths: list[str], runs: int) -> dict:
    """In the clean process: warm both functions up, then sample them in turns."""
    warm_up = io.BytesIO()
    Image.new("RGB", (800, 600)).save(warm_up, "JPEG")
    for function in FUNCTIONS.values():
        function(warm_up)
    results = {path: {name: [] for name in FUNCTIONS} for path in paths}
    for round_number in range(runs):
        order = list(FUNCTIONS) if round_number % 2 == 0 else list(FUNCTIONS)[::-1]
        for path in paths:
            for name in order:
                results[path][name].append(sample_in_fork(name, path))
    return results


# The production defaults (config/settings.py; this process has no Django).
LIMITS = dict(cpu_seconds=10, memory_bytes=512 * MB, wall_seconds=20)
SCANS_IN_PROCESS = 150  # the full 1,500 scans take tens of seconds in-process
# The review's scan bomb: 29 MP, the last scan repeated 1,500 times.
SCAN_BOMB_SIZE = (6000, 4800)


def outcome_of(call: Callable[[], object]) -> tuple[float, str]:
    """Seconds until call returns or raises, and how it ended."""
    from avatars import sandbox

    started = time.perf_counter()
    try:
        call()
        outcome = "thumbnails"
    except images.ImageRejected:
        outcome = "rejected"
    except sandbox.LimitExceeded as exc:
        outcome = f"limit: {exc.kind}"
    return time.perf_counter() - started, outcome


def outcome_in_fork(call: Callable[[], object]) -> tuple[float, str]:
    result = in_fork(lambda: outcome_of(call))
    if result is None:
        return 0.0, "crash"
    seconds, outcome = result
    return seconds, outcome


def wait_for_spare(timeout: float = 10.0) -> None:
    """Until a child waits for a job (after a stopped one, its replacement)."""
    from avatars import sandbox

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sandbox.idle_children():
            return
        time.sleep(0.005)
    raise RuntimeError(f"no spare sandbox child within {timeout} s")


def sandbox_probe(path: str, runs: int) -> dict:
    """In the clean process: in-process and sandboxed resizes in turns, then one
    run of each hostile file."""
    from avatars import sandbox

    limits = sandbox.Limits(**LIMITS)

    def in_process() -> None:
        with open(path, "rb") as fp:
            images.make_thumbnails(fp)

    def sandboxed() -> None:
        sandbox.make_thumbnails(path, limits)

    sandbox.prestart()
    in_process()  # warm-up, both ways
    sandboxed()
    timed = {"in-process": in_process, "sandboxed": sandboxed}
    photo: dict[str, list[float]] = {name: [] for name in timed}
    for round_number in range(runs):
        order = list(timed) if round_number % 2 == 0 else list(timed)[::-1]
        for name in order:
            if name == "sandboxed":
                wait_for_spare()  # not part of the time: the worker's idle gap
            started = time.perf_counter()
            timed[name]()
            photo[name].append(time.perf_counter() - started)

    hostile: dict[str, dict[str, tuple[float, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:

        def file_of(name: str, data: bytes) -> str:
            hostile_path = os.path.join(folder, name)
            Path(hostile_path).write_bytes(data)
            return hostile_path

        def in_process_on(hostile_path: str) -> Callable[[], object]:
            def call() -> object:
                with open(hostile_path, "rb") as fp:
                    return images.make_thumbnails(fp)

            return call

        def sandboxed_on(hostile_path: str) -> Callable[[], object]:
            return lambda: sandbox.make_thumbnails(hostile_path, limits)

        def refused_on(hostile_path: str) -> Callable[[], object]:
            def call() -> object:
                with open(hostile_path, "rb") as fp:
                    return images.inspect_image(fp)

            return call

        scan_bomb = file_of(
            "scan.jpg", image_factory.scan_bomb_jpeg_bytes(SCAN_BOMB_SIZE)
        )
        scan_bomb_small = file_of(
            "scan150.jpg",
            image_factory.scan_bomb_jpeg_bytes(SCAN_BOMB_SIZE, SCANS_IN_PROCESS),
        )
        memory_bomb = file_of("memory.png", image_factory.memory_bomb_png_bytes())
        wait_for_spare()
        hostile["scan bomb"] = {
            "sandboxed": outcome_of(sandboxed_on(scan_bomb)),
            "in-process": outcome_in_fork(in_process_on(scan_bomb_small)),
        }
        wait_for_spare()
        hostile["memory bomb"] = {
            "sandboxed": outcome_of(sandboxed_on(memory_bomb)),
            "in-process": outcome_in_fork(in_process_on(memory_bomb)),
        }
        tiff = file_of("tags.tiff", image_factory.tag_bomb_tiff_bytes())
        bmp = file_of("rle.bmp", image_factory.rle_bmp_bytes())
        hostile["TIFF tag bomb"] = {"form": outcome_of(refused_on(tiff))}
        hostile["RLE BMP"] = {"form": outcome_of(refused_on(bmp))}
    return {"photo": photo, "hostile": hostile}


def sandbox_cost(report: Report, path: str, runs: int) -> None:
    output = subprocess.run(
        [sys.executable, "-m", "bench.resize", "sandbox", str(runs), path],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = json.loads(output)
    in_process = results["photo"]["in-process"]
    sandboxed = results["photo"]["sandboxed"]
    label = f"{MP12.label}: in-process vs sandboxed"
    report.add("4", f"{label}: in-process", "ms", [s * 1000 for s in in_process])
    report.add("4", f"{label}: sandboxed", "ms", [s * 1000 for s in sandboxed])
    report.add(
        "4",
        f"{label}: sandboxed / in-process",
        "x",
        [a / b for a, b in zip(sandboxed, in_process, strict=True)],
        ("<=", 1.10),
    )
    hostile = results["hostile"]
    prefix = "hostile files: decode time (1 run each)"
    for name, runs_by_way in hostile.items():
        for way, (seconds, outcome) in runs_by_way.items():
            if way == "form":
                figure = f"{prefix}: {name}: refused at the form (inspect_image)"
            elif way == "in-process" and name == "scan bomb":
                figure = f"{prefix}: {name}: before, in-process, per 150 scans"
            elif way == "in-process":
                figure = f"{prefix}: {name}: before, in-process"
            else:
                figure = f"{prefix}: {name}: sandboxed"
            unit, value = ("ms", seconds * 1000) if way == "form" else ("s", seconds)
            report.add("4", figure, unit, [value], note=outcome)


def resize_alone(report: Report, photos: dict[Photo, Path], runs: int) -> None:
    paths = [str(photos[photo]) for photo in PHOTOS]
    output = subprocess.run(
        [sys.executable, "-m", "bench.resize", str(runs), *paths],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = json.loads(output)
    for photo, path in zip(PHOTOS, paths, strict=True):
        ours_time = [s for s, _ in results[path]["ours"]]
        ours_memory = [m for _, m in results[path]["ours"]]
        floor_time = [s for s, _ in results[path]["floor"]]
        floor_memory = [m for _, m in results[path]["floor"]]
        label = photo.label
        report.add("4", f"resize {label}: ours", "ms", [s * 1000 for s in ours_time])
        report.add("4", f"resize {label}: floor", "ms", [s * 1000 for s in floor_time])
        report.add(
            "4",
            f"resize {label}: ours / floor",
            "x",
            [a / b for a, b in zip(ours_time, floor_time, strict=True)],
            ("<=", 1.2),
        )
        report.add("4", f"resize {label}: ours peak growth", "MB", ours_memory)
        report.add("4", f"resize {label}: floor peak growth", "MB", floor_memory)
        report.add(
            "4",
            f"resize {label}: memory ours / floor",
            "x",
            [a / b for a, b in zip(ours_memory, floor_memory, strict=True)],
            ("<=", 1.2),
        )
    sandbox_cost(report, str(photos[MP12]), runs)


if __name__ == "__main__":
    if sys.argv[1] == "sandbox":
        print(json.dumps(sandbox_probe(sys.argv[3], int(sys.argv[2]))))
    else:
        print(json.dumps(probe(sys.argv[2:], int(sys.argv[1]))))
