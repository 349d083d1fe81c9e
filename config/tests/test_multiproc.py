"""The metrics folder: counts add up across processes, an ended process's
counts stay in the sums while its files go, and a starting process never
touches another's live files."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from config import multiproc
from testing.metrics import Scrape

# A process with metrics of its own in `folder`: it counts, then either ends
# or waits until its standard input closes.
CHILD = """
import sys
from prometheus_client import Counter, Histogram
done = Counter("test_done_total", "Done.", ["kind"])
took = Histogram("test_took_seconds", "Took.")
for _ in range(int(sys.argv[1])):
    done.labels("photo").inc()
    took.observe(0.2)
print("counted", flush=True)
if sys.argv[2] == "stay":
    sys.stdin.read()
"""


class Child:
    def __init__(self, folder: Path, count: int, stay: bool) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(count), "stay" if stay else "end"],
            env={**os.environ, multiproc.ENV: str(folder)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "counted\n"
        if not stay:
            self.process.wait()

    def files(self, folder: Path) -> list[Path]:
        return [
            file for file in folder.glob("*.db") if multiproc.owner(file) == self.pid
        ]

    @property
    def pid(self) -> int:
        return self.process.pid

    def end(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


@pytest.fixture
def children(tmp_path) -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        if child.process.poll() is None:
            child.end()


def read(folder: Path) -> Scrape:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    with multiproc.reading(folder):
        return Scrape(generate_latest(registry).decode())


def test_the_counts_of_two_processes_add_up(tmp_path, children):
    children += [Child(tmp_path, 3, stay=True), Child(tmp_path, 4, stay=True)]

    found = read(tmp_path)

    assert found.value("test_done_total", kind="photo") == 7
    assert found.value("test_took_seconds_count") == 7
    assert found.value("test_took_seconds_bucket", le="0.25") == 7
    assert found.value("test_took_seconds_bucket", le="0.1") == 0


def test_an_ended_process_keeps_its_counts_and_loses_its_files(tmp_path, children):
    live = Child(tmp_path, 4, stay=True)
    children.append(live)
    for count in (3, 5):
        ended = Child(tmp_path, count, stay=False)
        assert len(ended.files(tmp_path)) == 2  # a counter's and a histogram's

        # What every process does as it starts, and gunicorn for a reaped worker.
        assert multiproc.archive_ended(tmp_path) == 2

        assert ended.files(tmp_path) == []
    found = read(tmp_path)
    assert found.value("test_done_total", kind="photo") == 12
    assert found.value("test_took_seconds_count") == 12
    assert found.value("test_took_seconds_bucket", le="0.25") == 12
    # However many have ended: the live process's files and one archive a kind.
    assert sorted(file.name for file in tmp_path.glob("*.db")) == sorted(
        [file.name for file in live.files(tmp_path)]
        + ["counter_archive.db", "histogram_archive.db"]
    )


def test_a_starting_process_leaves_the_live_ones_alone(tmp_path, children, monkeypatch):
    web, worker = Child(tmp_path, 2, stay=True), Child(tmp_path, 3, stay=True)
    children += [web, worker]
    before = sorted(tmp_path.glob("*.db"))
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))

    assert multiproc.configure() == tmp_path

    assert sorted(tmp_path.glob("*.db")) == before
    web.end()
    multiproc.configure()
    assert web.files(tmp_path) == []
    assert worker.files(tmp_path)
    assert read(tmp_path).value("test_done_total") == 5


def test_the_folder_defaults_to_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(multiproc.ENV)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert multiproc.folder() == tmp_path.resolve() / "metrics"


def test_names_not_of_a_process_are_never_taken_for_one(tmp_path):
    assert multiproc.owner(tmp_path / "counter_archive.db") is None
    assert multiproc.owner(tmp_path / "gauge_livesum_123.db") == 123
