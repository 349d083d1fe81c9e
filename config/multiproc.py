"""The folder where every process on this host keeps its metric values.

prometheus-client's multiprocess mode gives each process files of its own,
named after its PID (`counter_1234.db`), and /metrics adds them up. A process
that ends leaves its files behind: its counts must stay in the sums (a total
that drops looks to Prometheus like a restart), yet a folder that keeps every
dead process's files grows with each restart and each recycled worker.

So the files of processes that have ended are folded into one archive file per
kind (`counter_archive.db`) and deleted: the sums stay the same, and the folder
holds one set of files per live process plus the archives. This happens when a
process starts (config.settings) and when gunicorn reaps a worker
(config.gunicorn), under an exclusive lock; /metrics reads under a shared one,
so a scrape never sees a dead process's counts twice or not at all. Nothing is
ever deleted because another process started: web and worker starting at once
(honcho), or two consumers on one host, keep each other's live files.

A process is "ended" when its PID is gone from this host, so the folder belongs
to one host and one PID namespace: never share it between containers or hosts.

No module-level import of prometheus_client here: it reads
PROMETHEUS_MULTIPROC_DIR once, when first imported, so `configure` sets it first.
"""

import contextlib
import fcntl
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
BASE_DIR = Path(__file__).resolve().parent.parent
# The kinds whose values add up across processes; gauges (kept per PID) have
# no meaning once their process is gone.
SUMMED = ("counter", "histogram", "summary")
ARCHIVE = "archive"


def folder() -> Path:
    """PROMETHEUS_MULTIPROC_DIR, else `metrics` in the data folder (DATA_DIR)."""
    if explicit := os.environ.get(ENV):
        return Path(explicit)
    return Path(os.environ.get("DATA_DIR") or BASE_DIR / "data").resolve() / "metrics"


def configure() -> Path:
    """Point prometheus_client at the folder (before anything imports it) and
    fold in what ended processes left. Safe in every process, at any time."""
    path = folder()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    archive_ended(path)
    return path


@contextlib.contextmanager
def locked(path: Path, exclusive: bool) -> Iterator[None]:
    with (path / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # the lock goes with the file's closing


def reading(path: Path | None = None) -> contextlib.AbstractContextManager[None]:
    """Hold while reading the files: no archiving happens meanwhile."""
    return locked(path or folder(), exclusive=False)


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def owner(file: Path) -> int | None:
    """The PID in `counter_1234.db` or `gauge_livesum_1234.db`; None for an
    archive or a name not of prometheus_client's making."""
    last = file.stem.rpartition("_")[2]
    return int(last) if last.isdigit() else None


def archive_ended(path: Path) -> int:
    """Fold the files of ended processes into the archives; returns how many
    files went."""
    from prometheus_client.mmap_dict import MmapedDict

    with locked(path, exclusive=True):
        ended = [
            file
            for file in path.glob("*.db")
            if (pid := owner(file)) is not None and not is_running(pid)
        ]
        for kind in SUMMED:
            files = [file for file in ended if file.name.startswith(kind + "_")]
            if not files:
                continue
            archive = path / f"{kind}_{ARCHIVE}.db"
            totals: dict[str, float] = defaultdict(float)
            for file in [archive, *files] if archive.exists() else files:
                for key, value, _, _ in MmapedDict.read_all_values_from_file(file):
                    totals[key] += value
            # Written aside and renamed: a reader never meets half an archive.
            new = path / f"{kind}_{ARCHIVE}.new"
            new.unlink(missing_ok=True)
            written = MmapedDict(str(new))
            for key, value in totals.items():
                written.write_value(key, value, 0.0)
            written.close()
            new.replace(archive)
        for file in ended:
            file.unlink(missing_ok=True)
        return len(ended)


def process_ended(pid: int) -> None:
    """gunicorn reaped a worker: its live gauges go, its counts are archived."""
    from prometheus_client import multiprocess

    path = folder()
    multiprocess.mark_process_dead(pid, str(path))
    archive_ended(path)
