"""Fixtures shared by the whole suite: a real Huey consumer, its gate, images."""

import contextlib
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.core.servers.basehttp import WSGIServer
from django.test import Client
from playwright.sync_api import Browser, sync_playwright

from avatars import pacing
from testing import chromium, image_factory, metrics
from testing.processes import procfile_command
from testing.storage import stored_names

BASE_DIR = Path(__file__).resolve().parent

# Django's live server listens with a backlog of 10 and resets the 11th
# simultaneous connection; gunicorn's is 2048. The load tests open 30 at once.
WSGIServer.request_queue_size = 128


def pytest_sessionfinish(session, exitstatus) -> None:
    from huey.contrib.djhuey import HUEY

    test_dir = os.environ.get("AVATARS_TEST_DATA_DIR")
    gc.collect()  # close abandoned temporary uploads before their folder goes
    # huey's stats recorder writes its last events at exit, into that folder.
    if stats := getattr(HUEY, "_stats", None):
        stats.close()
    if test_dir and Path(test_dir).name.startswith("avatars-test-"):
        shutil.rmtree(test_dir, ignore_errors=True)


class Consumer:
    """The Procfile's worker, run as its own process against the test database."""

    def __init__(self, extra_env: dict[str, str]) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.log: list[str] = []
        self._started = threading.Event()
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + procfile_command("worker")],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._started.wait(timeout=30):
            self.stop()
            raise RuntimeError("the consumer did not start:\n" + self.output)

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)
            if "consumer started" in line:
                self._started.set()

    @property
    def output(self) -> str:
        return "".join(self.log)

    @property
    def worker_id(self) -> str:
        """How this consumer names itself in Avatar.worker and its heartbeat (the
        Procfile line is exec'd: the shell's PID is the consumer's)."""
        return f"{socket.gethostname()}:{self.process.pid}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_consumer(transactional_db) -> Iterator[Callable[..., Consumer]]:
    """Start the Procfile's worker; stopped when the test ends."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    started: list[Consumer] = []

    def start(**extra_env: str) -> Consumer:
        consumer = Consumer(extra_env)
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.stop()
        # Captured by pytest and shown only when the test fails.
        sys.stderr.write(f"--- consumer log ---\n{consumer.output}")


class Gate:
    """The test side of testing.gate: hold tasks, then let them go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.held: dict[str, socket.socket] = {}

    def wait_for_task(self, timeout: float = 30) -> str:
        """Block until a task reaches the gate; return its id."""
        self.server.settimeout(timeout)
        connection, _ = self.server.accept()
        task_id = connection.makefile().readline().strip()
        self.held[task_id] = connection
        return task_id

    def release(self, task_id: str | None = None) -> None:
        """Let one held task go on, or all of them."""
        for held_id in [task_id] if task_id else list(self.held):
            connection = self.held.pop(held_id)
            with contextlib.suppress(OSError):  # a killed worker hung up
                connection.sendall(b"!")
            connection.close()

    def close(self) -> None:
        self.release()
        self.server.close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    # Unix socket paths are short (108 bytes): keep it out of deep temp folders.
    path = Path(settings.DATA_DIR) / f"gate-{os.getpid()}-{time.monotonic_ns()}.sock"
    gate = Gate(path)
    yield gate
    gate.close()
    path.unlink(missing_ok=True)


@pytest.fixture
def scrape(settings) -> Callable[[], metrics.Scrape]:
    """Read /metrics as Prometheus would, with a token set for the test."""
    settings.METRICS_TOKEN = "a-token-for-the-test"
    return lambda: metrics.scrape(Client(), settings.METRICS_TOKEN)


@pytest.fixture
def photo_jpeg() -> bytes:
    """A 1600x1200 JPEG."""
    return image_factory.jpeg_bytes(size=(1600, 1200))


@pytest.fixture(autouse=True)
def clean_slate() -> None:
    """Each test starts with no queued task, no stored result and no files."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    pacing.forget_last_look()
    cache.clear()
    for alias, folder in (
        ("default", "avatars"),
        ("uploads", "originals"),
        ("uploads", "exports"),
    ):
        for name in stored_names(alias, folder):
            storages[alias].delete(f"{folder}/{name}")


# Playwright's sync API runs an event loop in this thread; Django's ORM, used by
# the fixtures here, refuses to run beside one unless told it is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_path() -> str | None:
    found = chromium.path()
    if found is None and os.environ.get("CI") == "true":
        pytest.fail(
            "Chromium is missing: install Debian's chromium or set CHROMIUM_PATH"
        )
    return found  # None: Playwright's own browser, if it was installed


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright, chromium_path())
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab on the live server."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()
