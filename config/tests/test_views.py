import json
import socket
import threading
import uuid

import pytest
from django.db.utils import ConnectionHandler

from config import views
from config.tests.test_settings import run
from testing import services

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_queue_and_worker(client):
    from avatars import recovery

    absent = client.get("/healthz")
    recovery.beat()
    alive = client.get("/healthz")

    assert absent.status_code == 200
    assert absent.json() == {"database": "ok", "queue": "ok", "worker": "absent"}
    assert alive.status_code == 200
    assert alive.json() == {"database": "ok", "queue": "ok", "worker": "alive"}


def test_healthz_says_only_error_and_logs_the_details(client, monkeypatch, caplog):

    def broken_database():
        raise RuntimeError("database secret detail")

    class BrokenQueue:
        def pending_count(self):
            raise RuntimeError("queue secret detail")

    monkeypatch.setattr(views.health, "database_answers", broken_database)
    monkeypatch.setattr(views.health, "queue", BrokenQueue)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "error",
        "queue": "error",
        "worker": "unknown",
    }
    assert b"secret" not in response.content
    health = [record for record in caplog.records if record.name == "config.health"]
    assert [record.levelname for record in health] == ["ERROR", "ERROR"]
    assert "database secret detail" in caplog.text
    assert "queue secret detail" in caplog.text


def test_healthz_worker_unknown_when_its_heartbeat_cannot_be_read(client, monkeypatch):
    def unreadable(*store):
        raise RuntimeError("store hiccup")

    monkeypatch.setattr(views.recovery, "any_worker_alive", unreadable)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["worker"] == "unknown"


def test_healthz_rejects_post(client):
    assert client.post("/healthz").status_code == 405


# Fresh processes with services that really do not answer (port 1 on loopback).

HEALTHZ = (
    "import django, json; django.setup();"
    "from django.test import Client;"
    "r = Client().get('/healthz', HTTP_HOST='localhost');"
    "print(json.dumps({'status': r.status_code, 'body': r.content.decode()}))"
)


def healthz_in_fresh_process(tmp_path, **env: str) -> tuple[int, str, str]:
    # A queue name of its own: the shared Redis may hold another run's keys.
    result = run(
        ["-c", HEALTHZ],
        tmp_path,
        DJANGO_DEBUG="1",
        HUEY_NAME=f"healthz-{uuid.uuid4().hex[:12]}",
        **env,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[-1])
    return answer["status"], answer["body"], result.stderr


def test_healthz_database_down_is_503_without_details(tmp_path):
    services.ensure("Redis", 6379, services.START_REDIS, services.redis_answers)

    status, body, log = healthz_in_fresh_process(
        tmp_path,
        DATABASE_URL="postgres://someuser@127.0.0.1:1/somedb",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    assert status == 503
    assert json.loads(body)["database"] == "error"
    assert json.loads(body)["queue"] == "ok"
    assert json.loads(body)["worker"] in {"alive", "absent"}
    for detail in ("127.0.0.1", ":1", "someuser", "somedb", "5432", "port"):
        assert detail not in body
    assert "health check: the database does not answer" in log
    assert "127.0.0.1" in log  # the details are in the log


def test_healthz_queue_down_is_503_without_details(tmp_path):
    status, body, log = healthz_in_fresh_process(
        tmp_path, REDIS_URL="redis://127.0.0.1:1/0"
    )

    assert status == 503
    assert json.loads(body) == {
        "database": "ok",
        "queue": "error",
        "worker": "unknown",
    }
    for detail in ("127.0.0.1", "6379", ":1", "port"):
        assert detail not in body
    assert "health check: the queue does not answer" in log


# A peer that takes the connection and never says a word: the kernel completes
# the handshake into the listen backlog, nobody reads. The subprocess's own 60 s
# limit is the guard against a hang; the answer comes after the check's timeouts.


@pytest.fixture
def silent_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def answer_within_a_minute(client) -> tuple[int, dict]:
    """GET /healthz in a thread, failing the test rather than hanging it."""
    answers = []
    thread = threading.Thread(target=lambda: answers.append(client.get("/healthz")))
    thread.start()
    thread.join(60)
    assert answers, "the health check is still waiting after a minute"
    return answers[0].status_code, answers[0].json()


def test_healthz_answers_503_when_the_database_never_answers(
    client, monkeypatch, silent_port
):
    # PostgreSQL at a silent port (the web process started while it answered).
    silent = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "somedb",
                "USER": "someuser",
                "HOST": "127.0.0.1",
                "PORT": str(silent_port),
            }
        }
    )
    monkeypatch.setattr(views.health, "connections", silent)

    status, body = answer_within_a_minute(client)

    assert status == 503
    assert body["database"] == "error" and body["queue"] == "ok"


def test_healthz_answers_503_when_redis_never_answers(tmp_path, silent_port):
    status, body, log = healthz_in_fresh_process(
        tmp_path, REDIS_URL=f"redis://127.0.0.1:{silent_port}/0"
    )

    assert status == 503
    assert json.loads(body) == {
        "database": "ok",
        "queue": "error",
        "worker": "unknown",
    }
    assert "health check: the queue does not answer" in log
