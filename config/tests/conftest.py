import http.client
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from testing import image_factory, multipart
from testing.mail import Inbox, smtp_server
from testing.processes import BASE_DIR, Process, Web, Worker, procfile_command


@dataclass
class Site:
    url: str
    data_dir: Path
    inbox: Inbox | None = None
    worker: Process | None = None


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
    )
    env.update(extra)
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
    worker = Worker("worker", procfile_command("worker"), env, data_dir / "worker.log")
    processes: list[Process] = [web, worker]
    try:
        web.wait_ready(timeout=30)
        yield Site(web.url, data_dir, worker=worker)
    finally:
        for process in processes:
            process.stop()
        # Shown by pytest when a test here fails.
        for process in processes:
            sys.stderr.write(f"--- {process.name} log ---\n{process.log_text()}")


def sign_up(
    site: Site,
    username: str,
    photo_parts: Callable[[bytes], Iterator[bytes]] | None = None,
) -> http.client.HTTPResponse:
    """A plain sign-up by a new visitor, over HTTP; the photo may come in pieces.
    The response carries the new session's cookie."""
    page = urllib.request.urlopen(f"{site.url}/register/", timeout=60)
    assert page.status == 200
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()
    ).group(1)
    photo = multipart.File(
        "IMG_0001.JPG", "image/jpeg", image_factory.jpeg_bytes(size=(800, 600))
    )
    body, content_type = multipart.sign_up_form(username, token, photo)
    address = urlsplit(site.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    connection.putrequest("POST", "/register/")
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(len(body)))
    connection.putheader("Cookie", f"csrftoken={cookie}")
    connection.putheader("Referer", f"{site.url}/register/")
    connection.endheaders()
    for part in photo_parts(body) if photo_parts else [body]:
        connection.send(part)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture(scope="module")
def production_site(tmp_path_factory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("production")) as site:
        yield site
