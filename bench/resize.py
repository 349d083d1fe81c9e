"""Section 4: the pipeline's own resize function against a minimal Pillow script.

Both run in a clean process (`python -m bench.resize`, which imports Pillow and
the pipeline and nothing else), each sample in a fork of it: memory one sample
freed cannot hide the next one's growth. Peak growth is the fork's high-water
resident set (reset at the start) over its resident set before the call.
"""

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from avatars import images
from bench.photos import MP12, MP24, MP48, PNG12, Photo
from bench.stats import Report
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
    large, small = images.make_thumbnails(fp)
    return large.data, small.data


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


def in_fork(function: str, path: str) -> tuple[float, float]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            os.write(write_end, json.dumps(sample(function, path)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status:
        raise RuntimeError(f"{function} on {path} failed in its fork ({status})")
    seconds, growth = json.loads(output)
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
                results[path][name].append(in_fork(name, path))
    return results


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


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[2:], int(sys.argv[1]))))
