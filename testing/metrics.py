"""Reading /metrics as Prometheus does: parsed, never matched line by line."""

import urllib.error
import urllib.request
from dataclasses import dataclass

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class Scrape:
    """One exposition's samples."""

    def __init__(self, text: str) -> None:
        self.samples = [
            Sample(sample.name, dict(sample.labels), float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def matching(self, name: str, **labels: str) -> list[Sample]:
        return [
            sample
            for sample in self.samples
            if sample.name == name
            and all(sample.labels.get(key) == value for key, value in labels.items())
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples of that name with those labels (the others
        summed over); 0 when there is none, as for a counter not yet moved."""
        return sum(sample.value for sample in self.matching(name, **labels))

    def has(self, name: str, **labels: str) -> bool:
        return bool(self.matching(name, **labels))


def scrape(client: Client, token: str) -> Scrape:
    """/metrics as a scraper with the token gets it."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return Scrape(response.content.decode())


def fetch(url: str, token: str | None = None) -> tuple[int, bytes]:
    """GET a live server's URL, with the token if given: its status and body;
    0 while nothing listens there."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body: bytes = response.read()
            return response.status, body
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""
