"""The benchmark's own live processes, started from the Procfile's lines.

Each runs through `/bin/sh -c "exec <line>"` as a platform would, with its own
data folder and port, and writes its output to a log file in that folder.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def procfile_command(process: str) -> str:
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            return line.partition(":")[2].strip()
    raise LookupError(f"the Procfile has no {process}: line")


def worker_command(workers: int | None = None, worker_type: str | None = None) -> str:
    """The Procfile's worker line, with another worker count or type if asked."""
    command = procfile_command("worker")
    if workers is not None:
        command = re.sub(r"(--workers|-w)[ =]\S+", f"--workers {workers}", command)
    if worker_type is not None:
        command = re.sub(
            r"(--worker-type|-k)[ =]\S+", f"--worker-type {worker_type}", command
        )
    return command


def consumer_options(command: str) -> dict[str, float]:
    """The polling options of a run_huey command line, with huey's defaults."""
    options = {"delay": 0.1, "backoff": 1.15, "max_delay": 10.0}
    names = {"-d": "delay", "-b": "backoff", "-m": "max_delay"}
    for flag, value in re.findall(r"(--[a-z-]+|-[a-z])[ =]([0-9.]+)", command):
        key = names.get(flag, flag.lstrip("-").replace("-", "_"))
        if key in options:
            options[key] = float(value)
    return options


def backoff_to_cap(delay: float, backoff: float, max_delay: float) -> float:
    """Seconds an idle consumer sleeps before its polling delay reaches the cap:
    huey sleeps `delay`, then multiplies it by `backoff`, until `max_delay`."""
    total = 0.0
    while delay < max_delay:
        total += delay
        delay *= backoff
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What the site's settings read; the benchmark sets what it needs itself, so a
# developer's DATABASE_URL or REDIS_URL never points a benchmark server elsewhere.
SITE_VARIABLES = ("DJANGO_", "HUEY_", "AWS_", "DATABASE_URL", "REDIS_URL", "DATA_DIR")


def base_env(data_dir: Path, secret_key: str) -> dict[str, str]:
    """A production-mode environment for one data folder: SQLite, the SQLite
    queue and local files in that folder, the embedded default."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SITE_VARIABLES) and key not in ("LOG_LEVEL", "PORT")
    }
    env.update(
        DATA_DIR=str(data_dir),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        # Visitors tell their own (made-up) address: see bench.client.new_address.
        DJANGO_TRUST_X_FORWARDED_FOR="1",
        BIND_HOST="127.0.0.1",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_data_dir(env: dict[str, str]) -> None:
    """Migrate (the Procfile's release line) and collect static files."""
    for command in (
        procfile_command("release"),
        "python manage.py collectstatic --noinput --verbosity 0",
    ):
        result = subprocess.run(
            ["/bin/sh", "-c", "exec " + command],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"{command} failed:\n{result.stdout}{result.stderr}")


def copy_data_dir(source: Path, target: Path) -> None:
    """A second data folder with the same migrated database and static files."""
    shutil.copytree(source, target, dirs_exist_ok=True)


class Process:
    """One Procfile process, in a process group of its own."""

    def __init__(self, name: str, command: str, env: dict[str, str], log: Path):
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
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        super().__init__(
            name, procfile_command("web"), {**env, "PORT": str(self.port)}, log
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        self.wait_for_http(f"{self.url}/register/")


class Worker(Process):
    def wait_ready(self) -> None:
        self.wait_for_log("consumer started")


def expand(command: str, env: dict[str, str]) -> str:
    """A Procfile line with its variables filled in, as the shell would."""
    return subprocess.run(
        ["/bin/sh", "-c", f"echo {command}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def option(command: str, *names: str) -> str | None:
    for name in names:
        if match := re.search(rf"(?:^|\s){re.escape(name)}[ =](\S+)", command):
            return match.group(1)
    return None
