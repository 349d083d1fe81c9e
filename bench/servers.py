"""The benchmark's own live processes, started from the Procfile's lines.

Each runs as testing.processes runs it, with its own data folder and port, and
writes its output to a log file in that folder; what is here is the
benchmark's: its environment, its data folders, the worker variants it compares.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from testing import processes
from testing.processes import BASE_DIR, procfile_command

VENV_BIN = Path(sys.executable).parent


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


def sync_web_command() -> str:
    """The Procfile's web line with gunicorn's default sync workers: without its
    --worker-class and --threads options, as it was before threads."""
    command = procfile_command("web")
    sync = re.sub(r"\s(?:--worker-class|-k)[ =]\S+", "", command)
    sync = re.sub(r"\s--threads[ =]\S+", "", sync)
    if sync == command:
        raise LookupError("the Procfile's web line has no --worker-class or --threads")
    return sync


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


# What the site's settings read; the benchmark sets what it needs itself, so a
# developer's DATABASE_URL or REDIS_URL never points a benchmark server elsewhere.
SITE_VARIABLES = (
    "DJANGO_",
    "HUEY_",
    "AWS_",
    "EMAIL_",
    "ACCOUNT_",
    "DATABASE_URL",
    "REDIS_URL",
    "DATA_DIR",
    "METRICS_",
    "PROMETHEUS_MULTIPROC_DIR",
)


METRICS_TOKEN = "bench-metrics-token"


def base_env(data_dir: Path, secret_key: str, mail_port: int) -> dict[str, str]:
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
        # The benchmark's own SMTP server (testing.mail): sign-ups send e-mail.
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        DJANGO_SECURE_SSL_REDIRECT="0",
        # Visitors tell their own (made-up) address: see bench.client.new_address.
        DJANGO_TRUST_X_FORWARDED_FOR="1",
        BIND_HOST="127.0.0.1",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        # Section m scrapes /metrics (bench.metrics).
        METRICS_TOKEN=METRICS_TOKEN,
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


class Web(processes.Web):
    # Ready when the sign-up page, where every measurement starts, renders: it
    # needs the templates and the collected static files, which /healthz does not.
    ready_path = "/register/"


class WebCommand(Web):
    """A variant of the Procfile's web line, on a free loopback port."""

    def __init__(self, name: str, command: str, env: dict[str, str], log: Path) -> None:
        self.port = processes.free_port()
        processes.Process.__init__(
            self, name, command, {**env, "PORT": str(self.port)}, log
        )


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
