"""What runs inside each Huey consumer besides the tasks: signs of life, the
recovery sweep and the periodic clean-up."""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, on_startup

from registration import heartbeat
from registration.avatars import purge_orphans, sweep_avatars

logger = logging.getLogger(__name__)

_life_signs_started = threading.Lock()


def life_signs() -> None:
    """Beat every few seconds; sweep at start-up and every AVATAR_SWEEP_SECONDS."""
    next_sweep = time.monotonic()
    while True:
        try:
            heartbeat.beat()
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + settings.AVATAR_SWEEP_SECONDS
                close_old_connections()
                sweep_avatars()
        except Exception:
            # A locked database or a queue hiccup must not stop the beat.
            logger.exception("heartbeat or sweep failed; trying again")
        time.sleep(settings.AVATAR_HEARTBEAT_SECONDS)


@on_startup()
def start_life_signs() -> None:
    # Startup hooks run once per worker thread; one beating thread is enough.
    if _life_signs_started.acquire(blocking=False):
        threading.Thread(target=life_signs, name="life-signs", daemon=True).start()
        logger.info(
            "worker %s: heartbeat and recovery sweep started", heartbeat.worker_id()
        )


@db_periodic_task(crontab(minute="17"))
def purge_orphans_hourly() -> None:
    purge_orphans()
