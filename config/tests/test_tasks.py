"""A consumer with METRICS_PORT serves /metrics itself, under the web's rules:
for a consumer on a host of its own."""

import pytest

from avatars.tests.test_recovery_with_consumer import wait_until
from testing.metrics import Scrape
from testing.metrics import fetch as get
from testing.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "the-consumer-token"


def test_a_consumer_with_a_port_serves_its_metrics_to_the_token_alone(start_consumer):
    port = free_port()
    consumer = start_consumer(
        METRICS_PORT=str(port), METRICS_TOKEN=TOKEN, BIND_HOST="127.0.0.1"
    )
    url = f"http://127.0.0.1:{port}/metrics"
    wait_until(lambda: get(url, TOKEN)[0] == 200)

    def alive() -> float:
        return Scrape(get(url, TOKEN)[1].decode()).value("avatars_consumers_alive")

    wait_until(lambda: alive() == 1)
    body = get(url, TOKEN)[1].decode()
    assert Scrape(body).has(
        "avatars_consumer_heartbeat_age_seconds", consumer=consumer.worker_id
    )
    assert get(url)[0] == 404  # loopback, no token
    assert get(url, "wrong")[0] == 404
    assert get(f"http://127.0.0.1:{port}/other", TOKEN)[0] == 404
