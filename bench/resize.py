"""Section 4: the pipeline's own resize function against a minimal Pillow script.

Both run in a clean process (`python -m bench.resize`, which imports Pillow and
the pipeline and nothing else), each sample in a fork of it: memory one sample
freed cannot hide the next one's growth. Peak growth is the fork's high-water
resident set (reset at the start) over its resident set before the call.

Then, in another clean process (`python -m bench.resize sandbox`), what the
sandbox (avatars.sandbox, the worker's child process with hard limits) costs on
a 12 MP photo, and how long hostile files take with and without it.

Then (`python -m bench.resize crop`) what the square costs on a 12 MP photo: the
release before squares against the centred square and two chosen ones.

Then (`python -m bench.resize hashes`) what the perceptual hashes cost on a 12
MP photo (the worker takes them with every photo, for the moderators'
blocklist), and checking a photo's two hashes against blocklists of growing
size, six hashes an entry (the comparison alone: the worker also reads them
from the database).
"""

import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from PIL import Image

from avatars import fingerprints, images
from bench.photos import MP12, MP24, MP48, PNG12, Photo
from bench.stats import Report
from testing import image_factory
from testing.processes import BASE_DIR

PHOTOS = (MP12, MP24, MP48, PNG12)
MB = 1024 * 1024


def floor(fp: BinaryIO) -> tuple[bytes, ...]:
    """What a minimal script does: decode the centred square with draft, make
    every size of it, each from the one before, encode them as the pipeline
    does (no orientation, colour management or limits)."""
    with Image.open(fp) as im:
        side = min(im.size)
        scale = min(1.0, 2 * images.PIXEL_SIZES[0] / side)
        im.draft("RGB", (int(im.width * scale), int(im.height * scale)))
        side = min(im.size)
        left, top = (im.width - side) // 2, (im.height - side) // 2
        square = im.crop((left, top, left + side, top + side)).convert("RGB")
    made = []
    for wanted in images.PIXEL_SIZES:
        if wanted < square.width:
            square = square.resize((wanted, wanted), Image.Resampling.LANCZOS)
        made.append(encode(square))
    return tuple(made)


def encode(im: Image.Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "WEBP", quality=80, method=2)
    return buffer.getvalue()


def ours(fp: BinaryIO) -> tuple[bytes, ...]:
    return tuple(thumbnail.data for thumbnail in images.make_thumbnails(fp).values())


FUNCTIONS: dict[str, Callable[[BinaryIO], tuple[bytes, ...]]] = {
    "ours": ours,
    "floor": floor,
}


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def sample(function: Callable[[BinaryIO], object], path: str) -> tuple[float, float]:
    """Run one function on one photo in this process: seconds and peak growth."""
    with open(path, "rb") as fp:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
        baseline = status_kb("VmRSS")
        started = time.perf_counter()
        function(fp)
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


def sample_in_fork(
    function: str,
    path: str,
    functions: Mapping[str, Callable[[BinaryIO], object]] = FUNCTIONS,
) -> tuple[float, float]:
    result = in_fork(lambda: sample(functions[function], path))
    if result is None:
        raise RuntimeError(f"{function} on {path} failed in its fork")
    seconds, growth = result
    return seconds, growth


def probe(paths: list[str], runs: int) -> dict[str, dict[str, list[Any]]]:
    """In the clean process: warm both functions up, then sample them in turns."""
    warm_up = io.BytesIO()
    Image.new("RGB", (800, 600)).save(warm_up, "JPEG")
    for function in FUNCTIONS.values():
        function(warm_up)
    results: dict[str, dict[str, list[Any]]] = {
        path: {name: [] for name in FUNCTIONS} for path in paths
    }
    for round_number in range(runs):
        order = list(FUNCTIONS) if round_number % 2 == 0 else list(FUNCTIONS)[::-1]
        for path in paths:
            for name in order:
                results[path][name].append(sample_in_fork(name, path))
    return results


# The release before squares: the whole photo within 600 and 300 px.
BEFORE = "9ecaeda"


