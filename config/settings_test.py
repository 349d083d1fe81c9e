"""Settings for the test suite: everything in a fresh folder of its own.

The folder is chosen once per run and passed on through the environment, so a
consumer process started by a test opens the same database file and the same
queue, and a `make run` worker on this machine never sees a test's task.
"""

import os
import tempfile

_test_dir = os.environ.get("AVATARS_TEST_DATA_DIR") or tempfile.mkdtemp(
    prefix="avatars-test-"
)
os.environ["AVATARS_TEST_DATA_DIR"] = os.environ["DATA_DIR"] = _test_dir
os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: E402, F403
from config.settings import (  # noqa: E402
    DATA_DIR,
    DATABASES,
    HUEY,
    INSTALLED_APPS,
)

# NAME and TEST NAME agree, so that a consumer process started by a test opens
# the test database. On SQLite it is a file, not pytest-django's in-memory
# default; on PostgreSQL a database named for this run (testing/services.py).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = str(DATA_DIR / "test.sqlite3")
DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}

# Unique to the run, also in a Redis or PostgreSQL queue shared with others.
HUEY["name"] = f"avatars-{DATA_DIR.name}"
# whitenoise warns about a missing STATIC_ROOT; tests serve from the finders.
(DATA_DIR / "static").mkdir(exist_ok=True)
INSTALLED_APPS = [*INSTALLED_APPS, "testing.gate.GateConfig"]

# Faster clocks for the recovery machinery, so fault tests finish in seconds.
AVATAR_RETRY_DELAY = 0.1
AVATAR_HEARTBEAT_SECONDS = 0.2
AVATAR_WORKER_TIMEOUT_SECONDS = 2
AVATAR_SWEEP_SECONDS = 1
# Small decode limits, so hostile files hit them within seconds.
AVATAR_DECODE_CPU_SECONDS = int(os.environ.get("AVATARS_TEST_DECODE_SECONDS", "2"))
AVATAR_DECODE_MEMORY_BYTES = 128 * 1024 * 1024
AVATAR_DECODE_WALL_SECONDS = float(AVATAR_DECODE_CPU_SECONDS * 2)

# The suite signs up dozens of users from 127.0.0.1 in one test; the limits
# themselves are tested with their own values.
# Django's small in-memory caches (300 entries, then a third is culled): the
# attempt counters must survive a flood of sessions even there.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sessions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
    },
}
ACCOUNT_RATE_LIMITS = False

# The production hasher costs 0.18 s a call; the suite hashes hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Messages land in django.core.mail.outbox when a test delivers them in-process
# (testing.mail.deliver); a consumer a test points at an SMTP server sends them.
if not os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
