"""Running the site's processes as deployed: the Procfile's lines, free ports.

Each process runs through `/bin/sh -c "exec <line>"` as a platform would, in a
process group of its own, and writes its output to a log file.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def procfile_command(process: str) -> str:
    """The command of one Procfile line: tests run processes as deployed."""
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            return line.partition(":")[2].strip()
    raise LookupError(f"the Procfile has no {process}: line")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """One Procfile process, in a process group of its own."""

    def __init__(self, name: str, command: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.log = log
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                ["/bin/sh", "-c", "exec " + command],
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def fail(self, message: str) -> RuntimeError:
        tail = "".join(self.log_text().splitlines(keepends=True)[-30:])
        return RuntimeError(f"{self.name}: {message}\n--- {self.log} ---\n{tail}")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if self.popen.poll() is not None:
                raise self.fail(f"exited with {self.popen.returncode}")
            if time.monotonic() > deadline:
                raise self.fail(f"no {text!r} after {timeout} s")
            time.sleep(0.05)

    def wait_for_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if self.popen.poll() is not None:
                raise self.fail(f"exited with {self.popen.returncode}")
            if time.monotonic() > deadline:
                raise self.fail(f"{url} did not answer 200 within {timeout} s")
            time.sleep(0.1)

    def stop(self, timeout: float = 25) -> None:
        """SIGTERM (a graceful stop for both gunicorn and the Procfile's worker),
        then SIGKILL to the whole group if it is still there."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        # Whatever of its group is left (a worker process the master left behind).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


class Web(Process):
    """The Procfile's web line, on a free loopback port."""

    # Answers 200 once the database and the queue do, with or without a worker.
    ready_path = "/healthz"

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        super().__init__(
            name, procfile_command("web"), {**env, "PORT": str(self.port)}, log
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        self.wait_for_http(f"{self.url}{self.ready_path}", timeout)


class Worker(Process):
    """A huey consumer: the Procfile's worker line, or a variant of it."""

    def wait_ready(self, timeout: float = 60) -> None:
        self.wait_for_log("consumer started", timeout)