def previous_pipeline() -> ModuleType | str:
    """avatars/images.py as of BEFORE, imported under a name of its own, or why
    not (no git, or a shallow clone without that commit)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE}:avatars/images.py"],
            cwd=BASE_DIR,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"avatars/images.py of {BEFORE} is not in this clone ({exc})"
    with tempfile.TemporaryDirectory(prefix="bench-before-") as folder:
        path = Path(folder) / "images_before.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location("images_before", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def squares(size: tuple[int, int]) -> dict[str, Callable[[BinaryIO], object]]:
    """The pipeline on a photo of this size, centred and with chosen squares (in
    the middle: where the square is does not change what is decoded)."""
    width, height = size

    def chosen(side: int) -> Callable[[BinaryIO], object]:
        crop = images.Crop((width - side) // 2, (height - side) // 2, side)
        return lambda fp: images.make_thumbnails(fp, crop)

    shorter = min(width, height)
    return {
        "centred": images.make_thumbnails,
        f"1/4 ({shorter // 4} px)": chosen(shorter // 4),
        f"1/2 ({shorter // 2} px)": chosen(shorter // 2),
    }


def crop_probe(path: str, runs: int) -> dict[str, Any]:
    """In the clean process: before and the three squares in turns, each sample in
    a fork, as probe() does."""
    with Image.open(path) as im:
        calls = squares(im.size)
    before = previous_pipeline()
    if isinstance(before, ModuleType):
        calls = {"before": before.make_thumbnails, **calls}
    samples = samples_in_turns(calls, path, runs)
    times = {name: [seconds for seconds, _ in pairs] for name, pairs in samples.items()}
    skipped = None if isinstance(before, ModuleType) else before
    return {"times": times, "before_skipped": skipped}


def samples_in_turns(
    calls: Mapping[str, Callable[[BinaryIO], object]], path: str, runs: int
) -> dict[str, list[tuple[float, float]]]:
    """Each call warmed up once, then sampled in a fork, in turns (the order
    reversed every other round): seconds and peak growth."""
    for call in calls.values():
        with open(path, "rb") as fp:
            call(fp)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    for round_number in range(runs):
        order = list(calls) if round_number % 2 == 0 else list(calls)[::-1]
        for name in order:
            samples[name].append(sample_in_fork(name, path, calls))
    return samples


def probe_in_clean_process(*args: str) -> Any:
    """This module's probe (its __main__) in a fresh interpreter: its JSON."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.resize", *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def crop_cost(report: Report, path: str, runs: int) -> None:
    results = probe_in_clean_process("crop", str(runs), path)
    times = results["times"]
    label = f"{MP12.label}: the square"
    names = {
        "before": f"before ({BEFORE}): the whole photo, 2 sizes",
        "centred": "after: centred square, 6 sizes",
    }
    for name, samples in times.items():
        figure = names.get(name, f"after: chosen square, {name} of the shorter side")
        report.add("4", f"{label}: {figure}", "ms", [s * 1000 for s in samples])
    if results["before_skipped"]:
        report.meta["section_4_square_before"] = "skipped: " + results["before_skipped"]
        return
    for name, samples in times.items():
        if name != "before":
            report.add(
                "4",
                f"{label}: {name} / before",
                "x",
                [a / b for a, b in zip(samples, times["before"], strict=True)],
            )


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


def sandbox_probe(path: str, runs: int) -> dict[str, Any]:
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
    results = probe_in_clean_process("sandbox", str(runs), path)
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
    results = probe_in_clean_process(str(runs), *paths)
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
    crop_cost(report, str(photos[MP12]), runs)
    hash_cost(report, str(photos[MP12]), runs)


BLOCKLISTS = (1_000, 10_000, 100_000)


def hashes_probe(path: str, runs: int) -> dict[str, Any]:
    """In the clean process: the pipeline with and without hashing, in turns,
    each sample in a fork; then the blocklist checks."""
    calls: dict[str, Callable[[BinaryIO], object]] = {
        "without": images.make_thumbnails,
        "with": lambda fp: images.make_thumbnails(fp, hashes=images.Hashes()),
    }
    samples = samples_in_turns(calls, path, runs)
    hashes = images.Hashes()
    with open(path, "rb") as fp:
        images.make_thumbnails(fp, hashes=hashes)
    own = hashes.own()
    checks: dict[str, list[float]] = {}
    for size in BLOCKLISTS:
        # Other photos' hashes (six an entry), as the worker keeps them read.
        kept = [int.from_bytes(os.urandom(8)) for _ in range(6 * size)]
        checks[str(size)] = []
        for _ in range(runs):
            started = time.perf_counter()
            found = fingerprints.any_match(kept, own)
            checks[str(size)].append(time.perf_counter() - started)
            assert not found
    return {"samples": samples, "checks": checks}


def hash_cost(report: Report, path: str, runs: int) -> None:
    results = probe_in_clean_process("hashes", str(runs), path)
    samples = results["samples"]
    label = f"{MP12.label}: perceptual hashes"
    for name in ("without", "with"):
        times = [seconds * 1000 for seconds, _ in samples[name]]
        report.add("4", f"{label}: resize {name} them", "ms", times)
    extra = [
        (with_[0] - without[0]) * 1000
        for with_, without in zip(samples["with"], samples["without"], strict=True)
    ]
    report.add("4", f"{label}: their cost per photo", "ms", extra)
    growth = [m for _, m in samples["with"]]
    report.add("4", f"{label}: peak growth with them", "MB", growth)
    for size, times in results["checks"].items():
        report.add(
            "4",
            f"checking a photo against a blocklist of {int(size):,}",
            "ms",
            [seconds * 1000 for seconds in times],
        )


if __name__ == "__main__":
    if sys.argv[1] == "hashes":
        print(json.dumps(hashes_probe(sys.argv[3], int(sys.argv[2]))))
    elif sys.argv[1] == "sandbox":
        print(json.dumps(sandbox_probe(sys.argv[3], int(sys.argv[2]))))
    elif sys.argv[1] == "crop":
        print(json.dumps(crop_probe(sys.argv[3], int(sys.argv[2]))))
    else:
        print(json.dumps(probe(sys.argv[2:], int(sys.argv[1]))))
