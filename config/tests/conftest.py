import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.mail import Inbox, smtp_server
from testing.processes import BASE_DIR, Process, Web, Worker, procfile_command


@dataclass
class Site:
    url: str
    data_dir: Path
    inbox: Inbox | None = None


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """DJANGO_DEBUG=0 on plain HTTP, in a data folder of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "AWS_", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        DATA_DIR=str(data_dir),
        BIND_HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **extra,
    )
    return env


@contextmanager
def running_site(data_dir: Path, **extra_env: str) -> Iterator[Site]:
    """The Procfile's web and worker, as deployed, in a data folder of its own,
    sending e-mail to an SMTP server of its own."""
    with smtp_server() as inbox:
        env = production_env(
            data_dir, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port), **extra_env
        )
        with _processes(data_dir, env) as site:
            site.inbox = inbox
            yield site


@contextmanager
def _processes(data_dir: Path, env: dict[str, str]) -> Iterator[Site]:
    for command in ("migrate --noinput", "collectstatic --noinput"):
        subprocess.run(
            [sys.executable, "manage.py", *command.split()],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    web = Web("web", env, data_dir / "web.log")
    processes: list[Process] = [
        web,
        Worker("worker", procfile_command("worker"), env, data_dir / "worker.log"),
    ]
    try:
        web.wait_ready(timeout=30)
        yield Site(web.url, data_dir)
    finally:
        for process in processes:
            process.stop()
        # Shown by pytest when a test here fails.
        for process in processes:
            sys.stderr.write(f"--- {process.name} log ---\n{process.log_text()}")


@pytest.fixture(scope="module")
def production_site(tmp_path_factory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("production")) as site:
        yield site
