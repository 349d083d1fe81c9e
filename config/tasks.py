"""What the site adds to the Huey consumer (run_huey finds this module as it
finds every app's tasks.py): its own /metrics, when METRICS_PORT asks."""

import os

from django.conf import settings
from huey.contrib.djhuey import on_startup


@on_startup()
def serve_metrics() -> None:
    if settings.METRICS_PORT:
        from config.metrics import serve_consumer_metrics

        # The web's address rule: BIND_HOST, else every interface.
        host = os.environ.get("BIND_HOST") or "0.0.0.0"
        serve_consumer_metrics(host, settings.METRICS_PORT)
