"""The reference fragment's server: the tutorial's way, with Django's defaults
for sessions (one query each), authentication (user and profile in two
queries) and database connections (a new one per request)."""

from bench.settings import *  # noqa: F403
from bench.settings import DATABASES

SESSION_ENGINE = "django.contrib.sessions.backends.db"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
TUTORIAL_DEFAULTS = {
    "SESSION_ENGINE": SESSION_ENGINE,
    "AUTHENTICATION_BACKENDS": AUTHENTICATION_BACKENDS,
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
