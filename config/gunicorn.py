"""gunicorn's settings module (`--config python:config.gunicorn`): the hooks
that keep the metrics folder of the web processes (config.multiproc).

The command line (Procfile, deploy/systemd) carries every other option.
"""

from typing import Any

from config import multiproc


def on_starting(server: Any) -> None:
    # The master, before it forks: the workers inherit the folder's name.
    multiproc.configure()


def child_exit(server: Any, worker: Any) -> None:
    multiproc.process_ended(worker.pid)
