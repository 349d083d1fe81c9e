"""The Procfile's web line with two worker processes: /metrics answers for
both, and a worker that dies takes none of the counts with it."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatars.tests.test_recovery_with_consumer import wait_until
from config import multiproc
from config.tests.conftest import production_env
from testing.metrics import Scrape, fetch
from testing.processes import Web

TOKEN = "a-token-for-the-test"


@pytest.fixture
def web(tmp_path) -> Iterator[Web]:
    env = {
        **production_env(tmp_path, METRICS_TOKEN=TOKEN, EMAIL_HOST="127.0.0.1"),
        "WEB_CONCURRENCY": "2",
    }
    process = Web("web", env, tmp_path / "web.log")
    try:
        process.wait_ready(timeout=30)
        yield process
    finally:
        process.stop()


def healthz_count(web: Web) -> float:
    status, body = fetch(f"{web.url}/metrics", TOKEN)
    assert status == 200
    found = Scrape(body.decode())
    return found.value("avatars_http_requests_total", view="healthz", status="200")


def workers(web: Web) -> set[int]:
    children = Path(f"/proc/{web.pid}/task/{web.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def test_two_web_processes_count_as_one_site(web, tmp_path):
    folder = tmp_path / "metrics"
    wait_until(lambda: len(workers(web)) == 2)
    before = healthz_count(web)
    for _ in range(30):
        assert fetch(f"{web.url}/healthz")[0] == 200
    # Whichever worker answers the scrape, it counts the other's requests too.
    assert [healthz_count(web) - before for _ in range(6)] == [30] * 6

    doomed = min(workers(web))
    os.kill(doomed, signal.SIGKILL)
    wait_until(lambda: doomed not in workers(web) and len(workers(web)) == 2)
    wait_until(lambda: not any(multiproc.owner(f) == doomed for f in folder.iterdir()))

    assert healthz_count(web) - before == 30
