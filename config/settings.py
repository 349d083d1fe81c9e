"""Settings for the avatars site, read from the environment.

With no variables set this is a local development site: DEBUG on, SQLite database,
SQLite Huey queue and media on local disk, all under one data folder (DATA_DIR,
default ./data).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {value!r}.")


DEBUG = env_bool("DJANGO_DEBUG", True)

DATA_DIR = Path(os.environ.get("DATA_DIR") or BASE_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "insecure-local-development-key"
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0 (production)."
        )

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get(
        "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"
    ).split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "registration",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "huey.contrib.djhuey",
    "huey.contrib.djhuey.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Django 6.0 ships partials in core; as builtins the templates need no
            # {% load %}, so the upgrade only touches this line.
            "builtins": ["template_partials.templatetags.partials"],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    }
]
if not DEBUG:
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        ("django.template.loaders.cached.Loader", TEMPLATES[0]["OPTIONS"]["loaders"])
    ]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        "OPTIONS": {
            # One writer at a time: take the write lock when the transaction
            # starts, and wait for it instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registration.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

# Thumbnails are public; uploaded originals live outside the served folder and
# never get a URL.
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
UPLOADS_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {
        "BACKEND": "registration.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    },
    "uploads": {
        "BACKEND": "registration.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": UPLOADS_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

AVATAR_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "registration.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Transient failures (I/O, a locked database) are retried after 1, 2, 4 s.
AVATAR_RETRIES = 3
AVATAR_RETRY_DELAY = 1.0
# Consumers beat every few seconds; a worker silent for longer than the timeout
# is gone. Each consumer sweeps at start-up and every AVATAR_SWEEP_SECONDS,
# requeueing photos whose task can no longer finish.
AVATAR_HEARTBEAT_SECONDS = 2
AVATAR_WORKER_TIMEOUT_SECONDS = 10
AVATAR_SWEEP_SECONDS = 15
# How often the profile page asks for the avatar's state while it is pending.
AVATAR_FIRST_POLL_MS = 100
AVATAR_POLL_MS = 250

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": os.environ.get("HUEY_NAME", "avatars"),
    "filename": str(DATA_DIR / "huey.sqlite3"),
    # djhuey defaults immediate to DEBUG, which would run the resize inside the
    # request: say it explicitly.
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "results": True,
    "store_none": False,
    "utc": True,
    # A failed attempt that will be retried must not look final to the poller.
    "store_intermediate_errors": False,
    # The consumer's options (workers, polling delays) live in the Procfile's
    # worker line, the one command every way of running the worker uses.
}

# huey's admin dashboard records task events in a database of its own.
HUEY_STATS = {"filename": str(DATA_DIR / "huey-stats.sqlite3")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "elapsed": {
            "()": "logging.Formatter",
            "fmt": "{asctime} {levelname} {name}:{lineno} [{elapsed:.3f}s] - {message}",
            "style": "{",
            "defaults": {"elapsed": 0.0},
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "elapsed"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "registration": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        # Handlers of its own stop run_huey from adding a second one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "WARNING"},
    },
}
