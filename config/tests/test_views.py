import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_queue_and_worker(client):
    from avatars import recovery

    absent = client.get("/healthz")
    recovery.beat()
    alive = client.get("/healthz")

    assert absent.status_code == 200
    assert absent.json()["database"] == "ok" and absent.json()["queue"] == "ok"
    assert absent.json()["worker"] == "absent"
    assert alive.json()["worker"] == "alive"
